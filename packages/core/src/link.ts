// The module's own binding: node's global `Buffer` is an accessor (a getter call at every use).
import { Buffer } from 'node:buffer';
import {
  asyncScheduler,
  BehaviorSubject,
  type Observable,
  type SchedulerAction,
  type SchedulerLike,
  Subject,
  Subscription,
} from 'rxjs';
import { Channel, type ChannelHost, type ChannelMetadata, type ChannelOptions } from './channel.js';
import {
  decodeCloseReason,
  decodeJsonObject,
  decodeResumeFrame,
  encodeAckFrame,
  encodeCloseFrame,
  encodeFrame,
  encodeHeader,
  encodeJson,
  encodeResumeFrame,
  type Frame,
  FrameDecoder,
  FrameFlags,
  FrameType,
  type ResumeInfo,
  readU32,
  writeHeader,
} from './codec.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import {
  type Established,
  Handshake,
  type HandshakeStage,
  type Hello,
  type LinkRole,
  type SecurityUpgrade,
  type VerifiedPeer,
  vanished,
  write,
} from './handshake.js';
import { KeepAlive } from './keepalive.js';
import {
  COALESCE_MAX_PAYLOAD,
  CONNECTION_CHANNEL_MIN,
  DEFAULT_CHANNEL_WINDOW,
  DEFAULT_CHANNEL_WINDOW_FAST,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_LINK_RECEIVE_BUDGET,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
  DELAYED_ACK_MS,
  FRAME_HEADER_BYTES,
  MAX_CHANNELS_PER_LINK,
  MAX_CONTROL_PAYLOAD,
  MAX_FRAME_SIZE,
  MAX_PEER_METADATA_BYTES,
  MAX_QUEUED_ANSWERS,
  MIN_FRAME_SIZE,
  PING_PAYLOAD_BYTES,
  PROTOCOL_VERSION_RESUME,
  RAPID_RESET_BURST,
  RAPID_RESET_RATE_PER_SECOND,
  WRITE_BATCH_BYTES,
  WRITE_BATCH_CHUNKS,
} from './limits.js';
import { LinkCounters, type LinkStats } from './link-stats.js';
import { logger } from './log.js';
import { RapidResetBudget } from './rapid-reset.js';
import type { Conduit, DeviceAdvert, Medium } from './transport.js';

export type { LinkRole, SecurityUpgrade, VerifiedPeer } from './handshake.js';
export type { LinkStats } from './link-stats.js';

const log = logger('link');

/**
 * The owner of a Link's connection channels (protocol v2): a {@link PeerConnection}. Only a Link with an owner
 * accepts connection channels and RESUME; without one they are refused with RESET `refused`. @internal
 */
export interface LinkOwner {
  /** The peer opened connection channel `channel` on `link` (OPEN). */
  onIncoming(link: Link, channel: Channel): void;
  /** The peer sent RESUME on `link`. May throw `ERR_PROTOCOL`, which closes the Link. */
  onResume(link: Link, info: ResumeInfo): void;
  /**
   * @internal The rapid-reset bucket ({@link RAPID_RESET_BURST}) the owner's Links count the peer's churned channels
   * into, whichever Link they arrive on; without one each Link keeps its own.
   */
  readonly rapidReset?: RapidResetBudget;
}

/** Lifecycle of a Link. */
export type LinkStateName = 'connecting' | 'open' | 'closing' | 'closed';

/** A Link's state; `reason` is set once it is closing or closed. */
export interface LinkState {
  readonly state: LinkStateName;
  readonly reason?: CloseReason;
}

/** Options of {@link Link}. Times in ms, sizes in bytes. */
export interface LinkOptions {
  /** Which side this is. */
  readonly role: LinkRole;
  /** What this device says about itself in HELLO. */
  readonly local: DeviceAdvert;
  /** Security upgrade; when set, the peer must run one too (else `handshake-failed`). Default: none. */
  readonly security?: SecurityUpgrade;
  /** Scheduler for timers (keep-alive, timeouts); a VirtualTimeScheduler makes them testable. Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** PING interval (ms). Default 10_000. 0 disables keep-alive. */
  readonly keepAliveIntervalMs?: number;
  /** Close with `timeout` after this long without any received frame (ms). Default 30_000. */
  readonly idleTimeoutMs?: number;
  /** Time for preamble, security and HELLO (ms). Default 10_000. */
  readonly handshakeTimeoutMs?: number;
  /** Receive window per channel (bytes). Default 4 MiB when frames are ≥ 16 KiB (TCP), else 256 KiB (BLE). */
  readonly channelWindow?: number;
  /** Default largest incoming message per channel (bytes). Default 104_861_696 (100 MiB + 4 KiB). */
  readonly maxMessageBytes?: number;
  /**
   * Receive budget (bytes): what all channels together may hold for their apps — complete messages not taken yet
   * plus fragments of messages still arriving. Past it the Link stops reading its medium (`Conduit.pause`: TCP's
   * window then holds the peer back, every channel of the Link waits) until apps have taken it down to half; nothing
   * is dropped, and the keep-alive's idle timeout does not run meanwhile. That is when most of it (over half) is
   * messages apps have not taken. When most of it is messages still arriving (none can complete while the Link does
   * not read), the smallest of them are refused instead (their channels reset with `refused`) until it holds or one
   * is left, which may be as large as its channel allows. Held bytes go past the budget by at most what the medium
   * delivers after a pause (one read), or by that one message. Default 256 MiB (`DEFAULT_LINK_RECEIVE_BUDGET`); a
   * conduit without `pause` is not held back. See `LinkStats.heldBytes` / `receivePauses`.
   * @throws ColinkError `ERR_INVALID_ARGUMENT` (from the constructor) when not a positive number.
   */
  readonly receiveBudget?: number;
  /** Per-channel send buffer bound (bytes). Default 4 MiB when frames are ≥ 16 KiB (TCP), else 1 MiB (BLE). */
  readonly sendBufferBytes?: number;
  /** Cap the frame size below the conduit's (bytes, header included; ≥ 20). */
  readonly maxFrameSize?: number;
  /**
   * Highest protocol version to offer (1 or 2). Default `PROTOCOL_VERSION_MAX` (2, `@colink/core/wire`); 1 behaves as a build that
   * predates resumable channels (for interoperability tests).
   */
  readonly maxProtocolVersion?: number;
  /**
   * @internal Responder: the device's pre-Link stage (`InboundPreamble`) already answered the initiator's preamble
   * with this side's, so the handshake does not write it again.
   */
  readonly preambleAnswered?: boolean;
  /**
   * Protocol v2: called once when the Link opens, before any frame after HELLO is read; returns the owner of its
   * connection channels (a {@link PeerConnection}'s `adopt`), or undefined to refuse them. Default: none.
   */
  readonly connectionOwner?: (link: Link) => LinkOwner | undefined;
  /**
   * @internal For a Link without a connection owner (protocol v1, or a v2 Link no peer connection adopted): called
   * when the peer churns its first channel, returns the rapid-reset bucket ({@link RAPID_RESET_BURST}) to count it
   * in — `LocalDevice`'s for that peer, which outlives the Link, so a peer reconnecting (or speaking v1) does not get a
   * full bucket back — or undefined for a bucket of the Link's own. Default: none (the Link's own).
   */
  readonly rapidReset?: (link: Link) => RapidResetBudget | undefined;
}

