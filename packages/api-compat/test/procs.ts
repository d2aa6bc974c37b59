import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PKG = path.resolve(import.meta.dirname, '..');

/** A child process whose stdout JSON lines are collected. */
export interface Proc {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string[];
  waitFor(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export function start(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, args, {
    cwd: PKG,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr.push(`stdout: ${line}`);
      }
      i = buf.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr,
    exited,
    waitFor(pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out; stdout ${JSON.stringify(lines)}; stderr ${stderr.join('')}`)),
          timeoutMs,
        );
        const check = (): void => {
          const hit = lines.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
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
