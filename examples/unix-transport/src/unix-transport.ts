import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  type CloseReason,
  ColinkError,
  type Conduit,
  ConduitInbound,
  closeReason,
  type DialOptions,
  ErrorCode,
  MAX_FRAME_SIZE,
  type Transport,
} from '@colink/core';
import { asyncScheduler, Observable, type SchedulerLike, Subject } from 'rxjs';

/** Longest Unix socket path: `sun_path` holds 108 bytes including the terminating NUL (Linux unix(7)). */
export const MAX_SOCKET_PATH_BYTES = 107;
/** How long `dial()` waits for the listener by default, in ms. */
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000;

/** A socket path in the OS temp directory that no other transport (in this or another process) uses. */
export function uniqueSocketPath(): string {
  return path.join(os.tmpdir(), `colink-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
}

/** Turns a connected socket into a Conduit; `onClose` runs once when it has closed. */
function socketConduit(socket: net.Socket, local: string, remote: string, onClose: () => void): Conduit {
  const inbound = new ConduitInbound(); // holds bytes until core subscribes
  const drain = new Subject<void>();
  const closed = new Subject<CloseReason>();
  let reason: CloseReason | undefined;
  socket.on('data', (b) => {
    if (!inbound.push(b)) socket.pause(); // nobody reads yet and the hold limit is reached
  });
  socket.on('drain', () => drain.next());
  socket.on('error', (e) => (reason ??= closeReason('lost', e.message)));
  socket.on('close', () => {
    inbound.complete();
    closed.next(reason ?? closeReason('normal', undefined, { remote: true }));
    closed.complete();
    onClose();
  });
  return {
    medium: 'unix',
    localAddress: local,
    remoteAddress: remote,
    maxFrameSize: MAX_FRAME_SIZE,
    data$: new Observable<Uint8Array>((subscriber) => {
      const subscription = inbound.data$.subscribe(subscriber);
      socket.resume(); // a reader is here: held bytes were replayed, read on
      return subscription;
    }),
    drain$: drain.asObservable(),
    closed$: closed.asObservable(),
    write(chunks) {
      // The contract: no bytes are accepted (and silently lost) once the conduit is ending or gone.
      if (reason || socket.destroyed) throw ColinkError.closed('unix conduit', reason ?? closeReason('lost'));
      socket.cork();
      let ok = true;
      for (const c of chunks) ok = socket.write(c);
      socket.uncork();
      return ok;
    },
    end(r) {
      reason ??= r;
      socket.end();
    },
    destroy(r) {
      reason ??= r;
      socket.destroy();
    },
    // Optional: lets the TLS security stage run node:tls natively on the socket.
    detachSocket() {
      if (reason || socket.destroyed) return undefined;
      socket.pause();
      socket.removeAllListeners('data');
      return socket;
    },
  };
}

/** Options of {@link UnixTransport}. */
export interface UnixTransportOptions {
  /** The socket to listen on. Default: a fresh {@link uniqueSocketPath}. */
  readonly path?: string;
  /** Scheduler of the dial time limit (a `VirtualClock` in tests). Default: rxjs `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * colink over Unix domain sockets: devices on one machine, addressed by socket path. A dial-only transport: it
 * implements `Transport` and not `Discovery` (peers learn paths out of band). `start()` rejects with `ERR_CONFLICT`
 * when the path is taken (also by a stale socket file: remove it only if you know no process listens there) and
 * `ERR_INVALID_ARGUMENT` for other listen errors; `stop()` ends every conduit with `going-away`, closes the listener
 * and resolves.
 */
export class UnixTransport implements Transport {
  readonly medium = 'unix';
  readonly capabilities = {
    maxFrameSize: MAX_FRAME_SIZE,
    reliable: true,
    bandwidth: 'high',
    latency: 'low',
    priority: 90,
  } as const;
  readonly path: string;
  localAddress: string | undefined;
  private readonly incoming = new Subject<Conduit>();
  readonly incoming$ = this.incoming.asObservable();
  private readonly conduits = new Set<Conduit>();
  private readonly scheduler: SchedulerLike;
  private server: net.Server | undefined;
  private starting: Promise<void> | undefined;

  constructor(options: UnixTransportOptions = {}) {
    this.path = options.path ?? uniqueSocketPath();
    this.scheduler = options.scheduler ?? asyncScheduler;
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH_BYTES)
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `socket path longer than ${MAX_SOCKET_PATH_BYTES} bytes`,
      );
  }

  start(): Promise<void> {
    this.starting ??= new Promise<void>((resolve, reject) => {
      const server = net.createServer((s) => this.incoming.next(this.track(s, this.path, 'unix-client')));
      server.once('error', (e: NodeJS.ErrnoException) => {
        this.starting = undefined;
        const code = e.code === 'EADDRINUSE' ? ErrorCode.CONFLICT : ErrorCode.INVALID_ARGUMENT;
        reject(new ColinkError(code, `cannot listen on ${this.path}: ${e.message}`, { cause: e }));
      });
      server.listen(this.path, () => {
        this.server = server;
        this.localAddress = this.path;
        resolve();
      });
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.starting = undefined;
    this.localAddress = undefined;
    for (const c of this.conduits) c.destroy(closeReason('going-away', 'transport stopped'));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  dial(address: string, options: DialOptions = {}): Promise<Conduit> {
    if (!this.server)
      return Promise.reject(new ColinkError(ErrorCode.NOT_STARTED, 'unix transport not started'));
    return new Promise<Conduit>((resolve, reject) => {
      const ms = options.timeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
      const socket = net.connect(address);
      const fail = (e: ColinkError): void => {
        done();
        socket.destroy();
        reject(e);
      };
      const onAbort = (): void => fail(new ColinkError(ErrorCode.ABORTED, `dial ${address} aborted`));
      const onError = (e: Error): void =>
        fail(new ColinkError(ErrorCode.DIAL_FAILED, `dial ${address}: ${e.message}`, { cause: e }));
      const timer = this.scheduler.schedule(
        () => fail(new ColinkError(ErrorCode.TIMEOUT, `dial ${address}: no answer in ${ms} ms`)),
        ms,
      );
      const done = (): void => {
        timer.unsubscribe();
        options.signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => {
        done();
        resolve(this.track(socket, this.path, address));
      });
    });
  }

  /** Wraps a socket and remembers the conduit until it closes, so `stop()` can end it. */
  private track(socket: net.Socket, local: string, remote: string): Conduit {
    const conduit = socketConduit(socket, local, remote, () => this.conduits.delete(conduit));
    this.conduits.add(conduit);
    return conduit;
  }
}
