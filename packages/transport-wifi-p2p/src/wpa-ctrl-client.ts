import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ColinkError, ErrorCode, runAfter } from '@colink/core';
import { BehaviorSubject, type Observable, type SchedulerLike, Subject } from 'rxjs';
import {
  WPA_CTRL_MAX_DATAGRAM,
  WPA_DEFAULT_MONITOR_LEVEL,
  WPA_MAX_QUEUED_REQUESTS,
  WPA_PING_INTERVAL_MS,
  WPA_REATTACH_RETRY_MS,
  WPA_REQUEST_TIMEOUT_MS,
} from './constants.js';
import { type Datagram, UnixDgramSocket } from './dgram-socket.js';
import { parseWpaEvent, type WpaEvent } from './wpa-events.js';

/** Options of {@link WpaCtrlClient.open}. */
export interface WpaCtrlClientOptions {
  /** The daemon's control socket: `<ctrl_interface dir>/<ifname>`, e.g. `/run/wpa_supplicant/p2p-dev-wlan0`. */
  readonly ctrlPath: string;
  /** Reply timeout per command in ms. Default {@link WPA_REQUEST_TIMEOUT_MS} (10 000, as `wpa_ctrl_request`). */
  readonly requestTimeoutMs?: number;
  /** Open a monitor socket and `ATTACH` it (events). Default `true`. */
  readonly monitor?: boolean;
  /** Monitor level sent with `LEVEL n` after `ATTACH` when not the daemon default 3. */
  readonly level?: number;
  /** PING watchdog period in ms; `0` disables it. Default {@link WPA_PING_INTERVAL_MS} (5 000, as `wpa_cli`). */
  readonly pingIntervalMs?: number;
  /** Retry period in ms while the daemon is gone. Default {@link WPA_REATTACH_RETRY_MS}. */
  readonly reattachRetryMs?: number;
  /** Directory for the client's own sockets. Default: a fresh `mkdtemp` directory under `os.tmpdir()`, removed on close. */
  readonly socketDir?: string;
  /**
   * Clock of the client's timers — reply timeouts, the PING watchdog, re-attach retries — as an rxjs scheduler;
   * tests pass core's `VirtualClock` so a 10 s reply timeout runs in virtual time. Default: real time (unref'd Node
   * timers for the watchdog and retries, as before).
   */
  readonly scheduler?: SchedulerLike;
}

/** Connection state of a {@link WpaCtrlClient}. */
export type WpaCtrlState = 'attached' | 'reconnecting' | 'closed';

interface Pending {
  readonly command: string;
  readonly timeoutMs: number;
  readonly resolve: (reply: string) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * An event datagram: `<level>TEXT` with a decimal level (`wpa_msg`). Anything else is a reply, also one that starts
 * with `<` for another reason (`GET device_name` of a device named `<Lab PC>`); hostap's own `wpa_ctrl_request`
 * looks at the `<` alone and would wait for another datagram.
 */
const EVENT_DATAGRAM = /^<\d+>/;

/** Replies that mean the daemon did not do what was asked. */
const FAILURE_REPLIES = new Set(['FAIL\n', 'UNKNOWN COMMAND\n']);

/**
 * A client of the wpa_supplicant control interface (hostap `wpa_ctrl.c` protocol, 2.10): one unix datagram per
 * command and per reply, on a socket bound to the client's own path so the daemon can answer, plus a second socket
 * attached as a monitor for events.
 *
 * - Commands are sent one at a time (replies carry no id); others wait in a bounded queue.
 * - A datagram starting with `<N>` is an event, whatever socket it arrives on and whenever (events caused by a
 *   command can arrive before its reply).
 * - A watchdog PINGs the daemon; after `CTRL-EVENT-TERMINATING`, a failed PING or a replaced socket file it retries
 *   until a daemon answers at `ctrlPath` again and re-attaches, emitting `state$` `'reconnecting'` then `'attached'`.
 *
 * @example
 * ```ts
 * const wpa = await WpaCtrlClient.open({ ctrlPath: '/run/wpa_supplicant/p2p-dev-wlan0' });
 * wpa.events$.subscribe((e) => { if (e.type === 'P2P-DEVICE-FOUND') console.log(e.name, e.p2pDevAddr) });
 * await wpa.expectOk('P2P_FIND 30');
 * ```
 */
export class WpaCtrlClient {
  /** The daemon socket this client talks to. */
  readonly ctrlPath: string;
  private readonly opts: Required<Omit<WpaCtrlClientOptions, 'level' | 'socketDir' | 'scheduler'>> & {
    level: number | undefined;
  };
  private readonly scheduler: SchedulerLike | undefined;
  private readonly dir: string;
  private readonly ownDir: boolean;
  private cmdSock: UnixDgramSocket | undefined;
  private monSock: UnixDgramSocket | undefined;
  private cmdSeq = 0;
  private readonly queue: Pending[] = [];
  private inFlight: { pending: Pending; cancel: () => void } | undefined;
  private monitorWaiter: { resolve: (r: string) => void; cancel: () => void } | undefined;
  private readonly eventsSubject = new Subject<WpaEvent>();
  private readonly stateSubject = new BehaviorSubject<WpaCtrlState>('attached');
  private cancelPing: (() => void) | undefined;
  private cancelRetry: (() => void) | undefined;
  private ctrlInode: string | undefined;
  private reconnecting: Promise<void> | undefined;

