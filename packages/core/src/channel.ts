import { BehaviorSubject, Observable, type Subscriber } from 'rxjs';
import {
  concatBytes,
  encodeAckWindowFrames,
  encodeCloseFrame,
  encodeFrame,
  encodeHeader,
  encodeWindowFrame,
  FrameFlags,
  FrameType,
} from './codec.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import {
  ACK_EVERY_MESSAGES,
  COALESCE_MAX_PAYLOAD,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
  FRAME_HEADER_BYTES,
  MAX_QUEUED_MESSAGES,
} from './limits.js';

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

/** @internal options only a Link or a PeerConnection sets. */
export interface ChannelInternals {
  /**
   * A connection channel (protocol v2, PROTOCOL.md §8): it keeps what it sent until the peer acknowledges it, and
   * can move to another Link of the same peer and resume there.
   */
  readonly resumable?: boolean;
  /**
   * A connection channel made while no Link carries it: the limits its options leave out are the smallest medium's
   * defaults until a Link carries it, then that Link's ({@link Channel.inheritLimits}).
   */
  readonly inheritLimits?: boolean;
  /**
   * A channel the peer opened: the bytes of its OPEN (or RESUME) metadata as the peer sent them, counted against
   * `MAX_PEER_METADATA_BYTES` for the channel's life. 0 (the default) for this side's channels.
   */
  readonly metadataBytes?: number;
}

/** State of a channel. */
export type ChannelState = 'open' | 'closing' | 'closed';

const RESOLVED: Promise<void> = Promise.resolve();

/** What a channel needs from its Link. @internal */
export interface ChannelHost {
  readonly maxPayload: number;
  readonly window: number;
  /**
   * Writes one whole-message DATA frame now if the Link is idle; false when it must be queued instead. `framed`, when
   * given, is `message` with {@link FRAME_HEADER_BYTES} of headroom in front ({@link Channel.sendFramed}): the host may
   * write the header there and send it as it is, instead of copying the message into a frame of its own.
   */
  writeNow(channel: Channel, message: Uint8Array, framed?: Uint8Array): boolean;
  markReady(channel: Channel): void;
  /** Queues a control frame; `answer`: it answers one of the peer's own frames (counted against its flood bound). */
  sendControl(frame: Uint8Array, answer?: boolean): void;
  channelClosed(channel: Channel): void;
  /** A complete message arrived on a resumable channel: an ACK is due (protocol v2). */
  ackDue(channel: Channel): void;
  /**
   * What the channel holds for its app changed by these many bytes (negative: less): complete messages not taken yet
   * (`inbox`) and fragments of a message still arriving (`assembling`). The Link's receive budget sums them.
   */
  holding(inbox: number, assembling: number): void;
  /**
   * The channel ended by the peer's doing: this side reset it for the peer's breach of flow control or message order
   * (PROTOCOL.md §4.2, §6). A Link counts it against its rapid-reset bound (`RAPID_RESET_BURST`); hosts without a
   * peer (a parked channel's) leave it out.
   */
  churned?(channel: Channel): void;
}

/** Where a resumable channel waits while no Link carries it: it sends nothing; control frames wait for RESUME. */
const PARKED: ChannelHost = {
  maxPayload: 0,
  window: 0,
  writeNow: () => false,
  markReady: () => undefined,
  sendControl: () => undefined,
  channelClosed: () => undefined,
  ackDue: () => undefined,
  holding: () => undefined,
};

/** Whether message sequence number `a` comes before `b` (serial number arithmetic mod 2³², RFC 1982). */
function seqBefore(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < 0x80000000;
}

const NOOP = (): void => undefined;

/**
 * Acknowledged entries at the front of a channel's retention list after which an ACK compacts it (when they are at
 * least half of it): bounds the dead slots while sparing a copy per ACK. Not a protocol limit.
 */
const UNACKED_COMPACT_AT = 64;
/**
 * Slots of a channel's retention list kept for reuse when every message in it is acknowledged while more wait to be
 * written: a steady flow refills the same slots (no allocation per ACK); a list that grew longer in a burst of small
 * messages is let go, as is every list of a channel with nothing queued (an idle channel holds none). Not a protocol
 * limit (8 bytes a slot).
 */
