import {
  asyncScheduler,
  BehaviorSubject,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
} from 'rxjs';
import { Channel, type ChannelHost, type ChannelMetadata, type ChannelOptions } from './channel.js';
import { encodeCloseFrame, encodeJson, FrameType, type ResumeInfo } from './codec.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import {
  CLOSED_CHANNEL_MEMORY,
  CONNECTION_CHANNEL_MIN,
  DEFAULT_HANDOVER_DRAIN_MS,
  DEFAULT_PEER_GRACE_MS,
  DEFAULT_REDIAL_INITIAL_MS,
  DEFAULT_REDIAL_MAX_MS,
  MAX_CHANNELS_PER_LINK,
  MAX_PEER_METADATA_BYTES,
} from './limits.js';
import type { Link, LinkOwner } from './link.js';
import { logger } from './log.js';
import { RapidResetBudget } from './rapid-reset.js';
import type { Medium } from './transport.js';

const log = logger('peer');

/** State of a {@link PeerConnection}. */
export type PeerConnectionState =
  /** A Link carries the connection channels. */
  | 'connected'
  /** No Link is left: channels wait (writers see backpressure) while re-dials run, up to the grace period. */
  | 'reconnecting'
  /** The grace period ran out (channels closed with `lost`); a new Link makes it `connected` again. */
  | 'disconnected'
  /** {@link PeerConnection.close} was called. */
  | 'closed';

/** What carries a peer connection now (emitted by {@link PeerConnection.quality$}). */
export interface PeerQuality {
  readonly state: PeerConnectionState;
  /** Medium of the carrying Link; undefined without one. */
  readonly medium: Medium | undefined;
  /** Id of the carrying Link. */
  readonly linkId: string | undefined;
  /** Smoothed keep-alive RTT of the carrying Link in ms (undefined before its first PONG). */
  readonly rttMs: number | undefined;
  /**
   * Bytes per second sent plus received on the carrying Link (frames, header included), averaged since the
   * previous emission; 0 on the first emission for a Link.
   */
  readonly throughputBytesPerSec: number;
  /** Live Links to the peer (all media). */
  readonly links: number;
}

/**
 * A carrier change (emitted by {@link PeerConnection.moves$}): the channels left one Link for another because a better
 * one came (`upgrade`), the carrier was lost (`loss`, also when a Link of the same medium returns after a gap), or the
 * leader moved them (`peer`). A Link replaced by another of the same medium while it is still open — a duplicate from
 * simultaneous dials being merged away — is not a move: nothing the app can see changed ({@link PeerQuality.linkId}
 * shows the new Link). That holds also when the peer's `replaced` close of the carrier arrives before the Link the peer
 * keeps has opened on this side (the state is `reconnecting` in between).
 */
export interface CarrierMove {
  /**
   * Medium of the Link the channels left — also after a gap with no Link at all (lost, then re-dialled); undefined
   * only for the first carrier.
   */
  readonly from: Medium | undefined;
  readonly to: Medium;
  /** `upgrade` = make-before-break to a better Link; `loss` = the carrier was lost; `initial`. */
  readonly why: 'initial' | 'upgrade' | 'loss' | 'peer';
}

/** Options of {@link PeerConnection}. Times in ms. */
export interface PeerConnectionOptions {
  /** This device's networkId. */
  readonly local: string;
  /** The peer's networkId. */
  readonly peer: string;
  /** Scheduler for the grace period, re-dial backoff and drain (virtual time in tests). Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** How long channels wait for a Link after the last one was lost. Default 10_000. */
  readonly graceMs?: number;
  /** How long a planned move waits for the old Link's data to be acknowledged. Default 2_000. */
  readonly drainMs?: number;
  /**
   * Asks for a new Link to the peer (the LocalDevice dials); the Link reaches this connection through
   * {@link PeerConnection.adopt}. Called with the attempt number (0, 1, …) during the grace period, with
   * exponential backoff between attempts; the first attempt comes at once, or after
   * {@link PeerConnectionOptions.redialInitialMs} when the carrier was merged away (the Link the peer keeps is still
   * opening here). Default: none (wait for the peer to dial).
   */
  readonly redial?: (attempt: number) => Promise<unknown>;
  /** First re-dial backoff, doubled per attempt up to {@link PeerConnectionOptions.redialMaxMs}. Default 100. */
  readonly redialInitialMs?: number;
  /** Largest re-dial backoff. Default 2_000. */
  readonly redialMaxMs?: number;
  /**
   * Rank of a Link's medium: higher carries traffic first. Default: Wi-Fi P2P 3, BLE 1, every other medium 2 (Wi-Fi
   * P2P over TCP over BLE); among equal ranks the lowest smoothed RTT wins when a carrier is chosen.
   */
  readonly rank?: (link: Link) => number;
  /** Defaults for channels opened or accepted on this connection. */
  readonly channelOptions?: ChannelOptions;
}