let linkCounter = 0;

/**
 * Microtasks of the send path (end of a turn's batch, the pump) are reactions to this resolved promise: under half the
 * CPU of node's `queueMicrotask` (35 against 75–90 ns on node 20), which creates an async resource and a bound function
 * per call (same queue, same order). A callback that threw would surface as an unhandled rejection; these do not throw (writes are guarded).
 */
const RESOLVED: Promise<void> = Promise.resolve();

/** Size of the first buffer small frames of a turn's batch are encoded into (later ones: TURN_BUFFER_BYTES). */
const TURN_FIRST_BUFFER_BYTES = 4_096;
/** Size of the next buffers small frames of one turn are encoded into, once the first is full. */
const TURN_BUFFER_BYTES = 65_536;

/** The delayed-ACK timer's work ({@link Link.ackDue}): the Link is the action's state, so arming it makes no closure. */
function ackTick(this: SchedulerAction<Link>, link?: Link): void {
  if (link?.ackTimerTick() === true) this.schedule(link, DELAYED_ACK_MS);
}

/**
 * One physical connection to one device over one medium, running the colink wire protocol (PROTOCOL.md) over a
 * transport's {@link Conduit}: preamble and version negotiation, the optional security stage, HELLO, then frames
 * multiplexing flow-controlled {@link Channel}s, keep-alive with RTT, and graceful close with a reason.
 *
 * Every Link has an implicit default channel (id 1) behind {@link Link.send} and {@link Link.messages$}; more
 * channels come from {@link Link.openChannel} and {@link Link.incomingChannels$}.
 *
 * @example
 * ```ts
 * const link = new Link(conduit, { role: 'initiator', local: { networkId, deviceName: 'phone', deviceType: 'phone' } });
 * await link.opened;
 * link.messages$.subscribe((m) => console.log('got', m.length, 'bytes'));
 * await link.send(new TextEncoder().encode('hi'));
 * ```
 */
export class Link implements ChannelHost {
  /** Process-unique id, e.g. `'tcp-3'`. */
  readonly id: string;
  readonly medium: Medium;
  readonly role: LinkRole;
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** State changes; starts with `connecting`. */
  readonly state$: Observable<LinkState>;
  /**
   * Channels the peer opened (hot). The peer's OPEN is refused with RESET `refused` when nothing subscribes, past
   * 4,096 channels (`MAX_CHANNELS_PER_LINK`), or when the peer's Link channels already hold 4 MiB of metadata
   * (`MAX_PEER_METADATA_BYTES`, counted until each channel closes; connection channels: see `PeerConnection`).
   */
  readonly incomingChannels$: Observable<Channel>;
  /** Headers of every received frame after the HELLO (hot; for diagnostics and tests — payloads are not exposed). */
  readonly frames$: Observable<Omit<Frame, 'payload'> & { readonly length: number }>;
  /** Resolves when the Link is open; rejects with a ColinkError if it closes first. */
  readonly opened: Promise<void>;
  /** Resolves with the close reason when the Link has closed. */
  readonly closed: Promise<CloseReason>;

  /** @internal */ readonly window: number;
  /**
   * Bytes each channel may queue before `send()` waits: 4 MiB on media with frames ≥ 16 KiB, else 1 MiB, unless
   * {@link LinkOptions.sendBufferBytes} says otherwise. Queued bytes are the caller's buffers, not copies.
   */
  readonly sendBufferBytes: number;
  /** @internal */ maxPayload: number;

  private readonly options: LinkOptions;
  private readonly scheduler: SchedulerLike;
  private readonly stateSubject = new BehaviorSubject<LinkState>({ state: 'connecting' });
  private readonly incomingSubject = new Subject<Channel>();
  private readonly channelCountSubject = new BehaviorSubject<number>(1);
  private readonly framesSubject = new Subject<Omit<Frame, 'payload'> & { readonly length: number }>();
  private readonly statsSubject: BehaviorSubject<LinkStats>;
  private readonly handshake: Handshake;
  private readonly keepAlive: KeepAlive;
  private readonly counters = new LinkCounters();
  private io: Conduit | undefined;
  private done = false;
  private decoder: FrameDecoder;
  private readonly subs: Subscription[] = [];
  private readonly channels = new Map<number, Channel>();
  /** {@link LinkOptions.receiveBudget}, bytes. */
  private readonly receiveBudget: number;
  /** Bytes the channels hold for their apps: complete messages not taken yet, and fragments of arriving ones. */
  private heldInbox = 0;
  private heldAssembling = 0;
  /** Reading is stopped because the receive budget is full. */
  private readPaused = false;
  /** Refusing messages in assembly (see {@link Link.refuseAssemblies}); their resets report back meanwhile. */
  private refusing = false;
  private readonly ready = new Set<Channel>();
  private readonly control: Uint8Array[] = [];
  /** The frames in {@link Link.control} that answer the peer's own (PONG, refusals), and how many they are. */
  private readonly answers = new WeakSet<Uint8Array>();
  private answersQueued = 0;
  /** Resumable channels with an ACK due. */
  private readonly acks = new Set<Channel>();
  /** The delayed-ACK timer; when it fires every due ACK goes out. */
  private ackTimer: Subscription | undefined;
  private ackFlush = false;
  /** Whether ACKs were written since the delayed-ACK timer was armed or last ticked. */
  private ackWritten = false;
  /** Whether an urgent ACK is what the scheduled pump is for ({@link Link.writeNow} may then take it along). */
  private ackUrgentPending = false;
  /** Writes urgent ACKs nothing took along in the turn they became urgent (see {@link Link.ackDue}). */
  private ackImmediate: ReturnType<typeof setImmediate> | undefined;
  private readonly urgentAcks = (): void => {
    this.ackImmediate = undefined;
    if (this.ackUrgentPending && !this.done) this.schedulePump();
  };
  private owner: LinkOwner | undefined;
  /** Whether this side opens odd channel ids (PROTOCOL.md §4.3): by role in v1, by networkId in v2. */
  private localOdd: boolean;
  private pumpScheduled = false;
  private blocked = false;
  /**
   * Whether a fast-path write ({@link Link.writeNow}) already went out in this turn of the event loop. Later ones in
   * the same turn are collected in {@link Link.turnFrames} and written together when the turn's microtasks run: many
   * channels sending at once cost one write per batch instead of one per message.
   */
  private inTurn = false;
  /** Buffers of the turn's batch not written yet, in order. */
  private turnFrames: Uint8Array[] = [];
  private turnBytes = 0;
  /** Small frames of the turn are encoded one after another into this buffer (no allocation per frame). */
  private turnBuf: Buffer | undefined;
  /** Where the part of {@link Link.turnBuf} not yet in {@link Link.turnFrames} starts, and where it ends. */
  private turnStart = 0;
  private turnUsed = 0;
  private readonly scheduledPump = (): void => {
    this.pumpScheduled = false;
    this.pump();
  };
  private readonly endTurn = (): void => {
    this.inTurn = false;
    this.flushTurn();
    this.turnBuf = undefined;
  };
  private nextChannelId: number;
  private remoteHello: Hello | undefined;
  private verified: VerifiedPeer | undefined;
  private versionValue: number | undefined;
  private timers: Subscription[] = [];
  private openedAt: number | undefined;
  private readonly defaultChannel: Channel;
  private resolveOpened!: () => void;
  private rejectOpened!: (e: unknown) => void;
  private resolveClosed!: (r: CloseReason) => void;
  private goingAway = false;
  /**
   * The rapid-reset bucket ({@link RAPID_RESET_BURST}) of a Link without a connection owner (from
   * {@link LinkOptions.rapidReset}, else its own); a protocol-v2 Link counts into its owner's (the peer connection's,
   * shared by the peer's Links) instead.
   */
  private ownChurn: RapidResetBudget | undefined;
  /**
   * The peer went past the rapid-reset bound ending a channel with `going-away` ({@link Link.churned}): the channels it
   * ends after that one no longer count, as none do after an abort (which reads nothing more).
   */
  private pastChurnBound = false;
  /** Bytes of metadata the peer's open Link channels hold ({@link MAX_PEER_METADATA_BYTES}). */
  private peerMetadata = 0;
  /** A frame arrived in the chunk being decoded (the keep-alive notes the time after the chunk). */
  private frameSeen = false;
  private readonly onFrameBound = (f: Frame): boolean => this.onFrame(f);