const UNACKED_KEEP_SLOTS = 1024;
/** What an acknowledged or unused slot of the retention list holds. */
const EMPTY = new Uint8Array(0);

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
 * Writing: {@link Channel.send} queues the bytes and resolves when the last fragment has been handed to the medium.
 * Messages over 1 KiB are not copied: the medium (a socket's corked write, a Link's batch of the current event-loop
 * turn) may still read them after the promise resolved, so do not modify a buffer once it was sent — send a copy
 * when you must reuse it.
 */
export class Channel implements AsyncIterable<Uint8Array> {
  /** Channel id on its Link (u16; odd = opened by the Link's initiator, even = by the responder). */
  readonly id: number;
  /** The OPEN metadata. */
  readonly metadata: ChannelMetadata;

  /** @internal whether this is a resumable connection channel (protocol v2). */
  readonly resumable: boolean;
  /** @internal Bytes of the peer's metadata this channel holds ({@link ChannelInternals.metadataBytes}). */
  readonly metadataBytes: number;
  private host: ChannelHost;
  private maxMessageBytes: number;
  private sendBufferBytes: number;
  /** Which of the two limits above follow the carrying Link's defaults (see {@link ChannelInternals.inheritLimits}). */
  private readonly inherits: { readonly send: boolean; readonly max: boolean } | undefined;
  // closed$ / writable$ / messages$ keep their subscribers in sets made on first use (and dropped when empty): most
  // channels of a busy device (a session's control channel) are read through the internal listeners below, and idle
  // memory per session counts every object.
  private closedSubscribers: Set<Subscriber<CloseReason>> | undefined;
  private writableSubject: BehaviorSubject<boolean> | undefined;
  private writableValue = true;
  /** In-process reader set with {@link Channel.listen}: called with every message before the subscribers. */
  private listener: ((message: Uint8Array) => void) | undefined;
  /** Called once with the close reason ({@link Channel.onClosed}), before `closed$` emits. */
  private closeListeners: ReadonlyArray<(reason: CloseReason) => void> | undefined;
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
  /**
   * Resumable channels: messages written whole and not yet acknowledged, oldest first, in the slots from
   * {@link Channel.unackedHead} to {@link Channel.unackedTail} (an ACK moves the head instead of shifting the array
   * element by element; once everything is acknowledged while more messages are queued, the slots are filled again
   * from the start, so the array keeps its backing store in a steady flow). Their sequence numbers are consecutive
   * (messages are written whole in seq order), from {@link Channel.unackedSeq}: only the bytes are kept, no object per
   * message.
   */
  private unacked: Uint8Array[] = [];
  private unackedHead = 0;
  /** One past the newest slot of {@link Channel.unacked} in use; slots from here on hold {@link EMPTY}. */
  private unackedTail = 0;
  /** Sequence number of `unacked[unackedHead]`, the oldest message kept. */
  private unackedSeq = 0;
  private unackedBytes = 0;
  /** False while parked (no Link), held for a move, or waiting for the peer's RESUME on a new Link. */
  private sendable = true;
  /** After this side's RESUME: DATA is stale until the peer's RESUME arrives (it resends from our count). */
  private recvBlocked = false;
  /** Complete messages and their bytes received since this side's last ACK. */
  private ackMessages = 0;
  private ackBytes = 0;
  /** Watchers of the peer's ACKs (transfers, {@link Channel.watchAcks}). */
  private ackListeners: Set<(received: number) => void> | undefined;

  // receive side
  private fragments: Uint8Array[] = [];
  private fragmentBytes = 0;
  private expectSeq = 0;
  private readonly inbox: Uint8Array[] = [];
  private inboxCredit: number[] = [];
  /** Bytes of the messages in {@link Channel.inbox}, and of {@link Channel.fragments}, as reported to the host. */
  private heldInbox = 0;
  private heldFragments = 0;
  private recvWindow: number;
  private consumed = 0;
  private deferredCredit = 0;
  private subscribers: Set<Subscriber<Uint8Array>> | undefined;
  private readers: Array<(r: IteratorResult<Uint8Array>) => void> = [];
  private paused = false;
  private delivering = false;
  /** This side's app sent (or tried to send) a message on the channel, or closed it ({@link Channel.answered}). */
  private acted = false;