  /** Every event from the daemon, typed (see {@link WpaEvent}). Completes on {@link close}. */
  readonly events$: Observable<WpaEvent> = this.eventsSubject.asObservable();
  /** `'attached'` while the daemon answers, `'reconnecting'` while it is gone, `'closed'` after {@link close}. */
  readonly state$: Observable<WpaCtrlState> = this.stateSubject.asObservable();

  private constructor(options: WpaCtrlClientOptions, dir: string, ownDir: boolean) {
    this.ctrlPath = options.ctrlPath;
    this.dir = dir;
    this.ownDir = ownDir;
    this.opts = {
      ctrlPath: options.ctrlPath,
      requestTimeoutMs: options.requestTimeoutMs ?? WPA_REQUEST_TIMEOUT_MS,
      monitor: options.monitor ?? true,
      level: options.level,
      pingIntervalMs: options.pingIntervalMs ?? WPA_PING_INTERVAL_MS,
      reattachRetryMs: options.reattachRetryMs ?? WPA_REATTACH_RETRY_MS,
    };
    this.scheduler = options.scheduler;
  }

  /** Runs `fn` once after `ms` on the client's clock; returns the canceller. `unref`: real timers do not hold Node. */
  private after(ms: number, fn: () => void, unref = false): () => void {
    return runAfter(ms, fn, { scheduler: this.scheduler, unref });
  }

