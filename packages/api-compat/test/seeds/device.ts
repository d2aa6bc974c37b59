// A device process of the seed-block suite: the driver (driver.mjs) preloaded, commands on stdin, JSON events and
// log text (hilog on stderr, console on stdout) collected.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PKG } from '../procs.js';

export const DRIVER = path.join(import.meta.dirname, 'driver.mjs');
// The script device's main: runs after every --import (the register hook has prepared the device) and says so.
const READY = `process.stdout.write('{"ev":"ready"}\\n'); setInterval(() => {}, 1 << 30);`;
const BASE = ['--conditions=@colink/source', '--import', 'tsx', '--import', DRIVER];

export type Ev = Record<string, unknown>;
/** The stderr line driver.mjs writes at the end of every run and sync (followed by the id). */
const SYNC_MARK = '@@seed-sync ';

export class SeedDevice {
  readonly child: ChildProcess;
  readonly events: Ev[] = [];
  text = '';
  private waiters: Array<() => void> = [];
  private runs = 0;

  /** `main`: `'register'` (a script device: the register hook) or an app directory (run by colink-device). */
  constructor(
    readonly name: string,
    main: { register: true } | { appDir: string },
    env: Record<string, string>,
    netns?: string,
  ) {
    const args =
      'register' in main
        ? [...BASE, '--import', '@colink/api-compat/register', '-e', READY]
        : [...BASE, 'src/bin/colink-device.ts', main.appDir];
    const [cmd, argv] = netns
      ? ['ip', ['netns', 'exec', netns, process.execPath, ...args]]
      : [process.execPath, args];
    this.child = spawn(cmd, argv as string[], {
      cwd: PKG,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      let ev: Ev | undefined;
      try {
        const j = JSON.parse(l) as unknown;
        if (typeof j === 'object' && j !== null && !Array.isArray(j)) ev = j as Ev;
      } catch {
        // a console line of a block
      }
      if (ev) this.events.push(ev);
      else this.text += `${l}\n`;
      this.wake();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.text += d.toString();
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private until<T>(what: string, probe: () => T | undefined, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name}: timed out waiting for ${what}\nevents ${JSON.stringify(this.events)}\nlog:\n${this.text}`,
            ),
          ),
        ms,
      );
      const check = (): void => {
        const failed = this.events.find((e) => e.ev === 'failed');
        if (failed) {
          clearTimeout(timer);
          reject(
            new Error(`${this.name}: block module failed: ${String(failed.message)}\nlog:\n${this.text}`),
          );
          return;
        }
        const v = probe();
        if (v !== undefined) {
          clearTimeout(timer);
          resolve(v);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** How many times `pattern` occurs in the log text (a RegExp keeps its flags, e.g. `m`). */
  count(pattern: string | RegExp): number {
    const re =
      typeof pattern === 'string'
        ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
        : new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    return (this.text.match(re) ?? []).length;
  }

  /** The log lines that contain `pattern` (the first 20): what a failed count should show. */
  linesWith(pattern: string): string[] {
    return this.text
      .split('\n')
      .filter((l) => l.includes(pattern))
      .slice(0, 20);
  }

  /** Resolves once `pattern` occurs at least `times` times in the log text. */
  log(pattern: string | RegExp, times = 1, ms = 30_000): Promise<void> {
    return this.until(
      `${times}× ${String(pattern)}`,
      () => (this.count(pattern) >= times ? true : undefined),
      ms,
    ).then(() => undefined);
  }

  /** The first event matching `pred`. */
  event(pred: (e: Ev) => boolean, ms = 30_000): Promise<Ev> {
    return this.until('an event', () => this.events.find(pred), ms);
  }

  /** Runs a composed module (see driver.mjs); resolves when its evaluation (and call) finished. */
  async run(
    file: string,
    opts: {
      page?: string;
      call?: string;
      thisPage?: boolean;
      arg?: unknown;
      again?: boolean;
      wait?: boolean;
    } = {},
    ms = 30_000,
  ): Promise<Ev> {
    const id = `${path.basename(file)}:${++this.runs}`;
    this.child.stdin!.write(
      `${JSON.stringify({ op: 'run', id, file, page: opts.page, call: opts.call, thisPage: opts.thisPage, arg: opts.arg, again: opts.again ? this.runs : undefined })}\n`,
    );
    if (opts.wait === false) return Promise.resolve({});
    const done = await this.event((e) => e.ev === 'done' && e.id === id, ms);
    await this.stderrMark(id, ms);
    return done;
  }

  /** Resolves once the driver's stderr sentinel for `id` arrived: everything logged before it has been read. */
  private stderrMark(id: string, ms: number): Promise<void> {
    const mark = `${SYNC_MARK}${id}\n`;
    return this.until(
      `the stderr sentinel of ${id}`,
      () => (this.text.includes(mark) ? true : undefined),
      ms,
    ).then(() => undefined);
  }

  /**
   * Waits until both output streams have caught up with the device (a stdout event and a stderr sentinel written
   * after everything logged so far): call before {@link count} when log lines may still be in flight.
   */
  async sync(ms = 30_000): Promise<void> {
    const id = `sync:${++this.runs}`;
    this.child.stdin!.write(`${JSON.stringify({ op: 'sync', id })}\n`);
    await this.event((e) => e.ev === 'synced' && e.id === id, ms);
    await this.stderrMark(id, ms);
  }

  /** Releases `await __seedStep(id)` once the module reached it. */
  async step(id: string, ms = 30_000): Promise<void> {
    await this.event((e) => e.ev === 'barrier' && e.id === id, ms);
    this.child.stdin!.write(`${JSON.stringify({ op: 'step', id })}\n`);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  }
}