  /** @internal created by {@link Link} */
  constructor(
    host: ChannelHost,
    id: number,
    metadata: ChannelMetadata,
    peerWindow: number,
    options: ChannelOptions & ChannelInternals = {},
  ) {
    this.resumable = options.resumable ?? false;
    this.metadataBytes = options.metadataBytes ?? 0;
    this.host = host;
    this.id = id;
    this.metadata = metadata;
    this.credit = peerWindow;
    this.recvWindow = host.window;
    if (options.inheritLimits) {
      this.inherits = {
        send: options.sendBufferBytes === undefined,
        max: options.maxMessageBytes === undefined,
      };
      this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    } else {
      this.maxMessageBytes = options.maxMessageBytes ?? Number.MAX_SAFE_INTEGER;
    }
    this.sendBufferBytes = options.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES;
  }

  /** Emits once when the channel ends, with the reason (replayed to later subscribers), then completes. */
  get closed$(): Observable<CloseReason> {
    return new Observable<CloseReason>((subscriber) => {
      if (this.stateValue === 'closed') {
        subscriber.next(this.closeReasonValue!);
        subscriber.complete();
        return;
      }
      this.closedSubscribers ??= new Set();
      this.closedSubscribers.add(subscriber);
      return () => {
        this.closedSubscribers?.delete(subscriber);
        if (this.closedSubscribers?.size === 0) this.closedSubscribers = undefined;
      };
    });
  }

  /**
   * `true` while `send()` would not wait (queued bytes below the send buffer bound); emits the current value on
   * subscription, `false` when the channel closes, then completes.
   */
  get writable$(): Observable<boolean> {
    if (this.writableSubject === undefined) {
      this.writableSubject = new BehaviorSubject<boolean>(this.writableValue);
      if (this.stateValue === 'closed') this.writableSubject.complete();
    }
    return this.writableSubject.asObservable();
  }

  /**
   * @internal The one in-process reader of this channel (a Session's control or data channel): `listener` gets every
   * message, in order, before the {@link Channel.messages$} subscribers — the same delivery, credit and ordering as a
   * subscription, without an rxjs subscriber per channel. Messages that arrived before are delivered in a microtask.
   * @throws ColinkError `ERR_CONFLICT` if a listener is set already.
   */
  listen(listener: (message: Uint8Array) => void): void {
    if (this.listener !== undefined)
      throw new ColinkError(ErrorCode.CONFLICT, `channel ${this.id} has a listener already`);
    this.listener = listener;
    if (this.inbox.length > 0) queueMicrotask(() => this.deliver());
  }

  /**
   * @internal Calls `listener` once with the close reason when the channel closes (at once if it has), before
   * {@link Channel.closed$} emits: an rxjs-free {@link Channel.closed$} for the device's own bookkeeping.
   */
  onClosed(listener: (reason: CloseReason) => void): void {
    if (this.stateValue === 'closed') {
      listener(this.closeReasonValue!);
      return;
    }
    this.closeListeners =
      this.closeListeners === undefined ? [listener] : this.closeListeners.concat(listener);
  }

