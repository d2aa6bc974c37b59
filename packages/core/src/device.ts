import {
  asyncScheduler,
  BehaviorSubject,
  first,
  firstValueFrom,
  type Observable,
  type SchedulerAction,
  type SchedulerLike,
  Subject,
  Subscription,
  VirtualTimeScheduler,
} from 'rxjs';
import {
  Admission,
  type AdmissionEntry,
  type AdmissionOptions,
  type AdmissionStats,
  ConduitGate,
  type HandshakeProgress,
  type ReportingSecurityUpgrade,
  resetConduit,
  schedulerWorkClock,
  sourceHost,
} from './admission.js';
import { assertValidAdvert } from './advert.js';
import type { Channel, ChannelMetadata, ChannelOptions } from './channel.js';
import { encodePreamble, PREAMBLE_FLAG_SECURE } from './codec.js';
import { DeviceDirectory } from './directory.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import { negotiatePreamble } from './handshake.js';
import { InboundPreamble, type PreambleAnswer } from './inbound-preamble.js';
import {
  CONDUIT_CLOSE_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_PEER_GRACE_MS,
  DEFAULT_UPGRADE_DIAL_MS,
  DEVICE_STOP_FLUSH_MS,
  MAX_IDLE_PEER_CONNECTIONS,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  RAPID_RESET_TRACKED_PEERS,
} from './limits.js';
import { Link, type LinkOptions, type LinkOwner, type LinkRole, type SecurityUpgrade } from './link.js';
import { logger } from './log.js';
import { PeerConnection } from './peer-connection.js';
import { RapidResetBudget } from './rapid-reset.js';
import { SessionManager } from './session.js';
import {
  type BandwidthClass,
  type Conduit,
  type DeviceAdvert,
  type Discovery,
  hasDiscovery,
  type InboundQueue,
  type Medium,
  type Transport,
} from './transport.js';

const log = logger('device');

/** Largest delay Node's timers take, ms (2^31 − 1; a larger one fires after 1 ms with a TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link LocalDevice}. */
export interface LocalDeviceOptions {
  /** Who this device is; announced on every transport and sent in HELLO. */
  readonly advert: DeviceAdvert;
  /**
   * The mediums this device uses. Those that also implement {@link Discovery} ({@link hasDiscovery}) announce this
   * device and feed the directory; a dial-only transport just dials and accepts.
   */
  readonly transports: readonly Transport[];
  /**
   * More discoveries to announce on and follow, beside those of the transports (e.g. one medium's discovery used for
   * another's addresses). `LocalDevice` calls their `advertise`/`unadvertise`/`discover` only: whatever must run
   * behind them is started and stopped by the caller. A discovery that is also in `transports` counts once.
   */
  readonly discovery?: readonly Discovery[];
  /** Security stage for every Link (see {@link SecurityUpgrade}). */
  readonly security?: SecurityUpgrade;
  /** Scheduler for timers (virtual time in tests). */
  readonly scheduler?: SchedulerLike;
  /** Link tuning (keep-alive, windows, timeouts); `role`, `local`, `security`, `scheduler` and `connectionOwner` are set here. */
  readonly link?: Omit<LinkOptions, 'role' | 'local' | 'security' | 'scheduler' | 'connectionOwner'>;
  /**
   * How long a peer connection (and the sessions on it) waits for a Link after the last one to the peer was lost,
   * in ms, re-dialling with exponential backoff meanwhile. Default 10_000 (`DEFAULT_PEER_GRACE_MS`, `@colink/core/wire`).
   */
  readonly peerGraceMs?: number;
  /** Dial timeout per attempt in ms. Default 10_000. */
  readonly dialTimeoutMs?: number;
  /**
   * Admission control of handshakes (README "Robustness"): the pre-authentication deadline of every Link (default
   * 5 s on TCP / Wi-Fi P2P, 30 s on BLE; closes with `timeout`) and the caps on inbound handshakes not yet
   * authenticated (default 64 in all, 8 per source host; past a cap the oldest pending one closes with `refused`).
   */
  readonly admission?: AdmissionOptions;
  /**
   * Make-before-break upgrade by itself (issue 15): unless 0, whenever the directory changes and every
   * `upgradeDialMs` ms, a peer connection carried by a medium of lower transport priority than another medium the
   * directory knows an address of the peer for (TCP or Wi-Fi P2P while on BLE) gets that medium dialled — at most
   * once per `upgradeDialMs` per peer and medium; the new Link then takes the channels over make-before-break. The
   * leader of the peer connection (the smaller networkId) dials at once, the other device only once the better medium
   * has stayed unused for `2 × upgradeDialMs` (so the two do not dial each other at the same moment). In
   * ms; default 2_000 (`DEFAULT_UPGRADE_DIAL_MS`, `@colink/core/wire`); 0 turns it off (the app then dials the better
   * medium itself).
   * @throws ColinkError `ERR_INVALID_ARGUMENT` from the constructor for a value that is not a number of ms from 0 to
   *   2^31 − 1 (Node's largest timer).
   */
  readonly upgradeDialMs?: number;
  /**
   * How long {@link LocalDevice.stop} lets accepted sends flush before it rejects the rest with `ERR_CLOSED`, ms.
   * Default 5_000 (`DEVICE_STOP_FLUSH_MS`, `@colink/core/wire`).
   * @throws ColinkError `ERR_INVALID_ARGUMENT` from the constructor for a value that is not a number of ms from 0 to
   *   2^31 − 1.
   */
  readonly stopFlushMs?: number;
  /**
   * Bytes of incoming transfers each session holds for its app — being received (at their announced size) or
   * received and not yet taken by a `Session.data$` subscriber — before further transfers wait unread (the sender's
   * transfer waits: backpressure) and, past `SESSION_WAITING_TRANSFERS` (16) waiting, are refused. One transfer is
   * always let in when none is held. Default 104_857_600 (100 MiB, `SESSION_HELD_TRANSFER_BYTES`, `@colink/core/wire`).
   * @throws ColinkError `ERR_INVALID_ARGUMENT` from the constructor for a value that is not a safe integer ≥ 0.
   */
  readonly sessionHeldTransferBytes?: number;
}

