import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PKG = path.resolve(import.meta.dirname, '..');

/** A child process whose stdout JSON lines are collected (a line that is not JSON goes to `stderr`). */
export interface Proc {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string[];
  /** The first line (at index ≥ `from`, default 0) matching `pred`; rejects after `timeoutMs` (default 20 s). */
  waitFor(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit (nothing when it already exited). */
  kill(): Promise<void>;
}

/** Starts `cmd args…` in the package directory with `env` added, collecting its stdout JSON lines. */
export function spawnLines(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, {
    cwd: PKG,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr.push(`stdout: ${line}\n`);
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr,
    exited,
    waitFor(pred, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = lines.slice(from).find(pred);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; stdout ${JSON.stringify(lines)}; stderr ${stderr.join('')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Starts node with `args` (flags, script, arguments) and `env` added; see {@link spawnLines}. */
export function start(args: string[], env: Record<string, string>): Proc {
  return spawnLines(process.execPath, args, env);
}

/** Environment of a device on loopback: TCP and mDNS on 127.0.0.1, a private mDNS port, its own state dir. */
export function deviceEnv(name: string, type: string, mdnsPort: number): Record<string, string> {
  return {
    COLINK_DEVICE_NAME: name,
    COLINK_DEVICE_TYPE: type,
    COLINK_STATE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), `colink-${name}-`)),
    COLINK_TRANSPORTS: 'tcp',
    COLINK_MDNS_INTERFACE: '127.0.0.1',
    COLINK_MDNS_PORT: String(mdnsPort),
    // Same account: the devices trust each other; every Link is TLS 1.3 (security is on by default).
    COLINK_ACCOUNT: 'colink-test-account',
  };
}

/** Resolves once `text` appears in the process's stderr (hilog writes there); rejects after `timeoutMs`. */
export function stderrIncludes(p: Proc, text: string, timeoutMs = 30_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" in ${p.stderr.join('')}`)), timeoutMs);
    const check = (): void => {
      if (p.stderr.join('').includes(text)) {
        clearTimeout(timer);
        resolve();
      } else setTimeout(check, 50);
    };
    check();
  });
}

export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 30_000);
}