  constructor(conduit: Conduit, options: LinkOptions) {
    this.options = options;
    this.medium = conduit.medium;
    this.role = options.role;
    this.localAddress = conduit.localAddress;
    this.remoteAddress = conduit.remoteAddress;
    this.id = `${conduit.medium}-${++linkCounter}`;
    this.scheduler = options.scheduler ?? asyncScheduler;
    const frameSize = Math.min(conduit.maxFrameSize, options.maxFrameSize ?? MAX_FRAME_SIZE, MAX_FRAME_SIZE);
    const fast = frameSize >= 16 * 1024;
    this.window = options.channelWindow ?? (fast ? DEFAULT_CHANNEL_WINDOW_FAST : DEFAULT_CHANNEL_WINDOW);
    this.sendBufferBytes =
      options.sendBufferBytes ?? (fast ? DEFAULT_CHANNEL_WINDOW_FAST : DEFAULT_SEND_BUFFER_BYTES);
    this.receiveBudget = options.receiveBudget ?? DEFAULT_LINK_RECEIVE_BUDGET;
    if (!(this.receiveBudget > 0))
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `receiveBudget ${options.receiveBudget} is not a positive number of bytes`,
      );
    if (!(frameSize >= MIN_FRAME_SIZE))
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `maxFrameSize ${frameSize} is below ${MIN_FRAME_SIZE}`,
      );
    this.maxPayload = frameSize - FRAME_HEADER_BYTES;
    this.decoder = new FrameDecoder(Math.max(this.maxPayload, MAX_CONTROL_PAYLOAD));
    this.localOdd = options.role === 'initiator';
    this.nextChannelId = this.localOdd ? 3 : 2;
    this.state$ = this.stateSubject.asObservable();
    this.incomingChannels$ = this.incomingSubject.asObservable();
    this.frames$ = this.framesSubject.asObservable();
    this.statsSubject = new BehaviorSubject<LinkStats>(this.stats());
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise<CloseReason>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.defaultChannel = new Channel(this, 1, { proto: 'default' }, this.window, this.channelOptions());
    this.channels.set(1, this.defaultChannel);
    // RTT wants sub-millisecond resolution in real time; a caller's (virtual) scheduler keeps its own clock.
    const now = options.scheduler ? () => this.scheduler.now() : () => performance.now();
    this.keepAlive = new KeepAlive(
      {
        sendControl: (f) => this.sendControl(f),
        onIdle: (ms) => this.abort(closeReason('timeout', `no frame from the peer for ${ms} ms`)),
        onRtt: () => this.statsSubject.next(this.stats()),
      },
      this.scheduler,
      now,
      options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
      options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    );
    this.handshake = new Handshake(
      conduit,
      {
        role: options.role,
        local: options.local,
        ...(options.security ? { security: options.security } : {}),
        scheduler: this.scheduler,
        timeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
        window: this.window,
        maxFrame: frameSize,
        ...(options.maxProtocolVersion !== undefined ? { maxVersion: options.maxProtocolVersion } : {}),
        ...(options.preambleAnswered ? { preambleAnswered: true } : {}),
        id: this.id,
      },
      {
        open: (e) => this.onEstablished(e),
        fail: (reason, error) => this.onHandshakeFailed(reason, error),
      },
    );
    this.handshake.start();
  }

  /** @internal Where the handshake is, until the Link opens (`done` after). */
  get handshakeStage(): HandshakeStage {
    return this.handshake.currentStage;
  }

  /** Current state name. */
  get state(): LinkStateName {
    return this.stateSubject.value.state;
  }

  /** The peer's HELLO advert, once received. */
  get remote(): DeviceAdvert | undefined {
    return this.remoteHello?.advert;
  }

  /** The identity the security stage proved, when security is on. */
  get verifiedPeer(): VerifiedPeer | undefined {
    return this.verified;
  }

  /** The protocol version negotiated in the preamble (PROTOCOL.md §2), once the Link is open. */
  get version(): number | undefined {
    return this.versionValue;
  }

  /** Whether the Link carries resumable connection channels (protocol v2 on both sides). */
  get resumable(): boolean {
    return (this.versionValue ?? 0) >= PROTOCOL_VERSION_RESUME;
  }

  /** Whether this side opens odd channel ids on this Link (PROTOCOL.md §4.3); known once open. */
  get opensOddIds(): boolean {
    return this.localOdd;
  }

  /** Name of the security upgrade in use, or `'none'`. */
  get security(): string {
    return this.options.security?.name ?? 'none';
  }

  /** Live counters (emits on every keep-alive round trip and on close). */
  get stats$(): Observable<LinkStats> {
    return this.statsSubject.asObservable();
  }

  /** Messages on the default channel (id 1). */
  get messages$(): Observable<Uint8Array> {
    return this.defaultChannel.messages$;
  }

  /** The default channel (id 1), always present. */
  get channel(): Channel {
    return this.defaultChannel;
  }

  /** The number of open channels (default channel included) whenever it changes; replays the current count. */
  get channelCount$(): Observable<number> {
    return this.channelCountSubject.asObservable();
  }

  /** Channels currently open on this Link (default channel included). */
  get openChannels(): readonly Channel[] {
    return [...this.channels.values()];
  }

  /** A snapshot of the counters. */
  stats(): LinkStats {
    return this.counters.snapshot(
      this.keepAlive?.rttMs,
      this.keepAlive?.srttMs,
      this.channels.size,
      this.openedAt,
      this.heldInbox + this.heldAssembling,
    );
  }

  /**
   * Sends a message on the default channel. See {@link Channel.send} for backpressure and errors. Called while the
   * Link is still connecting, it waits for {@link Link.opened} and sends then, or rejects as `opened` does (a
   * ColinkError, e.g. `ERR_CLOSED` or `ERR_HANDSHAKE_FAILED`) when the Link closes before opening.
   */
  send(message: Uint8Array): Promise<void> {
    if (this.state === 'connecting') return this.opened.then(() => this.defaultChannel.send(message));
    return this.defaultChannel.send(message);
  }

  /**
   * Opens a channel with `metadata` (sent in OPEN, ≤ 16 KiB as JSON). Returns at once; data may be sent right away
   * (the peer buffers within the window until it routes the channel).
   * @throws ColinkError `ERR_NOT_CONNECTED` before the Link is open (channel ids depend on the peer, §4.3);
   *   `ERR_CLOSED` when the Link is closing/closed, `ERR_LIMIT_EXCEEDED` past 4096 channels,
   *   `ERR_INVALID_ARGUMENT` when the metadata is not a JSON object with a string `proto` or too large.
   */
  openChannel(metadata: ChannelMetadata, options: ChannelOptions = {}): Channel {
    this.assertCanOpen();
    if (typeof metadata?.proto !== 'string')
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'channel metadata needs a string `proto`');
    if (this.channels.size >= MAX_CHANNELS_PER_LINK) {
      throw new ColinkError(
        ErrorCode.LIMIT_EXCEEDED,
        `more than ${MAX_CHANNELS_PER_LINK} channels on link ${this.id}`,
      );
    }
    const body = encodeMetadata(metadata);
    const id = this.allocateChannelId();
    const ch = new Channel(this, id, metadata, this.remoteHello?.window ?? this.window, {
      ...this.channelOptions(),
      ...options,
    });
    this.channels.set(id, ch);
    this.channelCountSubject.next(this.channels.size);
    this.sendControl(encodeFrame(FrameType.OPEN, 0, id, 0, body));
    return ch;
  }

  // ---- connection channels (protocol v2, for PeerConnection) ---------------------------------------------------

  /** @internal Makes `owner` the owner of this Link's connection channels. */
  setOwner(owner: LinkOwner | undefined): void {
    this.owner = owner;
  }

  /**
   * @internal Opens connection channel `id` (≥ 0x8000, this side's parity, chosen by the peer connection) here.
   * @throws as {@link Link.openChannel}.
   */
  openConnectionChannel(id: number, metadata: ChannelMetadata, options: ChannelOptions = {}): Channel {
    this.assertCanOpen();
    if (!this.resumable)
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `link ${this.id} speaks protocol v1`);
    const body = encodeMetadata(metadata);
    const ch = new Channel(this, id, metadata, this.remoteHello!.window, {
      ...this.channelOptions(),
      ...options,
      resumable: true,
    });
    this.channels.set(id, ch);
    this.channelCountSubject.next(this.channels.size);
    this.sendControl(encodeFrame(FrameType.OPEN, 0, id, 0, body));
    return ch;
  }

  /**
   * @internal Moves a connection channel onto this Link and queues this side's RESUME for it (with the OPEN
   * metadata when `opener`): from here the peer resends what this side lacks. The channel sends again once the
   * peer's RESUME arrives ({@link Channel.onResume}).
   */
  attachChannel(ch: Channel, opener: boolean, epoch: number): void {
    ch.inheritLimits(this.channelOptions());
    const { received, credit } = ch.attach(this);
    log.debug('%s RESUME out ch %d received %d epoch %d', this.id, ch.id, received, epoch);
    this.channels.set(ch.id, ch);
    this.channelCountSubject.next(this.channels.size);
    this.sendControl(
      encodeResumeFrame({
        channel: ch.id,
        received,
        credit,
        epoch,
        ...(opener ? { metadata: ch.metadata } : {}),
      }),
    );
  }

  /** @internal Takes a connection channel off this Link without closing it (it is moving or parked). */
  detachChannel(ch: Channel): void {
    if (this.channels.get(ch.id) !== ch) return;
    this.channels.delete(ch.id);
    this.ready.delete(ch);
    this.acks.delete(ch);
    ch.park();
    if (!this.done) this.channelCountSubject.next(this.channels.size);
  }

  /** @internal Whether connection channel `ch` is on this Link. */
  carries(ch: Channel): boolean {
    return this.channels.get(ch.id) === ch;
  }

  /** @internal Sends a bare control frame (the peer connection answers RESUMEs for channels it no longer has). */
  sendFrame(frame: Uint8Array): void {
    this.sendControl(frame);
  }

  /**
   * Closes gracefully: stops new channels, flushes what `send()` already queued (up to `flushTimeoutMs`), sends
   * GOAWAY with `reason`, and ends the conduit. Resolves with the final reason — at once when the Link ends another
   * way while it flushes (the peer's GOAWAY, the medium's end: there is nothing left to flush to), and as soon as no
   * channel has a frame ready and no control frame waits, not after `flushTimeoutMs`.
   */
  async close(reason: CloseReason = closeReason('normal'), flushTimeoutMs = 5_000): Promise<CloseReason> {
    if (this.state === 'closed') return this.closed;
    if (this.state === 'connecting') {
      this.abort(reason);
      return this.closed;
    }
    if (this.state === 'open') {
      this.goingAway = true;
      this.setState({ state: 'closing', reason });
      const flushed = new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.state === 'closed' || (this.ready.size === 0 && this.control.length === 0)) resolve();
          else this.timers.push(this.scheduler.schedule(check, 5));
        };
        check();
      });
      let timer: Subscription | undefined;
      await Promise.race([
        flushed,
        // Ending (the peer's GOAWAY crossing ours) cancels the flush checks (they are in `timers`): stop waiting too.
        this.closed,
        new Promise<void>((r) => (timer = this.scheduler.schedule(() => r(), flushTimeoutMs))),
      ]);
      timer?.unsubscribe();
      if (this.stateSubject.value.state !== 'closed') {
        this.flushTurn();
        if (this.io) write(this.io, [encodeCloseFrame(FrameType.GOAWAY, 0, reason)], this.id);
        this.io?.end(reason);
        this.finish(reason);
      }
    }
    return this.closed;
  }

  /** Ends at once without flushing (the peer still gets GOAWAY when the medium allows). */
  abort(reason: CloseReason): void {
    if (this.state === 'closed') return;
    if (!this.io) {
      this.handshake.abort(reason); // reports back through onHandshakeFailed
      return;
    }
    this.flushTurn();
    write(this.io, [encodeCloseFrame(FrameType.GOAWAY, 0, reason)], this.id);
    this.io.destroy(reason);
    this.finish(reason);
  }

  // ---- ChannelHost --------------------------------------------------------------------------------------------

  /** @internal */
  writeNow(channel: Channel, message: Uint8Array, framed?: Uint8Array): boolean {
    const io = this.io;
    // A pump scheduled only for an urgent ACK does not hold DATA back: the ACK goes in this write (below).
    if (!io || this.done || this.blocked || (this.pumpScheduled && !this.ackUrgentPending)) return false;
    if (this.ready.size > 0 || this.control.length > 0) return false;
    const seq = channel.takeSeq();
    this.counters.framesSent++;
    this.counters.bytesSent += FRAME_HEADER_BYTES + message.length;
    // Small messages go out as one copied buffer (one plain socket write); large ones as header + the caller's bytes.
    const small = message.length <= COALESCE_MAX_PAYLOAD;
    if (!this.inTurn) {
      // The first message of a turn is written at once (latency); the turn's end flushes what follows it.
      this.inTurn = true;
      void RESOLVED.then(this.endTurn);
      let chunks: Uint8Array[];
      if (framed !== undefined) {
        // The sender left room for the header (Channel.sendFramed): fill it in, no copy.
        writeHeader(framed, 0, FrameType.DATA, FrameFlags.FIN, channel.id, seq, message.length);
        chunks = [framed];
      } else
        chunks = small
          ? [encodeFrame(FrameType.DATA, FrameFlags.FIN, channel.id, seq, message)]
          : [encodeHeader(FrameType.DATA, FrameFlags.FIN, channel.id, seq, message.length), message];
      // Urgent ACKs ride with it (an app answering what it just received: its reply carries the ACK, and is not
      // queued behind an ACK-only pump).
      if (this.ackUrgentPending) {
        const n = chunks.length;
        this.takeAcks(chunks);
        this.counters.framesSent += chunks.length - n;
        this.counters.bytesSent += (chunks.length - n) * FRAME_HEADER_BYTES;
      }
      this.blocked = !write(io, chunks, this.id);
      return true;
    }
    const n = FRAME_HEADER_BYTES + message.length;
    if (small) {
      let buf = this.turnBuf;
      if (buf === undefined || this.turnUsed + n > buf.length) {
        // Full (or none yet): write what the turn has so far, continue in a fresh buffer (the written one is the
        // socket's now). The first of a turn is small; a turn that fills it gets the full batch size.
        this.flushTurn();
        buf = Buffer.allocUnsafe(buf === undefined ? TURN_FIRST_BUFFER_BYTES : TURN_BUFFER_BYTES);
        this.turnBuf = buf;
        this.turnStart = 0;
        this.turnUsed = 0;
      }
      writeHeader(buf, this.turnUsed, FrameType.DATA, FrameFlags.FIN, channel.id, seq, message.length);
      buf.set(message, this.turnUsed + FRAME_HEADER_BYTES);
      this.turnUsed += n;
    } else {
      this.sealTurnBuffer();
      this.turnFrames.push(
        encodeHeader(FrameType.DATA, FrameFlags.FIN, channel.id, seq, message.length),
        message,
      );
    }
    this.turnBytes += n;
    if (this.turnFrames.length >= WRITE_BATCH_CHUNKS || this.turnBytes >= WRITE_BATCH_BYTES) this.flushTurn();
    return true;
  }

  /** Moves the filled part of {@link Link.turnBuf} into {@link Link.turnFrames}. */
  private sealTurnBuffer(): void {
    if (this.turnBuf !== undefined && this.turnUsed > this.turnStart) {
      this.turnFrames.push(this.turnBuf.subarray(this.turnStart, this.turnUsed));
      this.turnStart = this.turnUsed;
    }
  }

  /** Writes the frames {@link Link.writeNow} collected in this turn, in order, before anything else is written. */
  private flushTurn(): void {
    this.sealTurnBuffer();
    if (this.turnFrames.length === 0) return;
    const batch = this.turnFrames;
    this.turnFrames = [];
    this.turnBytes = 0;
    if (this.io && !this.done) this.blocked = !write(this.io, batch, this.id);
  }

  /** @internal */
  markReady(channel: Channel): void {
    this.ready.add(channel);
    this.schedulePump();
  }

  /** @internal */
  sendControl(frame: Uint8Array, answer = false): void {
    if (this.state === 'closed') return;
    if (answer) {
      if (this.answersQueued >= MAX_QUEUED_ANSWERS) {
        // The medium has pushed back for this long: the peer keeps sending frames that want answers and reads none.
        this.abort(
          closeReason(
            'protocol-error',
            `peer does not read: ${this.answersQueued} answers to its frames wait to be written (flood)`,
          ),
        );
        return;
      }
      this.answersQueued++;
      this.answers.add(frame);
    }
    this.control.push(frame);
    this.schedulePump();
  }

  /** @internal */
  channelClosed(channel: Channel): void {
    if (this.channels.get(channel.id) !== channel) return;
    this.channels.delete(channel.id);
    if (!channel.resumable) this.peerMetadata -= channel.metadataBytes;
    this.ready.delete(channel);
    this.acks.delete(channel);
    this.channelCountSubject.next(this.channels.size);
  }

  /**
   * @internal Counts a channel the peer churned ({@link RAPID_RESET_BURST}): a token bucket of 4,096 refilled at 256 per
   * second on the scheduler's clock — the peer connection's, shared by all the peer's Links, when the Link has a
   * connection owner that keeps one ({@link LinkOwner.rapidReset}), else the one {@link LinkOptions.rapidReset} gives
   * (the device's for that peer), else the Link's own. When it is empty the Link closes with GOAWAY `protocol-error`
   * (abort) — unless the peer ended the channel that found it empty with close code `going-away` (`peerReason`): a
   * stopping device closes its connection channels with that code (its default stop reason) before its GOAWAY, and
   * may hold more than the burst of them; the Link then closes gracefully with `going-away` instead (the peer's new
   * channels refused, as after any close; the bucket keeps the count, so saying so buys a churner nothing). Either
   * way the count stops there: the channels the peer ends behind that one on this Link — read while it closes
   * gracefully, never read after an abort — do not count, so the peer's next Link starts from the same bucket.
   * PROTOCOL.md §4.5.
   */
  churned(_channel?: Channel, peerReason?: CloseReason): void {
    if (this.done || this.pastChurnBound) return;
    const budget = this.churnBudget();
    if (budget.take()) return;
    log.debug('%s rapid reset: %d channels churned by the peer', this.id, budget.total);
    const past =
      `the peer ended ${budget.total} channels before this side answered on them or reset them empty, ` +
      `over ${RAPID_RESET_BURST} at once or ${RAPID_RESET_RATE_PER_SECOND} a second`;
    if (peerReason?.code === 'going-away') {
      this.pastChurnBound = true;
      if (this.state === 'open')
        void this.close(closeReason('going-away', `the peer is going away (${past})`));
      return;
    }
    this.abort(closeReason('protocol-error', `rapid reset: ${past}`));
  }

  /** The rapid-reset bucket this Link counts into (see {@link Link.churned}). */
  private churnBudget(): RapidResetBudget {
    const shared = this.owner?.rapidReset;
    if (shared) return shared;
    this.ownChurn ??= this.options.rapidReset?.(this) ?? new RapidResetBudget(() => this.scheduler.now());
    return this.ownChurn;
  }

  /** @internal */
  holding(inbox: number, assembling: number): void {
    this.heldInbox += inbox;
    this.heldAssembling += assembling;
    if (this.refusing) return;
    const held = this.heldInbox + this.heldAssembling;
    const half = this.receiveBudget / 2;
    if (inbox + assembling > 0) {
      if (held <= this.receiveBudget || this.readPaused) return;
      // Mostly messages apps have not taken: they can free the budget, wait for them. Mostly messages still arriving:
      // none of them can complete while the Link does not read (a few unread bytes elsewhere must not stall them).
      if (this.heldInbox > half) this.pauseReading();
      else this.refuseAssemblies();
    } else if (this.readPaused && (held <= half || this.heldInbox <= half)) {
      this.resumeReading();
      if (held > this.receiveBudget) this.refuseAssemblies();
    }
  }

  /** The receive budget is full of messages apps have not taken: stop reading the medium until they do. */
  private pauseReading(): void {
    const io = this.io;
    if (!io?.pause || this.done) return; // a conduit without pause cannot be held back
    this.readPaused = true;
    this.counters.receivePauses++;
    this.keepAlive.suspend(true); // the peer is not silent: this side stopped listening
    io.pause();
    log.debug(
      '%s receive budget full (%d bytes held): reading paused',
      this.id,
      this.heldInbox + this.heldAssembling,
    );
  }

  private resumeReading(): void {
    this.readPaused = false;
    this.keepAlive.suspend(false);
    if (!this.done) this.io?.resume?.();
  }

  /**
   * Messages still arriving fill most of the receive budget — waiting for the apps cannot free enough, and none of
   * them completes while the Link does not read: refuse the smallest of them (their channels are reset with
   * `refused`) until the budget holds or one is left, which may be as large as its channel allows.
   */
  private refuseAssemblies(): void {
    this.refusing = true;
    try {
      while (this.heldInbox + this.heldAssembling > this.receiveBudget) {
        let smallest: Channel | undefined;
        let assembling = 0;
        for (const ch of this.channels.values()) {
          if (ch.assemblingBytes === 0) continue;
          assembling++;
          if (smallest === undefined || ch.assemblingBytes < smallest.assemblingBytes) smallest = ch;
        }
        if (smallest === undefined || assembling < 2) return;
        smallest.reset(
          closeReason(
            'refused',
            `the Link's receive budget of ${this.receiveBudget} bytes is full of messages still arriving`,
          ),
        );
      }
    } finally {
      this.refusing = false;
    }
  }

  /** Encodes every owed ACK onto `out` and forgets them. */
  private takeAcks(out: Uint8Array[]): void {
    for (const ch of this.acks) {
      // A channel whose WINDOW went out since carried its ACK with it: nothing is owed.
      if (!ch.ackOwed) continue;
      out.push(encodeAckFrame(ch.id, ch.receivedMessages));
      ch.ackSent();
    }
    this.acks.clear();
    this.ackWritten = true;
    this.ackUrgentPending = false;
  }

  /** @internal */
  ackDue(channel: Channel): void {
    this.acks.add(channel);
    if (channel.ackUrgent()) {
      this.ackUrgentPending = true;
      // A quarter window: the reader's WINDOW (which takes the ACK along) is written in this turn's pump anyway.
      // 32 small messages: the ACK waits for the end of this turn of the event loop, so that an app answering them
      // (a reply, its next request) carries it in that write instead of a write of its own before it.
      if (channel.ackUrgentByBytes()) this.schedulePump();
      else this.ackImmediate ??= setImmediate(this.urgentAcks);
    } else if (this.ackTimer === undefined) {
      // The delayed-ACK timer ticks every DELAYED_ACK_MS while ACKs are due. A tick that finds ACKs written since
      // the previous one waits one more tick (the ACKs due now arrived after that write, less than a tick ago), so
      // a steady flow, whose ACKs ride with its WINDOWs, never makes it write and does not re-arm it for every ACK
      // (nor read the clock). Else every due ACK goes out: each at most two ticks after its first message.
      this.ackWritten = false;
      this.ackTimer = this.scheduler.schedule(ackTick, DELAYED_ACK_MS, this);
    }
  }

  /**
   * @internal A tick of the delayed-ACK timer ({@link Link.ackDue}): true when the timer should tick again (ACKs went
   * out since the last tick, more are due), else it lapses — after a pump for the due ACKs, if any.
   */
  ackTimerTick(): boolean {
    if (this.acks.size === 0 || this.done) {
      this.ackTimer = undefined;
      return false;
    }
    if (this.ackWritten) {
      this.ackWritten = false;
      return true;
    }
    this.ackTimer = undefined;
    this.ackFlush = true;
    this.schedulePump();
    return false;
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private assertCanOpen(): void {
    if (this.state === 'closing' || this.state === 'closed' || this.goingAway) {
      throw ColinkError.closed(`link ${this.id}`, this.stateSubject.value.reason ?? closeReason('normal'));
    }
    if (this.state === 'connecting')
      throw new ColinkError(ErrorCode.NOT_CONNECTED, `link ${this.id} is not open yet`);
  }

  private allocateChannelId(): number {
    const first = this.localOdd ? 3 : 2;
    const last = this.resumable ? CONNECTION_CHANNEL_MIN - 1 : 0xffff;
    const step = (id: number): number => (id + 2 > last ? first : id + 2);
    let id = this.nextChannelId;
    while (this.channels.has(id)) id = step(id);
    this.nextChannelId = step(id);
    return id;
  }

  private channelOptions(): ChannelOptions {
    return {
      maxMessageBytes: this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      sendBufferBytes: this.sendBufferBytes,
    };
  }

  private setState(s: LinkState): void {
    this.stateSubject.next(s);
  }

  private onEstablished(e: Established): void {
    const io = e.io;
    this.io = io;
    this.verified = e.verified;
    this.versionValue = e.version;
    this.remoteHello = e.hello;
    this.counters.add(e.counters);
    if (this.resumable && e.hello.advert.networkId !== this.options.local.networkId) {
      // v2: the device with the smaller networkId opens odd ids on every Link of the pair (§4.3).
      this.localOdd = this.options.local.networkId < e.hello.advert.networkId;
      this.nextChannelId = this.localOdd ? 3 : 2;
    }
    this.subs.push(
      io.closed$.subscribe((r) => this.finish(this.goingAway ? r : vanished(r))),
      io.drain$.subscribe(() => this.onDrain()),
    );
    this.defaultChannel.onWindow(e.hello.window - this.window); // the default channel assumed our own window size
    this.openedAt = Date.now();
    this.setState({ state: 'open' });
    this.keepAlive.start();
    this.resolveOpened();
    this.statsSubject.next(this.stats());
    // The owner of connection channels is known before the first frame after HELLO is read (RESUME may be next).
    if (this.resumable) this.owner = this.options.connectionOwner?.(this);
    if (this.done) return;
    io.frameBoundaries?.(() => this.decoder.bytesToFrameEnd());
    // Read straight from the handshake's hand-over (no rxjs hop per chunk); `finish` stops it.
    this.subs.push(
      new Subscription(
        e.read((c) => {
          try {
            this.decoder.push(c, this.onFrameBound);
          } catch (err) {
            this.protocolError(err);
          }
          // The keep-alive's clock is read once per chunk that completed a frame, not once per frame.
          if (this.frameSeen) {
            this.frameSeen = false;
            this.keepAlive.received();
          }
        }),
      ),
    );
    this.schedulePump();
  }

  private onHandshakeFailed(reason: CloseReason, error: ColinkError | undefined): void {
    if (this.done) return;
    if (error) this.rejectOpened(new ColinkError(error.code, error.message, { cause: error, reason }));
    this.finish(reason);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    void RESOLVED.then(this.scheduledPump);
  }

  private onDrain(): void {
    this.blocked = false;
    this.pump();
  }

  /**
   * Writes control frames first, then one DATA frame per ready channel in turn, until the medium pushes back; frames go
   * to the conduit in batches of up to {@link WRITE_BATCH_BYTES}.
   */
  private pump(): void {
    const io = this.io;
    if (!io || this.done) return;
    this.flushTurn();
    const batch: Uint8Array[] = [];
    let batchBytes = 0;
    this.ackUrgentPending = false; // (a channel that made one urgent may have closed since)
    if (this.acks.size > 0) {
      // Every due ACK rides along with whatever this pump writes anyway (a WINDOW, DATA, another channel's urgent
      // ACK): it costs no write of its own. With nothing else to write, only urgent ones (or the delayed-ACK
      // timer) make this pump write.
      let all = this.ackFlush || this.control.length > 0 || this.ready.size > 0;
      if (!all)
        for (const ch of this.acks)
          if (ch.ackUrgent()) {
            all = true;
            break;
          }
      if (all) this.takeAcks(this.control);
      this.ackFlush = false;
    }
    while (!this.blocked) {
      if (this.control.length > 0) {
        const f = this.control.shift()!;
        if (this.answersQueued > 0 && this.answers.delete(f)) this.answersQueued--;
        batch.push(f);
        batchBytes += f.length;
        this.counters.framesSent++;
      } else if (this.ready.size > 0) {
        const ch: Channel = this.ready.values().next().value!;
        this.ready.delete(ch);
        const n = ch.nextFrame(batch);
        if (n > 0) {
          batchBytes += n;
          this.counters.framesSent++;
        }
        if (ch.hasFrame()) this.ready.add(ch); // to the back: round robin
      } else break;
      if (batchBytes >= WRITE_BATCH_BYTES || batch.length >= WRITE_BATCH_CHUNKS) {
        this.counters.bytesSent += batchBytes;
        this.blocked = !write(io, batch.splice(0), this.id);
        batchBytes = 0;
      }
    }
    if (batch.length > 0) {
      this.counters.bytesSent += batchBytes;
      this.blocked = !write(io, batch, this.id);
    }
  }

  private onFrame(f: Frame): boolean {
    if (this.done) return false;
    this.counters.framesReceived++;
    this.counters.bytesReceived += f.payload.length + FRAME_HEADER_BYTES;
    this.frameSeen = true;
    if (this.framesSubject.observed) {
      this.framesSubject.next({
        type: f.type,
        flags: f.flags,
        channel: f.channel,
        seq: f.seq,
        length: f.payload.length,
      });
    }
    switch (f.type) {
      case FrameType.DATA: {
        const ch = this.channels.get(f.channel);
        if (ch) ch.onData(f.flags, f.seq, f.payload);
        // DATA for a channel we already closed/reset: dropped on purpose (RESET crossed it in flight).
        return true;
      }
      case FrameType.WINDOW: {
        if (f.payload.length !== 4)
          throw new ColinkError(ErrorCode.PROTOCOL, 'WINDOW payload must be 4 bytes');
        this.channels.get(f.channel)?.onWindow(readU32(f.payload));
        return true;
      }
      case FrameType.OPEN:
        this.onOpen(f);
        return true;
      case FrameType.ACK:
        if (this.resumable) this.channels.get(f.channel)?.onAck(f.seq);
        return true;
      case FrameType.RESUME: {
        if (!this.resumable) return true; // not a v1 frame: ignored like any unknown type
        const info = decodeResumeFrame(f);
        log.debug(
          '%s RESUME in ch %d received %d epoch %d',
          this.id,
          info.channel,
          info.received,
          info.epoch,
        );
        if (this.owner && info.channel >= CONNECTION_CHANNEL_MIN) this.owner.onResume(this, info);
        else
          this.sendControl(
            encodeCloseFrame(
              FrameType.RESET,
              info.channel,
              closeReason('refused', 'no such connection channel'),
            ),
            true,
          );
        return true;
      }
      case FrameType.CLOSE:
      case FrameType.RESET: {
        const ch = this.channels.get(f.channel);
        if (!ch) return true;
        const reason = decodeCloseReason(f.payload);
        // Opened by the peer and ended before this side's app answered on it (reset), or ended by the peer without
        // its having sent a message on it — reset, or closed before this side closed it — answered or not (a service
        // may answer on its own, as linkEnhance's server does): it was churned (rapid reset, RAPID_RESET_BURST). A
        // CLOSE answering this side's own close is the close handshake, not churn.
        const churned =
          ch.id >= 2 &&
          ch.id % 2 === (this.localOdd ? 0 : 1) &&
          (f.type === FrameType.RESET
            ? !ch.answered || ch.receivedMessages === 0
            : ch.receivedMessages === 0 && ch.state === 'open');
        if (f.type === FrameType.CLOSE) ch.onRemoteClose(reason);
        else ch.terminate(reason);
        if (churned) this.churned(ch, reason);
        return true;
      }
      case FrameType.PING:
        if (f.payload.length !== PING_PAYLOAD_BYTES)
          throw new ColinkError(
            ErrorCode.PROTOCOL,
            `PING with ${f.payload.length} bytes of payload (${PING_PAYLOAD_BYTES} expected)`,
          );
        this.sendControl(encodeFrame(FrameType.PONG, 0, 0, f.seq, f.payload.slice()), true);
        return true;
      case FrameType.PONG:
        this.keepAlive.pong(f.seq);
        return true;
      case FrameType.HELLO:
        throw new ColinkError(ErrorCode.PROTOCOL, 'second HELLO');
      case FrameType.GOAWAY: {
        const reason = decodeCloseReason(f.payload);
        log.debug('%s GOAWAY %s %s', this.id, reason.code, reason.message ?? '');
        this.goingAway = true;
        this.io?.end(reason);
        this.finish(reason);
        return false;
      }
      default:
        // Unknown frame types are ignored for forward compatibility (PROTOCOL.md §4).
        return true;
    }
  }

  private onOpen(f: Frame): void {
    const id = f.channel;
    const peerParity = this.localOdd ? 0 : 1;
    if (id < 2 || id % 2 !== peerParity || this.channels.has(id)) {
      throw new ColinkError(ErrorCode.PROTOCOL, `peer opened channel ${id}, which is not its to open`);
    }
    if (f.payload.length > MAX_CONTROL_PAYLOAD)
      throw new ColinkError(ErrorCode.PROTOCOL, `OPEN metadata over ${MAX_CONTROL_PAYLOAD} bytes`);
    const meta = decodeJsonObject(f.payload);
    if (typeof meta.proto !== 'string')
      throw new ColinkError(ErrorCode.PROTOCOL, 'OPEN metadata without proto');
    if (this.goingAway || this.channels.size >= MAX_CHANNELS_PER_LINK) {
      this.sendControl(
        encodeCloseFrame(
          FrameType.RESET,
          id,
          closeReason('refused', 'link is going away or at its channel limit'),
        ),
        true,
      );
      return;
    }
    const connection = this.resumable && id >= CONNECTION_CHANNEL_MIN;
    if (connection && !this.owner) {
      this.sendControl(
        encodeCloseFrame(FrameType.RESET, id, closeReason('refused', 'no peer connection on this link')),
        true,
      );
      return;
    }
    // The metadata of the peer's Link channels is bounded here, that of its connection channels by their owner.
    const metadataBytes = f.payload.length;
    if (!connection && this.peerMetadata + metadataBytes > MAX_PEER_METADATA_BYTES) {
      this.sendControl(
        encodeCloseFrame(
          FrameType.RESET,
          id,
          closeReason('refused', `the peer's channels hold ${MAX_PEER_METADATA_BYTES} bytes of metadata`),
        ),
        true,
      );
      return;
    }
    const ch = new Channel(this, id, meta as ChannelMetadata, this.remoteHello!.window, {
      ...this.channelOptions(),
      resumable: connection,
      metadataBytes,
    });
    if (!connection) this.peerMetadata += metadataBytes;
    this.channels.set(id, ch);
    this.channelCountSubject.next(this.channels.size);
    if (connection) this.owner!.onIncoming(this, ch);
    else if (this.incomingSubject.observed) this.incomingSubject.next(ch);
    else ch.refuse(closeReason('refused', 'nobody accepts channels on this link'));
  }

  private protocolError(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    log.debug('%s protocol error: %s', this.id, msg);
    this.abort(closeReason('protocol-error', msg));
  }

  private finish(reason: CloseReason): void {
    if (this.done) return;
    this.done = true;
    this.turnFrames = [];
    this.turnBytes = 0;
    this.turnBuf = undefined;
    this.keepAlive.stop();
    this.ackTimer?.unsubscribe();
    this.ackTimer = undefined;
    if (this.ackImmediate !== undefined) clearImmediate(this.ackImmediate);
    this.ackImmediate = undefined;
    for (const t of this.timers) t.unsubscribe();
    this.timers = [];
    const wasConnecting = this.state === 'connecting';
    this.setState({ state: 'closed', reason });
    // Connection channels outlive the Link: they park and wait for their peer connection to move them.
    for (const ch of [...this.channels.values()]) {
      if (ch.resumable) ch.park();
      else ch.terminate(reason);
    }
    this.channels.clear();
    this.acks.clear();
    for (const s of this.subs) s.unsubscribe();
    this.handshake.dispose();
    if (wasConnecting) {
      // A stranger's inbound connection that never got as far as a HELLO (a connection storm: evicted, timed out,
      // garbage) rejects `opened` with the same typed error, built without a stack trace: it would only show the
      // event loop's I/O path, and capturing one per hostile connection was a measurable part of its teardown.
      const stranger = this.role === 'responder' && this.remoteHello === undefined;
      const make = () => ColinkError.closed(`link ${this.id}`, reason);
      this.rejectOpened(stranger ? withoutStackTrace(make) : make());
    }
    this.incomingSubject.complete();
    this.channelCountSubject.complete();
    this.framesSubject.complete();
    this.statsSubject.next(this.stats());
    this.statsSubject.complete();
    this.stateSubject.complete();
    this.resolveClosed(reason);
  }
}

/** Runs `make` with V8's stack trace capture off (`Error.stackTraceLimit` = 0), e.g. to build an error cheaply. */
function withoutStackTrace<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** OPEN metadata as JSON, at most {@link MAX_CONTROL_PAYLOAD} bytes. */
function encodeMetadata(metadata: ChannelMetadata): Uint8Array {
  if (typeof metadata?.proto !== 'string')
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'channel metadata needs a string `proto`');
  const body = encodeJson(metadata);
  if (body.length > MAX_CONTROL_PAYLOAD)
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `channel metadata over ${MAX_CONTROL_PAYLOAD} bytes`);
  return body;
}
