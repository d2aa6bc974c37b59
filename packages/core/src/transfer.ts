import { type Observable, ReplaySubject } from 'rxjs';
import type { Channel } from './channel.js';
import { concatBytes } from './codec.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode, isColinkError } from './errors.js';
import { TRANSFER_CHUNK_BYTES } from './limits.js';

/** Which end of a {@link Transfer} this is. */
export type TransferDirection = 'send' | 'receive';

/**
 * Where a {@link Transfer} is:
 * - `running`: bytes are moving (or waiting for a Link: a connection channel parks during a carrier move);
 * - `done`: sending: the peer acknowledged every byte; receiving: every announced byte arrived;
 * - `cancelled`: this side or the peer cancelled it ({@link Transfer.cancel}, close code `cancelled`);
 * - `failed`: its channel ended otherwise (e.g. `lost` after the peer connection's grace period) or the peer broke
 *   the transfer's rules.
 */
export type TransferState = 'running' | 'done' | 'cancelled' | 'failed';

/** One emission of {@link Transfer.progress$}. Sizes in bytes. */
export interface TransferProgress {
  /**
   * Sending: bytes the peer has acknowledged (protocol v2 ACK frames, PROTOCOL.md §4.11) — received by the peer's
   * colink stack, not merely handed to the medium. Receiving: bytes received. Never decreases; after a carrier move
   * the resent bytes are not counted twice.
   */
  readonly bytes: number;
  /** The transfer's size. */
  readonly total: number;
  readonly state: TransferState;
  /** Why it ended, on the last emission of a `cancelled` or `failed` transfer. */
  readonly error?: ColinkError;
}

/** Options of {@link Transfer.send}. */
export interface TransferSendOptions {
  /** Size of the messages the data is cut into, in bytes (≥ 1). Default {@link TRANSFER_CHUNK_BYTES} (64 KiB). */
  readonly chunkBytes?: number;
  /**
   * Close the channel gracefully once every chunk is handed to it. Default true. On a channel without ACKs (a
   * protocol v1 Link, or a Link channel below 0x8000) the peer's answering CLOSE is the only sign that the bytes
   * arrived, so there the transfer completes with the close handshake.
   */
  readonly closeChannel?: boolean;
}

/** Whether sequence number `a` comes before `b` (serial number arithmetic mod 2³², RFC 1982). */
function seqBefore(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < 0x80000000;
}

const NOOP = (): void => undefined;

/**
 * A block of bytes moving over one {@link Channel} that both ends can watch and stop (PROTOCOL.md §7.4): the sender
 * cuts it into messages of {@link TRANSFER_CHUNK_BYTES}; the receiver, told the size in advance, puts them back
 * together.
 *
 * - **Progress** ({@link Transfer.progress$}): the sender counts bytes the peer *acknowledged* (the ACKs of
 *   protocol v2 connection channels count complete messages, so progress moves chunk by chunk); the receiver counts
 *   bytes received. On a connection channel the transfer survives a carrier move: the channel resumes on another
 *   Link from the peer's last acknowledged chunk, progress continues from where it was, and nothing is counted twice.
 * - **Cancel** ({@link Transfer.cancel}): either end stops it with a reason. The channel is reset with close code
 *   `cancelled` (wire value 10) and the reason as its message; the other end's transfer ends `cancelled` with an
 *   `ERR_CANCELLED` {@link ColinkError} whose `reason.message` is that reason and `reason.remote` is true. A cancel
 *   while the channel waits for a Link reaches the peer when the channel resumes (PROTOCOL.md §8.3).
 *
 * Sessions use it for {@link Session.transfer}; `Transfer.send` / `Transfer.receive` run it on any channel whose
 * two ends agree that it carries one transfer.
 *
 * @example
 * ```ts
 * const t = Transfer.send(channel, bytes);
 * t.progress$.subscribe((p) => console.log(`${p.bytes} of ${p.total} bytes acknowledged (${p.state})`));
 * await t.done; // rejects with ERR_CANCELLED if either side cancels
 * ```
 */
export class Transfer {
  readonly direction: TransferDirection;
  /** The transfer's size in bytes. */
  readonly total: number;
  /** The channel carrying it. */
  readonly channel: Channel;
  /**
   * Progress (replays the latest value, also after the end): emits when bytes are acknowledged (sending) or received
   * (receiving), and once more with the final state when the transfer ends; then completes. It never errors: a cancelled or failed
   * transfer's last emission carries `state` and `error`.
   */
  readonly progress$: Observable<TransferProgress>;
  /**
   * Resolves with the bytes (the sender's own buffer; the receiver's reassembled copy) when the transfer is `done`.
   * Rejects with a {@link ColinkError}: `ERR_CANCELLED` when either side cancelled (`reason.remote` tells which);
   * `ERR_CLOSED` (with the channel's close `reason`) when the channel ended first; `ERR_PROTOCOL` when the peer sent
   * more than announced or closed before sending everything.
   */
  readonly done: Promise<Uint8Array>;

