// Network namespaces and veths of the handover tests. Every name carries this process's pid and a tag, so parallel
// test files (and other engineers' runs) never meet; `remove()` deletes the namespaces (and so their veths).
import { execFileSync } from 'node:child_process';
import { addNetns, canUseNetns, deleteNetns, ip } from '@colink/transport-wifi-p2p/testing';

/** Whether this process may create network namespaces: root, and `ip netns` works. */
export function canNetns(): boolean {
  if (!canUseNetns()) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Two namespaces joined by a veth pair: `a` holds `vethA` with `addrA`/24, `b` holds `vethB` with `addrB`/24. */
export interface VethPair {
  readonly a: string;
  readonly b: string;
  readonly vethA: string;
  readonly vethB: string;
  readonly addrA: string;
  readonly addrB: string;
  /** Deletes both namespaces (and so the veth); a missing one is not an error. */
  remove(): Promise<void>;
}

/**
 * Makes two namespaces (loopback up in both) and a veth pair between them, addresses `<subnet>.1` in `a` and
 * `<subnet>.2` in `b` (a /24). `tag` tells the callers of one process apart (interface names stay within 15 bytes).
 */
export async function vethPair(tag: string, subnet: string): Promise<VethPair> {
  const id = `${process.pid % 100_000}${tag}`;
  const pair = {
    a: `clho${id}a`,
    b: `clho${id}b`,
    vethA: `hoa${id}`,
    vethB: `hob${id}`,
    addrA: `${subnet}.1`,
    addrB: `${subnet}.2`,
    async remove(): Promise<void> {
      await deleteNetns(pair.a);
      await deleteNetns(pair.b);
    },
  };
  await pair.remove();
  await addNetns(pair.a);
  await addNetns(pair.b);
  await ip([
    'link',
    'add',
    pair.vethA,
    'netns',
    pair.a,
    'type',
    'veth',
    'peer',
    'name',
    pair.vethB,
    'netns',
    pair.b,
  ]);
  await ip(['addr', 'add', `${pair.addrA}/24`, 'dev', pair.vethA], pair.a);
  await ip(['addr', 'add', `${pair.addrB}/24`, 'dev', pair.vethB], pair.b);
  await ip(['link', 'set', pair.vethA, 'up'], pair.a);
  await ip(['link', 'set', pair.vethB, 'up'], pair.b);
  return pair;
}

/** One namespace `clho<pid><tag>` with loopback up; `remove()` deletes it. */
export async function namespace(tag: string): Promise<{ readonly name: string; remove(): Promise<void> }> {
  const name = `clho${process.pid % 100_000}${tag}`;
  await deleteNetns(name);
  await addNetns(name);
  return { name, remove: () => deleteNetns(name) };
}

/** Runs `cmd args…` (inside `netns` when given); returns stdout. */
export function run(netns: string | undefined, cmd: string, ...args: string[]): string {
  const [c, ...a] = netns ? ['ip', 'netns', 'exec', netns, cmd, ...args] : [cmd, ...args];
  return execFileSync(c!, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The interface of namespace `ns` holding IPv4 `address`. */
export async function interfaceOf(ns: string, address: string): Promise<string> {
  const out = await ip(['-o', '-4', 'addr', 'show'], ns);
  const line = out.split('\n').find((l) => l.includes(` ${address}/`));
  if (!line) throw new Error(`${address} not in ${ns}: ${out}`);
  return line.split(/\s+/)[1]!;
}

/** `host:port` → port. */
export function portOf(address: string): string {
  return address.slice(address.lastIndexOf(':') + 1);
}

export { ip };