/** Why a peer's channel is refused past {@link MAX_PEER_METADATA_BYTES}. */
const METADATA_FULL = `the peer's connection channels hold ${MAX_PEER_METADATA_BYTES} bytes of metadata`;

/** Host of a connection channel opened while no Link carries the connection. */
const NO_LINK: ChannelHost = {
  maxPayload: 0,
  window: 0,
  writeNow: () => false,
  markReady: () => undefined,
  sendControl: () => undefined,
  channelClosed: () => undefined,
  ackDue: () => undefined,
  holding: () => undefined,
};

/** Default medium ranks: Wi-Fi P2P 3 (a direct link), BLE 1, every other medium (TCP, memory, custom) 2. */
function defaultRank(link: Link): number {
  if (link.medium === 'wifi-p2p') return 3;
  return link.medium === 'ble' ? 1 : 2;
}

/**
 * One conversation with one trusted peer device above all its Links (protocol v2, PROTOCOL.md §8): it holds the live
 * Links over every medium, picks the one that carries traffic (by medium rank, then RTT), and owns the connection
 * channels — so channels, and the sessions on them, survive the loss of a Link:
 *
 * - a better Link (TCP/P2P while on BLE) takes over make-before-break: the old one drains (its data acknowledged)
 *   and stays as a standby;
 * - when the carrier is lost, channels resume on another live Link (RESUME: exactly once, in order);
 * - with no Link left, writers see backpressure while {@link PeerConnectionOptions.redial} runs with exponential
 *   backoff for the grace period; after it the channels close with `lost`;
 * - a Link that closes with `going-away` (this device or the peer's shutting down) ends the channels at once with
 *   that reason: there is nothing to wait for.
 *
 * Links join with {@link PeerConnection.adopt}, which is what {@link LinkOptions.connectionOwner} must return for
 * a Link to this peer. v1 Links cannot join (they have no RESUME).
 *
 * @example
 * ```ts
 * const pc = new PeerConnection({ local: me, peer: them, redial: () => device.connectAddress('tcp', addr) });
 * const link = new Link(conduit, { role: 'initiator', local: advert, connectionOwner: (l) => pc.adopt(l) });
 * const ch = pc.openChannel({ proto: 'files' });
 * pc.quality$.subscribe((q) => console.log(q.medium, q.rttMs));
 * ```
 */
export class PeerConnection implements LinkOwner {
  /** The peer's networkId. */
  readonly peer: string;
  /** Whether this side chooses the carrier (it has the smaller networkId, PROTOCOL.md §8.1). */
  readonly leader: boolean;
  /**
   * @internal The rapid-reset bucket (`RAPID_RESET_BURST`) of every Link to this peer: channels the peer churns on any
   * of them count here, and a new Link (a reconnection) does not refill it.
   */
  readonly rapidReset: RapidResetBudget;

