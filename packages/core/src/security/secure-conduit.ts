import type { TLSSocket } from 'node:tls';
import { AsyncSubject, Observable, Subject } from 'rxjs';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from '../errors.js';
import { ConduitInbound } from '../inbound.js';
import { CONDUIT_CLOSE_TIMEOUT_MS } from '../limits.js';
import { FrameTracker, readIntoSlabs } from '../node/slab-reader.js';
import type { Conduit, Medium } from '../transport.js';
import type { ConduitDuplex } from './conduit-duplex.js';
import { MAX_TRUST_EXCHANGE_BUFFER_BYTES } from './constants.js';

/**
 * OpenSSL error codes (as node reports them) that mean a record failed authentication or could not be decrypted
 * (RFC 8446 §5.2: `bad_record_mac`; §6.2 `decrypt_error`), here or — through an alert — at the peer. Listed for
 * clarity: after the handshake every `ERR_SSL_` error counts as an integrity failure.
 */
/** The reason of a secure conduit the peer ended cleanly (close_notify, then FIN). */
const PEER_ENDED: CloseReason = closeReason('normal', 'peer closed the secure connection', { remote: true });

const INTEGRITY_CODES = /BAD_RECORD_MAC|DECRYPTION_FAILED|DECRYPT_ERROR/;

/**
 * How a TLS error ends a Link: once the handshake is done, any TLS record-layer failure means the bytes on the
 * medium were altered (tag mismatch, forged header, truncation inside a record): `integrity`. During the handshake
 * it is `handshake-failed`. Errors of the medium itself (no `ERR_SSL_` code) keep the medium's reason.
 */
export function tlsCloseReason(
  error: Error & { code?: string },
  established: boolean,
): CloseReason | undefined {
  const code = error.code ?? '';
  const alert = /ALERT/.test(code);
  if (established && (INTEGRITY_CODES.test(code) || code.startsWith('ERR_SSL_'))) {
    return closeReason(
      'integrity',
      `TLS record failed authentication (${code})`,
      alert ? { remote: true } : {},
    );
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return closeReason('handshake-failed', `TLS handshake failed (${code}: ${error.message})`);
  }
  return undefined;
}

/**
 * A core {@link Conduit} over an established `TLSSocket`: what the Link runs its frames through once the security
 * stage is done. Before {@link SecureConduit.open} it hands received plaintext to {@link SecureConduit.read} (the
 * trust exchange); afterwards to `data$`, held until the first subscriber ({@link ConduitInbound}). From that first
 * subscription on, TLS decrypts straight into receive slabs (core's `readIntoSlabs`): each chunk of `data$` is a view
 * of consecutive slab bytes, never overwritten. The conduit follows the Link's frame boundaries in that plaintext
 * (`FrameTracker`, the length fields only) and tells the reader where frames end, so large frames (64 KiB) are placed
 * whole into slabs of `RECEIVE_SLAB_BYTES` and reach the Link as views, none copied together across two slabs. (The
 * Link's own decoder position, which the TCP conduit uses through {@link Conduit.frameBoundaries}, lags here: 54 of 64
 * frames placed against 63 with the tracker, measured by `security-tls.test.ts`.)
 *
 * `pause()` / `resume()` stop and restart reading TLS, and with it the medium beneath (the socket it runs on natively,
 * or the raw conduit through its duplex).
 *
 * `closed$` emits once with, in order of precedence: the reason given to `end()`/`destroy()`, `integrity` for a
 * record that failed authentication, the raw conduit's reason, else `lost`.
 */
export class SecureConduit implements Conduit {
  readonly medium: Medium;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly maxFrameSize: number;
  readonly data$: Observable<Uint8Array>;
  readonly drain$: Observable<void>;
  readonly closed$: Observable<CloseReason>;

