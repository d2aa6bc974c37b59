import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PKG } from './procs.js';

/** One JSON line a handover device process printed (`t` = its wall clock, ms). */
export type Line = Record<string, unknown> & { event: string; t: number };

/** A device process of test/fixtures/handover/media-device.ts, driven over stdin. */
export interface HoDevice {
  readonly name: string;
  readonly child: ChildProcess;
  /** The temporary state directory it got (HO_STATE_DIR); the caller removes it. */
  readonly stateDir: string;
  readonly lines: Line[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  /** Writes one command line. */
  send(cmd: Record<string, unknown>): void;
  /** The first line from index `from` on that matches (waits for it; rejects after `timeoutMs`). */
  waitFor(pred: (l: Line) => boolean, timeoutMs?: number, from?: number): Promise<Line>;
  /** Lines seen so far with this event name. */
  events(event: string): Line[];
}

/**
 * Starts a handover device process (inside network namespace `netns` when given): `script` (default the core-level
 * device, test/fixtures/handover/media-device.ts) under node with `--expose-gc` and `imports` (default tsx).
 */
export function startDevice(
  name: string,
  env: Record<string, string>,
  netns?: string,
  script = 'test/fixtures/handover/media-device.ts',
  imports = 'tsx',
): HoDevice {
  const node = [process.execPath, '--expose-gc', '--import', imports, script];
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `colink-ho-${name}-`));
  const [cmd, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
  const child = spawn(cmd!, args, {
    cwd: PKG,
    env: {
      ...process.env,
      HO_NAME: name,
      HO_STATE_DIR: stateDir,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Line);
    } catch {
      stderr.push(`stdout: ${l}\n`);
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    name,
    child,
    stateDir,
    lines,
    stderr,
    exited,
    send: (c) => child.stdin!.write(`${JSON.stringify(c)}\n`),
    events: (event) => lines.filter((l) => l.event === event),
    waitFor(pred, timeoutMs = 30_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = lines.slice(from).find(pred);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `${name}: timed out after ${timeoutMs} ms; last lines ${JSON.stringify(lines.slice(-8))}; stderr ${stderr.join('').slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Whether this process may create network namespaces (root with a working `ip netns`). */
export function canNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Two network namespaces joined by a veth pair (names carry this process's pid): `a` holds `vethA` with 10.151.0.1/24,
 * `b` holds `vethB` with 10.151.0.2/24; loopback is up in both. `remove()` deletes both namespaces (and so the veth).
 */
export function vethPair(): {
  a: string;
  b: string;
  vethA: string;
  vethB: string;
  addrA: string;
  addrB: string;
  remove(): void;
} {
  const id = process.pid;
  const a = `hoa${id}`;
  const b = `hob${id}`;
  const vethA = `hova${id}`;
  const vethB = `hovb${id}`;
  const ip = (...args: string[]): void => {
    execFileSync('ip', args, { stdio: 'pipe' });
  };
  const remove = (): void => {
    for (const ns of [a, b]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // not there
      }
    }
  };
  remove();
  ip('netns', 'add', a);
  ip('netns', 'add', b);
  ip('link', 'add', vethA, 'netns', a, 'type', 'veth', 'peer', 'name', vethB, 'netns', b);
  ip('-n', a, 'addr', 'add', '10.151.0.1/24', 'dev', vethA);
  ip('-n', b, 'addr', 'add', '10.151.0.2/24', 'dev', vethB);
  for (const [ns, dev] of [
    [a, vethA],
    [b, vethB],
  ] as const) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
  return { a, b, vethA, vethB, addrA: '10.151.0.1', addrB: '10.151.0.2', remove };
}

/** Runs `cmd args…` (inside `netns` when given); returns stdout. */
export function run(netns: string | undefined, cmd: string, ...args: string[]): string {
  const [c, ...a] = netns ? ['ip', 'netns', 'exec', netns, cmd, ...args] : [cmd, ...args];
  return execFileSync(c!, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `host:port` → port. */
export function portOf(address: string): string {
  return address.slice(address.lastIndexOf(':') + 1);
}