  private readonly options: PeerConnectionOptions;
  private readonly scheduler: SchedulerLike;
  private readonly graceMs: number;
  private readonly rank: (link: Link) => number;
  private readonly linkSet = new Set<Link>();
  private readonly linkSubs = new Map<Link, Subscription[]>();
  private carrierLink: Link | undefined;
  private readonly channelMap = new Map<number, Channel>();
  /** Where each channel is: the Link it is on, undefined while parked. */
  private readonly location = new Map<Channel, Link | undefined>();
  /** Leader: the number of its last move; follower: the highest move number seen from the leader (§8.1). */
  private epoch = 0;
  /** The move number of this side's last RESUME for each channel. */
  private readonly resumeEpoch = new Map<Channel, number>();
  /** The Link this side last sent RESUME on for each channel. */
  private readonly resumedOn = new Map<Channel, Link>();
  private readonly opened = new Set<Channel>();
  private readonly ended = new Map<number, CloseReason>();
  /** Bytes of metadata the connection channels the peer opened hold ({@link MAX_PEER_METADATA_BYTES}). */
  private peerMetadata = 0;
  private readonly incomingSubject = new Subject<Channel>();
  private readonly movesSubject = new Subject<CarrierMove>();
  private readonly qualitySubject: BehaviorSubject<PeerQuality>;
  private stateValue: PeerConnectionState = 'disconnected';
  private nextId: number;
  private graceTimer: Subscription | undefined;
  private redialTimer: Subscription | undefined;
  private redialAttempt = 0;
  private draining = false;
  private sample: { link: Link; at: number; bytes: number } | undefined;
  private qualityDone = false;
  /** Medium of the last carrier, kept across a gap with no Link (for {@link CarrierMove.from}). */
  private lastMedium: Medium | undefined;
  /** Links taken out of service by {@link PeerConnection.release} (duplicates being merged away). */
  private readonly released = new WeakSet<Link>();
  /**
   * The carrier, when it was merged away (released here, or closed by the peer as `replaced`) with no other Link up:
   * the Link the peer keeps is still opening on this side, and its arrival is not a move. Cleared by the next carrier
   * or the end of the grace period.
   */
  private mergedAway: Link | undefined;

