// Device processes of the handover tests: the core-level device (test/fixtures/handover/device.ts) or a HarmonyOS one
// (test/fixtures/handover/harmony-device.ts), each optionally inside a network namespace, driven by JSON lines on
// stdin, reporting JSON lines (`{"event":…,"t":…}`) on stdout.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { DeviceConfig } from '../fixtures/handover/device.js';
import { PKG } from '../procs.js';

/** One JSON line a device process printed (`t` = its wall clock, ms). */
export type Line = Record<string, unknown> & { event: string; t: number };

/** How to start a device process. */
export interface DeviceProcOptions {
  /** The script, relative to the package. */
  readonly script: string;
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Node flags before the script. */
  readonly node: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Record<string, string>;
  /** Network namespace to run in (`ip netns exec`); none: this one. */
  readonly netns?: string | undefined;
}

/**
 * A device process: its stdout JSON lines are kept in order (`lines`), commands go to its stdin. Every wait fails fast
 * on an `error` line or the process exiting, and after its time limit with the last lines and stderr.
 */
export class DeviceProc {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  readonly exited: Promise<number | null>;
  private stderrText = '';
  /** Set once the process exited and its stdout and stderr are closed (every line it wrote has been read). */
  private ended = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    opts: DeviceProcOptions,
  ) {
    const node = [process.execPath, ...opts.node, opts.script, ...(opts.args ?? [])];
    const [cmd, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...node] : node;
    this.child = spawn(cmd!, args, {
      cwd: PKG,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line);
      } catch {
        this.stderrText += `stdout: ${l}\n`;
      }
      this.wake();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrText += d.toString();
    });
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    // 'close', not 'exit': the last lines may still be on their way when the process has exited.
    this.child.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  get stderr(): string {
    return this.stderrText;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * The first line at index ≥ `from` (default 0) matching `pred`; rejects on an `error` line (or one whose event is
   * in `failOn`), on the process exiting, or after `timeoutMs`.
   */
  waitFor(
    pred: (l: Line) => boolean,
    opts: { what?: string; timeoutMs?: number; from?: number; failOn?: readonly string[] } = {},
  ): Promise<Line> {
    const { what = 'a matching line', timeoutMs = 30_000, from = 0, failOn = [] } = opts;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.waiters.delete(check);
        clearTimeout(timer);
      };
      const check = (): void => {
        for (let i = from; i < this.lines.length; i++) {
          const l = this.lines[i]!;
          if (l.event === 'error' || failOn.includes(l.event)) {
            done();
            reject(
              new Error(
                `${this.name}: ${JSON.stringify(l)} waiting for ${what}; stderr ${this.stderr.slice(-3000)}`,
              ),
            );
            return;
          }
          if (pred(l)) {
            done();
            resolve(l);
            return;
          }
        }
        if (this.ended) {
          done();
          reject(
            new Error(
              `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) waiting for ${what}; stderr ${this.stderr.slice(-3000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `${this.name}: no ${what} in ${timeoutMs} ms; last lines ${JSON.stringify(this.lines.slice(-30))}; stderr ${this.stderr.slice(-3000)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /**
   * The first line of event `event` after everything seen so far (or from index `from`) that matches `pred`.
   */
  next(
    event: string,
    opts: { timeoutMs?: number; from?: number; failOn?: readonly string[] } = {},
    pred: (l: Line) => boolean = () => true,
  ): Promise<Line> {
    return this.waitFor((l) => l.event === event && pred(l), {
      what: event,
      from: this.lines.length,
      ...opts,
    });
  }

  /** Writes one command line. */
  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Sends `cmd` and waits for the reply line `event` (failing on the events in `failOn` too). */
  ask(
    cmd: Record<string, unknown>,
    event: string,
    opts: { timeoutMs?: number; failOn?: readonly string[] } = {},
  ): Promise<Line> {
    const from = this.lines.length;
    this.send(cmd);
    return this.next(event, { ...opts, from });
  }

  /** Lines seen so far with this event. */
  events(event: string): Line[] {
    return this.lines.filter((l) => l.event === event);
  }

  /**
   * Dials `medium` at `address` until it succeeds, `retries` more times 200 ms apart (a veth that just came up needs
   * a moment); returns the `dialed` line. Throws with the last error when every attempt failed.
   */
  async dial(medium: string, address: string, retries = 0, timeoutMs = 60_000): Promise<Line> {
    for (let attempt = 0; ; attempt++) {
      const from = this.lines.length;
      this.send({ cmd: 'dial', medium, address });
      const r = await this.waitFor(
        (l) => (l.event === 'dialed' || l.event === 'dial-failed') && l.medium === medium,
        { what: `dial ${medium} ${address}`, timeoutMs, from },
      );
      if (r.event === 'dialed') return r;
      if (attempt >= retries)
        throw new Error(
          `${this.name}: dial ${medium} ${address} failed ${attempt + 1} times: ${String(r.error)}`,
        );
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /** Resolves once this device's peer connection moved to `medium` (a `move` line after index `from`). */
  movedTo(medium: string, from: number, timeoutMs = 30_000): Promise<Line> {
    return this.waitFor((l) => l.event === 'move' && l.to === medium, {
      what: `move to ${medium}`,
      timeoutMs,
      from,
    });
  }

  /** Asks for an exit; SIGKILL after 5 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ cmd: 'exit' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(killer);
  }
}

/** Node flags of the core-level device: sources of the workspace packages through tsx, `gc()` for `memory`. */
const CORE_DEVICE_NODE = ['--expose-gc', '--conditions=@colink/source', '--import', 'tsx'];

/**
 * Starts the core-level device (test/fixtures/handover/device.ts) with `config` (its `stateDir` defaults to a fresh
 * temporary directory, removed when the process exits) in `netns` when given.
 */
export function startCoreDevice(
  config: Omit<DeviceConfig, 'stateDir'> & { stateDir?: string },
  netns?: string,
): DeviceProc {
  const stateDir = config.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `colink-ho-${config.name}-`));
  const proc = new DeviceProc(config.name, {
    script: 'test/fixtures/handover/device.ts',
    args: [JSON.stringify({ ...config, stateDir })],
    node: CORE_DEVICE_NODE,
    netns,
  });
  if (!config.stateDir) void proc.exited.then(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  return proc;
}

/**
 * Starts a HarmonyOS device (test/fixtures/handover/harmony-device.ts through the register hook, `gc()` for `memory`)
 * with `env` (its COLINK_* configuration and HO_ROLE / HO_PEER_MAC) in `netns` when given.
 */
export function startHarmonyDevice(name: string, env: Record<string, string>, netns?: string): DeviceProc {
  return new DeviceProc(name, {
    script: 'test/fixtures/handover/harmony-device.ts',
    node: ['--expose-gc', '--import', '@colink/api-compat/register'],
    env,
    netns,
  });
}
