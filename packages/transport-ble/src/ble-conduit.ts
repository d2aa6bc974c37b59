import {
  CLOSE_CODES,
  type CloseReason,
  ColinkError,
  type Conduit,
  closeReason,
  ErrorCode,
  runAfter,
} from '@colink/core';
import { Observable, ReplaySubject, type SchedulerLike, Subject } from 'rxjs';
import { closeReasonFromHci } from './close-reason.js';
import { END_FLUSH_TIMEOUT_MS, PDU_HEADER, WRITE_HARD_LIMIT, WRITE_HIGH_WATER_MARK } from './constants.js';
import { encodeAck, encodeData } from './frames.js';

/** What a conduit needs from the BLE link it runs on (see `GattLink`). */
export interface ConduitHost {
  /** Largest ATT value the link carries: min(ATT MTU - 3, 512). */
  readonly valueSize: number;
  /** Sends one ATT value, in order with every other value of the link. */
  send(value: Buffer): void;
  /**
   * The conduit is done (flushed, or destroyed): the link either sends CLOSE (`'pdu'`, other conduits remain) or
   * disconnects (`'link'`, it was the last one; `BleConduit.linkClosed` follows).
   */
  release(conduit: BleConduit, reason: CloseReason): 'pdu' | 'link';
}

/** Options of {@link BleConduit}. */
export interface BleConduitOptions {
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** Receive window announced in HELLO, PDUs. */
  readonly window: number;
  /**
   * Clock of the end-flush time limit ({@link END_FLUSH_TIMEOUT_MS}, 5 000 ms) as an rxjs scheduler (the transport's
   * `scheduler`). Default: real time.
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * A core {@link Conduit} over a BLE GATT link: bytes cut into DATA PDUs of up to `valueSize - 3` bytes, at most the
 * peer's window of them unacknowledged, acknowledged by the receiver once handed to `data$`. Ordered because ATT keeps
 * Write Commands and notifications in order on one L2CAP channel. `pause()` holds received PDUs back unacknowledged
 * (so the peer stops at its window of them) until `resume()`.
 */
export class BleConduit implements Conduit {
  readonly medium = 'ble';
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** Payload bytes per DATA PDU: min(ATT MTU - 3, 512) - 3. */
  readonly maxFrameSize: number;

  private readonly dataSubject = new Subject<Uint8Array>();
  private readonly drainSubject = new Subject<void>();
  private readonly closedSubject = new ReplaySubject<CloseReason>(1);
  /** Received bytes. Chunks that arrive before the first subscriber are kept (unacknowledged) and replayed to it. */
  readonly data$: Observable<Uint8Array> = new Observable<Uint8Array>((subscriber) => {
    const sub = this.dataSubject.subscribe(subscriber);
    if (!this.hasReader) {
      this.hasReader = true;
      const early = this.early;
      this.early = [];
      for (let i = 0; i < early.length; i++) {
        if (this.paused) {
          this.early = early.slice(i); // paused by the reader meanwhile: the rest waits for resume()
          break;
        }
        this.deliver(early[i]!);
      }
      if (this.closed) this.dataSubject.complete();
    }
    return sub;
  });
  readonly drain$: Observable<void> = this.drainSubject.asObservable();
  readonly closed$: Observable<CloseReason> = this.closedSubject.asObservable();

  private hasReader = false;
  /** {@link BleConduit.pause}d: received PDUs wait in `early`, unacknowledged. */
  private paused = false;
  private early: Uint8Array[] = [];
  private readonly queue: Uint8Array[] = [];
  private queueOffset = 0;
  private queuedBytes = 0;
  private credits = 0;
  private unacked = 0;
  private peerWindow = 0;
  private pendingAck = 0;
  private ackScheduled = false;
  private needDrain = false;
  private closed = false;
  private ending: CloseReason | undefined;
  private cancelEndTimer: (() => void) | undefined;
  private released = false;
  private readonly window: number;
  private readonly scheduler: SchedulerLike | undefined;
  private readyResolve!: () => void;
  private readyReject!: (e: unknown) => void;
  /** Resolves once the peer's HELLO arrived (both sides can send); rejects if the link goes first. */
  readonly ready: Promise<void>;

  constructor(
    private readonly host: ConduitHost,
    /** Conduit id on its link. */
    readonly id: number,
    options: BleConduitOptions,
  ) {
    this.localAddress = options.localAddress;
    this.remoteAddress = options.remoteAddress;
    this.window = options.window;
    this.scheduler = options.scheduler;
    this.maxFrameSize = host.valueSize - PDU_HEADER;
    this.ready = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => {});
  }

  /** The receive window this side announces. */
  get receiveWindow(): number {
    return this.window;
  }

  /** True once `closed$` has emitted. */
  get isClosed(): boolean {
    return this.closed;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.closed || this.ending) {
      throw ColinkError.closed('BLE conduit', this.ending ?? closeReason('normal', 'closed'));
    }
    let total = 0;
    for (const c of chunks) total += c.length;
    if (this.queuedBytes + total > WRITE_HARD_LIMIT) {
      throw new ColinkError(
        ErrorCode.SEND_BUFFER_FULL,
        `BLE conduit holds ${this.queuedBytes} unsent bytes; wait for drain$ after write() returns false`,
      );
    }
    for (const c of chunks) {
      if (c.length === 0) continue;
      this.queue.push(c);
      this.queuedBytes += c.length;
    }
    this.pump();
    if (this.queuedBytes >= WRITE_HIGH_WATER_MARK) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  end(reason: CloseReason): void {
    if (this.closed || this.ending) return;
    this.ending = reason;
    this.cancelEndTimer = runAfter(END_FLUSH_TIMEOUT_MS, () => this.release(reason), {
      scheduler: this.scheduler,
      unref: true,
    });
    this.maybeFinishEnd();
  }