  private readonly progressSubject = new ReplaySubject<TransferProgress>(1);
  private stateValue: TransferState = 'running';
  private errorValue: ColinkError | undefined;
  private bytesValue = 0;
  private resolveDone!: (data: Uint8Array) => void;
  private rejectDone!: (e: ColinkError) => void;
  private readonly cleanup: Array<() => void> = [];
  // sending
  private data: Uint8Array | undefined;
  /** Chunks handed to the channel and not yet acknowledged: their sequence number and where they end. */
  private readonly unacked: Array<{ readonly seq: number; readonly end: number }> = [];
  private allSent = false;
  // receiving
  private parts: Uint8Array[] = [];
  /** Receiving: the channel's close reason, kept until every chunk it received was delivered. */
  private pendingClose: CloseReason | undefined;

  private constructor(direction: TransferDirection, channel: Channel, total: number) {
    this.direction = direction;
    this.channel = channel;
    this.total = total;
    this.progressSubject.next({ bytes: 0, total, state: 'running' });
    this.progress$ = this.progressSubject.asObservable();
    this.done = new Promise<Uint8Array>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(NOOP); // nobody has to await it: a cancel is not an unhandled rejection
  }

  /**
   * Sends `data` on `channel` as a transfer (messages of `chunkBytes`; an empty transfer is one empty message) and
   * returns at once. The peer must read it with {@link Transfer.receive} (or an equivalent) given `data.length`.
   * Do not modify `data` until {@link Transfer.done} settles.
   * @throws ColinkError `ERR_INVALID_ARGUMENT` if `data` is not a Uint8Array or `chunkBytes` is not a positive
   *   integer; `ERR_CLOSED` if the channel is not open.
   */
  static send(channel: Channel, data: Uint8Array, options: TransferSendOptions = {}): Transfer {
    if (!(data instanceof Uint8Array))
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'transfer data must be a Uint8Array');
    const chunkBytes = options.chunkBytes ?? TRANSFER_CHUNK_BYTES;
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1)
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `chunkBytes ${chunkBytes} is not a positive integer`);
    if (channel.state !== 'open')
      throw ColinkError.closed(
        `channel ${channel.id}`,
        channel.closeReason ?? closeReason('normal', 'closing'),
      );
    const t = new Transfer('send', channel, data.length);
    t.data = data;
    t.cleanup.push(channel.watchAcks((received) => t.onAcked(received)));
    t.watchClose();
    void t.runSend(data, chunkBytes, options.closeChannel ?? true);
    return t;
  }

  /**
   * Reads a transfer of `total` bytes from `channel` (every message on it is a chunk, in order). It is `done` when
   * `total` bytes arrived; more than `total` resets the channel with `protocol-error`.
   * @throws ColinkError `ERR_INVALID_ARGUMENT` if `total` is not a non-negative safe integer.
   */
  static receive(channel: Channel, total: number): Transfer {
    if (!Number.isSafeInteger(total) || total < 0)
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `transfer size ${total} is not a byte count`);
    const t = new Transfer('receive', channel, total);
    // The channel's close is judged once every chunk it received was delivered (messages$ completes after the
    // inbox): a channel already closed when the transfer starts reading still hands over what it holds.
    const sub = channel.messages$.subscribe({
      next: (m) => t.onChunk(m),
      complete: () => t.onInboxDrained(),
    });
    t.cleanup.push(() => sub.unsubscribe());
    t.watchClose();
    return t;
  }

  /** Bytes acknowledged (sending) or received (receiving) so far. */
  get bytes(): number {
    return this.bytesValue;
  }

  /** Current state. */
  get state(): TransferState {
    return this.stateValue;
  }

  /** Why it was cancelled or failed (as {@link Transfer.done} rejects). */
  get error(): ColinkError | undefined {
    return this.errorValue;
  }

  /**
   * Stops the transfer on both ends: the channel is reset with close code `cancelled` and `reason` (≤ 512 bytes of
   * UTF-8 reach the peer), this end's {@link Transfer.done} rejects with `ERR_CANCELLED` (`reason.remote` false),
   * the peer's with `ERR_CANCELLED` (`reason.remote` true). Returns false (and does nothing) when the transfer had
   * already ended.
   */
  cancel(reason = 'cancelled by the app'): boolean {
    if (this.stateValue !== 'running') return false;
    const r = closeReason('cancelled', String(reason));
    this.end(
      'cancelled',
      new ColinkError(ErrorCode.CANCELLED, `transfer cancelled: ${r.message}`, { reason: r }),
    );
    this.channel.reset(r);
    return true;
  }

  /**
   * @internal Ends a running transfer as `failed` with `ERR_CLOSED` carrying `reason` (its session ended without the
   * app cancelling it) and resets its channel with that reason. Returns false when it had already ended.
   */
  abort(reason: CloseReason): boolean {
    if (this.stateValue !== 'running') return false;
    this.end('failed', ColinkError.closed('transfer', reason));
    this.channel.reset(reason);
    return true;
  }

  // ---- sending ------------------------------------------------------------------------------------------------

  private async runSend(data: Uint8Array, chunkBytes: number, close: boolean): Promise<void> {
    try {
      let offset = 0;
      do {
        const end = Math.min(data.length, offset + chunkBytes);
        // One chunk at a time: each is queued once the previous one is on the medium, so chunks never overtake
        // each other while waiting for room in the send buffer.
        await this.channel.sendCounted(data.subarray(offset, end), (seq) => this.unacked.push({ seq, end }));
        offset = end;
        if (this.stateValue !== 'running') return;
      } while (offset < data.length);
      this.allSent = true;
      if (close) void this.channel.close();
      this.checkAcknowledged();
    } catch (e) {
      // The channel ended under the send: watchClose() reports why (or did already).
      if (this.stateValue === 'running' && !isColinkError(e, ErrorCode.CLOSED))
        this.end(
          'failed',
          isColinkError(e) ? e : new ColinkError(ErrorCode.INTERNAL, String(e), { cause: e }),
        );
    }
  }

  private onAcked(received: number): void {
    if (this.stateValue !== 'running') return;
    let advanced = false;
    while (this.unacked.length > 0 && seqBefore(this.unacked[0]!.seq, received)) {
      this.bytesValue = this.unacked.shift()!.end;
      advanced = true;
    }
    if (!advanced) return;
    this.emit();
    this.checkAcknowledged();
  }

  private checkAcknowledged(): void {
    if (this.stateValue === 'running' && this.allSent && this.unacked.length === 0) this.finish(this.data!);
  }

  // ---- receiving ----------------------------------------------------------------------------------------------

  private onChunk(m: Uint8Array): void {
    if (this.stateValue !== 'running') return;
    if (this.bytesValue + m.length > this.total) {
      const msg = `transfer longer than the ${this.total} bytes announced`;
      this.end('failed', new ColinkError(ErrorCode.PROTOCOL, msg));
      this.channel.reset(closeReason('protocol-error', msg));
      return;
    }
    this.parts.push(m);
    this.bytesValue += m.length;
    if (this.bytesValue === this.total) {
      const parts = this.parts;
      this.parts = [];
      this.finish(parts.length === 1 ? parts[0]! : concatBytes(parts, this.total));
    } else this.emit();
  }

  // ---- both ---------------------------------------------------------------------------------------------------

  private watchClose(): void {
    const sub = this.channel.closed$.subscribe((r) => this.onClosed(r));
    this.cleanup.push(() => sub.unsubscribe());
  }

  private onClosed(reason: CloseReason): void {
    if (this.stateValue !== 'running') return;
    if (this.direction === 'receive' && reason.code !== 'cancelled') {
      // Decided by onInboxDrained: chunks received before the close may still be on their way to this reader.
      this.pendingClose = reason;
      return;
    }
    this.judgeClose(reason);
  }

  /** Receiving: the channel closed and every chunk it received was delivered. */
  private onInboxDrained(): void {
    if (this.stateValue !== 'running') return;
    this.judgeClose(this.pendingClose ?? this.channel.closeReason ?? closeReason('normal'));
  }

  private judgeClose(reason: CloseReason): void {
    if (reason.code === 'cancelled') {
      const who = reason.remote ? 'by the peer' : 'on this side';
      this.end(
        'cancelled',
        new ColinkError(ErrorCode.CANCELLED, `transfer cancelled ${who}: ${reason.message ?? ''}`, {
          reason,
        }),
      );
    } else if (reason.code === 'normal' && this.direction === 'send' && this.allSent) {
      // The close handshake finished: the peer answered our CLOSE, sent after the last chunk — it has them all.
      this.bytesValue = this.total;
      this.finish(this.data!);
    } else if (reason.code === 'normal' && this.direction === 'receive') {
      this.end(
        'failed',
        new ColinkError(
          ErrorCode.PROTOCOL,
          `transfer ended after ${this.bytesValue} of ${this.total} bytes`,
          { reason },
        ),
      );
    } else this.end('failed', ColinkError.closed('transfer', reason));
  }

  private emit(): void {
    this.progressSubject.next({ bytes: this.bytesValue, total: this.total, state: this.stateValue });
  }

  private finish(data: Uint8Array): void {
    this.bytesValue = this.total;
    this.stateValue = 'done';
    this.release();
    this.emit();
    this.progressSubject.complete();
    this.resolveDone(data);
  }

  private end(state: 'cancelled' | 'failed', error: ColinkError): void {
    this.stateValue = state;
    this.errorValue = error;
    this.release();
    this.parts = [];
    this.progressSubject.next({ bytes: this.bytesValue, total: this.total, state, error });
    this.progressSubject.complete();
    this.rejectDone(error);
  }

  private release(): void {
    for (const c of this.cleanup.splice(0)) c();
    this.unacked.length = 0;
  }
}