/** What {@link LocalDevice.stop} could not flush (all zero when everything accepted was handed to the media). */
export interface DeviceStopReport {
  /** Whether every send accepted before `stop()` was handed to its medium within the flush time. */
  readonly flushed: boolean;
  /** Sends (queued messages and `send()` calls waiting for room) rejected with `ERR_CLOSED` by the stop. */
  readonly unflushedSends: number;
  /** Bytes of those queued messages not handed to a medium (a partly sent message counts its rest). */
  readonly unflushedBytes: number;
  /** Channels they were on. */
  readonly unflushedChannels: number;
}

/** Handles channels of one protocol opened by peers. */
export type ChannelHandler = (channel: Channel, link: Link) => void;

/**
 * This device: its transports, the {@link DeviceDirectory} of peers, the Links to them (one per device and medium,
 * duplicates from simultaneous dials merged), channel routing by protocol, and collaboration sessions
 * ({@link LocalDevice.sessions}).
 *
 * @example
 * ```ts
 * const net = new MemoryNetwork();
 * const phone = new LocalDevice({ advert: { networkId: 'aa…', deviceName: 'phone', deviceType: 'phone' }, transports: [net.createTransport()] });
 * await phone.start();
 * phone.directory.devices$.subscribe((list) => console.log(list.map((d) => d.deviceName)));
 * ```
 */
/** A peer connection with no Link left: after its grace period (`disconnected`), or closed. */
function isIdle(pc: PeerConnection): boolean {
  return (pc.state === 'disconnected' || pc.state === 'closed') && pc.links.length === 0;
}

export class LocalDevice {
  readonly advert: DeviceAdvert;
  readonly directory: DeviceDirectory;
  readonly transports: readonly Transport[];
  /** Every discovery this device announces on and follows: its transports' that implement {@link Discovery}, then `options.discovery`. */
  readonly discoveries: readonly Discovery[];
  /** Collaboration sessions between the same service on two devices. */
  readonly sessions: SessionManager;

  private readonly options: LocalDeviceOptions;
  private readonly linksSubject = new BehaviorSubject<readonly Link[]>([]);
  private readonly linkOpened = new Subject<Link>();
  private readonly handlers = new Map<string, ChannelHandler>();
  private readonly pending = new Map<string, Promise<Link>>();
  private readonly draining = new Set<Link>();
  private readonly peerConnections = new Map<string, PeerConnection>();
  /**
   * Rapid-reset buckets of peers whose Links have no peer connection (protocol v1), by networkId, least recently
   * asked for first; at most `RAPID_RESET_TRACKED_PEERS` (see `churnBudgetFor`).
   */
  private readonly ownerlessChurn = new Map<string, RapidResetBudget>();
  /** Links whose handshake runs (not yet in `links$`). */
  private readonly opening = new Set<Link>();
  private readonly subs: Subscription[] = [];
  /** When an upgrade dial was last started, per `peer|medium` (scheduler time, ms). */
  private readonly upgradeTried = new Map<string, number>();
  /** Since when (scheduler time, ms) a better medium has been known while a worse one carries, per `peer|medium`. */
  private readonly upgradeSeen = new Map<string, number>();
  private readonly admission: Admission;
  /**
   * With a security stage that reads a first flight (TLS): the pre-Link stage answers a stranger's right preamble and
   * builds its Link only once that flight is whole (`InboundPreamble`).
   */
  private readonly preambleAnswer: PreambleAnswer | undefined;
  private startedValue = false;
  private lastStopValue: DeviceStopReport | undefined;
  /** Settles when a Link's conduit has closed (after a graceful end: once what it was handed has been delivered). */
  private readonly conduitClosed = new WeakMap<Link, Promise<unknown>>();

