/**
 * The Node socket adapter: a connected TCP `net.Socket` as a core {@link Conduit}, shared by the TCP-based media
 * (transport-tcp, transport-wifi-p2p). Addresses are reported as `host:port` / `[v6]:port`.
 * @module
 */
import { isIP, type Socket } from 'node:net';
import { AsyncSubject, Observable, Subject } from 'rxjs';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from '../errors.js';
import { CONDUIT_CLOSE_TIMEOUT_MS, MAX_FRAME_SIZE } from '../limits.js';
import type { Conduit, Medium } from '../transport.js';
import { readIntoSlabs, slabsToStream } from './slab-reader.js';

/**
 * errno codes meaning the path to the peer failed (Linux `errno(3)`; Node reports them as `err.code`). They all map
 * to core's `lost`.
 */
export const LOST_ERRNO: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'ECONNABORTED',
  'ECONNREFUSED',
  'EADDRNOTAVAIL',
  'ENOTCONN',
]);

/**
 * Maps a socket error to a core {@link CloseReason}: every errno of {@link LOST_ERRNO} (and any other socket
 * failure) is `lost`, with the errno in `detail.errno`. A `ECONNRESET` is the peer's doing and is marked `remote`.
 */
export function socketErrorReason(err: NodeJS.ErrnoException): CloseReason {
  const errno = err.code ?? 'UNKNOWN';
  return closeReason('lost', `TCP ${errno}: ${err.message}`, {
    ...(errno === 'ECONNRESET' ? { remote: true } : {}),
    detail: { errno, known: LOST_ERRNO.has(errno) },
  });
}

/** The reason of a conduit the peer closed cleanly (FIN): `normal`, reported by the remote side. */
export const REMOTE_FIN: CloseReason = closeReason('normal', 'peer closed the TCP connection', {
  remote: true,
});

/** Options of {@link socketConduit}. */
export interface SocketConduitOptions {
  /** Medium name reported by the conduit. Default `'tcp'` (transport-wifi-p2p passes `'wifi-p2p'`). */
  readonly medium?: Medium;
  /** Largest write carried as one unit, bytes. Default `MAX_FRAME_SIZE` (65 548: 64 KiB + the 12-byte frame header). */
  readonly maxFrameSize?: number;
  /** Destroys the conduit with reason `timeout` after this many ms without reads or writes; `0` (default) never. */
  readonly idleTimeoutMs?: number;
  /** After `end()`, how long to wait for the peer's FIN before destroying, in ms. Default `CONDUIT_CLOSE_TIMEOUT_MS` (2 000). */
  readonly closeTimeoutMs?: number;
  /** Called once when the device reports the peer authenticated ({@link Conduit.authenticated}). Default: none. */
  readonly onAuthenticated?: () => void;
}

/**
 * Turns a connected `net.Socket` into a core {@link Conduit}: the one socket adapter of colink, shared by every
 * TCP-based medium (LAN TCP, TCP over a Wi-Fi P2P group). It adds no framing: core's Link frames.
 *
 * - Sets TCP_NODELAY (small frames leave at once; batching happens in `write()`).
 * - `write(chunks)` corks the socket, writes every chunk without copying and uncorks, so a frame header and its
 *   payload leave in one `writev`. It returns the socket's `write()` verdict; `drain$` follows the socket's `drain`.
 * - Reading starts when `data$` is first subscribed (nothing is lost before). The kernel reads straight into receive
 *   slabs (8 KiB while reads are small, four 64 KiB frames while data streams: `RECEIVE_SLAB_BYTES`): chunks are views of
 *   consecutive slab bytes, with no buffer allocated per read; the kernel's receive buffer is the only queue. With
 *   the Link's frame boundaries ({@link Conduit.frameBoundaries}) a read ends where a whole number of frames ends,
 *   when the next frame might not fit the slab: large frames are not split over two slabs (which costs a copy).
 * - `closed$` emits once: the reason given to `end()`/`destroy()`/`reset()`, `normal` + `remote` on the peer's FIN, `timeout`
 *   on idle, or `lost` for every socket error (ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH, …; errno in `detail`).
 * - `reset()` ({@link Conduit.reset}) ends it with a TCP RST instead of a FIN: core's device does so for strangers
 *   it refuses before authentication.
 * - `localAddress` is read from the socket on first access (a refused stranger costs no `getsockname`).
 * - `detachSocket()` hands the socket to core's TLS security stage (node:tls runs natively on it), once.
 * - `pause()` / `resume()` stop and restart reading the socket (the kernel's receive buffer, then TCP's window, hold
 *   the peer back meanwhile).
 *
 * Throws `ERR_CLOSED` from `write()` once the conduit has closed, `ERR_CONFLICT` once the socket was detached.
 */