  /**
   * @internal Whether this side's app has answered on the channel: sent (or tried to send) a message, or closed it.
   * A channel the peer opened and then resets (or closes without a message) before that was churned (the Link's
   * rapid-reset bound, `RAPID_RESET_BURST`), as is one the peer resets, or closes before this side closed it, without
   * having sent a message on it even after that; reading it does not count, since reading is what a churning peer
   * makes an app do.
   */
  get answered(): boolean {
    return this.acted;
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
   * @internal Sends not yet handed to the medium: messages queued plus `send()` calls waiting for room in the send
   * buffer. Each of them resolves once handed over, or rejects with `ERR_CLOSED` when the channel ends first.
   */
  get pendingSends(): number {
    return this.queue.length + this.waiters.length;
  }

  /**
   * Resumable channels: bytes handed to the medium whose messages the peer has not acknowledged yet (kept for
   * retransmission on another Link; bounded by the peer's window plus one message). 0 on other channels.
   */
  get unacknowledgedBytes(): number {
    return this.unackedBytes;
  }

  /** Messages received complete on this channel so far (mod 2³²). */
  get receivedMessages(): number {
    return this.expectSeq;
  }

  /**
   * Incoming messages (hot). Messages that arrived before the first subscription are delivered to it. Completes
   * when the channel closes (after every received message has been delivered).
   */
  get messages$(): Observable<Uint8Array> {
    return new Observable<Uint8Array>((subscriber) => {
      this.subscribers ??= new Set();
      this.subscribers.add(subscriber);
      if (this.inbox.length > 0) queueMicrotask(() => this.deliver());
      else if (this.stateValue === 'closed') subscriber.complete();
      return () => {
        this.subscribers?.delete(subscriber);
        if (this.subscribers?.size === 0) this.subscribers = undefined;
      };
    });
  }

  /**
   * Sends one message. Resolves when its last fragment is handed to the medium; waits while the send buffer is
   * full (backpressure) instead of growing it.
   * @throws ColinkError `ERR_CLOSED` if the channel is closing or closed (also when it closes while waiting);
   *   `ERR_MESSAGE_TOO_LARGE` if `message` exceeds the channel's limit; `ERR_SEND_BUFFER_FULL` if more than
   *   4096 messages are already waiting ({@link MAX_QUEUED_MESSAGES}); `ERR_INVALID_ARGUMENT` if not bytes.
   */
  send(message: Uint8Array): Promise<void> {
    return this.write(message, undefined, undefined);
  }

  /**
   * Sends one message with room for its frame header in front: the message is `framed.subarray(FRAME_HEADER_BYTES)`
   * (`FRAME_HEADER_BYTES` = 12, from `@colink/core/wire`), and the Link may write the 12-byte header into the first
   * bytes and send the buffer as it is. {@link Channel.send} copies a small message (≤ 1 KiB) into a frame of its own;
   * a sender that builds its message into a buffer anyway (encodes text, copies the app's bytes) saves that second
   * allocation and copy. The whole buffer is the channel's from the call on: do not reuse or modify any of it.
   * Resolves, waits and throws as {@link Channel.send} (PROTOCOL.md §4.2).
   * @throws ColinkError (as a rejection) as {@link Channel.send}; `ERR_INVALID_ARGUMENT` if `framed` is not bytes
   *   or shorter than `FRAME_HEADER_BYTES`.
   */
  sendFramed(framed: Uint8Array): Promise<void> {
    if (!(framed instanceof Uint8Array) || framed.length < FRAME_HEADER_BYTES)
      return Promise.reject(
        new ColinkError(
          ErrorCode.INVALID_ARGUMENT,
          `framed must be a Uint8Array of at least ${FRAME_HEADER_BYTES} bytes (the header room)`,
        ),
      );
    return this.write(framed.subarray(FRAME_HEADER_BYTES), undefined, framed);
  }

  /**
   * @internal {@link Channel.send} that reports the sequence number the message gets (PROTOCOL.md §4.2), once it
   * has one: at once when written or queued, later when `send` first waits for room in the send buffer.
   */
  sendCounted(message: Uint8Array, onSeq: (seq: number) => void): Promise<void> {
    return this.write(message, onSeq, undefined);
  }

  /**
   * @internal Calls `listener` with the peer's `received` count (messages received, mod 2³²) after every ACK or
   * RESUME from the peer (protocol v2 connection channels only; never on other channels). Returns the unsubscribe.
   */
  watchAcks(listener: (received: number) => void): () => void {
    this.ackListeners ??= new Set();
    this.ackListeners.add(listener);
    return () => this.ackListeners?.delete(listener);
  }

  private write(
    message: Uint8Array,
    onSeq: ((seq: number) => void) | undefined,
    framed: Uint8Array | undefined,
  ): Promise<void> {
    this.acted = true;
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
      this.sendable &&
      this.queue.length === 0 &&
      message.length <= this.host.maxPayload &&
      message.length <= this.credit &&
      this.host.writeNow(this, message, framed)
    ) {
      this.credit -= message.length;
      onSeq?.((this.nextSeq - 1) >>> 0);
      if (this.resumable) this.retain(message, (this.nextSeq - 1) >>> 0);
      return RESOLVED;
    }
    return this.enqueue(message, onSeq);
  }