  /** True once the TLS handshake completed. */
  established = false;
  private readonly socket: TLSSocket;
  private readonly raw: Conduit;
  /** The JS stream TLS runs over, or undefined when TLS runs natively on the raw conduit's socket. */
  private readonly duplex: ConduitDuplex | undefined;
  private readonly inbound = new ConduitInbound();
  private readonly drainSubject = new Subject<void>();
  private readonly closedSubject = new AsyncSubject<CloseReason>();
  private reason: CloseReason | undefined;
  private streaming = false;
  private rawClosed = false;
  /** The raw conduit's reason, once it closed. */
  private rawReason: CloseReason | undefined;
  /** The peer ended the TLS stream (close_notify and FIN). */
  private remoteEnded = false;
  private endTimer: NodeJS.Timeout | undefined;
  private done = false;
  private pending: Buffer[] = [];
  /** Called once (and dropped) when plaintext first arrives while none is unread ({@link SecureConduit.onUnread}). */
  private unreadListener: ((first: number) => void) | undefined;
  private pendingBytes = 0;
  /** Reading stopped because {@link MAX_TRUST_EXCHANGE_BUFFER_BYTES} were waiting during the trust exchange. */
  private heldBack = false;
  /** Reading stopped by the conduit's reader ({@link SecureConduit.pause}: the Link's receive budget is full). */
  private readerPaused = false;
  private reader: { n: number; resolve: (b: Buffer) => void; reject: (e: unknown) => void } | undefined;
  /** Reading into receive slabs (`RECEIVE_SLAB_BYTES`, {@link readIntoSlabs}) rather than node's per-record buffers. */
  private slabs = false;
  /** Follows the frames in the plaintext delivered to `data$`, so the slab reader places large ones whole. */
  private readonly tracker = new FrameTracker();
  private readonly frames = { bytesToFrameEnd: (): number => this.tracker.toBoundary };

