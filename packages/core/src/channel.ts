import { BehaviorSubject, Observable, ReplaySubject, type Subscriber } from 'rxjs';
import { encodeFrame, encodeHeader, FrameFlags, FrameType } from './codec.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import { COALESCE_MAX_PAYLOAD, MAX_QUEUED_MESSAGES } from './limits.js';

/** Metadata sent with a channel's OPEN frame: who it is for. `proto` routes it on the receiving device. */
export interface ChannelMetadata {
  /** Protocol name the receiving side routes on, e.g. `'colink.session/1'`. */
  readonly proto: string;
  readonly [key: string]: unknown;
}

/** Per-channel options. */
export interface ChannelOptions {
  /** Largest message this side accepts, in bytes; a bigger incoming message resets the channel with `refused`. */
  readonly maxMessageBytes?: number;
  /** Bytes `send()` may have queued before further sends wait (they never drop). */
  readonly sendBufferBytes?: number;
}

/** State of a channel. */
export type ChannelState = 'open' | 'closing' | 'closed';

const RESOLVED: Promise<void> = Promise.resolve();

/** What a channel needs from its Link. @internal */
export interface ChannelHost {
  readonly maxPayload: number;
  readonly window: number;
  /** Writes one whole-message DATA frame now if the Link is idle; false when it must be queued instead. */
  writeNow(channel: Channel, message: Uint8Array): boolean;
  markReady(channel: Channel): void;
  sendControl(frame: Uint8Array): void;
  channelClosed(channel: Channel): void;
}

interface Outgoing {
  readonly data: Uint8Array;
  offset: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * One logical, flow-controlled stream of messages multiplexed over a {@link Link}. Each direction has its own credit
 * window (PROTOCOL.md §6), so a slow reader on one channel never stalls another. Messages keep their boundaries and
 * arrive in order, byte-exact, fragmented to the Link's frame size and reassembled.
 *
 * Reading: subscribe to {@link Channel.messages$} (push), or iterate `for await (const m of channel)` (pull). Messages
 * that arrive while nobody reads, or while {@link Channel.pause} is in effect, wait in the channel and hold back the
 * peer's credit — the peer's `send()` then waits: nothing is dropped and nothing grows without bound.
 *
 * Writing: {@link Channel.send} queues the bytes (no copy: do not modify them until the promise resolves) and
 * resolves when the last fragment has been handed to the medium.
 */
export class Channel implements AsyncIterable<Uint8Array> {
  /** Channel id on its Link (u16; odd = opened by the Link's initiator, even = by the responder). */
  readonly id: number;
  /** The OPEN metadata. */
  readonly metadata: ChannelMetadata;
  /** Emits once when the channel ends, with the reason. */
  readonly closed$: Observable<CloseReason>;
  /** `true` while `send()` would not wait (queued bytes below the send buffer bound). */
  readonly writable$: Observable<boolean>;

  private readonly host: ChannelHost;
  private readonly maxMessageBytes: number;
  private readonly sendBufferBytes: number;
  private readonly closedSubject = new ReplaySubject<CloseReason>(1);
  private readonly writableSubject = new BehaviorSubject<boolean>(true);
  private stateValue: ChannelState = 'open';
  private closeReasonValue: CloseReason | undefined;

  // send side
  private readonly queue: Outgoing[] = [];
  private queuedBytes = 0;
  private credit: number;
  private nextSeq = 0;
  private localCloseRequested: CloseReason | undefined;
  private localCloseSent = false;
  private remoteCloseReceived = false;
  private waiters: Array<() => void> = [];

  // receive side
  private fragments: Uint8Array[] = [];
  private fragmentBytes = 0;
  private expectSeq = 0;
  private readonly inbox: Uint8Array[] = [];
  private inboxCredit: number[] = [];
  private recvWindow: number;
  private consumed = 0;
  private deferredCredit = 0;
  private readonly subscribers = new Set<Subscriber<Uint8Array>>();
  private readers: Array<(r: IteratorResult<Uint8Array>) => void> = [];
  private paused = false;
  private delivering = false;

