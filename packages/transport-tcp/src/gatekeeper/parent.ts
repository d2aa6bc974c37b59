/**
 * The transport's side of the gatekeeper process (`child.ts`): forks it at a lower priority, takes the connections it
 * hands over, keeps its counters, restarts it on the same port when it exits unexpectedly, and ends it on `stop()`.
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ColinkError, ErrorCode } from '@colink/core';
import {
  GATEKEEPER_MAX_RESTARTS,
  GATEKEEPER_RESTART_WINDOW_MS,
  GATEKEEPER_STOP_TIMEOUT_MS,
} from '../constants.js';
import { log, warn } from '../log.js';
import {
  type FromGatekeeper,
  type GatekeeperConfig,
  type GatekeeperCounts,
  NO_GATEKEEPER_COUNTS,
  type ToGatekeeper,
} from './messages.js';

/**
 * The child script and node flags: `dist/gatekeeper/child.js` when this module runs from `dist`; from the TypeScript
 * sources (tests, benches: this module is `parent.ts`) `child.ts` through tsx, workspace packages from their sources.
 */
function childScript(): { path: string; execArgv: string[] } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { path: fileURLToPath(new URL('./child.js', here)), execArgv: [] };
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return {
    path: fileURLToPath(new URL('./child.ts', here)),
    execArgv: ['--conditions=@colink/source', '--import', tsx],
  };
}

/** @internal One gatekeeper process at a time, restarted when it dies; see {@link TcpTransport}'s `gatekeeper`. */
export class Gatekeeper {
  #child: ChildProcess | undefined;
  #config: GatekeeperConfig;
  #counts: GatekeeperCounts = NO_GATEKEEPER_COUNTS;
  /** Counters of the processes before this one (a restarted child counts from zero). */
  #before: GatekeeperCounts = NO_GATEKEEPER_COUNTS;
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  /** When the recent restarts happened (performance.now() ms). */
  readonly #restarts: number[] = [];
  #restartCount = 0;
  #failure: ColinkError | undefined;
  #bound: { address: string; port: number } | undefined;

  /**
   * @param config what the child is told (its port is replaced by the bound one on a restart)
   * @param nice the child's scheduling priority (`os.setPriority`)
   * @param onConnection a connection whose preamble was right, and every byte the child read from it
   */
  constructor(
    config: GatekeeperConfig,
    private readonly nice: number,
    private readonly onConnection: (socket: Socket, bytes: Buffer) => void,
  ) {
    this.#config = config;
  }

  /** Address and port listened on, once started. */
  get bound(): { address: string; port: number } | undefined {
    return this.#bound;
  }

  /** The running child's process id. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Counters over every process so far (`waiting`: the running one's, as last reported). */
  get counts(): GatekeeperCounts {
    const b = this.#before;
    const c = this.#counts;
    return {
      accepted: b.accepted + c.accepted,
      rateLimited: b.rateLimited + c.rateLimited,
      waiting: c.waiting,
      handed: b.handed + c.handed,
      badMagic: b.badMagic + c.badMagic,
      timedOut: b.timedOut + c.timedOut,
      evicted: b.evicted + c.evicted,
      gone: b.gone + c.gone,
      backlogged: b.backlogged + c.backlogged,
    };
  }

  /** Times a process was restarted after it exited unexpectedly. */
  get restarts(): number {
    return this.#restartCount;
  }

  /** Set when restarting gave up ({@link GATEKEEPER_MAX_RESTARTS} within the window): nobody listens any more. */
  get failure(): ColinkError | undefined {
    return this.#failure;
  }

  /** Forks the child and resolves once it listens; rejects with `ERR_INTERNAL` when it cannot. */
  async start(): Promise<{ address: string; port: number }> {
    this.#bound = await this.#spawn();
    this.#config = { ...this.#config, port: this.#bound.port };
    return this.#bound;
  }

