import type { Socket } from 'node:net';
import {
  asyncScheduler,
  BehaviorSubject,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
} from 'rxjs';
import { parseAdvert } from './advert.js';
import {
  Channel,
  type ChannelHost,
  type ChannelMetadata,
  type ChannelOptions,
  encodeCloseFrame,
} from './channel.js';
import {
  decodeClosePayload,
  decodeJsonObject,
  decodePreamble,
  encodeFrame,
  encodeHeader,
  encodeJson,
  encodePreamble,
  type Frame,
  FrameDecoder,
  FrameFlags,
  FrameType,
  PREAMBLE_FLAG_SECURE,
  readU32,
} from './codec.js';
import { CLOSE_CODES, type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import { ConduitInbound } from './inbound.js';
import {
  COALESCE_MAX_PAYLOAD,
  DEFAULT_CHANNEL_WINDOW,
  DEFAULT_CHANNEL_WINDOW_FAST,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
  FRAME_HEADER_BYTES,
  MAX_CHANNELS_PER_LINK,
  MAX_CONTROL_PAYLOAD,
  MAX_FRAME_SIZE,
  MIN_FRAME_SIZE,
  PREAMBLE_BYTES,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
} from './limits.js';
import { logger } from './log.js';
import type { Conduit, DeviceAdvert, Medium } from './transport.js';

const log = logger('link');

/** Which side opened the conduit. The initiator allocates odd channel ids, the responder even ones. */
export type LinkRole = 'initiator' | 'responder';

/** Lifecycle of a Link. */
export type LinkStateName = 'connecting' | 'open' | 'closing' | 'closed';

/** A Link's state; `reason` is set once it is closing or closed. */
export interface LinkState {
  readonly state: LinkStateName;
  readonly reason?: CloseReason;
}

/** Counters of a Link. Bytes count whole frames (header included), before encryption. */
export interface LinkStats {
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Last keep-alive round-trip time in ms, or undefined before the first PONG. */
  readonly rttMs: number | undefined;
  /** Smoothed RTT (RFC 6298 α = 1/8) in ms. */
  readonly srttMs: number | undefined;
  readonly openChannels: number;
  /** Wall-clock ms when the Link opened. */
  readonly openedAt: number | undefined;
}

/** The authenticated identity a security upgrade proved about the peer. */
export interface VerifiedPeer {
  /** networkId proven by the peer's key; HELLO must carry the same value. */
  readonly networkId: string;
  /** Anything the security layer wants to expose (certificate fingerprint, trust kind…). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * The handshake stage: turns the raw conduit into an authenticated, encrypted one before any frame flows
 * (PROTOCOL.md §2.2). `@colink/core` ships none; the security layer plugs in here.
 */
export interface SecurityUpgrade {
  /** Short name for stats and logs, e.g. `'tls1.3'`. */
  readonly name: string;
  /**
   * Runs the handshake over `conduit` (whose first bytes are the peer's first bytes after the preamble) and
   * resolves with the secured conduit and the verified peer. Rejects with `ERR_HANDSHAKE_FAILED` or
   * `ERR_UNTRUSTED`; the Link then closes with `handshake-failed`.
   */
  upgrade(conduit: Conduit, role: LinkRole): Promise<{ conduit: Conduit; peer: VerifiedPeer }>;
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
  /** Per-channel send buffer bound (bytes). Default 4 MiB when frames are ≥ 16 KiB (TCP), else 1 MiB (BLE). */
  readonly sendBufferBytes?: number;
  /** Cap the frame size below the conduit's (bytes, header included; ≥ 20). */
  readonly maxFrameSize?: number;
}

interface Hello {
  readonly advert: DeviceAdvert;
  readonly window: number;
}

let linkCounter = 0;

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
  /** Channels the peer opened (hot). */
  readonly incomingChannels$: Observable<Channel>;
  /** Headers of every received frame (hot; for diagnostics and tests — payloads are not exposed). */
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
  private readonly raw: Conduit;
  private io: Conduit | undefined;
  private stage: 'preamble' | 'secure' | 'frames' | 'done' = 'preamble';
  private preambleBuf = new Uint8Array(0);
  private secureInbound: ConduitInbound | undefined;
  private decoder: FrameDecoder;
  private readonly subs: Subscription[] = [];
  private readonly channels = new Map<number, Channel>();
  private readonly ready = new Set<Channel>();
  private readonly control: Uint8Array[] = [];
  private pumpScheduled = false;
  private blocked = false;
  private nextChannelId: number;
  private helloSent = false;
  private remoteHello: Hello | undefined;
  private verified: VerifiedPeer | undefined;
  private lastReceived = 0;
  private timers: Subscription[] = [];
  private pings = new Map<number, number>();
  private pingSeq = 0;
  private counters = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };
  private rttMs: number | undefined;
  private srttMs: number | undefined;
  private openedAt: number | undefined;
  private readonly defaultChannel: Channel;
  private resolveOpened!: () => void;
  private rejectOpened!: (e: unknown) => void;
  private resolveClosed!: (r: CloseReason) => void;
  private goingAway = false;
  /** The raw conduit closed while the security stage ran. */
  private rawClosedInSecure: CloseReason | undefined;
  /** The error that ended the handshake, for `opened` to reject with. */
  private handshakeError: ColinkError | undefined;
  private readonly now: () => number;

  constructor(conduit: Conduit, options: LinkOptions) {
    this.raw = conduit;
    this.options = options;
    this.medium = conduit.medium;
    this.role = options.role;
    this.localAddress = conduit.localAddress;
    this.remoteAddress = conduit.remoteAddress;
    this.id = `${conduit.medium}-${++linkCounter}`;
    this.scheduler = options.scheduler ?? asyncScheduler;
    // RTT wants sub-millisecond resolution in real time; a caller's (virtual) scheduler keeps its own clock.
    this.now = options.scheduler ? () => this.scheduler.now() : () => performance.now();
    const frameSize = Math.min(conduit.maxFrameSize, options.maxFrameSize ?? MAX_FRAME_SIZE, MAX_FRAME_SIZE);
    const fast = frameSize >= 16 * 1024;
    this.window = options.channelWindow ?? (fast ? DEFAULT_CHANNEL_WINDOW_FAST : DEFAULT_CHANNEL_WINDOW);
    this.sendBufferBytes =
      options.sendBufferBytes ?? (fast ? DEFAULT_CHANNEL_WINDOW_FAST : DEFAULT_SEND_BUFFER_BYTES);
    if (!(frameSize >= MIN_FRAME_SIZE))
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `maxFrameSize ${frameSize} is below ${MIN_FRAME_SIZE}`,
      );
    this.maxPayload = frameSize - FRAME_HEADER_BYTES;
    this.decoder = new FrameDecoder(Math.max(this.maxPayload, MAX_CONTROL_PAYLOAD));
    this.nextChannelId = options.role === 'initiator' ? 3 : 2;
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

    // Our preamble goes out before we read: a conduit replays bytes it already holds synchronously on subscribe,
    // and the peer's preamble must not start the security stage before ours is written.
    const flags = options.security ? PREAMBLE_FLAG_SECURE : 0;
    this.write(conduit, [
      encodePreamble({ minVersion: PROTOCOL_VERSION_MIN, maxVersion: PROTOCOL_VERSION_MAX, flags }),
    ]);
    this.subs.push(
      conduit.data$.subscribe((chunk) => this.onRawData(chunk)),
      conduit.closed$.subscribe((reason) => {
        // During the security stage the upgrade decides how the handshake failed (its own refusal says more than
        // the peer hanging up); the handshake timer backs it up.
        // Once secured, the secure conduit reports the end: it knows whether a record failed authentication.
        if (this.stage === 'secure') this.rawClosedInSecure = reason;
        else if (this.io === undefined || this.io === conduit) this.finish(this.withoutGoaway(reason));
      }),
      conduit.drain$.subscribe(() => {
        if (this.io === conduit) this.onDrain();
      }),
    );
    const handshakeMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.timers.push(
      this.scheduler.schedule(() => {
        if (this.state === 'connecting')
          this.abort(closeReason('timeout', `handshake not complete after ${handshakeMs} ms`));
      }, handshakeMs),
    );
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
    return {
      ...this.counters,
      rttMs: this.rttMs,
      srttMs: this.srttMs,
      openChannels: this.channels.size,
      openedAt: this.openedAt,
    };
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
   * @throws ColinkError `ERR_CLOSED` when the Link is closing/closed, `ERR_LIMIT_EXCEEDED` past 4096 channels,
   *   `ERR_INVALID_ARGUMENT` when the metadata is not a JSON object with a string `proto` or too large.
   */
  openChannel(metadata: ChannelMetadata, options: ChannelOptions = {}): Channel {
    if (this.state === 'closing' || this.state === 'closed' || this.goingAway) {
      throw ColinkError.closed(`link ${this.id}`, this.stateSubject.value.reason ?? closeReason('normal'));
    }
    if (typeof metadata?.proto !== 'string')
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'channel metadata needs a string `proto`');
    if (this.channels.size >= MAX_CHANNELS_PER_LINK) {
      throw new ColinkError(
        ErrorCode.LIMIT_EXCEEDED,
        `more than ${MAX_CHANNELS_PER_LINK} channels on link ${this.id}`,
      );
    }
    const body = encodeJson(metadata);
    if (body.length > MAX_CONTROL_PAYLOAD)
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `channel metadata over ${MAX_CONTROL_PAYLOAD} bytes`);
    let id = this.nextChannelId;
    while (this.channels.has(id)) id = id + 2 > 0xffff ? (this.role === 'initiator' ? 3 : 2) : id + 2;
    this.nextChannelId = id + 2 > 0xffff ? (this.role === 'initiator' ? 3 : 2) : id + 2;
    const ch = new Channel(this, id, metadata, this.remoteHello?.window ?? this.window, {
      ...this.channelOptions(),
      ...options,
    });
    this.channels.set(id, ch);
    this.channelCountSubject.next(this.channels.size);
    this.sendControl(encodeFrame(FrameType.OPEN, 0, id, 0, body));
    return ch;
  }

  /**
   * Closes gracefully: stops new channels, flushes what `send()` already queued (up to `flushTimeoutMs`), sends
   * GOAWAY with `reason`, and ends the conduit. Resolves with the final reason.
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
        new Promise<void>((r) => (timer = this.scheduler.schedule(() => r(), flushTimeoutMs))),
      ]);
      timer?.unsubscribe();
      if (this.stateSubject.value.state !== 'closed') {
        if (this.io) this.write(this.io, [encodeCloseFrame(FrameType.GOAWAY, 0, reason)]);
        this.io?.end(reason);
        this.finish(reason);
      }
    }
    return this.closed;
  }

  /** Ends at once without flushing (the peer still gets GOAWAY when the medium allows). */
  abort(reason: CloseReason): void {
    if (this.state === 'closed') return;
    if (this.helloSent && this.io) this.write(this.io, [encodeCloseFrame(FrameType.GOAWAY, 0, reason)]);
    (this.io ?? this.raw).destroy(reason);
    this.finish(reason);
  }

  // ---- ChannelHost --------------------------------------------------------------------------------------------

  /** @internal */
  writeNow(channel: Channel, message: Uint8Array): boolean {
    const io = this.io;
    if (!io || !this.helloSent || this.blocked || this.pumpScheduled || this.stage !== 'frames') return false;
    if (this.ready.size > 0 || this.control.length > 0) return false;
    const seq = channel.takeSeq();
    this.counters.framesSent++;
    this.counters.bytesSent += FRAME_HEADER_BYTES + message.length;
    // Small messages go out as one copied buffer (one plain socket write); large ones as header + the caller's bytes.
    const chunks =
      message.length <= COALESCE_MAX_PAYLOAD
        ? [encodeFrame(FrameType.DATA, FrameFlags.FIN, channel.id, seq, message)]
        : [encodeHeader(FrameType.DATA, FrameFlags.FIN, channel.id, seq, message.length), message];
    this.blocked = !this.write(io, chunks);
    return true;
  }

  /** @internal */
  markReady(channel: Channel): void {
    this.ready.add(channel);
    this.schedulePump();
  }

  /** @internal */
  sendControl(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    this.control.push(frame);
    this.schedulePump();
  }

  /** @internal */
  channelClosed(channel: Channel): void {
    this.channels.delete(channel.id);
    this.ready.delete(channel);
    this.channelCountSubject.next(this.channels.size);
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private channelOptions(): ChannelOptions {
    return {
      maxMessageBytes: this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      sendBufferBytes: this.sendBufferBytes,
    };
  }

  private setState(s: LinkState): void {
    this.stateSubject.next(s);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private onDrain(): void {
    this.blocked = false;
    this.pump();
  }

  /** Writes control frames first, then one DATA frame per ready channel in turn, until the medium pushes back. */
  private pump(): void {
    const io = this.io;
    if (!io || !this.helloSent || this.stage === 'done') return;
    const batch: Uint8Array[] = [];
    let batchBytes = 0;
    while (!this.blocked) {
      if (this.control.length > 0) {
        const f = this.control.shift()!;
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
      if (batchBytes >= 65_536 || batch.length >= 64) {
        this.counters.bytesSent += batchBytes;
        this.blocked = !this.write(io, batch.splice(0));
        batchBytes = 0;
      }
    }
    if (batch.length > 0) {
      this.counters.bytesSent += batchBytes;
      this.blocked = !this.write(io, batch);
    }
  }

  private onRawData(chunk: Uint8Array): void {
    try {
      switch (this.stage) {
        case 'preamble':
          this.onPreambleData(chunk);
          return;
        case 'secure':
          this.secureInbound?.push(chunk);
          return;
        case 'frames':
          if (this.io === this.raw) this.onFrameData(chunk);
          else this.secureInbound?.push(chunk);
          return;
        default:
          return;
      }
    } catch (e) {
      this.protocolError(e);
    }
  }

  private onPreambleData(chunk: Uint8Array): void {
    const buf = new Uint8Array(this.preambleBuf.length + chunk.length);
    buf.set(this.preambleBuf, 0);
    buf.set(chunk, this.preambleBuf.length);
    if (buf.length < PREAMBLE_BYTES) {
      this.preambleBuf = buf;
      return;
    }
    const p = decodePreamble(buf);
    const rest = buf.subarray(PREAMBLE_BYTES);
    this.preambleBuf = new Uint8Array(0);
    const version = Math.min(p.maxVersion, PROTOCOL_VERSION_MAX);
    if (version < Math.max(p.minVersion, PROTOCOL_VERSION_MIN)) {
      this.abort(
        closeReason(
          'version-mismatch',
          `peer speaks ${p.minVersion}..${p.maxVersion}, we speak ${PROTOCOL_VERSION_MIN}..${PROTOCOL_VERSION_MAX}`,
        ),
      );
      return;
    }
    const peerSecure = (p.flags & PREAMBLE_FLAG_SECURE) !== 0;
    const security = this.options.security;
    if (peerSecure !== Boolean(security)) {
      this.abort(
        closeReason(
          'handshake-failed',
          security
            ? 'peer does not run the security stage'
            : 'peer requires the security stage, which is not configured here',
        ),
      );
      return;
    }
    if (!security) {
      this.stage = 'frames';
      this.io = this.raw;
      this.sendHello();
      if (rest.length > 0) this.onFrameData(rest);
      return;
    }
    this.stage = 'secure';
    // The security layer reads the raw bytes through a view that holds what arrives before it subscribes.
    const inbound = new ConduitInbound(Number.POSITIVE_INFINITY);
    if (rest.length > 0) inbound.push(rest.slice());
    this.secureInbound = inbound;
    const raw = this.raw;
    const view: Conduit = {
      medium: raw.medium,
      localAddress: raw.localAddress,
      remoteAddress: raw.remoteAddress,
      maxFrameSize: raw.maxFrameSize,
      data$: inbound.data$,
      drain$: raw.drain$,
      closed$: raw.closed$,
      write: (chunks) => raw.write(chunks),
      end: (r) => raw.end(r),
      destroy: (r) => raw.destroy(r),
      ...(raw.detachSocket ? { detachSocket: () => this.detachForSecurity(raw, inbound) } : {}),
    };
    security.upgrade(view, this.role).then(
      ({ conduit, peer }) => {
        if (this.state === 'closed') {
          conduit.destroy(closeReason('normal'));
          return;
        }
        if (this.rawClosedInSecure) {
          conduit.destroy(this.rawClosedInSecure);
          this.finish(this.withoutGoaway(this.rawClosedInSecure));
          return;
        }
        this.verified = peer;
        this.io = conduit;
        this.stage = 'frames';
        this.subs.push(
          conduit.data$.subscribe((c) => {
            try {
              this.onFrameData(c);
            } catch (e) {
              this.protocolError(e);
            }
          }),
          conduit.drain$.subscribe(() => this.onDrain()),
          conduit.closed$.subscribe((r) => this.finish(this.withoutGoaway(r))),
        );
        this.sendHello();
      },
      (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        const code = e instanceof ColinkError && e.reason ? e.reason.code : 'handshake-failed';
        if (e instanceof ColinkError) this.handshakeError = e;
        this.abort(closeReason(code, msg));
      },
    );
  }

  /**
   * The security stage takes the raw socket (see {@link Conduit.detachSocket}): bytes that arrived after the
   * preamble and wait in the stage's inbound go back into the socket, where node:tls reads them first.
   */
  private detachForSecurity(raw: Conduit, inbound: ConduitInbound): Socket | undefined {
    const socket = raw.detachSocket?.();
    if (!socket) return undefined;
    this.secureInbound = undefined;
    const held: Uint8Array[] = [];
    inbound.data$.subscribe((c) => held.push(c)).unsubscribe();
    if (held.length > 0) socket.unshift(Buffer.concat(held));
    return socket;
  }

  private sendHello(): void {
    const hello = {
      v: 1,
      advert: this.options.local,
      window: this.window,
      maxFrame: this.maxPayload + FRAME_HEADER_BYTES,
    };
    this.helloSent = true;
    this.control.unshift(encodeFrame(FrameType.HELLO, 0, 0, 0, encodeJson(hello)));
    this.schedulePump();
    this.maybeOpen();
  }

  private maybeOpen(): void {
    if (!this.helloSent || !this.remoteHello || this.state !== 'connecting') return;
    const v = this.verified;
    if (v && v.networkId !== this.remoteHello.advert.networkId) {
      this.abort(closeReason('handshake-failed', 'HELLO networkId differs from the authenticated identity'));
      return;
    }
    this.openedAt = Date.now();
    this.lastReceived = this.scheduler.now();
    this.setState({ state: 'open' });
    this.startKeepAlive();
    this.resolveOpened();
    this.statsSubject.next(this.stats());
  }

  private onFrameData(chunk: Uint8Array): void {
    this.decoder.push(chunk, (f) => this.onFrame(f));
  }

  private onFrame(f: Frame): void {
    this.counters.framesReceived++;
    this.counters.bytesReceived += f.payload.length + FRAME_HEADER_BYTES;
    this.lastReceived = this.scheduler.now();
    if (this.framesSubject.observed) {
      this.framesSubject.next({
        type: f.type,
        flags: f.flags,
        channel: f.channel,
        seq: f.seq,
        length: f.payload.length,
      });
    }
    if (!this.remoteHello && f.type !== FrameType.HELLO && f.type !== FrameType.GOAWAY) {
      throw new ColinkError(ErrorCode.PROTOCOL, `frame type ${f.type} before HELLO`);
    }
    switch (f.type) {
      case FrameType.DATA: {
        const ch = this.channels.get(f.channel);
        if (ch) ch.onData(f.flags, f.seq, f.payload);
        // DATA for a channel we already closed/reset: dropped on purpose (RESET crossed it in flight).
        return;
      }
      case FrameType.WINDOW: {
        if (f.payload.length !== 4)
          throw new ColinkError(ErrorCode.PROTOCOL, 'WINDOW payload must be 4 bytes');
        this.channels.get(f.channel)?.onWindow(readU32(f.payload));
        return;
      }
      case FrameType.OPEN:
        this.onOpen(f);
        return;
      case FrameType.CLOSE:
      case FrameType.RESET: {
        const ch = this.channels.get(f.channel);
        if (!ch) return;
        const reason = this.decodeReason(f.payload);
        if (f.type === FrameType.CLOSE) ch.onRemoteClose(reason);
        else ch.terminate(reason);
        return;
      }
      case FrameType.PING:
        this.sendControl(encodeFrame(FrameType.PONG, 0, 0, f.seq, f.payload.slice()));
        return;
      case FrameType.PONG: {
        const sent = this.pings.get(f.seq);
        if (sent !== undefined) {
          this.pings.delete(f.seq);
          const rtt = this.now() - sent;
          this.rttMs = rtt;
          this.srttMs = this.srttMs === undefined ? rtt : this.srttMs + (rtt - this.srttMs) / 8;
          this.statsSubject.next(this.stats());
        }
        return;
      }
      case FrameType.HELLO: {
        if (this.remoteHello) throw new ColinkError(ErrorCode.PROTOCOL, 'second HELLO');
        const h = decodeJsonObject(f.payload);
        const advert = parseAdvert(h.advert, 'HELLO');
        const window = typeof h.window === 'number' && h.window > 0 ? h.window : DEFAULT_CHANNEL_WINDOW;
        this.remoteHello = { advert, window };
        this.defaultChannel.onWindow(window - this.window); // the default channel assumed our own window size
        this.maybeOpen();
        return;
      }
      case FrameType.GOAWAY: {
        const reason = this.decodeReason(f.payload);
        log.debug('%s GOAWAY %s %s', this.id, reason.code, reason.message ?? '');
        this.goingAway = true;
        this.io?.end(reason);
        this.finish(reason);
        return;
      }
      default:
        // Unknown frame types are ignored for forward compatibility (PROTOCOL.md §4).
        return;
    }
  }

  private onOpen(f: Frame): void {
    const id = f.channel;
    const peerParity = this.role === 'initiator' ? 0 : 1;
    if (id < 2 || id % 2 !== peerParity || this.channels.has(id)) {
      throw new ColinkError(ErrorCode.PROTOCOL, `peer opened channel ${id}, which is not its to open`);
    }
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
      );
      return;
    }
    const ch = new Channel(
      this,
      id,
      meta as ChannelMetadata,
      this.remoteHello!.window,
      this.channelOptions(),
    );
    this.channels.set(id, ch);
    this.channelCountSubject.next(this.channels.size);
    if (this.incomingSubject.observed) this.incomingSubject.next(ch);
    else ch.reset(closeReason('refused', 'nobody accepts channels on this link'));
  }

  private decodeReason(payload: Uint8Array): CloseReason {
    const { code, message } = decodeClosePayload(payload);
    return closeReason(CLOSE_CODES[code] ?? 'normal', message || undefined, { remote: true });
  }

  private startKeepAlive(): void {
    const interval = this.options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS;
    if (interval <= 0) return;
    const idle = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const link = this;
    this.timers.push(
      this.scheduler.schedule(function tick(this: { schedule(s?: unknown, d?: number): void }) {
        if (link.state !== 'open' && link.state !== 'closing') return;
        const now = link.scheduler.now();
        if (now - link.lastReceived >= idle) {
          link.abort(closeReason('timeout', `no frame from the peer for ${now - link.lastReceived} ms`));
          return;
        }
        link.pingSeq = (link.pingSeq + 1) >>> 0;
        const seq = link.pingSeq;
        link.pings.set(seq, link.now());
        if (link.pings.size > 16) link.pings.delete(link.pings.keys().next().value!);
        link.sendControl(encodeFrame(FrameType.PING, 0, 0, seq, new Uint8Array(8)));
        this.schedule(undefined, interval);
      }, interval),
    );
  }

  /**
   * Writes to the conduit. A conduit may throw once it has closed (transport-tcp does); the Link then stops writing
   * and lets the conduit's `closed$` end it.
   */
  private write(io: Conduit, chunks: readonly Uint8Array[]): boolean {
    try {
      return io.write(chunks);
    } catch (e) {
      log.debug('%s write after close: %s', this.id, e instanceof Error ? e.message : String(e));
      return false;
    }
  }

  /**
   * The medium ended under an open Link without the peer's GOAWAY: whatever the conduit says (a TCP FIN looks
   * "normal"), the peer vanished — a crashed or killed process, a cut cable — so it is reported as `lost`.
   */
  private withoutGoaway(reason: CloseReason): CloseReason {
    if (this.goingAway || this.state === 'closed' || reason.code !== 'normal' || !reason.remote)
      return reason;
    return closeReason(
      'lost',
      `the peer ended the connection without GOAWAY${reason.message ? ` (${reason.message})` : ''}`,
      {
        remote: true,
        ...(reason.detail ? { detail: reason.detail } : {}),
      },
    );
  }

  private protocolError(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    log.debug('%s protocol error: %s', this.id, msg);
    this.abort(closeReason('protocol-error', msg));
  }

  private finish(reason: CloseReason): void {
    if (this.stage === 'done') return;
    this.stage = 'done';
    for (const t of this.timers) t.unsubscribe();
    this.timers = [];
    const wasConnecting = this.state === 'connecting';
    this.setState({ state: 'closed', reason });
    for (const ch of [...this.channels.values()]) ch.terminate(reason);
    this.secureInbound?.complete();
    for (const s of this.subs) s.unsubscribe();
    if (wasConnecting) {
      const err = this.handshakeError;
      this.rejectOpened(
        err
          ? new ColinkError(err.code, err.message, { cause: err, reason })
          : ColinkError.closed(`link ${this.id}`, reason),
      );
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