  /**
   * @param socket TLS over `duplex`, or directly over the raw conduit's detached `net.Socket` ({@link Conduit.detachSocket}).
   * @param raw The conduit the Link was built on.
   * @param duplex The {@link ConduitDuplex} under `socket`; undefined when TLS runs natively on the raw socket.
   */
  constructor(socket: TLSSocket, raw: Conduit, duplex: ConduitDuplex | undefined) {
    this.socket = socket;
    this.raw = raw;
    this.duplex = duplex;
    this.medium = raw.medium;
    this.localAddress = raw.localAddress;
    this.remoteAddress = raw.remoteAddress;
    this.maxFrameSize = raw.maxFrameSize;
    this.data$ = new Observable<Uint8Array>((s) => {
      const sub = this.inbound.data$.subscribe(s);
      if (this.streaming && !this.slabs && !this.done) this.readSlabs();
      if (this.socket.isPaused() && !this.done && !this.readerPaused) this.socket.resume();
      return sub;
    });
    this.drain$ = this.drainSubject.asObservable();
    this.closed$ = this.closedSubject.asObservable();

    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.drainSubject.next());
    const onError = (e: Error & { code?: string }): void => {
      this.reason ??=
        tlsCloseReason(e, this.established) ??
        duplex?.closeReason ??
        closeReason('lost', `connection failed (${e.code ?? 'error'}: ${e.message})`, {
          ...(e.code === 'ECONNRESET' ? { remote: true } : {}),
        });
      this.settleReader(this.closeError());
    };
    socket.on('error', onError);
    // A server-side TLSSocket made outside a tls.Server never "releases control": node reports its record errors
    // only as the internal `_tlsError` event and leaves the socket open. Treat them as fatal here.
    socket.on('_tlsError', (e: Error & { code?: string }) => {
      onError(e);
      this.endRawFirst(this.reason ?? closeReason('handshake-failed', e.message));
    });
    socket.on('end', () => {
      this.remoteEnded = true;
    });
    socket.on('close', () => this.finish());
    raw.closed$.subscribe((r) => {
      this.rawClosed = true;
      this.rawReason = r;
      // Before the handshake completes node:tls may not notice a vanished medium: fail the pending read now.
      if (!this.established) this.settleReader(this.closeError(r));
      // Afterwards TLS reports the end (and why) within the same turn of the event loop; make sure it does.
      else
        setImmediate(() => {
          if (!this.done) this.socket.destroy();
        });
    });
  }

  /** The TLS socket (for the exporter, peer certificate and cipher). */
  get tls(): TLSSocket {
    return this.socket;
  }

  /** Plaintext bytes received during the trust exchange and not read yet (still readable after a close). */
  get unreadBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Resolves once the peer has ended or closed the connection, or after `ms` (whichever comes first); never rejects.
   * The trust exchange's responder waits on it after a refusing VERDICT, so the peer reads the VERDICT before the
   * connection is reset.
   */
  peerGone(ms: number): Promise<void> {
    if (this.remoteEnded || this.rawClosed || this.done) return Promise.resolve();
    return new Promise((resolve) => {
      const gone = (): void => {
        clearTimeout(timer);
        this.socket.off('end', gone);
        this.socket.off('close', gone);
        resolve();
      };
      const timer = setTimeout(gone, ms);
      this.socket.once('end', gone);
      this.socket.once('close', gone);
    });
  }

  /**
   * Calls `listener` with the first unread plaintext byte of the trust exchange once there is one (at once if there
   * is), without consuming it; the binding prompt uses it to see the peer's VERDICT arrive while its user decides.
   * One listener at a time; returns a function that removes it.
   */
  onUnread(listener: (first: number) => void): () => void {
    if (this.pendingBytes > 0) {
      listener(this.pending[0]![0]!);
      return () => undefined;
    }
    this.unreadListener = listener;
    return () => {
      if (this.unreadListener === listener) this.unreadListener = undefined;
    };
  }

  /** Reads exactly `n` plaintext bytes (trust exchange). Rejects when the connection fails first. */
  read(n: number): Promise<Buffer> {
    if (this.reader) return Promise.reject(new Error('concurrent read'));
    if (this.pendingBytes >= n) return Promise.resolve(this.take(n));
    if (this.done || this.socket.destroyed) return Promise.reject(this.closeError());
    return new Promise<Buffer>((resolve, reject) => {
      this.reader = { n, resolve, reject };
    });
  }

  /** Switches received plaintext to `data$` (held until its first subscriber). */
  open(): void {
    this.streaming = true;
    const rest = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const c of rest) this.deliver(c);
    this.resumeHeldBack();
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.done || this.reason || this.socket.destroyed) {
      throw ColinkError.closed(
        'secure conduit',
        this.closeReason ?? closeReason('lost', 'TLS connection closed'),
      );
    }
    const s = this.socket;
    if (chunks.length === 1) return s.write(chunks[0]!);
    let ok = true;
    s.cork();
    for (const c of chunks) if (c.byteLength > 0) ok = s.write(c);
    s.uncork();
    return ok;
  }

  /**
   * Writes `chunk` and resolves once TLS has handed its record to the raw conduit (node's TLS layer completes writes
   * a tick later, so a close right after a plain `write()` would drop it). Resolves at once when closed.
   */
  writeFlushed(chunk: Uint8Array): Promise<void> {
    if (this.done || this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.socket.write(chunk, () => resolve());
    });
  }

  end(reason: CloseReason): void {
    if (this.reason || this.done) return;
    this.reason = reason;
    this.socket.end(); // close_notify (RFC 8446 §6.1), then FIN (the raw conduit ends with `reason`)
    // Natively on the socket no raw conduit times the peer's answer: stop waiting for its FIN after a while.
    if (!this.duplex) {
      this.endTimer = setTimeout(() => this.socket.destroy(), CONDUIT_CLOSE_TIMEOUT_MS);
      this.endTimer.unref();
    }
  }

  /**
   * Ends at once. Natively on a socket the raw conduit is destroyed, not the TLS socket: which of them closes the
   * shared TCP handle decides how the connection ends — TLS closing it sends a FIN, after which the raw conduit can no
   * longer choose a reset (its owner may have asked for one: `LocalDevice` resets an inbound connection whose
   * handshake failed). node destroys the TLS socket itself once the raw socket emitted `close` (`_tls_wrap`:
   * `wrap.on('close', () => this.destroy())`); destroying it in the same turn as the raw socket crashes node 20
   * (SIGSEGV, seen with a handshake refused as this device's own identity: api-compat's warm-up). Over a duplex, the
   * TLS socket is destroyed, then the raw conduit.
   */
  destroy(reason: CloseReason): void {
    this.reason ??= reason;
    this.endRawFirst(reason);
    this.finish();
  }

  /** Stops reading TLS (and so the socket beneath it) until {@link SecureConduit.resume}. */
  pause(): void {
    this.readerPaused = true;
    if (!this.done) this.socket.pause();
  }

  resume(): void {
    if (!this.readerPaused) return;
    this.readerPaused = false;
    if (!this.done && !this.heldBack) this.socket.resume();
  }

  /** Ends the connection through the raw conduit when TLS runs natively on its socket (see {@link SecureConduit.destroy}). */
  private endRawFirst(reason: CloseReason): void {
    if (this.duplex) {
      this.socket.destroy();
      this.raw.destroy(reason);
    } else this.raw.destroy(reason);
  }

  /** The reason the conduit ends with (as far as known now). */
  get closeReason(): CloseReason | undefined {
    return (
      this.reason ?? this.duplex?.closeReason ?? (this.remoteEnded ? PEER_ENDED : undefined) ?? this.rawReason
    );
  }

  private onData(chunk: Buffer): void {
    if (this.streaming) {
      this.deliver(chunk);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const unread = this.unreadListener;
    if (unread && chunk.length > 0) {
      this.unreadListener = undefined;
      unread(chunk[0]!);
    }
    // A peer (trusted or not yet) may send ahead while the trust exchange runs — for as long as a user looks at a
    // binding code. Hold at most this much, then stop reading: TCP's flow control pushes back on the peer.
    if (this.pendingBytes >= MAX_TRUST_EXCHANGE_BUFFER_BYTES && !this.heldBack) {
      this.heldBack = true;
      this.socket.pause();
    }
    const r = this.reader;
    if (r && this.pendingBytes >= r.n) {
      this.reader = undefined;
      r.resolve(this.take(r.n));
    }
  }

  /**
   * Once the Link reads `data$`: lets TLS decrypt into receive slabs ({@link readIntoSlabs}), so a record costs no
   * allocation and a frame spread over records arrives as consecutive bytes. What the socket already buffered is
   * delivered first.
   */
  private readSlabs(): void {
    this.slabs = true;
    const socket = this.socket;
    socket.pause();
    for (let c: Buffer | null = socket.read(); c !== null; c = socket.read()) this.onData(c);
    readIntoSlabs(socket, (chunk) => this.deliver(chunk), this.frames);
  }

  private resumeHeldBack(): void {
    if (!this.heldBack) return;
    this.heldBack = false;
    if (!this.done && !this.readerPaused) this.socket.resume();
  }

  private deliver(chunk: Buffer): void {
    this.tracker.track(chunk);
    // Past ConduitInbound's hold limit (no subscriber yet) stop reading TLS until one subscribes.
    if (!this.inbound.push(chunk)) this.socket.pause();
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    if (!this.streaming && this.pendingBytes < MAX_TRUST_EXCHANGE_BUFFER_BYTES) this.resumeHeldBack();
    return out;
  }

  private closeError(raw?: CloseReason): ColinkError {
    const r = this.reason ?? raw ?? this.closeReason ?? closeReason('lost', 'TLS connection closed');
    return new ColinkError(
      r.code === 'integrity' ? ErrorCode.INTEGRITY : ErrorCode.HANDSHAKE_FAILED,
      `connection closed during the security handshake (${r.code}${r.message ? `: ${r.message}` : ''})`,
      { reason: r.code === 'integrity' ? r : closeReason('handshake-failed', r.message ?? r.code) },
    );
  }

  private settleReader(e: unknown): void {
    const r = this.reader;
    this.reader = undefined;
    r?.reject(e);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.endTimer);
    const reason = this.closeReason ?? closeReason('lost', 'TLS connection closed');
    this.settleReader(this.closeError());
    // A failed record means the medium carries altered bytes: drop it rather than flush anything more.
    if (!this.rawClosed && reason.code === 'integrity') this.raw.destroy(reason);
    this.inbound.complete();
    this.drainSubject.complete();
    this.closedSubject.next(reason);
    this.closedSubject.complete();
  }
}