  /**
   * @throws ColinkError `ERR_INVALID_ARGUMENT` when `options.advert` is not valid ({@link assertValidAdvert}), or
   *   `upgradeDialMs` / `stopFlushMs` is not a number of ms from 0 to 2^31 − 1, or `sessionHeldTransferBytes` is not a
   *   safe integer ≥ 0.
   */
  constructor(options: LocalDeviceOptions) {
    assertValidAdvert(options.advert);
    const every = options.upgradeDialMs;
    if (every !== undefined && !(Number.isFinite(every) && every >= 0 && every <= MAX_TIMER_MS))
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `upgradeDialMs ${every} is not a number of ms from 0 to ${MAX_TIMER_MS}`,
      );
    const flush = options.stopFlushMs;
    if (flush !== undefined && !(Number.isFinite(flush) && flush >= 0 && flush <= MAX_TIMER_MS))
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `stopFlushMs ${flush} is not a number of ms from 0 to ${MAX_TIMER_MS}`,
      );
    const held = options.sessionHeldTransferBytes;
    if (held !== undefined && !(Number.isSafeInteger(held) && held >= 0))
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `sessionHeldTransferBytes ${held} is not a byte count (a safe integer ≥ 0)`,
      );
    this.options = options;
    this.advert = options.advert;
    this.transports = options.transports;
    const own: Discovery[] = options.transports.filter(hasDiscovery);
    this.discoveries = [...own, ...(options.discovery ?? []).filter((d) => !own.includes(d))];
    this.directory = new DeviceDirectory(options.advert.networkId);
    this.sessions = new SessionManager(this, options.scheduler, held);
    this.admission = new Admission(
      options.admission ?? {},
      options.scheduler ?? asyncScheduler,
      options.link?.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      options.scheduler ? schedulerWorkClock(options.scheduler) : undefined,
    );
    const security = options.security;
    if (security?.firstFlightLength) {
      const ourMax = options.link?.maxProtocolVersion ?? PROTOCOL_VERSION_MAX;
      this.preambleAnswer = {
        preamble: encodePreamble({
          minVersion: PROTOCOL_VERSION_MIN,
          maxVersion: ourMax,
          flags: PREAMBLE_FLAG_SECURE,
        }),
        secure: (p) => 'version' in negotiatePreamble(p, ourMax, true),
        firstFlightLength: (head) => security.firstFlightLength!(head),
      };
    }
  }

  /**
   * Counters of the admission control: inbound handshakes pending now (not yet authenticated) and their high-water
   * mark, pending handshakes evicted by a cap, handshakes closed by the pre-authentication deadline.
   */
  admissionStats(): AdmissionStats {
    return this.admission.stats();
  }

  /** Whether {@link LocalDevice.start} has run (and stop has not). */
  get started(): boolean {
    return this.startedValue;
  }

  /** Every open Link (replays the latest list). */
  get links$(): Observable<readonly Link[]> {
    return this.linksSubject.asObservable();
  }

  /** Each Link as it opens (hot). */
  get linkOpened$(): Observable<Link> {
    return this.linkOpened.asObservable();
  }

  /**
   * The {@link PeerConnection} to `networkId`: one per peer device above all its v2 Links, created when the first
   * such Link opens. Sessions run on it, so they survive the loss of a Link while another (or a re-dialled one)
   * reaches the peer within {@link LocalDeviceOptions.peerGraceMs}. One without a Link left (`disconnected`, `closed`)
   * stays here until 1,024 such are kept and a new peer connection is made: then the oldest are forgotten
   * (`undefined` here; the peer's next Link makes a new one).
   */
  peer(networkId: string): PeerConnection | undefined {
    return this.peerConnections.get(networkId);
  }

  /** Open Links, optionally only those to `networkId`. */
  links(networkId?: string): readonly Link[] {
    const all = this.linksSubject.value;
    return networkId === undefined ? all : all.filter((l) => l.remote?.networkId === networkId);
  }

  /**
   * Starts every transport in order, announces this device on every {@link LocalDevice.discoveries discovery} and
   * follows their events. When a transport cannot start or a discovery cannot advertise, everything done before is
   * undone (unadvertised, stopped; the failing transport stopped too), so a failed start leaves nothing running; the
   * device stays stopped and `start()` may be called again.
   * @throws ColinkError whatever the failing transport's `start()` / discovery's `advertise()` rejected with.
   */
  async start(): Promise<void> {
    if (this.startedValue) return;
    this.admission.work.restart();
    const started: Transport[] = [];
    const announced: Discovery[] = [];
    try {
      const announce = async (d: Discovery): Promise<void> => {
        announced.push(d);
        this.subs.push(this.directory.attach(d));
        await d.advertise(this.advert);
      };
      // Each transport starts, then announces (when it discovers) before the next one starts; explicit discoveries last.
      for (const t of this.transports) {
        started.push(t);
        await t.start();
        this.subs.push(t.incoming$.subscribe((c) => this.admitInbound(c)));
        if (t.queueInbound) {
          // Connections the transport holds before building their conduits wait in the same queue (Transport.queueInbound).
          const handed = this.inboundQueue();
          t.queueInbound(handed.queue);
          this.subs.push(
            new Subscription(() => {
              handed.close();
              t.queueInbound?.(undefined);
            }),
          );
        }
        if (hasDiscovery(t)) await announce(t);
      }
      for (const d of this.discoveries) if (!announced.includes(d)) await announce(d);
    } catch (e) {
      for (const s of this.subs.splice(0)) s.unsubscribe();
      // Reverse order of what was done: a transport's unadvertise comes before its stop, as before the split.
      for (const t of started.reverse()) {
        if (hasDiscovery(t)) await t.unadvertise().catch(() => undefined);
        await t.stop().catch(() => undefined);
      }
      for (const d of announced)
        if (!(started as object[]).includes(d)) await d.unadvertise().catch(() => undefined);
      throw e;
    }
    this.startedValue = true;
    const every = this.options.upgradeDialMs ?? DEFAULT_UPGRADE_DIAL_MS;
    if (every) {
      const scheduler = this.options.scheduler ?? asyncScheduler;
      this.subs.push(this.directory.devices$.subscribe(() => this.upgradePeers(every)));
      const upgrade = (): void => this.upgradePeers(every);
      // One action, rescheduled after each run (rxjs recursive scheduling).
      this.subs.push(
        scheduler.schedule(function (this: SchedulerAction<unknown>) {
          upgrade();
          this.schedule(undefined, every);
        }, every),
      );
    }
  }

  /**
   * Stops: sessions end with "app exit" for their peers, then what apps already passed to `send()` (sessions' data and
   * messages, connection and Link channels) is flushed for up to {@link LocalDeviceOptions.stopFlushMs} (default 5 s,
   * `DEVICE_STOP_FLUSH_MS`) while channels close gracefully with `reason`; every send not handed to its medium by then
   * rejects with `ERR_CLOSED` — none is left pending or silently dropped. Then peer connections and Links close with
   * `reason` (default `going-away`), advertising ends with goodbyes on every discovery, transports stop. (A peer counts
   * the channels it handles that this stop closes before it answered on them against its rapid-reset bound; past it,
   * a `going-away` close ends its Link with `going-away` — any other `reason` with `protocol-error`.)
   * A send that resolved was handed to its medium: before the transports stop, `stop()` waits up to
   * `CONDUIT_CLOSE_TIMEOUT_MS` (2 s) for the conduits' graceful ends to deliver it (not with a
   * `VirtualTimeScheduler`, whose clock the caller drives; the flush time, too, passes only as it advances). What
   * could not be flushed is in
   * {@link LocalDevice.lastStop} (and logged as a warning on `colink:device`).
   */
  async stop(reason: CloseReason = closeReason('going-away', 'device stopped')): Promise<void> {
    if (!this.startedValue) return;
    this.startedValue = false;
    const scheduler = this.options.scheduler ?? asyncScheduler;
    const deadline = scheduler.now() + (this.options.stopFlushMs ?? DEVICE_STOP_FLUSH_MS);
    const left = (): number => Math.max(0, deadline - scheduler.now());
    this.sessions.refuseWaiting();
    // The sessions' own close time limit does not apply: the flush below is bounded by stopFlushMs, and what it could
    // not flush is reported before the peer connections and Links close (which ends the sessions' closes too).
    const sessionsClosed = this.sessions.closeAllForStop();
    // A peer connection without a Link cannot send any more (a stopped device adopts no new Link): it ends at once.
    const parked = [...this.peerConnections.values()].filter((pc) => !pc.carrier);
    const stranded = this.unflushed(parked.flatMap((pc) => pc.channels));
    await Promise.all(parked.map((pc) => pc.close(reason, 0)));
    // Connection channels end gracefully (their queued data first); Link channels flush before their Link closes.
    for (const pc of this.peerConnections.values())
      for (const ch of pc.channels) if (ch.state === 'open') void ch.close(reason);
    await within(
      scheduler,
      left(),
      Promise.all([sessionsClosed, until(scheduler, deadline, () => this.unflushed().unflushedSends === 0)]),
    );
    const rest = this.unflushed();
    const report: DeviceStopReport = {
      flushed: stranded.flushed && rest.flushed,
      unflushedSends: stranded.unflushedSends + rest.unflushedSends,
      unflushedBytes: stranded.unflushedBytes + rest.unflushedBytes,
      unflushedChannels: stranded.unflushedChannels + rest.unflushedChannels,
    };
    this.lastStopValue = report;
    if (!report.flushed)
      log.warn(
        'stop: %d sends (%d bytes) on %d channels not flushed in time: rejected with ERR_CLOSED',
        report.unflushedSends,
        report.unflushedBytes,
        report.unflushedChannels,
      );
    await Promise.all([...this.peerConnections.values()].map((pc) => pc.close(reason, 0)));
    this.peerConnections.clear();
    this.ownerlessChurn.clear();
    const links = this.linksSubject.value;
    // What is left to flush now is control frames (CLOSE, RESET answers): they get the rest of the flush time.
    await Promise.all(links.map((l) => l.close(reason, left())));
    // (sessionsClosed settles by itself now that every channel under the sessions has ended; not awaited, so that
    // nothing can hold the stop past its bounds)
    // A resolved send was handed to its medium: the conduits' graceful ends deliver it before the transports stop
    // (which may destroy conduits), within the conduits' own close timeout. Not in virtual time: media driven by the
    // same clock cannot deliver while the caller awaits stop() instead of advancing it.
    if (!(scheduler instanceof VirtualTimeScheduler))
      await within(
        scheduler,
        CONDUIT_CLOSE_TIMEOUT_MS,
        Promise.all(links.map((l) => this.conduitClosed.get(l))),
      );
    for (const s of this.subs.splice(0)) s.unsubscribe();
    this.admission.work.stop();
    for (const t of this.transports) {
      if (hasDiscovery(t)) await t.unadvertise().catch(() => undefined);
      await t.stop();
    }
    for (const d of this.discoveries) {
      if (!(this.transports as readonly object[]).includes(d)) await d.unadvertise().catch(() => undefined);
    }
  }

  /** What the last {@link LocalDevice.stop} could not flush; undefined before the first stop of a started device. */
  get lastStop(): DeviceStopReport | undefined {
    return this.lastStopValue;
  }

  /** Sends not yet handed to a medium on `of` (default: every channel of this device's peer connections and Links). */
  private unflushed(of?: readonly Channel[]): DeviceStopReport {
    const channels = new Set<Channel>(of);
    if (!of) {
      for (const pc of this.peerConnections.values()) for (const ch of pc.channels) channels.add(ch);
      for (const l of this.linksSubject.value) for (const ch of l.openChannels) channels.add(ch);
    }
    let sends = 0;
    let bytes = 0;
    let on = 0;
    for (const ch of channels) {
      if (ch.state === 'closed' || ch.pendingSends === 0) continue;
      sends += ch.pendingSends;
      bytes += ch.bufferedAmount;
      on++;
    }
    return { flushed: sends === 0, unflushedSends: sends, unflushedBytes: bytes, unflushedChannels: on };
  }

  /**
   * Drops at once every open (or opening) Link whose local address is one of `hosts`: what a network change calls
   * when an address of this device is gone (removed, or its interface down or out of carrier). Such a Link cannot
   * carry another byte, and waiting for its keep-alive (`idleTimeoutMs`, default 30 s) would stall the sessions on
   * it. Each Link is aborted with `reason`, by default `lost` with `detail: { cause: 'network-change', address }`;
   * its peer connection then moves its channels to another live Link of the peer at once, or re-dials for the grace
   * period ({@link LocalDeviceOptions.peerGraceMs}). Links of media without IP addresses (BLE) never match. Inbound
   * connections on those addresses that have no Link yet (still before the peer's preamble) are closed with the same
   * reason instead of waiting for the pre-authentication deadline.
   *
   * `hosts` are IP addresses as they appear in a Link's `localAddress` (`host:port`, `[v6]:port`); IPv6 is compared
   * in lower case without a zone (`%eth0`), an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as its IPv4 address.
   * `@colink/net-monitor`'s `dropLinksOnNetworkLoss` feeds this from rtnetlink events.
   * @returns the Links dropped (empty when none ran over those addresses).
   */
  dropLinksFrom(hosts: Iterable<string>, reason?: CloseReason): Link[] {
    const gone = new Set<string>();
    for (const h of hosts) if (typeof h === 'string') gone.add(normalizeHost(h));
    const dropped: Link[] = [];
    if (gone.size === 0) return dropped;
    const why = (host: string): CloseReason =>
      reason ??
      closeReason('lost', `local address ${host} is gone`, {
        detail: { cause: 'network-change', address: host },
      });
    for (const link of [...this.linksSubject.value, ...this.opening]) {
      if (link.state === 'closed' || dropped.includes(link)) continue;
      const host = hostOf(link.localAddress);
      if (host === undefined || !gone.has(host)) continue;
      dropped.push(link);
      log.debug('link %s: local address %s is gone', link.id, host);
      link.abort(why(host));
    }
    for (const stranger of this.admission.strangers()) {
      const host = hostOf(stranger.localAddress);
      if (host !== undefined && gone.has(host)) stranger.abort(why(host));
    }
    return dropped;
  }

  /**
   * Routes peer-opened channels whose metadata `proto` equals `proto` to `handler`. Returns a function that removes
   * the route. Channels with no route are reset with `refused`.
   * @throws ColinkError `ERR_CONFLICT` when `proto` already has a handler.
   */
  handle(proto: string, handler: ChannelHandler): () => void {
    if (this.handlers.has(proto))
      throw new ColinkError(ErrorCode.CONFLICT, `protocol ${proto} already has a handler`);
    this.handlers.set(proto, handler);
    return () => {
      if (this.handlers.get(proto) === handler) this.handlers.delete(proto);
    };
  }

  /**
   * Returns an open Link to the device `networkId`, dialling one when there is none: mediums are tried in order of
   * the transports' `priority`, over the addresses the directory holds. Concurrent calls share one dial.
   * @throws ColinkError `ERR_NOT_STARTED`; `ERR_UNREACHABLE` when no medium knows an address for the device;
   *   `ERR_DIAL_FAILED` / `ERR_TIMEOUT` / `ERR_CLOSED` / `ERR_HANDSHAKE_FAILED` from the last attempt.
   */
  async connect(networkId: string, options: { medium?: Medium } = {}): Promise<Link> {
    if (!this.startedValue) throw new ColinkError(ErrorCode.NOT_STARTED, 'device is not started');
    const existing = this.bestLink(networkId, options.medium);
    if (existing) return existing;
    const key = `${networkId}|${options.medium ?? '*'}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.dialDevice(networkId, options.medium).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /**
   * Dials `address` on `medium` directly (no directory lookup) and resolves with the open Link.
   * @throws ColinkError `ERR_INVALID_ARGUMENT` when no transport has that medium, else as {@link Transport.dial}
   *   and Link opening.
   */
  async connectAddress(medium: Medium, address: string): Promise<Link> {
    const t = this.transports.find((x) => x.medium === medium);
    if (!t) throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `no transport for medium ${medium}`);
    const conduit = await t.dial(address, { timeoutMs: this.options.dialTimeoutMs ?? 10_000 });
    const link = this.adopt(conduit, 'initiator');
    await link.opened;
    return link;
  }

  /** Opens a channel to `networkId` (connecting first when needed). */
  async openChannel(
    networkId: string,
    metadata: ChannelMetadata,
    options?: ChannelOptions,
  ): Promise<Channel> {
    const link = await this.connect(networkId);
    return link.openChannel(metadata, options);
  }

  /** The preferred open Link to a device: highest transport priority, not being merged away. */
  bestLink(networkId: string, medium?: Medium): Link | undefined {
    let best: Link | undefined;
    let bestPrio = -1;
    for (const l of this.links(networkId)) {
      if (l.state !== 'open' || this.draining.has(l) || (medium && l.medium !== medium)) continue;
      const prio = this.transports.find((t) => t.medium === l.medium)?.capabilities.priority ?? 0;
      if (prio > bestPrio) {
        best = l;
        bestPrio = prio;
      }
    }
    return best;
  }

  private async dialDevice(networkId: string, medium?: Medium): Promise<Link> {
    const entry = this.directory.get(networkId);
    if (!entry)
      throw new ColinkError(
        ErrorCode.UNREACHABLE,
        `device ${networkId.slice(0, 12)}… is not in the directory`,
      );
    const candidates = [...this.transports]
      .filter((t) => (medium ? t.medium === medium : true) && (entry.addresses[t.medium]?.length ?? 0) > 0)
      .sort((a, b) => b.capabilities.priority - a.capabilities.priority);
    if (candidates.length === 0)
      throw new ColinkError(ErrorCode.UNREACHABLE, `no medium reaches device ${entry.deviceName}`);
    let lastError: unknown;
    for (const t of candidates) {
      for (const address of entry.addresses[t.medium] ?? []) {
        try {
          const conduit = await t.dial(address, { timeoutMs: this.options.dialTimeoutMs ?? 10_000 });
          const link = this.adopt(conduit, 'initiator');
          await link.opened;
          if (link.remote?.networkId !== networkId) {
            await link.close(closeReason('refused', 'dialled the wrong device'));
            throw new ColinkError(
              ErrorCode.DIAL_FAILED,
              `${address} is not device ${networkId.slice(0, 12)}…`,
            );
          }
          // A simultaneous dial may have produced a better Link meanwhile.
          return this.bestLink(networkId, medium) ?? link;
        } catch (e) {
          lastError = e;
          log.debug('dial %s %s failed: %s', t.medium, address, e instanceof Error ? e.message : e);
        }
      }
    }
    throw lastError instanceof ColinkError
      ? lastError
      : new ColinkError(ErrorCode.DIAL_FAILED, 'every dial failed', { cause: lastError });
  }

  /**
   * An inbound conduit from a transport: taken in now, or queued while pre-authentication work is backlogged (a
   * connection storm), so that authenticated Links keep being served (`PreAuthWork`). One pushed out of a full queue
   * is reset (`Conduit.reset`: TCP RST), as is every stranger the device gives up on before it authenticated.
   */
  private admitInbound(conduit: Conduit): void {
    this.admission.work.admit(
      sourceHost(conduit.remoteAddress),
      () => this.meetStranger(conduit),
      () => resetConduit(conduit, closeReason('refused', 'too many inbound connections waiting')),
    );
  }

  /**
   * A queue to hand a transport that holds an inbound connection before building its conduit
   * ({@link Transport.queueInbound}): the same pre-authentication work queue as {@link LocalDevice.admitInbound}'s, so
   * the conduit is built in a work slice, and a connection pushed out of the full queue is refused by the transport
   * (a TCP RST) without ever having had one. Once `close()`d (the device stops taking connections, as when it
   * unsubscribes from `incoming$`) every connection still given to it is refused.
   */
  private inboundQueue(): { queue: InboundQueue; close(): void } {
    let open = true;
    const queue: InboundQueue = {
      admit: (source, connection) => {
        if (!open) {
          connection.refuse();
          return;
        }
        this.admission.work.admit(
          source,
          () => {
            const conduit = connection.take();
            if (conduit) this.meetStranger(conduit);
          },
          () => connection.refuse(),
        );
      },
    };
    return {
      queue,
      close: () => {
        open = false;
      },
    };
  }

  /**
   * Takes in an inbound conduit: until the peer is authenticated its bytes are handled in the pre-authentication
   * work slices (`ConduitGate`); the admission control counts it pending from now; and no Link is built until the
   * peer's 8-byte preamble arrived with the right magic (`InboundPreamble`), so silent, slow and garbage-sending
   * strangers cost no Link or handshake.
   *
   * Until its Link opens, ending the connection is a refusal and is a reset (`Conduit.reset`: TCP RST, no FIN_WAIT /
   * TIME_WAIT socket left here): the gate turns the handshake's `destroy()` into one, whatever ended it — a protocol
   * error (a HELLO-stage frame of 2^31 bytes), a TLS failure, an identity the trust exchange refused, the Link's
   * handshake timeout (a binding nobody confirmed). Decided here, for inbound connections only, and not in the
   * handshake: a dialled Link and one that opened keep their plain close (GOAWAY, then FIN).
   */
  private meetStranger(raw: Conduit): void {
    const gate = new ConduitGate(raw, this.admission.work);
    gate.resetOnDestroy();
    let entry: AdmissionEntry | undefined;
    const stranger = new InboundPreamble(
      gate,
      {
        spoke: (conduit, answered) => {
          // Without a security stage nobody is authenticated: past a right preamble, the HELLO is all that is left
          // before the Link opens, so the peer's bytes stop waiting for pre-authentication work here. Else a peer that
          // starts sending the moment its own end opened (the initiator opens first: it has our HELLO) could fill the
          // pre-authentication bound while that work was backlogged, and its new Link would be refused as a stranger.
          if (!this.options.security) gate.ungate();
          const link = this.adopt(conduit, 'responder', raw, entry, answered);
          // Exactly when it opens (`state$` emits synchronously), not a microtask later: frames that came behind the
          // peer's HELLO are handled in the same turn, by an open Link.
          link.state$.pipe(first((s) => s.state !== 'connecting', undefined)).subscribe((s) => {
            if (s?.state === 'open') gate.resetOnDestroy(false);
          });
        },
        gone: () => {
          if (entry) this.admission.release(entry);
        },
      },
      this.preambleAnswer,
    );
    // A peer that authenticates gives its transport's per-source allowance back (Conduit.authenticated).
    const authenticated = raw.authenticated ? () => raw.authenticated!() : undefined;
    entry = this.admission.admitStranger(stranger, this.bandwidthOf(raw), gate, authenticated);
    stranger.start();
  }

  private bandwidthOf(conduit: Conduit): BandwidthClass | undefined {
    return this.transports.find((t) => t.medium === conduit.medium)?.capabilities.bandwidth;
  }

  /**
   * Builds a Link over `conduit`. An inbound one (`role` responder) comes from {@link LocalDevice.meetStranger},
   * its preamble already read (`conduit` replays it), with its underlying conduit `raw` and its admission `entry`.
   */
  private adopt(
    conduit: Conduit,
    role: LinkRole,
    raw = conduit,
    entry?: AdmissionEntry,
    preambleAnswered = false,
  ): Link {
    const o = this.options;
    // The security stage reports when the peer is trusted (or a binding is being confirmed) through `progress`,
    // which the admission control fills in once the Link exists (no report can come before: TLS takes a round trip).
    let progress: HandshakeProgress | undefined;
    const security = o.security ? reporting(o.security, () => progress) : undefined;
    const conduitClosed = firstValueFrom(raw.closed$, { defaultValue: undefined }).catch(() => undefined);
    const link = new Link(conduit, {
      ...o.link,
      role,
      local: this.advert,
      connectionOwner: (l) => this.ownerFor(l),
      rapidReset: (l) => this.churnBudgetFor(l),
      ...(preambleAnswered ? { preambleAnswered } : {}),
      ...(security ? { security } : {}),
      ...(o.scheduler ? { scheduler: o.scheduler } : {}),
    });
    this.conduitClosed.set(link, conduitClosed);
    progress = entry
      ? this.admission.attach(entry, link)
      : this.admission.admit(link, this.bandwidthOf(conduit));
    this.opening.add(link);
    void link.closed.then(() => this.opening.delete(link));
    link.opened.then(
      () => this.opening.delete(link),
      () => this.opening.delete(link),
    );
    link.incomingChannels$.subscribe((ch) => this.route(ch, link));
    link.opened.then(
      () => this.onLinkOpen(link),
      () => undefined,
    );
    return link;
  }

  /**
   * {@link LocalDeviceOptions.upgradeDialMs}: dials, for each connected peer connection, the best medium of higher
   * transport priority than its carrier's that the directory has an address for and no Link runs on yet.
   */
  private upgradePeers(every: number): void {
    if (!this.startedValue) return;
    const now = (this.options.scheduler ?? asyncScheduler).now();
    const priority = (m: Medium): number =>
      this.transports.find((t) => t.medium === m)?.capabilities.priority ?? 0;
    for (const [peer, pc] of this.peerConnections) {
      const carrier = pc.carrier;
      const entry = this.directory.get(peer);
      if (pc.state !== 'connected' || !carrier || !entry) {
        this.forgetUpgrade(peer);
        continue;
      }
      const better = this.transports
        .filter(
          (t) =>
            t.capabilities.priority > priority(carrier.medium) &&
            (entry.addresses[t.medium]?.length ?? 0) > 0 &&
            !this.bestLink(peer, t.medium),
        )
        .sort((a, b) => b.capabilities.priority - a.capabilities.priority)[0];
      if (!better) {
        this.forgetUpgrade(peer);
        continue;
      }
      const key = `${peer}|${better.medium}`;
      // Both devices see the better medium at about the same time; were both to dial, the duplicate Links would be
      // merged and the channels moved twice. The leader (PROTOCOL.md §8.1) dials at once, the follower only when the
      // better medium has stayed unused for two periods (the leader may not see this device's address).
      const seen = this.upgradeSeen.get(key) ?? now;
      this.upgradeSeen.set(key, seen);
      if (!pc.leader && now - seen < 2 * every) continue;
      if (this.pending.has(key) || now - (this.upgradeTried.get(key) ?? Number.NEGATIVE_INFINITY) < every)
        continue;
      this.upgradeTried.set(key, now);
      log.debug('%s: dialling %s (carried by %s)', peer.slice(0, 8), better.medium, carrier.medium);
      this.connect(peer, { medium: better.medium }).catch((e: unknown) =>
        log.debug('upgrade dial %s failed: %s', better.medium, e instanceof Error ? e.message : e),
      );
    }
  }

  private forgetUpgrade(peer: string): void {
    for (const k of this.upgradeSeen.keys()) if (k.startsWith(`${peer}|`)) this.upgradeSeen.delete(k);
    for (const k of this.upgradeTried.keys()) if (k.startsWith(`${peer}|`)) this.upgradeTried.delete(k);
  }

  /**
   * The rapid-reset bucket of a Link without a peer connection (`LinkOptions.rapidReset`): the peer connection's when
   * the peer has one (its v2 Links), else one per peer networkId, shared by its Links and outliving them, so a peer
   * that speaks protocol v1 (which has no peer connection) does not get a full bucket back by reconnecting; at most
   * `RAPID_RESET_TRACKED_PEERS` peers remembered.
   */
  private churnBudgetFor(link: Link): RapidResetBudget | undefined {
    const peer = link.remote?.networkId;
    if (!peer) return undefined;
    // A peer that also has a peer connection (its v2 Links) shares that one's bucket.
    const pc = this.peerConnections.get(peer);
    if (pc && pc.state !== 'closed') return pc.rapidReset;
    const scheduler = this.options.scheduler ?? asyncScheduler;
    const budget = this.ownerlessChurn.get(peer) ?? new RapidResetBudget(() => scheduler.now());
    this.ownerlessChurn.delete(peer);
    if (this.ownerlessChurn.size >= RAPID_RESET_TRACKED_PEERS) {
      const oldest = this.ownerlessChurn.keys().next().value;
      if (oldest !== undefined) this.ownerlessChurn.delete(oldest);
    }
    this.ownerlessChurn.set(peer, budget);
    return budget;
  }

  /**
   * Forgets the oldest peer connections without a Link (`disconnected` or `closed`) while
   * {@link MAX_IDLE_PEER_CONNECTIONS} or more are kept, before a new one is made.
   */
  private forgetIdlePeers(): void {
    if (this.peerConnections.size < MAX_IDLE_PEER_CONNECTIONS) return;
    let idle = 0;
    for (const pc of this.peerConnections.values()) if (isIdle(pc)) idle++;
    for (const [peer, pc] of this.peerConnections) {
      if (idle < MAX_IDLE_PEER_CONNECTIONS) break;
      if (!isIdle(pc)) continue;
      this.peerConnections.delete(peer);
      this.forgetUpgrade(peer);
      idle--;
      void pc.close(closeReason('normal', 'forgotten'), 0);
    }
  }

  /** The peer connection that owns a v2 Link's connection channels (created with the first Link to the peer). */
  private ownerFor(link: Link): LinkOwner | undefined {
    const peer = link.remote?.networkId;
    if (!this.startedValue || !peer || peer === this.advert.networkId) return undefined;
    let pc = this.peerConnections.get(peer);
    if (!pc || pc.state === 'closed') {
      const created = new PeerConnection({
        local: this.advert.networkId,
        peer,
        graceMs: this.options.peerGraceMs ?? DEFAULT_PEER_GRACE_MS,
        ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}),
        redial: () => this.connect(peer),
      });
      created.incomingChannels$.subscribe((ch) => {
        const via = created.carrier ?? created.links[0];
        if (via) this.route(ch, via);
        else ch.refuse(closeReason('refused', 'no link'));
      });
      this.forgetIdlePeers();
      this.peerConnections.delete(peer); // a closed one's place: the new one goes last (newest)
      this.peerConnections.set(peer, created);
      pc = created;
    }
    try {
      return pc.adopt(link);
    } catch (e) {
      log.debug('link %s stays out of the peer connection: %s', link.id, e instanceof Error ? e.message : e);
      return undefined;
    }
  }

  private route(channel: Channel, link: Link): void {
    const handler = this.handlers.get(channel.metadata.proto);
    if (!handler) {
      channel.refuse(closeReason('refused', `no handler for ${channel.metadata.proto}`));
      return;
    }
    try {
      handler(channel, link);
    } catch (e) {
      channel.refuse(closeReason('refused', e instanceof Error ? e.message : String(e)));
    }
  }

  private onLinkOpen(link: Link): void {
    if (!this.startedValue) {
      void link.close(closeReason('going-away', 'device stopped'));
      return;
    }
    this.linksSubject.next([...this.linksSubject.value, link]);
    this.directory.addLink(link);
    void link.closed.then(() => {
      this.draining.delete(link);
      this.linksSubject.next(this.linksSubject.value.filter((l) => l !== link));
    });
    this.mergeDuplicates(link);
    this.linkOpened.next(link);
  }

  /**
   * Simultaneous dials leave two Links between the same two devices on one medium. Both sides keep the one dialled
   * by the device with the larger networkId and drain the other: no new channels go on it, and it closes with
   * `replaced` once its channels are done, so nothing already sent is lost. Two Links dialled by the same device
   * (ties) are merged by that device alone (it keeps the older one): their ends can open in different orders on the
   * two sides, and a responder that judged by its own order could close the Link the dialler keeps.
   */
  private mergeDuplicates(link: Link): void {
    const peer = link.remote!.networkId;
    const same = this.links(peer).filter(
      (l) => l.medium === link.medium && l.state === 'open' && !this.draining.has(l),
    );
    if (same.length < 2) return;
    const initiatorId = (l: Link): string => (l.role === 'initiator' ? this.advert.networkId : peer);
    const keeper = same.reduce((best, l) => (initiatorId(l) > initiatorId(best) ? l : best));
    for (const l of same) {
      if (l === keeper) continue;
      // A tie (both dialled by the peer): "the older" is only the peer's to judge — the two ends can open in different
      // orders — so this side leaves it to the peer, whose `replaced` closes the right one.
      if (initiatorId(l) === initiatorId(keeper) && l.role === 'responder') continue;
      this.draining.add(l);
      this.peerConnections.get(peer)?.release(l); // its connection channels move to the keeper
      // Once only the default channel is left, nothing in flight can be lost: close() flushes what it queued.
      l.channelCount$.pipe(first((n) => n <= 1, 0)).subscribe(() => {
        if (l.state === 'open') void l.close(closeReason('replaced', 'merged into another link'));
      });
    }
  }
}

/** Resolves when `p` settles or after `ms` (scheduler time), whichever comes first. */
async function within(scheduler: SchedulerLike, ms: number, p: Promise<unknown>): Promise<void> {
  let timer: Subscription | undefined;
  await Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((r) => (timer = scheduler.schedule(() => r(), ms))),
  ]);
  timer?.unsubscribe();
}

/**
 * Resolves once `done()` holds or the scheduler's clock reaches `deadline`, checked now and every 5 ms of scheduler
 * time (as `Link.close` checks its flush).
 */
function until(scheduler: SchedulerLike, deadline: number, done: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = (): void => {
      if (done() || scheduler.now() >= deadline) resolve();
      else scheduler.schedule(check, 5);
    };
    check();
  });
}

/** `security` with its progress reports routed to whatever `target()` returns when they happen. */
function reporting(security: SecurityUpgrade, target: () => HandshakeProgress | undefined): SecurityUpgrade {
  const relay: HandshakeProgress = {
    trusted: () => target()?.trusted(),
    confirmingBinding: () => target()?.confirmingBinding(),
  };
  return {
    name: security.name,
    upgrade: (conduit, role) => (security as ReportingSecurityUpgrade).upgrade(conduit, role, relay),
    ...(security.firstFlightLength
      ? { firstFlightLength: (head: Uint8Array) => security.firstFlightLength!(head) }
      : {}),
  };
}

/** The host of a `host:port` / `[v6]:port` address, normalized as {@link normalizeHost}; undefined for other notations. */
function hostOf(address: string): string | undefined {
  const m = /^\[([^\]]+)\]:\d+$/.exec(address) ?? /^([^:[\]]+):\d+$/.exec(address);
  return m ? normalizeHost(m[1]!) : undefined;
}

/** Lower case, no IPv6 zone, IPv4-mapped IPv6 (RFC 4291 §2.5.5.2) as IPv4. */
function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped ? mapped[1]! : h;
}
