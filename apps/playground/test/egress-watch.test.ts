import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// scripts/egress-watch.mjs (issue 16: nothing leaves the host during `pnpm test` / `pnpm start`, apart from the
// kernel's ARP / neighbour discovery): it must fail when the watched command sends a packet out through the default
// interface, and must not count what other processes send meanwhile (the host's background traffic). Run in a
// network namespace of this test's own whose default route leads out through a veth; the veth's far end sits in the
// same namespace with forwarding off, so the one packet sent — a UDP datagram with TTL 1 to 198.51.100.7, a
// TEST-NET-2 documentation address (RFC 5737) — never leaves the namespace. Root only; the namespace and the veth
// carry this process's pid and are removed after.

const root = path.resolve(import.meta.dirname, '../../..');
const script = path.join(root, 'scripts/egress-watch.mjs');
const tag = process.pid % 100_000;
const ns = `clegw${tag}`;
const dev = `cle${tag}a`;
const far = `cle${tag}b`;
/** RFC 5737 TEST-NET-2: reserved for documentation, never routed anywhere real. */
const TEST_NET = '198.51.100.7';

function missing(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (cgroup v2, nftables, network namespaces)';
  if (process.getuid?.() !== 0) return 'needs root (a cgroup, an nftables table, a network namespace)';
  for (const [cmd, args] of [
    ['nft', ['--version']],
    ['tcpdump', ['--version']],
    ['ip', ['-V']],
    ['nsenter', ['--version']],
  ] as const) {
    if (spawnSync(cmd, args, { stdio: 'ignore' }).status !== 0)
      return `needs ${cmd} (scripts/system-deps.mjs installs it when run as root)`;
  }
  if (!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup2 ')) return 'needs cgroup v2';
  return undefined;
}

const skipReason = missing();
if (skipReason) console.warn(`egress-watch test skipped: ${skipReason}`);

/** A node one-liner that sends one UDP datagram (TTL 1) to `host` and exits. */
const sendUdp = (host: string) =>
  `const s=require('node:dgram').createSocket('udp4');s.bind(()=>{s.setTTL(1);s.send('x',9,'${host}',()=>s.close())})`;

/** Runs egress-watch in the namespace (nsenter keeps this mount namespace, so the cgroup2 mount stays visible). */
function watch(command: string[], during?: () => void): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('nsenter', [`--net=/var/run/netns/${ns}`, process.execPath, script, '--', ...command], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr!.on('data', (d) => {
      stderr += d;
    });
    during?.();
    p.on('close', (status) => resolve({ status, stderr }));
  });
}

/** The `colink-egress-<pid>` cgroups at the root of the cgroup2 hierarchy now. */
function egressCgroups(): string[] {
  const mount = /\S+ \S+ \S+ \S+ (\S+) .* - cgroup2 /.exec(
    fs.readFileSync('/proc/self/mountinfo', 'utf8'),
  )?.[1];
  return fs.readdirSync(mount!).filter((n) => n.startsWith('colink-egress-'));
}

let cgroupsBefore: string[] = [];

describe.skipIf(skipReason !== undefined)('egress-watch', () => {
  beforeAll(() => {
    cgroupsBefore = egressCgroups();
    const ip = (...args: string[]) => execFileSync('ip', args);
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', far);
    ip('-n', ns, 'addr', 'add', '10.253.0.2/24', 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', ns, 'link', 'set', far, 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', '10.253.0.1', 'dev', dev);
  });

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it('fails (exit 1) when the command sends one packet out through the default interface, and prints it', {
    timeout: 60_000,
  }, async () => {
    const r = await watch([process.execPath, '-e', sendUdp(TEST_NET)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`1 packet\\(s\\) of its process tree left through ${dev}`));
    expect(r.stderr).toContain(`> ${TEST_NET}.9: UDP`);
    expect(r.stderr).toContain('FAILED');
  });

  it('counts packets of grandchildren too (the whole process tree), whatever the command exits with', {
    timeout: 60_000,
  }, async () => {
    const r = await watch(['sh', '-c', `"${process.execPath}" -e "${sendUdp(TEST_NET)}"; exit 0`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/1 packet\(s\) of its process tree/);
  });

  it('does not count what other processes send meanwhile (host background), nor loopback traffic', {
    timeout: 60_000,
  }, async () => {
    let outsider: ReturnType<typeof spawnSync> | undefined;
    const r = await watch([process.execPath, '-e', `${sendUdp('127.0.0.1')};setTimeout(()=>{},1500)`], () => {
      // A process outside the watched tree sends the same datagram while the command runs.
      setTimeout(() => {
        outsider = spawnSync('nsenter', [
          `--net=/var/run/netns/${ns}`,
          process.execPath,
          '-e',
          sendUdp(TEST_NET),
        ]);
      }, 500);
    });
    expect(outsider?.status).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`0 packet\\(s\\) of its process tree left through ${dev}, 0 forwarded`),
    );
    expect(r.status).toBe(0);
  });

  it("passes the command's own exit status through when nothing left", { timeout: 60_000 }, async () => {
    const r = await watch(['sh', '-c', 'exit 3']);
    expect(r.status).toBe(3);
    // Nothing of the watch is left behind: no table (in the namespace it ran in), no cgroup.
    const tables = execFileSync('nsenter', [`--net=/var/run/netns/${ns}`, 'nft', 'list', 'tables'], {
      encoding: 'utf8',
    });
    expect(tables).not.toMatch(/colink_egress_/);
    // (CI runs the whole `pnpm test` under a watch of its own: its cgroup was there before this file started)
    expect(egressCgroups().filter((n) => !cgroupsBefore.includes(n))).toEqual([]);
  });
});