  /** @internal created by {@link Link} */
  constructor(
    host: ChannelHost,
    id: number,
    metadata: ChannelMetadata,
    peerWindow: number,
    options: ChannelOptions = {},
  ) {
    this.host = host;
    this.id = id;
    this.metadata = metadata;
    this.credit = peerWindow;
    this.recvWindow = host.window;
    this.maxMessageBytes = options.maxMessageBytes ?? Number.MAX_SAFE_INTEGER;
    this.sendBufferBytes = options.sendBufferBytes ?? 1024 * 1024;
    this.closed$ = this.closedSubject.asObservable();
    this.writable$ = this.writableSubject.asObservable();
  }

  /** Current state. */
  get state(): ChannelState {
    return this.stateValue;
  }

  /** Why the channel closed, once it has. */
  get closeReason(): CloseReason | undefined {
    return this.closeReasonValue;
  }

  /** Bytes queued for sending and not yet handed to the medium. */
  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  /**
   * Incoming messages (hot). Messages that arrived before the first subscription are delivered to it. Completes
   * when the channel closes (after every received message has been delivered).
   */
  readonly messages$: Observable<Uint8Array> = new Observable<Uint8Array>((subscriber) => {
    this.subscribers.add(subscriber);
    if (this.inbox.length > 0) queueMicrotask(() => this.deliver());
    else if (this.stateValue === 'closed') subscriber.complete();
    return () => {
      this.subscribers.delete(subscriber);
    };
  });

  /**
   * Sends one message. Resolves when its last fragment is handed to the medium; waits while the send buffer is
   * full (backpressure) instead of growing it.
   * @throws ColinkError `ERR_CLOSED` if the channel is closing or closed (also when it closes while waiting);
   *   `ERR_MESSAGE_TOO_LARGE` if `message` exceeds the channel's limit; `ERR_SEND_BUFFER_FULL` if more than
   *   4096 messages are already waiting ({@link MAX_QUEUED_MESSAGES}); `ERR_INVALID_ARGUMENT` if not bytes.
   */
  send(message: Uint8Array): Promise<void> {
    if (!(message instanceof Uint8Array)) {
      return Promise.reject(new ColinkError(ErrorCode.INVALID_ARGUMENT, 'message must be a Uint8Array'));
    }
    if (message.length > this.maxMessageBytes) {
      return Promise.reject(
        new ColinkError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `message of ${message.length} bytes exceeds the channel limit of ${this.maxMessageBytes}`,
        ),
      );
    }
    // Fast path: a message that fits one frame, on an idle channel with credit, over an idle Link, is written at
    // once — no queue entry, no scheduling. Anything else goes through the round-robin scheduler.
    if (
      this.stateValue === 'open' &&
      this.queue.length === 0 &&
      message.length <= this.host.maxPayload &&
      message.length <= this.credit &&
      this.host.writeNow(this, message)
    ) {
      this.credit -= message.length;
      return RESOLVED;
    }
    return this.enqueue(message);
  }

