import { Duplex } from 'node:stream';
import type { Subscription } from 'rxjs';
import { type CloseReason, closeReason } from '../errors.js';
import type { Conduit } from '../transport.js';

/** Chunk size the duplex reports as its high-water marks, bytes: one full TCP read / one 64 KiB frame. */
const DUPLEX_HIGH_WATER_MARK = 64 * 1024;

/**
 * A node `Duplex` over a core {@link Conduit}: what node:tls needs beneath a `TLSSocket`.
 *
 * - Writes go to `conduit.write()`; once it returns false the next write waits for `drain$` (or the close), so
 *   node's stream backpressure reaches the medium.
 * - Received chunks are pushed as they arrive. Once the readable side holds its high-water mark (TLS is not reading:
 *   its reader paused it), the conduit is paused ({@link Conduit.pause}) until node asks for more; a conduit without
 *   `pause` keeps delivering, and then the Link's per-channel credit windows (PROTOCOL.md §6) bound what is held.
 * - The conduit's close ends the readable side (EOF to TLS); `closeReason` says why.
 * - Ending the writable side ends the conduit with the reason `endReason()` gives; destroying the duplex does not
 *   touch the conduit (its owner decides).
 */
export class ConduitDuplex extends Duplex {
  /** Why the conduit closed, once it has. */
  closeReason: CloseReason | undefined;
  private readonly conduit: Conduit;
  private readonly subs: Subscription[] = [];
  private readonly waiters = new Set<(err?: Error) => void>();
  private full = false;
  /** The conduit is paused because the readable side is full. */
  private conduitPaused = false;

  constructor(
    conduit: Conduit,
    private readonly endReason: () => CloseReason,
  ) {
    super({
      allowHalfOpen: false,
      readableHighWaterMark: DUPLEX_HIGH_WATER_MARK,
      writableHighWaterMark: DUPLEX_HIGH_WATER_MARK,
      decodeStrings: false,
    });
    this.conduit = conduit;
    this.subs.push(
      conduit.data$.subscribe((chunk) => {
        if (!this.push(chunk) && !this.conduitPaused && conduit.pause) {
          this.conduitPaused = true;
          conduit.pause();
        }
      }),
      conduit.drain$.subscribe(() => {
        this.full = false;
        this.release();
      }),
      conduit.closed$.subscribe((reason) => {
        this.closeReason = reason;
        this.release(new Error(`conduit closed (${reason.code})`));
        this.push(null);
      }),
    );
  }

  override _read(): void {
    // Chunks are pushed as the conduit delivers them; one paused because this side was full flows again.
    if (!this.conduitPaused) return;
    this.conduitPaused = false;
    this.conduit.resume?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send([chunk], callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.send(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.closeReason) this.conduit.end(this.endReason());
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
    this.release(error ?? new Error('destroyed'));
    callback(error);
  }

  /**
   * Writes to the conduit. After the conduit says "full" the write still completes at once, so TLS can encrypt the
   * next batch while the medium drains this one; the next write then waits for `drain$`. At most one batch is
   * written past the medium's high-water mark.
   */
  private send(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.closeReason) {
      callback(new Error(`conduit closed (${this.closeReason.code})`));
      return;
    }
    if (this.full) {
      this.waiters.add((err) => (err ? callback(err) : this.send(chunks, callback)));
      return;
    }
    try {
      this.full = !this.conduit.write(chunks);
    } catch (e) {
      callback(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    callback();
  }

  private release(err?: Error): void {
    if (this.waiters.size === 0) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w(err);
  }
}

/** The default reason a secured conduit ends its raw conduit with. */
export const NORMAL_END: CloseReason = closeReason('normal');