export function socketConduit(socket: Socket, options: SocketConduitOptions = {}): Conduit {
  return new SocketConduit(socket, options);
}

class SocketConduit implements Conduit {
  readonly medium: Medium;
  readonly remoteAddress: string;
  readonly maxFrameSize: number;
  readonly data$: Observable<Uint8Array>;
  readonly drain$: Observable<void>;
  readonly closed$: Observable<CloseReason>;

  readonly #socket: Socket;
  readonly #data = new Subject<Uint8Array>();
  readonly #drain = new Subject<void>();
  readonly #closed = new AsyncSubject<CloseReason>();
  readonly #closeTimeoutMs: number;
  #onAuthenticated: (() => void) | undefined;
  #reading = false;
  /** Reading is stopped ({@link SocketConduit.pause}). */
  #paused = false;
  /** The socket was handed to a security stage ({@link SocketConduit.detachSocket}). */
  #detached = false;
  /** Reading into receive slabs ({@link readIntoSlabs}) rather than through the socket's readable stream. */
  #slabs = false;
  readonly #onData = (chunk: Buffer): void => this.#data.next(chunk);
  /** Where the reader may end a read: set by the Link ({@link Conduit.frameBoundaries}). */
  readonly #frames: { bytesToFrameEnd?: () => number } = {};
  /** Reason fixed by the first of: local end/destroy, socket error, idle timeout, peer FIN. */
  #reason: CloseReason | undefined;
  #done = false;
  #closeTimer: NodeJS.Timeout | undefined;
  #localAddress: string | undefined;