  /** A connection from `host` authenticated: its allowance token goes back in the child. */
  refund(host: string): void {
    this.#tell({ t: 'refund', host });
  }

  /** Ends the child (SIGKILL after {@link GATEKEEPER_STOP_TIMEOUT_MS}) and waits for its exit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#tell({ t: 'stop' });
    const killer = setTimeout(() => child.kill('SIGKILL'), GATEKEEPER_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killer);
  }

  #tell(message: ToGatekeeper): void {
    const child = this.#child;
    if (child?.connected) child.send(message, (err) => err && log('gatekeeper IPC: %s', err.message));
  }

  #spawn(): Promise<{ address: string; port: number }> {
    const { path, execArgv } = childScript();
    const child = fork(path, [JSON.stringify(this.#config)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.#child = child;
    this.#counts = NO_GATEKEEPER_COUNTS;
    try {
      if (child.pid !== undefined) setPriority(child.pid, this.nice);
    } catch (err) {
      warn('gatekeeper %d: cannot set its priority to %d: %s', child.pid, this.nice, (err as Error).message);
    }
    return new Promise((resolve, reject) => {
      let listening = false;
      child.on('message', (m: FromGatekeeper, handle?: unknown) => {
        switch (m.t) {
          case 'conn':
            if (handle) this.onConnection(handle as Socket, Buffer.from(m.bytes, 'base64'));
            break;
          case 'stats': {
            const { t: _, ...counts } = m;
            if (child === this.#child) this.#counts = counts;
            break;
          }
          case 'listening':
            listening = true;
            log('gatekeeper %d listening on %s port %d', child.pid, m.address, m.port);
            resolve({ address: m.address, port: m.port });
            break;
          case 'listen-failed':
            reject(
              new ColinkError(
                ErrorCode.INTERNAL,
                `cannot listen on ${this.#config.host ?? '::'}:${this.#config.port}: ${m.code}`,
                { detail: { errno: m.code } },
              ),
            );
            break;
        }
      });
      child.on('error', (err) => warn('gatekeeper %d: %s', child.pid, err.message));
      child.once('exit', (code, signal) => {
        if (!listening)
          reject(
            new ColinkError(
              ErrorCode.INTERNAL,
              `gatekeeper process exited before listening (code ${code}, signal ${signal})`,
            ),
          );
        if (child !== this.#child) return;
        this.#child = undefined;
        this.#before = this.counts;
        this.#counts = NO_GATEKEEPER_COUNTS;
        if (listening && !this.#stopping) this.#crashed(`code ${code}, signal ${signal}`);
      });
    });
  }

  /** The child exited on its own: restart it on the same port, at most {@link GATEKEEPER_MAX_RESTARTS} per window. */
  #crashed(why: string): void {
    const now = performance.now();
    while (this.#restarts.length > 0 && now - this.#restarts[0]! > GATEKEEPER_RESTART_WINDOW_MS)
      this.#restarts.shift();
    if (this.#restarts.length >= GATEKEEPER_MAX_RESTARTS) {
      this.#failure = new ColinkError(
        ErrorCode.INTERNAL,
        `gatekeeper process failed ${this.#restarts.length + 1} times within ${GATEKEEPER_RESTART_WINDOW_MS} ms ` +
          `(last: ${why}); port ${this.#config.port} is no longer listened on`,
      );
      warn('%s', this.#failure.message);
      return;
    }
    this.#restarts.push(now);
    // Back-off: at once, then 100, 200, 400 ms … within a window.
    const delay = this.#restarts.length === 1 ? 0 : 50 * 2 ** (this.#restarts.length - 1);
    warn('gatekeeper exited (%s): restarting on port %d in %d ms', why, this.#config.port, delay);
    this.#restartTimer = setTimeout(() => {
      if (this.#stopping) return;
      this.#restartCount++;
      this.#spawn().catch((err: Error) => {
        if (!this.#stopping) this.#crashed(err.message);
      });
    }, delay);
  }
}