  /** @internal the sequence number for a message written by the Link's fast path. */
  takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    return seq;
  }

  /**
   * Queues a message for the Link's scheduler; resolves once it is handed to the medium. Without a wait for room
   * (most messages of a busy channel) no async function runs: one promise per message, not three.
   */
  private enqueue(message: Uint8Array, onSeq?: (seq: number) => void): Promise<void> {
    if (this.queuedBytes > 0 && this.queuedBytes + message.length > this.sendBufferBytes)
      return this.enqueueWhenRoom(message, onSeq);
    try {
      this.assertSendable();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queueMessage(message, onSeq);
  }

  /** {@link Channel.enqueue} once the send buffer has room for `message` (backpressure). */
  private async enqueueWhenRoom(message: Uint8Array, onSeq?: (seq: number) => void): Promise<void> {
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
    return this.queueMessage(message, onSeq);
  }

  private queueMessage(message: Uint8Array, onSeq: ((seq: number) => void) | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      onSeq?.(this.nextSeq);
      this.queue.push({ data: message, offset: 0, seq: this.nextSeq, resolve, reject });
      this.nextSeq = (this.nextSeq + 1) >>> 0;
      this.queuedBytes += message.length;
      if (this.queuedBytes >= this.sendBufferBytes) {
        this.writableValue = false;
        this.writableSubject?.next(false);
      }
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
   * Closes gracefully: messages `send()` already accepted (written or queued) are delivered first, then a CLOSE frame.
   * A `send()` still waiting for room in the send buffer when the close starts rejects with `ERR_CLOSED` (its message
   * was never accepted). Resolves when the channel is closed (the peer answers CLOSE with CLOSE).
   */
  close(reason: CloseReason = closeReason('normal')): Promise<CloseReason> {
    if (this.stateValue === 'open') {
      this.acted = true;
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

  /**
   * @internal {@link Channel.reset} of a channel the peer opened and this side turns down (no handler, a limit): the
   * RESET answers the peer's OPEN, so it counts against the Link's bound on answers a peer that does not read can
   * make it queue (`MAX_QUEUED_ANSWERS`).
   */
  refuse(reason: CloseReason): void {
    if (this.stateValue === 'closed') return;
    this.host.sendControl(encodeCloseFrame(FrameType.RESET, this.id, reason), true);
    this.terminate(reason);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        const m = this.inbox.shift();
        if (m !== undefined) {
          this.countHeld(0 - m.length, 0);
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
    if (!this.sendable) return false;
    const head = this.queue[0];
    if (head !== undefined) return this.credit > 0 || head.data.length === 0;
    return this.localCloseRequested !== undefined && !this.localCloseSent;
  }

  /** @internal produces the next frame (header + payload view) or a CLOSE frame; undefined if none. */
  nextFrame(out: Uint8Array[]): number {
    if (!this.sendable) return 0;
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
      if (this.resumable) this.retain(head.data, head.seq);
      head.resolve();
      if (this.waiters.length > 0 && this.queuedBytes < this.sendBufferBytes) {
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w();
      }
      if (this.queuedBytes < this.sendBufferBytes && !this.writableValue) {
        this.writableValue = true;
        this.writableSubject?.next(true);
      }
    }
    return n + 12;
  }

  /** @internal DATA frame from the peer. */
  onData(flags: number, seq: number, payload: Uint8Array): void {
    if (this.stateValue === 'closed' || this.remoteCloseReceived) return; // late frames after RESET/CLOSE race
    if (this.recvBlocked) return; // sent before the peer saw our RESUME: it resends from there
    if (payload.length > this.recvWindow) {
      this.reset(
        closeReason('protocol-error', `peer exceeded the flow-control window on channel ${this.id}`),
      );
      this.host.churned?.(this);
      return;
    }
    if (seq !== this.expectSeq) {
      this.reset(
        closeReason(
          'protocol-error',
          `message sequence ${seq} on channel ${this.id}, expected ${this.expectSeq}`,
        ),
      );
      this.host.churned?.(this);
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
      this.countHeld(0, payload.length);
      // Credit for a partial message comes back at once unless undelivered messages are waiting: that bounds what
      // one slow reader can hold to one message plus one window.
      if (this.inbox.length === 0) this.credited(payload.length);
      else this.deferredCredit += payload.length;
      return;
    }
    let message: Uint8Array;
    /** Bytes held as fragments of this message until now. */
    const assembled = this.fragmentBytes - payload.length;
    if (this.fragments.length === 0) message = payload;
    else {
      this.fragments.push(payload);
      message = concatBytes(this.fragments, this.fragmentBytes);
    }
    this.fragments = [];
    this.fragmentBytes = 0;
    this.expectSeq = (this.expectSeq + 1) >>> 0;
    if (this.resumable) {
      // The Link hears of it when an ACK first becomes due and when it becomes urgent, not for every message.
      this.ackBytes += message.length;
      if (++this.ackMessages === 1 || this.ackUrgent()) this.host.ackDue(this);
    }
    if (this.inbox.length === 0 && !this.delivering && this.readers.length === 0 && this.hasReader()) {
      // Nothing waits and someone reads: hand it over at once (no inbox entry per message).
      this.delivering = true;
      if (assembled > 0) this.countHeld(0, -assembled);
      try {
        this.credited(payload.length);
        this.emit(message);
      } finally {
        this.delivering = false;
      }
      if (this.inbox.length > 0 || this.deferredCredit > 0 || this.state === 'closed') this.deliver();
      return;
    }
    this.inbox.push(message);
    this.inboxCredit.push(payload.length);
    this.countHeld(message.length, 0 - assembled);
    this.deliver();
  }

  /**
   * @internal Whether an ACK should go out now rather than after the Link's delayed-ACK time: once
   * {@link ACK_EVERY_MESSAGES} messages or a quarter of the window arrived since the last one. A quarter is where a
   * reader that keeps up returns credit (WINDOW, {@link Channel.credited}), and the Link writes every due ACK with
   * whatever it writes: in a steady flow the ACK rides with that WINDOW instead of costing writes of its own.
   */
  ackUrgent(): boolean {
    return this.ackMessages >= ACK_EVERY_MESSAGES || this.ackBytes >= this.host.window / 4;
  }

  /** @internal Whether a quarter of the window arrived since the last ACK (then a WINDOW is near: §6). */
  ackUrgentByBytes(): boolean {
    return this.ackBytes >= this.host.window / 4;
  }

  /** @internal Whether messages arrived since this side's last ACK (protocol v2): an ACK is owed. */
  get ackOwed(): boolean {
    return this.ackMessages > 0;
  }

  /** @internal The Link wrote an ACK with the current count. */
  ackSent(): void {
    this.ackMessages = 0;
    this.ackBytes = 0;
  }

  /** @internal ACK from the peer: it has received every message before `received` (protocol v2). */
  onAck(received: number): void {
    const unacked = this.unacked;
    let head = this.unackedHead;
    const tail = this.unackedTail;
    if (head < tail && seqBefore(this.unackedSeq, received)) {
      const end = Math.min(tail, head + ((received - this.unackedSeq) >>> 0));
      this.unackedSeq = (this.unackedSeq + (end - head)) >>> 0;
      while (head < end) {
        this.unackedBytes -= unacked[head]!.length;
        unacked[head++] = EMPTY; // let the message go now, not at the next compaction
      }
    }
    if (head === tail) {
      // All acknowledged. With more messages queued, they fill the same slots (no new backing store per ACK in a
      // steady flow); else the slots go (an idle channel keeps no list), as do more than UNACKED_KEEP_SLOTS.
      if (this.queue.length === 0 || unacked.length > UNACKED_KEEP_SLOTS) unacked.length = 0;
      head = 0;
      this.unackedTail = 0;
    } else if (head >= UNACKED_COMPACT_AT && head * 2 >= tail) {
      const live = tail - head;
      unacked.copyWithin(0, head, tail);
      unacked.fill(EMPTY, live, tail);
      head = 0;
      this.unackedTail = live;
    }
    this.unackedHead = head;
    if (this.ackListeners !== undefined) for (const l of this.ackListeners) l(received);
  }

  /**
   * @internal The carrying Link is gone (or the channel is moving): stop sending, keep every unacknowledged
   * message, and wait for {@link Channel.attach}. Writers see backpressure once the send buffer fills.
   */
  park(): void {
    this.host.holding(0 - this.heldInbox, 0 - this.heldFragments); // counted again by the Link it is attached to next
    this.host = PARKED;
    this.sendable = false;
  }

  /** @internal Stops sending on the current Link (a planned move drains it); receiving goes on. */
  hold(): void {
    this.sendable = false;
  }

  /**
   * @internal Moves the channel onto `host` (a new Link) and returns what this side's RESUME says: messages received
   * so far and the credit granted from now on (PROTOCOL.md §4.10). Fragments of a message not yet complete are
   * dropped: the peer resends that message whole. Sending waits for the peer's RESUME ({@link Channel.onResume}).
   */
  attach(host: ChannelHost): { received: number; credit: number } {
    // What it holds moves to the new host's receive budget; fragments are dropped (the peer resends the message).
    this.host.holding(0 - this.heldInbox, 0 - this.heldFragments);
    this.heldFragments = 0;
    host.holding(this.heldInbox, 0);
    this.host = host;
    this.sendable = false;
    this.recvBlocked = true;
    this.fragments = [];
    this.fragmentBytes = 0;
    this.consumed = 0;
    // This side's RESUME tells the peer what arrived: no ACK is owed on the new Link until more arrives there.
    this.ackMessages = 0;
    this.ackBytes = 0;
    let held = this.deferredCredit;
    for (const c of this.inboxCredit) held += c;
    this.recvWindow = Math.max(0, host.window - held);
    return { received: this.expectSeq, credit: this.recvWindow };
  }

  /**
   * @internal The peer's RESUME on the current host: forget what it received, resend the rest from the start of
   * the first message it lacks, with the credit it grants.
   * @throws ColinkError `ERR_PROTOCOL` when the peer claims messages that were never sent.
   */
  onResume(received: number, credit: number): void {
    this.onAck(received);
    const firstKept =
      this.unackedHead < this.unackedTail ? this.unackedSeq : (this.queue[0]?.seq ?? this.nextSeq);
    if (firstKept !== received >>> 0) {
      throw new ColinkError(
        ErrorCode.PROTOCOL,
        `RESUME on channel ${this.id} from message ${received}, but ${firstKept} is the first this side still holds`,
      );
    }
    const head = this.queue[0];
    if (head) {
      this.queuedBytes += head.offset;
      head.offset = 0;
    }
    const resend: Outgoing[] = this.unacked.slice(this.unackedHead, this.unackedTail).map((data, i) => ({
      data,
      offset: 0,
      seq: (this.unackedSeq + i) >>> 0,
      resolve: NOOP,
      reject: NOOP,
    }));
    this.unacked = [];
    this.unackedHead = 0;
    this.unackedTail = 0;
    for (const o of resend) this.queuedBytes += o.data.length;
    this.unackedBytes = 0;
    this.queue.unshift(...resend);
    this.credit = credit;
    this.recvBlocked = false;
    // A CLOSE that may not have arrived goes again behind the data; the peer ignores a second one.
    if (this.localCloseSent && this.stateValue !== 'closed') this.localCloseSent = false;
    this.sendable = true;
    if (this.hasFrame()) this.host.markReady(this);
  }

  /**
   * @internal A Link takes this channel on (before {@link Channel.attach}): a channel made while no Link carried it
   * ({@link ChannelInternals.inheritLimits}) takes the Link's default send buffer and largest message for the limits
   * its options left out. Writers waiting for room are released when the new bound gives it.
   */
  inheritLimits(defaults: ChannelOptions): void {
    const inherits = this.inherits;
    if (inherits === undefined) return;
    if (inherits.max && defaults.maxMessageBytes !== undefined)
      this.maxMessageBytes = defaults.maxMessageBytes;
    if (!inherits.send || defaults.sendBufferBytes === undefined) return;
    this.sendBufferBytes = defaults.sendBufferBytes;
    if (this.stateValue === 'closed') return;
    const room = this.queuedBytes < this.sendBufferBytes;
    if (room && this.waiters.length > 0) for (const w of this.waiters.splice(0)) w();
    if (room !== this.writableValue) {
      this.writableValue = room;
      this.writableSubject?.next(room);
    }
  }

  /** @internal diagnostics for tests. */
  debug(): Record<string, unknown> {
    return {
      sendable: this.sendable,
      recvBlocked: this.recvBlocked,
      credit: this.credit,
      queue: this.queue.length,
      unacked: this.unackedTail - this.unackedHead,
      nextSeq: this.nextSeq,
      expectSeq: this.expectSeq,
      recvWindow: this.recvWindow,
      host: this.host === PARKED ? 'parked' : (this.host as { id?: string }).id,
      sendBufferBytes: this.sendBufferBytes,
      maxMessageBytes: this.maxMessageBytes,
    };
  }

  /** Keeps a message written whole until the peer acknowledges it; `seq` follows the last one kept. */
  private retain(data: Uint8Array, seq: number): void {
    const tail = this.unackedTail;
    if (this.unackedHead === tail) this.unackedSeq = seq;
    this.unacked[tail] = data; // a slot left from before, or one more at the end (as push)
    this.unackedTail = tail + 1;
    this.unackedBytes += data.length;
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
    // Its Link forgets it: what it holds no longer counts against the Link's budget (it cannot grow any more).
    this.host.holding(0 - this.heldInbox, 0 - this.heldFragments);
    this.heldInbox = 0;
    this.heldFragments = 0;
    this.stateValue = 'closed';
    this.closeReasonValue = reason;
    if (this.queue.length > 0) {
      const err = ColinkError.closed(`channel ${this.id}`, reason);
      for (const o of this.queue.splice(0)) o.reject(err);
    }
    this.queuedBytes = 0;
    this.unacked = [];
    this.unackedHead = 0;
    this.unackedTail = 0;
    this.unackedBytes = 0;
    for (const w of this.waiters.splice(0)) w();
    this.host.channelClosed(this);
    this.deliver();
    const listeners = this.closeListeners;
    this.closeListeners = undefined;
    if (listeners !== undefined) for (const l of listeners) l(reason);
    const closedSubscribers = this.closedSubscribers;
    this.closedSubscribers = undefined;
    if (closedSubscribers !== undefined)
      for (const s of closedSubscribers) {
        s.next(reason);
        s.complete();
      }
    this.writableValue = false;
    this.writableSubject?.next(false);
    this.writableSubject?.complete();
  }

  /** @internal Bytes of the message this channel is receiving in fragments (0 between messages). */
  get assemblingBytes(): number {
    return this.heldFragments;
  }

  /**
   * Counts bytes held for the app in (or out of) the host's receive budget; a closed channel no longer counts.
   * Callers pass `0 - n`, never `-n`: `-0` is a heap number, and handed to these counters once optimized code runs it
   * changes their representation (measured: +50% CPU per message read from the inbox).
   */
  private countHeld(inbox: number, assembling: number): void {
    if (this.stateValue === 'closed') return;
    this.heldInbox += inbox;
    this.heldFragments += assembling;
    this.host.holding(inbox, assembling);
  }

  /** Hands one message to the listener and the subscribers. */
  private emit(m: Uint8Array): void {
    this.listener?.(m);
    const subs = this.subscribers;
    if (subs !== undefined) for (const s of subs) s.next(m);
  }

  /** Whether a message arriving now has a reader: the listener or a `messages$` subscriber, not paused. */
  private hasReader(): boolean {
    return (
      !this.paused &&
      (this.listener !== undefined || (this.subscribers !== undefined && this.subscribers.size > 0))
    );
  }

  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.inbox.length > 0) {
        const reader = this.readers.shift();
        if (reader !== undefined) {
          const m = this.inbox.shift()!;
          this.countHeld(0 - m.length, 0);
          this.credited(this.inboxCredit.shift()!);
          reader({ value: m, done: false });
          continue;
        }
        if (!this.hasReader()) break;
        const m = this.inbox.shift()!;
        this.countHeld(0 - m.length, 0);
        this.credited(this.inboxCredit.shift()!);
        this.emit(m);
      }
      if (this.inbox.length === 0 && this.deferredCredit > 0) {
        const c = this.deferredCredit;
        this.deferredCredit = 0;
        this.credited(c);
      }
      if (this.inbox.length === 0 && (this.stateValue === 'closed' || this.remoteCloseReceived)) {
        for (const r of this.readers.splice(0)) r({ value: undefined, done: true });
        if (this.stateValue === 'closed' && this.subscribers !== undefined)
          for (const s of [...this.subscribers]) s.complete();
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
      // An ACK that is due goes in the same buffer (one chunk of the same write); the Link then has none to send.
      let f: Uint8Array;
      if (this.ackMessages > 0) {
        f = encodeAckWindowFrames(this.id, this.expectSeq, inc);
        this.ackSent();
      } else f = encodeWindowFrame(this.id, inc);
      this.host.sendControl(f);
    }
  }
}