  /**
   * Binds the client sockets, checks the daemon with `PING` and attaches the monitor.
   * Rejects with `ERR_DIAL_FAILED` when no daemon listens at `ctrlPath`, `ERR_TIMEOUT` when it does not answer.
   */
  static async open(options: WpaCtrlClientOptions): Promise<WpaCtrlClient> {
    const ownDir = options.socketDir === undefined;
    const dir = options.socketDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'colink-wpa-'));
    const client = new WpaCtrlClient(options, dir, ownDir);
    try {
      client.cmdSock = client.bindCommandSocket();
      const pong = await client.request('PING');
      if (pong !== 'PONG\n')
        throw new ColinkError(ErrorCode.PROTOCOL, `unexpected PING reply ${JSON.stringify(pong)}`);
      if (client.opts.monitor) await client.attach();
      client.ctrlInode = client.statCtrl();
      client.armPing();
      return client;
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  /** Directory holding this client's own sockets. */
  get socketDir(): string {
    return this.dir;
  }

  /** Current state (see {@link state$}). */
  get state(): WpaCtrlState {
    return this.stateSubject.value;
  }

  /**
   * Sends one command and resolves with the raw reply text (`'OK\n'`, `'FAIL\n'`, key=value lines, a bare value…).
   * Rejects with `ERR_INVALID_ARGUMENT` (empty or over {@link WPA_CTRL_MAX_DATAGRAM} bytes), `ERR_LIMIT_EXCEEDED`
   * (queue full), `ERR_TIMEOUT` (no reply in time), `ERR_DIAL_FAILED` (daemon gone), `ERR_NOT_STARTED` (closed).
   */
  request(command: string, options: { timeoutMs?: number } = {}): Promise<string> {
    if (this.state === 'closed') {
      return Promise.reject(new ColinkError(ErrorCode.NOT_STARTED, 'wpa_supplicant client is closed'));
    }
    if (Buffer.byteLength(command) > WPA_CTRL_MAX_DATAGRAM) {
      return Promise.reject(
        new ColinkError(ErrorCode.INVALID_ARGUMENT, `command longer than ${WPA_CTRL_MAX_DATAGRAM} bytes`),
      );
    }
    if (this.queue.length >= WPA_MAX_QUEUED_REQUESTS) {
      return Promise.reject(
        new ColinkError(
          ErrorCode.LIMIT_EXCEEDED,
          `more than ${WPA_MAX_QUEUED_REQUESTS} wpa_supplicant commands queued`,
        ),
      );
    }
    return new Promise<string>((resolve, reject) => {
      this.queue.push({
        command,
        timeoutMs: options.timeoutMs ?? this.opts.requestTimeoutMs,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /**
   * Sends a command that must answer `OK`. Rejects with `ERR_INTERNAL` (detail `{ command, reply }`) on `FAIL…` or
   * `UNKNOWN COMMAND`, plus the errors of {@link request}.
   */
  async expectOk(command: string): Promise<void> {
    const reply = await this.request(command);
    if (reply !== 'OK\n') throw WpaCtrlClient.failure(command, reply);
  }

  /**
   * Sends a command whose reply is a value (`ADD_NETWORK`, `GET …`, `P2P_CONNECT … pin`); resolves with it trimmed.
   * Rejects like {@link expectOk} when the reply is `FAIL…` or `UNKNOWN COMMAND`.
   */
  async value(command: string): Promise<string> {
    const reply = await this.request(command);
    if (FAILURE_REPLIES.has(reply) || reply.startsWith('FAIL-')) throw WpaCtrlClient.failure(command, reply);
    return reply.replace(/\n$/, '');
  }

  /** The error for a refused command (`ERR_INTERNAL`, detail `{ command, reply }`). */
  static failure(command: string, reply: string): ColinkError {
    const verb = command.split(' ')[0];
    return new ColinkError(ErrorCode.INTERNAL, `wpa_supplicant refused ${verb}: ${reply.trim()}`, {
      detail: { command: verb, reply: reply.trim() },
    });
  }

  /** Changes the monitor level (`LEVEL n`, valid only once attached). */
  async setLevel(level: number): Promise<void> {
    const reply = await this.monitorRequest(`LEVEL ${level}`);
    if (reply !== 'OK\n') throw WpaCtrlClient.failure('LEVEL', reply);
    this.opts.level = level;
  }

  /** Detaches the monitor (`DETACH`), closes both sockets, removes their paths. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.cancelPing?.();
    this.cancelRetry?.();
    if (this.monSock && this.stateSubject.value === 'attached') {
      await this.monitorRequest('DETACH', 500).catch(() => undefined);
    }
    this.stateSubject.next('closed');
    const err = new ColinkError(ErrorCode.NOT_STARTED, 'wpa_supplicant client closed');
    if (this.inFlight) {
      this.inFlight.cancel();
      this.inFlight.pending.reject(err);
      this.inFlight = undefined;
    }
    for (const p of this.queue.splice(0)) p.reject(err);
    this.cmdSock?.close();
    this.monSock?.close();
    if (this.ownDir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.eventsSubject.complete();
    this.stateSubject.complete();
  }

  // ---- internals ----

  private bindCommandSocket(): UnixDgramSocket {
    this.cmdSeq += 1;
    return UnixDgramSocket.bind((d) => this.onCommandDatagram(d), path.join(this.dir, `cmd${this.cmdSeq}`));
  }

  private onCommandDatagram(d: Datagram): void {
    const text = d.data.toString('utf8');
    if (EVENT_DATAGRAM.test(text)) {
      this.emitEvent(text);
      return;
    }
    const flight = this.inFlight;
    if (!flight) return; // a reply nobody waits for (cannot happen: a timed-out socket is replaced)
    flight.cancel();
    this.inFlight = undefined;
    flight.pending.resolve(text);
    this.pump();
  }

  private onMonitorDatagram(d: Datagram): void {
    const text = d.data.toString('utf8');
    if (EVENT_DATAGRAM.test(text)) {
      this.emitEvent(text);
      return;
    }
    const w = this.monitorWaiter;
    if (w) {
      w.cancel();
      this.monitorWaiter = undefined;
      w.resolve(text);
    }
  }

  private emitEvent(text: string): void {
    const ev = parseWpaEvent(text);
    if (!ev) return;
    this.eventsSubject.next(ev);
    if (ev.type === 'CTRL-EVENT-TERMINATING') this.startReconnect();
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0 || !this.cmdSock) return;
    const pending = this.queue.shift()!;
    const cancel = this.after(pending.timeoutMs, () => {
      if (this.inFlight?.pending !== pending) return;
      this.inFlight = undefined;
      // A late reply must not be taken for the next command's: rebind the command socket under a new path.
      this.cmdSock?.close();
      this.cmdSock = this.bindCommandSocket();
      pending.reject(
        new ColinkError(
          ErrorCode.TIMEOUT,
          `no reply to ${pending.command.split(' ')[0]} in ${pending.timeoutMs} ms`,
        ),
      );
      this.pump();
    });
    this.inFlight = { pending, cancel };
    this.cmdSock.send(this.ctrlPath, Buffer.from(pending.command)).catch((e: unknown) => {
      if (this.inFlight?.pending !== pending) return;
      cancel();
      this.inFlight = undefined;
      pending.reject(e);
      this.pump();
    });
  }

  /** Sends on the monitor socket and waits for the (non-event) reply. */
  private monitorRequest(command: string, timeoutMs = this.opts.requestTimeoutMs): Promise<string> {
    const sock = this.monSock;
    if (!sock) return Promise.reject(new ColinkError(ErrorCode.NOT_CONNECTED, 'no monitor socket'));
    if (this.monitorWaiter) {
      return Promise.reject(new ColinkError(ErrorCode.CONFLICT, 'a monitor command is already in flight'));
    }
    return new Promise<string>((resolve, reject) => {
      const cancel = this.after(timeoutMs, () => {
        this.monitorWaiter = undefined;
        reject(new ColinkError(ErrorCode.TIMEOUT, `no reply to ${command} in ${timeoutMs} ms`));
      });
      this.monitorWaiter = { resolve, cancel };
      sock.send(this.ctrlPath, Buffer.from(command)).catch((e: unknown) => {
        cancel();
        this.monitorWaiter = undefined;
        reject(e);
      });
    });
  }

  private async attach(): Promise<void> {
    this.monSock?.close();
    this.monSock = UnixDgramSocket.bind(
      (d) => this.onMonitorDatagram(d),
      path.join(this.dir, `mon${this.cmdSeq}`),
    );
    const reply = await this.monitorRequest('ATTACH');
    if (reply !== 'OK\n') throw WpaCtrlClient.failure('ATTACH', reply);
    if (this.opts.level !== undefined && this.opts.level !== WPA_DEFAULT_MONITOR_LEVEL) {
      const r = await this.monitorRequest(`LEVEL ${this.opts.level}`);
      if (r !== 'OK\n') throw WpaCtrlClient.failure('LEVEL', r);
    }
  }

  /** Identity of the daemon's socket file: inode numbers are reused at once on tmpfs, so the change time counts too. */
  private statCtrl(): string | undefined {
    try {
      const st = fs.statSync(this.ctrlPath, { bigint: true });
      return `${st.ino}:${st.ctimeNs}`;
    } catch {
      return undefined;
    }
  }

  private armPing(): void {
    if (this.opts.pingIntervalMs <= 0 || this.state === 'closed') return;
    this.cancelPing = this.after(this.opts.pingIntervalMs, () => void this.ping(), true);
  }

  private async ping(): Promise<void> {
    if (this.state !== 'attached') return;
    try {
      const pong = await this.request('PING', { timeoutMs: Math.min(this.opts.requestTimeoutMs, 3_000) });
      // A new socket file at the same path is a restarted daemon that does not know our monitor.
      if (pong !== 'PONG\n' || (this.opts.monitor && this.statCtrl() !== this.ctrlInode))
        throw new Error('restarted');
      this.armPing();
    } catch {
      this.startReconnect();
    }
  }

  private startReconnect(): void {
    if (this.state !== 'attached' || this.reconnecting) return;
    this.cancelPing?.();
    this.stateSubject.next('reconnecting');
    this.reconnecting = new Promise<void>((done) => {
      const attempt = async (): Promise<void> => {
        if ((this.state as WpaCtrlState) === 'closed') return done();
        try {
          const pong = await this.request('PING', { timeoutMs: this.opts.reattachRetryMs });
          if (pong !== 'PONG\n') throw new Error('no pong');
          if (this.opts.monitor) await this.attach();
          this.ctrlInode = this.statCtrl();
          this.reconnecting = undefined;
          if ((this.state as WpaCtrlState) === 'closed') return done();
          this.stateSubject.next('attached');
          this.armPing();
          done();
        } catch {
          if ((this.state as WpaCtrlState) === 'closed') return done();
          this.cancelRetry = this.after(this.opts.reattachRetryMs, () => void attempt(), true);
        }
      };
      // Give a terminating daemon a moment to go away before the first retry.
      this.cancelRetry = this.after(Math.min(100, this.opts.reattachRetryMs), () => void attempt());
    });
  }
}