  destroy(reason: CloseReason): void {
    if (this.closed) return;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.ending ??= reason;
    this.release(reason);
    this.finish(reason);
  }

  /** @internal The peer's HELLO: its receive window. */
  peerHello(window: number): void {
    if (this.peerWindow !== 0 || this.closed) return;
    this.peerWindow = window;
    this.credits = window;
    this.readyResolve();
    this.pump();
  }

  /**
   * @internal A DATA PDU's payload. A peer may have at most our window of DATA PDUs unacknowledged (its credits): one
   * more is a protocol error that ends the conduit, so a peer cannot grow the queue of early data or the ACK count without bound.
   */
  handleData(payload: Uint8Array): void {
    if (this.closed) return;
    if (this.early.length + this.pendingAck >= this.window) {
      this.destroy(
        closeReason('protocol-error', `peer sent more DATA PDUs than the receive window of ${this.window}`),
      );
      return;
    }
    if (!this.hasReader || this.paused) this.early.push(payload);
    else this.deliver(payload);
  }

  /**
   * Stops handing received PDUs to `data$` (the Link's receive budget is full): they wait unacknowledged, so the peer
   * can send at most its window of them, then waits.
   */
  pause(): void {
    this.paused = true;
  }

  /** Hands the PDUs held since {@link BleConduit.pause} to `data$` (acknowledging them) and goes on delivering. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.hasReader || this.closed) return;
    while (!this.paused && this.early.length > 0) this.deliver(this.early.shift()!);
  }

  private deliver(payload: Uint8Array): void {
    this.dataSubject.next(payload);
    this.pendingAck++;
    this.scheduleAck();
  }

  /** @internal An ACK. */
  handleAck(count: number): void {
    if (this.closed) return;
    this.credits = Math.min(this.peerWindow, this.credits + count);
    this.unacked = Math.max(0, this.unacked - count);
    this.pump();
    this.maybeFinishEnd();
  }

  /** @internal The peer sent CLOSE with a core close code index. */
  remoteClosed(code: number): void {
    this.readyReject(ColinkError.closed('BLE conduit', closeReason('refused')));
    this.finish(
      closeReason(CLOSE_CODES[code] ?? 'protocol-error', 'peer closed the conduit', { remote: true }),
    );
  }

  /** @internal The BLE link is down, with the HCI reason. */
  linkClosed(hciReason: number): void {
    const mapped = closeReasonFromHci(hciReason);
    this.readyReject(ColinkError.closed('BLE link', mapped));
    if (this.closed) return;
    // Our own disconnect after end(): report the reason the caller gave.
    this.finish(this.released && this.ending ? this.ending : mapped);
  }

  private pump(): void {
    const size = this.maxFrameSize;
    while (this.credits > 0 && this.queuedBytes > 0 && !this.closed) {
      const head = this.queue[0]!;
      const end = Math.min(head.length, this.queueOffset + size);
      let pdu: Buffer;
      if (end - this.queueOffset === size || this.queue.length === 1) {
        pdu = encodeData(this.id, head, this.queueOffset, end);
        this.advance(end - this.queueOffset);
      } else {
        // Fill the PDU from several small chunks.
        const parts: Uint8Array[] = [];
        let room = size;
        while (room > 0 && this.queue.length > 0) {
          const h = this.queue[0]!;
          const take = Math.min(room, h.length - this.queueOffset);
          parts.push(h.subarray(this.queueOffset, this.queueOffset + take));
          this.advance(take);
          room -= take;
        }
        const joined = Buffer.concat(parts);
        pdu = encodeData(this.id, joined, 0, joined.length);
      }
      this.credits--;
      this.unacked++;
      this.host.send(pdu);
    }
    if (this.needDrain && this.queuedBytes < WRITE_HIGH_WATER_MARK && !this.closed) {
      this.needDrain = false;
      this.drainSubject.next();
    }
  }

  private advance(n: number): void {
    this.queueOffset += n;
    this.queuedBytes -= n;
    if (this.queueOffset >= this.queue[0]!.length) {
      this.queue.shift();
      this.queueOffset = 0;
    }
  }

  private scheduleAck(): void {
    // Acknowledge at once when a quarter of the window is consumed, otherwise after the current burst.
    if (this.pendingAck >= Math.max(1, this.window >> 2)) {
      this.flushAck();
      return;
    }
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      this.flushAck();
    });
  }

  private flushAck(): void {
    if (this.pendingAck === 0 || this.closed || this.released) return;
    const n = this.pendingAck;
    this.pendingAck = 0;
    this.host.send(encodeAck(this.id, n));
  }

  private maybeFinishEnd(): void {
    if (this.ending && !this.released && this.queuedBytes === 0 && this.unacked === 0)
      this.release(this.ending);
  }

  private release(reason: CloseReason): void {
    if (this.released || this.closed) return;
    this.flushAck();
    this.released = true;
    if (this.host.release(this, reason) === 'pdu') this.finish(reason);
  }

  private finish(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelEndTimer?.();
    this.queue.length = 0;
    this.queuedBytes = 0;
    // What a pause held back still reaches the reader, before the close (nothing received is dropped).
    if (this.hasReader) for (const chunk of this.early.splice(0)) this.dataSubject.next(chunk);
    this.closedSubject.next(reason);
    this.closedSubject.complete();
    if (this.hasReader) this.dataSubject.complete();
    this.drainSubject.complete();
  }
}