  /** @internal the sequence number for a message written by the Link's fast path. */
  takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    return seq;
  }

  private async enqueue(message: Uint8Array): Promise<void> {
    while (this.queuedBytes > 0 && this.queuedBytes + message.length > this.sendBufferBytes) {
      this.assertSendable();
      if (this.queue.length >= MAX_QUEUED_MESSAGES) {
        throw new ColinkError(
          ErrorCode.SEND_BUFFER_FULL,
          `more than ${MAX_QUEUED_MESSAGES} messages queued on channel ${this.id}`,
        );
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.assertSendable();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data: message, offset: 0, seq: this.nextSeq, resolve, reject });
      this.nextSeq = (this.nextSeq + 1) >>> 0;
      this.queuedBytes += message.length;
      if (this.queuedBytes >= this.sendBufferBytes) this.writableSubject.next(false);
      this.host.markReady(this);
    });
  }

  /** Stops delivering messages; the peer's credit is held back once the window fills. */
  pause(): void {
    this.paused = true;
  }

  /** Resumes delivery after {@link Channel.pause}. */
  resume(): void {
    this.paused = false;
    this.deliver();
  }

  /**
   * Closes gracefully: messages already passed to `send()` are delivered first, then a CLOSE frame. Resolves when
   * the channel is closed (the peer answers CLOSE with CLOSE).
   */
  close(reason: CloseReason = closeReason('normal')): Promise<CloseReason> {
    if (this.stateValue === 'open') {
      this.stateValue = 'closing';
      this.localCloseRequested = reason;
      this.host.markReady(this);
    }
    return new Promise((resolve) => this.closed$.subscribe(resolve));
  }

  /** Aborts at once: queued messages are discarded (their `send()` rejects), the peer gets RESET. */
  reset(reason: CloseReason = closeReason('normal', 'reset')): void {
    if (this.stateValue === 'closed') return;
    this.host.sendControl(encodeCloseFrame(FrameType.RESET, this.id, reason));
    this.terminate(reason);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        const m = this.inbox.shift();
        if (m !== undefined) {
          this.credited(this.inboxCredit.shift()!);
          // Credit held back for a partial message behind undelivered ones is due once the inbox is empty.
          if (this.inbox.length === 0) this.deliver();
          return Promise.resolve({ value: m, done: false });
        }
        if (this.stateValue === 'closed' || this.remoteCloseReceived)
          return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.readers.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  private assertSendable(): void {
    if (this.stateValue !== 'open')
      throw ColinkError.closed(
        `channel ${this.id}`,
        this.closeReasonValue ?? closeReason('normal', 'closing'),
      );
  }

  // ---- called by the Link -------------------------------------------------------------------------------------

  /** @internal whether this channel has a frame to send now. */
  hasFrame(): boolean {
    const head = this.queue[0];
    if (head !== undefined) return this.credit > 0 || head.data.length === 0;
    return this.localCloseRequested !== undefined && !this.localCloseSent;
  }

  /** @internal produces the next frame (header + payload view) or a CLOSE frame; undefined if none. */
  nextFrame(out: Uint8Array[]): number {
    const head = this.queue[0];
    if (head === undefined) {
      if (this.localCloseRequested !== undefined && !this.localCloseSent) {
        this.localCloseSent = true;
        const f = encodeCloseFrame(FrameType.CLOSE, this.id, this.localCloseRequested);
        out.push(f);
        if (this.remoteCloseReceived) queueMicrotask(() => this.terminate(this.localCloseRequested!));
        return f.length;
      }
      return 0;
    }
    const remaining = head.data.length - head.offset;
    if (remaining > 0 && this.credit <= 0) return 0;
    const n = Math.min(remaining, this.host.maxPayload, this.credit);
    const fin = n === remaining;
    const payload = n === head.data.length ? head.data : head.data.subarray(head.offset, head.offset + n);
    if (n <= COALESCE_MAX_PAYLOAD) {
      // Small frames are copied behind their header: a batch of them becomes a short writev of whole frames.
      out.push(encodeFrame(FrameType.DATA, fin ? FrameFlags.FIN : 0, this.id, head.seq, payload));
    } else {
      out.push(encodeHeader(FrameType.DATA, fin ? FrameFlags.FIN : 0, this.id, head.seq, n), payload);
    }
    this.credit -= n;
    head.offset += n;
    this.queuedBytes -= n;
    if (fin) {
      this.queue.shift();
      head.resolve();
      if (this.waiters.length > 0 && this.queuedBytes < this.sendBufferBytes) {
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w();
      }
      if (this.queuedBytes < this.sendBufferBytes && !this.writableSubject.value)
        this.writableSubject.next(true);
    }
    return n + 12;
  }

  /** @internal DATA frame from the peer. */
  onData(flags: number, seq: number, payload: Uint8Array): void {
    if (this.stateValue === 'closed' || this.remoteCloseReceived) return; // late frames after RESET/CLOSE race
    if (payload.length > this.recvWindow) {
      this.reset(
        closeReason('protocol-error', `peer exceeded the flow-control window on channel ${this.id}`),
      );
      return;
    }
    if (seq !== this.expectSeq) {
      this.reset(
        closeReason(
          'protocol-error',
          `message sequence ${seq} on channel ${this.id}, expected ${this.expectSeq}`,
        ),
      );
      return;
    }
    this.recvWindow -= payload.length;
    this.fragmentBytes += payload.length;
    if (this.fragmentBytes > this.maxMessageBytes) {
      this.reset(closeReason('refused', `message larger than ${this.maxMessageBytes} bytes`));
      return;
    }
    const fin = (flags & FrameFlags.FIN) !== 0;
    if (!fin) {
      this.fragments.push(payload);
      // Credit for a partial message comes back at once unless undelivered messages are waiting: that bounds what
      // one slow reader can hold to one message plus one window.
      if (this.inbox.length === 0) this.credited(payload.length);
      else this.deferredCredit += payload.length;
      return;
    }
    let message: Uint8Array;
    if (this.fragments.length === 0) message = payload;
    else {
      this.fragments.push(payload);
      message = concat(this.fragments, this.fragmentBytes);
    }
    this.fragments = [];
    this.fragmentBytes = 0;
    this.expectSeq = (this.expectSeq + 1) >>> 0;
    this.inbox.push(message);
    this.inboxCredit.push(payload.length);
    this.deliver();
  }

  /** @internal WINDOW frame from the peer. */
  onWindow(increment: number): void {
    this.credit += increment;
    if (this.queue.length > 0) this.host.markReady(this);
  }

  /** @internal CLOSE frame from the peer. */
  onRemoteClose(reason: CloseReason): void {
    if (this.remoteCloseReceived) return;
    this.remoteCloseReceived = true;
    if (this.stateValue === 'open') {
      this.stateValue = 'closing';
      this.localCloseRequested = reason;
      this.host.markReady(this);
    } else if (this.localCloseSent) {
      this.terminate(this.localCloseRequested ?? reason);
    }
  }

  /** @internal RESET from the peer, or the Link ended. */
  terminate(reason: CloseReason): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.closeReasonValue = reason;
    const err = ColinkError.closed(`channel ${this.id}`, reason);
    for (const o of this.queue.splice(0)) o.reject(err);
    this.queuedBytes = 0;
    for (const w of this.waiters.splice(0)) w();
    this.host.channelClosed(this);
    this.deliver();
    this.closedSubject.next(reason);
    this.closedSubject.complete();
    this.writableSubject.next(false);
    this.writableSubject.complete();
  }

  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.inbox.length > 0) {
        const reader = this.readers.shift();
        if (reader !== undefined) {
          this.credited(this.inboxCredit.shift()!);
          reader({ value: this.inbox.shift()!, done: false });
          continue;
        }
        if (this.paused || this.subscribers.size === 0) break;
        const m = this.inbox.shift()!;
        this.credited(this.inboxCredit.shift()!);
        for (const s of this.subscribers) s.next(m);
      }
      if (this.inbox.length === 0 && this.deferredCredit > 0) {
        const c = this.deferredCredit;
        this.deferredCredit = 0;
        this.credited(c);
      }
      if (this.inbox.length === 0 && (this.stateValue === 'closed' || this.remoteCloseReceived)) {
        for (const r of this.readers.splice(0)) r({ value: undefined, done: true });
        if (this.stateValue === 'closed') for (const s of [...this.subscribers]) s.complete();
      }
    } finally {
      this.delivering = false;
    }
  }

  private credited(n: number): void {
    if (this.stateValue === 'closed' || this.remoteCloseReceived) return;
    this.consumed += n;
    // Batch window updates: one WINDOW per quarter window consumed.
    if (this.consumed >= this.host.window / 4) {
      const inc = this.consumed;
      this.consumed = 0;
      this.recvWindow += inc;
      const f = new Uint8Array(16);
      f.set(encodeHeader(FrameType.WINDOW, 0, this.id, 0, 4), 0);
      f[12] = inc >>> 24;
      f[13] = (inc >>> 16) & 0xff;
      f[14] = (inc >>> 8) & 0xff;
      f[15] = inc & 0xff;
      this.host.sendControl(f);
    }
  }
}

/** Encodes CLOSE/RESET/GOAWAY with a close payload. @internal */
export function encodeCloseFrame(type: number, channel: number, reason: CloseReason): Uint8Array {
  const msg = new TextEncoder().encode((reason.message ?? '').slice(0, 512));
  const code = CLOSE_WIRE[reason.code] ?? 0;
  const f = new Uint8Array(12 + 1 + msg.length);
  f.set(encodeHeader(type, 0, channel, 0, 1 + msg.length), 0);
  f[12] = code;
  f.set(msg, 13);
  return f;
}

const CLOSE_WIRE: Record<string, number> = {
  normal: 0,
  'going-away': 1,
  timeout: 2,
  lost: 3,
  'protocol-error': 4,
  'version-mismatch': 5,
  'handshake-failed': 6,
  integrity: 7,
  refused: 8,
  replaced: 9,
};

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