  constructor(socket: Socket, options: SocketConduitOptions) {
    this.#socket = socket;
    this.medium = options.medium ?? 'tcp';
    this.maxFrameSize = options.maxFrameSize ?? MAX_FRAME_SIZE;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? CONDUIT_CLOSE_TIMEOUT_MS;
    this.#onAuthenticated = options.onAuthenticated;
    this.remoteAddress = formatSocketAddress(socket.remoteAddress ?? '0.0.0.0', socket.remotePort ?? 0);
    this.data$ = new Observable<Uint8Array>((subscriber) => {
      const subscription = this.#data.subscribe(subscriber);
      this.#startReading();
      return subscription;
    });
    this.drain$ = this.#drain.asObservable();
    this.closed$ = this.#closed.asObservable();

    socket.setNoDelay(true);
    socket.pause();
    if (options.idleTimeoutMs) {
      socket.setTimeout(options.idleTimeoutMs, () =>
        this.#fail(closeReason('timeout', `TCP idle for ${options.idleTimeoutMs} ms`)),
      );
    }
    socket.on('drain', () => this.#drain.next());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#fail(socketErrorReason(err));
      // A reset that failed (a shutdown pending under a security stage's TLS socket): node emits no `close` for
      // that handle, so the conduit ends here.
      if (err.syscall === 'reset') this.#finish();
    });
    socket.on('end', () => {
      this.#reason ??= REMOTE_FIN;
    });
    socket.on('close', () => this.#finish());
    if (socket.destroyed) queueMicrotask(() => this.#finish());
  }

  /**
   * The local end's `host:port`, read from the socket (one `getsockname`) the first time it is asked for: a stranger
   * the device refuses before its Link exists never needs it. Asked for the first time after the socket closed, it
   * is `0.0.0.0:0` (the Link reads it when it is built).
   */
  get localAddress(): string {
    const s = this.#socket;
    this.#localAddress ??= formatSocketAddress(s.localAddress ?? '0.0.0.0', s.localPort ?? 0);
    return this.#localAddress;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.#reason !== undefined || this.#socket.destroyed) {
      throw ColinkError.closed('TCP conduit', this.#reason ?? closeReason('lost', 'socket destroyed'));
    }
    if (this.#detached) {
      throw new ColinkError(ErrorCode.CONFLICT, 'TCP conduit: the socket belongs to the security stage now');
    }
    const socket = this.#socket;
    if (chunks.length === 1) return socket.write(chunks[0]!);
    let ok = true;
    socket.cork();
    for (const chunk of chunks) if (chunk.byteLength > 0) ok = socket.write(chunk);
    socket.uncork();
    return ok;
  }

  end(reason: CloseReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#socket.end();
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#closeTimeoutMs);
    this.#closeTimer.unref();
  }

  destroy(reason: CloseReason): void {
    this.#reason ??= reason;
    this.#socket.destroy();
  }

  /**
   * Destroys the socket with a TCP RST instead of a FIN (`resetAndDestroy`, SO_LINGER 0): no FIN exchange, no
   * FIN_WAIT / TIME_WAIT socket left on this host, and the peer sees ECONNRESET. Unsent bytes are discarded. A socket
   * that is not TCP (a pipe) is destroyed as by {@link SocketConduit.destroy}.
   */
  reset(reason: CloseReason): void {
    this.#reason ??= reason;
    const socket = this.#socket;
    if (socket.destroyed) return;
    // A socket already ended (its FIN sent or on its way) is closed instead: libuv cannot reset a socket whose
    // shutdown is pending (`uv_tcp_close_reset` fails with EINVAL, and node then never closes the handle).
    if (socket.writableEnded) {
      socket.destroy();
      return;
    }
    try {
      socket.resetAndDestroy();
    } catch {
      socket.destroy(); // ERR_INVALID_HANDLE_TYPE: not a TCP handle
    }
  }

  frameBoundaries(bytesToFrameEnd: () => number): void {
    this.#frames.bytesToFrameEnd = bytesToFrameEnd;
  }

  /** Stops reading the socket until {@link SocketConduit.resume}. */
  pause(): void {
    this.#paused = true;
    if (this.#reading && !this.#detached) this.#socket.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#reading && !this.#detached && !this.#socket.destroyed) this.#socket.resume();
  }

  /** The peer authenticated: calls `onAuthenticated` (once). */
  authenticated(): void {
    const f = this.#onAuthenticated;
    this.#onAuthenticated = undefined;
    f?.();
  }

  detachSocket(): Socket | undefined {
    if (this.#detached || this.#reason !== undefined || this.#socket.destroyed) return undefined;
    this.#detached = true;
    this.#socket.pause();
    this.#socket.off('data', this.#onData);
    if (this.#slabs) slabsToStream(this.#socket);
    return this.#socket;
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    if (this.#detached) return;
    const socket = this.#socket;
    // What the socket already read goes first; then the kernel reads straight into receive slabs.
    for (let c: Buffer | null = socket.read(); c !== null; c = socket.read()) this.#onData(c);
    this.#slabs = readIntoSlabs(socket, this.#onData, this.#frames);
    if (!this.#slabs) socket.on('data', this.#onData);
    if (!this.#paused) socket.resume();
  }

  #fail(reason: CloseReason): void {
    this.#reason ??= reason;
    this.#socket.destroy();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#closeTimer);
    this.#data.complete();
    this.#drain.complete();
    this.#closed.next(this.#reason ?? closeReason('lost', 'TCP connection closed without a reason'));
    this.#closed.complete();
  }
}

/**
 * `host:port`, or `[v6]:port` for IPv6; an IPv4-mapped IPv6 host (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) is unmapped.
 * Same format as transport-tcp's `formatAddress`.
 */
function formatSocketAddress(host: string, port: number): string {
  const h = host.startsWith('::ffff:') && isIP(host.slice(7)) === 4 ? host.slice(7) : host;
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}