  /** @throws ColinkError `ERR_INVALID_ARGUMENT` when `local` equals `peer` or `graceMs` is negative. */
  constructor(options: PeerConnectionOptions) {
    if (options.local === options.peer)
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'a peer connection needs two different devices');
    const grace = options.graceMs ?? DEFAULT_PEER_GRACE_MS;
    if (!(grace >= 0)) throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `graceMs ${grace} is negative`);
    this.options = options;
    this.peer = options.peer;
    this.leader = options.local < options.peer;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.rapidReset = new RapidResetBudget(() => this.scheduler.now());
    this.graceMs = grace;
    this.rank = options.rank ?? defaultRank;
    this.nextId = CONNECTION_CHANNEL_MIN + (this.leader ? 1 : 0);
    this.qualitySubject = new BehaviorSubject<PeerQuality>(this.quality());
  }

  /** Current state. */
  get state(): PeerConnectionState {
    return this.stateValue;
  }

  /** The Link carrying the channels now, if any. */
  get carrier(): Link | undefined {
    return this.carrierLink;
  }

  /** Live Links to the peer, every medium. */
  get links(): readonly Link[] {
    return [...this.linkSet];
  }

  /** Open connection channels. */
  get channels(): readonly Channel[] {
    return [...this.channelMap.values()];
  }

  /**
   * Connection channels the peer opened (hot). The peer's OPEN (or a RESUME that would open one) is refused with RESET
   * `refused` past 4,096 channels (`MAX_CHANNELS_PER_LINK`) or when the peer's channels already hold 4 MiB of
   * metadata (`MAX_PEER_METADATA_BYTES`, counted until each channel closes); an OPEN for a channel id the connection
   * already has (on another Link, or parked) is answered with RESET `protocol-error` (PROTOCOL.md §4.7).
   */
  get incomingChannels$(): Observable<Channel> {
    return this.incomingSubject.asObservable();
  }

  /** Carrier changes (hot); see {@link CarrierMove} for what counts as one. */
  get moves$(): Observable<CarrierMove> {
    return this.movesSubject.asObservable();
  }

  /** Which medium carries the traffic, its RTT and throughput; replays the latest value. */
  get quality$(): Observable<PeerQuality> {
    return this.qualitySubject.asObservable();
  }

  /**
   * Adds an open v2 Link to the peer (return it from {@link LinkOptions.connectionOwner}). The leader makes it the
   * carrier when there is none or when it ranks higher than the carrier (make-before-break).
   * @throws ColinkError `ERR_INVALID_ARGUMENT` when the Link is to another device or speaks protocol v1;
   *   `ERR_CLOSED` after {@link PeerConnection.close}.
   */
  adopt(link: Link): LinkOwner {
    if (this.stateValue === 'closed')
      throw ColinkError.closed('peer connection', closeReason('normal', 'peer connection closed'));
    if (link.remote?.networkId !== this.peer)
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `link ${link.id} is not to ${this.peer.slice(0, 12)}…`,
      );
    if (!link.resumable)
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `link ${link.id} speaks protocol v1 (no RESUME)`);
    if (this.linkSet.has(link)) return this;
    this.linkSet.add(link);
    this.linkSubs.set(link, [
      link.state$.subscribe((s) => {
        if (s.state === 'closing' || s.state === 'closed') this.onLinkGone(link, s.reason);
      }),
      link.stats$.subscribe(() => {
        if (link === this.carrierLink) this.emitQuality();
      }),
    ]);
    this.stopGrace();
    const carrier = this.carrierLink;
    if (!carrier) {
      const why = this.stateValue === 'reconnecting' ? 'loss' : 'initial';
      // After a merge the channels leave the merged-away Link (no move when `link` is of its medium).
      const from = this.mergedAway;
      this.mergedAway = undefined;
      if (this.leader) this.moveAll(link, why, from);
      else this.followerCarry(link, why, from);
      this.setState('connected');
    } else if (this.leader && !this.draining && this.rank(link) > this.rank(carrier)) {
      void this.upgrade(carrier, link);
    } else if (!this.leader && this.channelMap.size === 0 && this.rank(link) > this.rank(carrier)) {
      // Nothing to move: the follower's provisional carrier simply follows the rank, as the leader's will.
      this.carrierLink = link;
    }
    this.emitQuality();
    return this;
  }

  /**
   * Opens a connection channel to the peer (OPEN on the carrier; while no Link carries, it is announced by RESUME
   * when one comes — until then `send()` queues and then waits, and the limits `options` leave out are the smallest
   * medium's defaults: a 1 MiB send buffer, 100 MiB + 4 KiB messages; each Link that carries it then sets its own).
   * @throws ColinkError `ERR_NOT_CONNECTED` when `disconnected` (no Link and no grace period running);
   *   `ERR_CLOSED` after close; `ERR_LIMIT_EXCEEDED` past 4096 open channels; `ERR_INVALID_ARGUMENT` for metadata
   *   without a string `proto` or over 16 KiB.
   */
  openChannel(metadata: ChannelMetadata, options: ChannelOptions = {}): Channel {
    if (this.stateValue === 'closed')
      throw ColinkError.closed('peer connection', closeReason('normal', 'peer connection closed'));
    if (this.stateValue === 'disconnected')
      throw new ColinkError(ErrorCode.NOT_CONNECTED, `no link to ${this.peer.slice(0, 12)}…`);
    if (this.channelMap.size >= MAX_CHANNELS_PER_LINK)
      throw new ColinkError(
        ErrorCode.LIMIT_EXCEEDED,
        `more than ${MAX_CHANNELS_PER_LINK} connection channels`,
      );
    const id = this.allocateId();
    const opts = { ...this.options.channelOptions, ...options };
    const carrier = this.carrierLink;
    let ch: Channel;
    if (carrier && carrier.state === 'open') {
      ch = carrier.openConnectionChannel(id, metadata, opts);
    } else {
      if (typeof metadata?.proto !== 'string')
        throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'channel metadata needs a string `proto`');
      ch = new Channel(NO_LINK, id, metadata, 0, { ...opts, resumable: true, inheritLimits: true });
      ch.park();
    }
    this.opened.add(ch);
    this.track(ch, carrier?.state === 'open' ? carrier : undefined);
    return ch;
  }

  /**
   * Ends the connection: channels close gracefully with `reason` (their queued data first), Links stay open (they
   * belong to the device). Resolves when every channel has closed, or after `timeoutMs` (ms, default 5_000) with
   * the rest terminated.
   */
  async close(reason: CloseReason = closeReason('normal'), timeoutMs = 5_000): Promise<void> {
    if (this.stateValue === 'closed') return;
    if (this.draining) {
      // A planned move is under way: finish it now, so the channels can send their CLOSE.
      this.draining = false;
      if (this.carrierLink?.state === 'open') this.moveAll(this.carrierLink, 'upgrade');
    }
    const closing = [...this.channelMap.values()].map((ch) =>
      this.location.get(ch) ? ch.close(reason) : Promise.resolve(ch.terminate(reason)),
    );
    this.stopGrace();
    this.setState('closed');
    let timer: Subscription | undefined;
    await Promise.race([
      Promise.all(closing),
      new Promise<void>((r) => (timer = this.scheduler.schedule(() => r(), timeoutMs))),
    ]);
    timer?.unsubscribe();
    // A peer that does not answer CLOSE in time (its side parked, or gone) gets no more waiting.
    for (const ch of [...this.channelMap.values()]) ch.terminate(reason);
    for (const link of this.linkSet) link.setOwner(undefined);
    for (const subs of this.linkSubs.values()) for (const s of subs) s.unsubscribe();
    this.linkSubs.clear();
    this.linkSet.clear();
    this.carrierLink = undefined;
    this.emitQuality();
    this.qualityDone = true;
    this.incomingSubject.complete();
    this.movesSubject.complete();
    this.qualitySubject.complete();
  }

  // ---- LinkOwner ---------------------------------------------------------------------------------------------

  /** @internal */
  onIncoming(link: Link, ch: Channel): void {
    if (this.channelMap.has(ch.id)) {
      // An OPEN for a channel the connection already has (on another Link, or parked) is not the peer's to send: a
      // moved channel comes back by RESUME (PROTOCOL.md §4.7). Taking it would orphan the first channel (never closed,
      // its metadata never released).
      ch.refuse(closeReason('protocol-error', `connection channel ${ch.id} is open already`));
      return;
    }
    if (this.channelMap.size >= MAX_CHANNELS_PER_LINK) {
      // Each Link bounds its own channels; the connection bounds them all (the peer could open 4,096 on every Link).
      ch.refuse(closeReason('refused', `at the limit of ${MAX_CHANNELS_PER_LINK} connection channels`));
      return;
    }
    if (this.peerMetadata + ch.metadataBytes > MAX_PEER_METADATA_BYTES) {
      ch.refuse(closeReason('refused', METADATA_FULL));
      return;
    }
    this.ended.delete(ch.id);
    this.track(ch, link);
    // The leader keeps every channel on its carrier.
    const carrier = this.carrierLink;
    if (this.leader && carrier && carrier !== link && !this.draining) this.place(ch, carrier, ++this.epoch);
    this.incomingSubject.next(ch);
  }

  /** @internal */
  onResume(link: Link, info: ResumeInfo): void {
    if (!this.linkSet.has(link)) {
      // A released Link (a duplicate being merged away): nothing resumes there; the leader points to its carrier.
      const known = this.channelMap.get(info.channel);
      if (this.leader && known && this.carrierLink && this.resumedOn.get(known) !== this.carrierLink)
        this.place(known, this.carrierLink, ++this.epoch);
      return;
    }
    if (!this.leader) {
      if (info.epoch < this.epoch) return; // a later move of the leader superseded it
      this.epoch = info.epoch;
    }
    let ch = this.channelMap.get(info.channel);
    let created = false;
    if (!ch) {
      const peersParity = info.channel % 2 === (this.leader ? 0 : 1);
      const end = this.ended.get(info.channel);
      // (Re-encoded only for a RESUME that would open a channel: its size as the peer sent it, give or take spacing.)
      const metadataBytes = info.metadata && peersParity && !end ? encodeJson(info.metadata).length : 0;
      const metadataFits = this.peerMetadata + metadataBytes <= MAX_PEER_METADATA_BYTES;
      if (
        info.metadata &&
        peersParity &&
        !end &&
        this.stateValue !== 'closed' &&
        this.channelMap.size < MAX_CHANNELS_PER_LINK &&
        metadataFits
      ) {
        // The channel's OPEN was lost with its Link (or never sent): RESUME opens it — routed as an OPEN (§4.7),
        // so refused past MAX_CHANNELS_PER_LINK or MAX_PEER_METADATA_BYTES like one (below).
        ch = new Channel(NO_LINK, info.channel, info.metadata as ChannelMetadata, 0, {
          ...this.options.channelOptions,
          resumable: true,
          inheritLimits: true,
          metadataBytes,
        });
        ch.park();
        this.track(ch, undefined);
        created = true;
      } else {
        const answer =
          end ??
          closeReason(
            'refused',
            info.metadata && peersParity && this.channelMap.size >= MAX_CHANNELS_PER_LINK
              ? `at the limit of ${MAX_CHANNELS_PER_LINK} connection channels`
              : info.metadata && peersParity && !metadataFits
                ? METADATA_FULL
                : 'no such connection channel',
          );
        const type = answer.code === 'normal' ? FrameType.CLOSE : FrameType.RESET;
        link.sendFrame(encodeCloseFrame(type, info.channel, answer));
        return;
      }
    }
    if (this.leader) {
      const carrier = this.carrierLink ?? link;
      // The epoch from which the follower knows `ch` is on the carrier: that of our RESUME there, or any for a
      // channel opened there (its OPEN went on the carrier).
      const since = this.resumedOn.get(ch) === carrier ? (this.resumeEpoch.get(ch) ?? 0) : -1;
      if (link !== carrier && this.location.get(ch) === carrier && info.epoch >= since && !this.draining) {
        // The follower knew `ch` was on the carrier and yet announces it on another Link: it has lost the carrier
        // (its keep-alive, or a network change it saw first — PROTOCOL.md §8.2). Waiting for our own keep-alive
        // would stall every channel: the carrier leaves this connection and the channels move at once.
        log.debug('%s: the peer left carrier %s', this.peer.slice(0, 8), carrier.id);
        this.onLinkGone(carrier, undefined);
      } else if (this.resumedOn.get(ch) !== carrier) {
        // Only the leader chooses the carrier: a follower's RESUME elsewhere gets a new move on the carrier.
        this.place(ch, carrier, ++this.epoch);
      } else if (link === carrier && info.epoch === this.resumeEpoch.get(ch)) {
        ch.onResume(info.received, info.credit);
      } // else: the answer to an older move — a newer RESUME of ours is on its way
    } else {
      if (link !== this.carrierLink) this.switchTo(link);
      if (this.resumedOn.get(ch) !== link || this.resumeEpoch.get(ch) !== info.epoch)
        this.place(ch, link, info.epoch);
      ch.onResume(info.received, info.credit);
    }
    if (created) this.incomingSubject.next(ch);
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  private track(ch: Channel, link: Link | undefined): void {
    this.channelMap.set(ch.id, ch);
    this.location.set(ch, link);
    this.peerMetadata += ch.metadataBytes;
    ch.onClosed((reason) => {
      if (this.channelMap.get(ch.id) !== ch) return;
      this.channelMap.delete(ch.id);
      this.peerMetadata -= ch.metadataBytes;
      this.location.delete(ch);
      this.resumedOn.delete(ch);
      this.resumeEpoch.delete(ch);
      this.opened.delete(ch);
      this.ended.set(ch.id, reason.remote ? { ...reason, remote: false } : reason);
      if (this.ended.size > CLOSED_CHANNEL_MEMORY) this.ended.delete(this.ended.keys().next().value!);
    });
  }

  private allocateId(): number {
    const first = CONNECTION_CHANNEL_MIN + (this.leader ? 1 : 0);
    const step = (id: number): number => (id + 2 > 0xffff ? first : id + 2);
    let id = this.nextId;
    while (this.channelMap.has(id) || this.ended.has(id)) id = step(id);
    this.nextId = step(id);
    return id;
  }

  /** Puts `ch` on `link` and sends this side's RESUME there, as part of move `epoch`. */
  private place(ch: Channel, link: Link, epoch: number): void {
    if (link.state !== 'open') return;
    const at = this.location.get(ch);
    if (at && at !== link) at.detachChannel(ch);
    else if (at === link) link.detachChannel(ch);
    link.attachChannel(ch, this.opened.has(ch), epoch);
    this.location.set(ch, link);
    this.resumedOn.set(ch, link);
    this.resumeEpoch.set(ch, epoch);
  }

  /** Puts every channel on `link` (a new move); `from` is the carrier they leave (default: the current one). */
  private moveAll(link: Link, why: CarrierMove['why'], from: Link | undefined = this.carrierLink): void {
    this.carrierLink = link;
    const epoch = ++this.epoch;
    for (const ch of this.channelMap.values()) this.place(ch, link, epoch);
    log.debug('%s: channels on %s (%s)', this.peer.slice(0, 8), link.id, why);
    this.emitMove(from, link, why);
    this.emitQuality();
  }

  /**
   * Follower without a carrier (first Link, or the carrier was lost): `link` carries for now, and its parked
   * channels announce themselves there — the leader answers, or moves them to its own carrier.
   */
  private followerCarry(
    link: Link,
    why: CarrierMove['why'],
    from: Link | undefined = this.carrierLink,
  ): void {
    this.carrierLink = link;
    for (const ch of this.channelMap.values())
      if (this.location.get(ch) === undefined) this.place(ch, link, this.epoch);
    this.emitMove(from, link, why);
  }

  /** Follower: the leader moved channels to `link`; everything follows. */
  private switchTo(link: Link): void {
    const from = this.carrierLink;
    this.carrierLink = link;
    for (const ch of this.channelMap.values())
      if (this.resumedOn.get(ch) !== link) this.place(ch, link, this.epoch);
    this.setState('connected');
    this.emitMove(from, link, 'peer');
    this.emitQuality();
  }

  private emitMove(from: Link | undefined, to: Link, why: CarrierMove['why']): void {
    // A duplicate Link merged away (released here, or closed by the peer as `replaced`; same medium) is bookkeeping,
    // not a move (quality$ has the new linkId).
    if (
      from &&
      from.medium === to.medium &&
      (this.released.has(from) || (from.state === 'open' && why === 'peer'))
    ) {
      log.debug('%s: %s replaces %s (same medium): not a move', this.peer.slice(0, 8), to.id, from.id);
      this.lastMedium = to.medium;
      return;
    }
    this.movesSubject.next({ from: from?.medium ?? this.lastMedium, to: to.medium, why });
    this.lastMedium = to.medium;
  }

  /**
   * Make-before-break (leader): new channels go to `to` at once; the channels on `from` stop sending there and wait
   * until the peer acknowledged what they sent (or the drain time passed), then resume on `to`. `from` stays as a
   * standby.
   */
  private async upgrade(from: Link, to: Link): Promise<void> {
    this.draining = true;
    this.carrierLink = to;
    const moving = [...this.channelMap.values()].filter((ch) => this.location.get(ch) === from);
    for (const ch of moving) ch.hold();
    const drainMs = this.options.drainMs ?? DEFAULT_HANDOVER_DRAIN_MS;
    const deadline = this.scheduler.now() + drainMs;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        const done =
          from.state !== 'open' ||
          to.state !== 'open' ||
          moving.every((ch) => ch.unacknowledgedBytes === 0 || ch.state === 'closed');
        if (done || !this.draining || this.scheduler.now() >= deadline) resolve();
        else this.scheduler.schedule(check, 2);
      };
      check();
    });
    if (!this.draining) return; // close() finished the move
    this.draining = false;
    if (this.stateValue === 'closed') return;
    if (to.state !== 'open') {
      // The new Link died while draining: stay (or fall back) on what is left.
      this.carrierLink = undefined;
      const best = this.best();
      if (best) this.moveAll(best, 'loss');
      else this.startGrace();
      return;
    }
    this.moveAll(to, 'upgrade', from); // the carrier already points at `to` since the drain began
  }

  /**
   * Takes `link` out of service without closing it (a duplicate being merged away): its channels move to another
   * Link as if it had been lost.
   */
  release(link: Link): void {
    this.released.add(link);
    this.onLinkGone(link, undefined);
  }

  private onLinkGone(link: Link, reason: CloseReason | undefined): void {
    if (!this.linkSet.delete(link)) return;
    // The peer merged this duplicate away (its `replaced` close can arrive before our own merge released it).
    if (reason?.code === 'replaced') this.released.add(link);
    for (const s of this.linkSubs.get(link) ?? []) s.unsubscribe();
    this.linkSubs.delete(link);
    for (const [ch, at] of this.location) {
      if (at === link) {
        if (link.carries(ch)) link.detachChannel(ch);
        this.location.set(ch, undefined);
        this.resumedOn.delete(ch);
      }
    }
    if (this.stateValue === 'closed') return;
    if (reason?.code === 'going-away') {
      // The device (ours or the peer's) is shutting down: nothing will come back, so nothing waits.
      log.debug('%s: link %s going away: channels end', this.peer.slice(0, 8), link.id);
      this.stopGrace();
      if (this.carrierLink === link) this.carrierLink = this.best();
      for (const ch of [...this.channelMap.values()]) ch.terminate(reason);
      if (!this.carrierLink) this.setState('disconnected');
      this.emitQuality();
      return;
    }
    if (link === this.carrierLink) {
      const best = this.best();
      if (best) {
        if (this.leader) this.moveAll(best, 'loss');
        else this.followerCarry(best, 'loss');
      } else {
        this.carrierLink = undefined;
        // Merged away with nothing else up: the peer keeps another Link to this device, whose opening here is under
        // way (its two ends open at different moments) — it, not a new dial, should take the channels.
        this.mergedAway = this.released.has(link) ? link : undefined;
        if (!this.draining) this.startGrace();
      }
    } else if (this.leader && this.carrierLink && !this.draining) {
      const epoch = ++this.epoch;
      for (const [ch, at] of this.location) if (at === undefined) this.place(ch, this.carrierLink, epoch);
    }
    this.emitQuality();
  }

  /** The live Link to carry traffic: highest rank, then lowest smoothed RTT. */
  private best(): Link | undefined {
    let best: Link | undefined;
    for (const l of this.linkSet) {
      if (l.state !== 'open') continue;
      if (!best) best = l;
      else {
        const d = this.rank(l) - this.rank(best);
        const rtt = (x: Link): number => x.stats().srttMs ?? Number.POSITIVE_INFINITY;
        if (d > 0 || (d === 0 && rtt(l) < rtt(best))) best = l;
      }
    }
    return best;
  }

  private startGrace(): void {
    if (this.graceTimer) return;
    this.setState('reconnecting');
    this.redialAttempt = 0;
    this.graceTimer = this.scheduler.schedule(() => this.graceExpired(), this.graceMs);
    // After a merge the Link the peer keeps gets the first backoff step to arrive: a dial at once would only make
    // another duplicate for the peer to replace.
    this.scheduleRedial(this.mergedAway ? (this.options.redialInitialMs ?? DEFAULT_REDIAL_INITIAL_MS) : 0);
  }

  private scheduleRedial(delay: number): void {
    const redial = this.options.redial;
    if (!redial) return;
    this.redialTimer = this.scheduler.schedule(() => {
      if (this.stateValue !== 'reconnecting') return;
      const attempt = this.redialAttempt++;
      redial(attempt)
        .then(
          () => undefined,
          (e: unknown) => log.debug('re-dial %d failed: %s', attempt, e instanceof Error ? e.message : e),
        )
        .finally(() => {
          if (this.stateValue !== 'reconnecting') return;
          const initial = this.options.redialInitialMs ?? DEFAULT_REDIAL_INITIAL_MS;
          const max = this.options.redialMaxMs ?? DEFAULT_REDIAL_MAX_MS;
          this.scheduleRedial(Math.min(max, initial * 2 ** attempt));
        });
    }, delay);
  }

  private stopGrace(): void {
    this.graceTimer?.unsubscribe();
    this.graceTimer = undefined;
    this.redialTimer?.unsubscribe();
    this.redialTimer = undefined;
  }

  private graceExpired(): void {
    this.graceTimer = undefined;
    this.mergedAway = undefined;
    this.redialTimer?.unsubscribe();
    this.redialTimer = undefined;
    if (this.stateValue !== 'reconnecting') return;
    const reason = closeReason('lost', `no link to the peer for ${this.graceMs} ms`);
    log.debug('%s: %s', this.peer.slice(0, 8), reason.message);
    this.setState('disconnected');
    for (const ch of [...this.channelMap.values()]) ch.terminate(reason);
    this.emitQuality();
  }

  private setState(s: PeerConnectionState): void {
    if (this.stateValue === s) return;
    this.stateValue = s;
    this.emitQuality();
  }

  private quality(): PeerQuality {
    const c = this.carrierLink;
    let throughput = 0;
    if (c) {
      const st = c.stats();
      const now = this.scheduler.now();
      const bytes = st.bytesSent + st.bytesReceived;
      const prev = this.sample;
      if (prev && prev.link === c && now > prev.at)
        throughput = ((bytes - prev.bytes) * 1000) / (now - prev.at);
      if (!prev || prev.link !== c || now > prev.at) this.sample = { link: c, at: now, bytes };
    }
    return {
      state: this.stateValue,
      medium: c?.medium,
      linkId: c?.id,
      rttMs: c?.stats().srttMs,
      throughputBytesPerSec: throughput,
      links: this.linkSet.size,
    };
  }

  private emitQuality(): void {
    if (this.stateValue === 'closed' && this.linkSet.size === 0 && this.qualityDone) return;
    this.qualitySubject?.next(this.quality());
  }
}
