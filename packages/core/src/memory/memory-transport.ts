import { Observable, type SchedulerLike, Subject } from 'rxjs';
import { peersEqual } from '../advert.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from '../errors.js';
import { MAX_FRAME_SIZE } from '../limits.js';
import type {
  Conduit,
  DeviceAdvert,
  DialOptions,
  DiscoveredPeer,
  Discovery,
  DiscoveryEvent,
  Medium,
  Transport,
  TransportCapabilities,
} from '../transport.js';
import { createConduitPair, type LinkModel, type MemoryConduit } from './conduit-pair.js';

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Medium name its transports report. Default `'memory'`. */
  readonly medium?: Medium;
  /** Default physical model of every conduit. */
  readonly model?: LinkModel;
  /** Scheduler driving delivery (a VirtualTimeScheduler gives virtual time). */
  readonly scheduler?: SchedulerLike;
}

/**
 * An in-process medium shared by any number of {@link MemoryTransport}s: the "air" between them. It knows who is
 * advertising, who can reach whom, and every open conduit, and offers fault injection: cut links, partition
 * devices, lose advertisements.
 */
export class MemoryNetwork {
  readonly medium: Medium;
  readonly model: LinkModel;
  readonly scheduler: SchedulerLike | undefined;
  /** @internal */ readonly transports = new Map<string, MemoryTransport>();
  /** @internal */ readonly changed$ = new Subject<void>();
  private readonly partitions = new Set<string>();
  private readonly silenced = new Set<string>();
  private readonly conduits = new Set<{ a: string; b: string; ends: [MemoryConduit, MemoryConduit] }>();
  private nextAddress = 1;

  constructor(options: MemoryNetworkOptions = {}) {
    this.medium = options.medium ?? 'memory';
    this.model = options.model ?? {};
    this.scheduler = options.scheduler;
  }

  /** Creates a transport on this network. `address` defaults to `mem-<n>`; `priority` (default 100) ranks it among a device's media. */
  createTransport(options: { address?: string; model?: LinkModel; priority?: number } = {}): MemoryTransport {
    return new MemoryTransport(this, options);
  }

  /** Whether `a` can reach `b` (no partition between them). */
  reachable(a: string, b: string): boolean {
    return !this.partitions.has(pairKey(a, b));
  }

  /**
   * Partitions (`false`) or heals (`true`) the path between two addresses. Partitioning severs their conduits
   * with `lost` ("out of range") and makes each disappear from the other's discovery (`lost`, `unreachable`).
   */
  setReachable(a: string, b: string, reachable: boolean): void {
    if (reachable) this.partitions.delete(pairKey(a, b));
    else {
      this.partitions.add(pairKey(a, b));
      this.sever(a, b, closeReason('lost', 'out of range'));
    }
    this.changed$.next();
  }

  /** Severs every conduit of `a` (with `b`, when given) at once, as if the medium failed. */
  sever(a: string, b?: string, reason: CloseReason = closeReason('lost', 'link dropped')): number {
    let n = 0;
    for (const c of [...this.conduits]) {
      if ((c.a === a && (b === undefined || c.b === b)) || (c.b === a && (b === undefined || c.a === b))) {
        c.ends[0].sever(reason);
        n++;
      }
    }
    return n;
  }

  /** While `lost` is true, `address`'s advertisements are lost on the air (peers see it `lost`, `expired`). */
  loseAdvertisements(address: string, lost: boolean): void {
    if (lost) this.silenced.add(address);
    else this.silenced.delete(address);
    this.changed$.next();
  }

  /** @internal */
  allocateAddress(): string {
    return `mem-${this.nextAddress++}`;
  }

  /** @internal peers `observer` currently sees. */
  visibleTo(observer: MemoryTransport): Map<string, DiscoveredPeer> {
    const out = new Map<string, DiscoveredPeer>();
    for (const t of this.transports.values()) {
      if (t === observer || !t.started || !t.currentAdvert || this.silenced.has(t.address)) continue;
      if (!this.reachable(observer.address, t.address)) continue;
      out.set(t.address, { ...t.currentAdvert, medium: this.medium, address: t.address });
    }
    return out;
  }

  /** @internal */
  track(a: string, b: string, ends: [MemoryConduit, MemoryConduit]): void {
    const entry = { a, b, ends };
    this.conduits.add(entry);
    ends[0].closed$.subscribe({ complete: () => this.conduits.delete(entry) });
  }
}

/**
 * A {@link Transport} and {@link Discovery} over a {@link MemoryNetwork}: the reference implementation of the contract, used by tests, the
 * playground and anyone who wants virtual devices in one process. Conduits follow the network's {@link LinkModel}
 * (latency, bandwidth, MTU, loss) on the network's scheduler, so timeouts and keep-alive can run in virtual time.
 */
export class MemoryTransport implements Transport, Discovery {
  readonly medium: Medium;
  readonly capabilities: TransportCapabilities;
  readonly address: string;
  /** @internal */ started = false;
  /** @internal */ currentAdvert: DeviceAdvert | undefined;
  private readonly network: MemoryNetwork;
  private readonly model: LinkModel;
  private readonly incoming = new Subject<Conduit>();
  private readonly mine = new Set<Conduit>();

  constructor(
    network: MemoryNetwork,
    options: { address?: string; model?: LinkModel; priority?: number } = {},
  ) {
    this.network = network;
    this.medium = network.medium;
    this.address = options.address ?? network.allocateAddress();
    if (network.transports.has(this.address))
      throw new ColinkError(ErrorCode.CONFLICT, `address ${this.address} is taken on this memory network`);
    network.transports.set(this.address, this);
    this.model = { ...network.model, ...options.model };
    this.capabilities = {
      maxFrameSize: this.model.mtu ?? MAX_FRAME_SIZE,
      reliable: true,
      bandwidth: 'high',
      latency: 'low',
      priority: options.priority ?? 100,
    };
  }

  get localAddress(): string | undefined {
    return this.started ? this.address : undefined;
  }

  readonly incoming$: Observable<Conduit> = this.incoming.asObservable();

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.network.changed$.next();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const c of [...this.mine]) c.destroy(closeReason('going-away', 'transport stopped'));
    this.network.changed$.next();
  }

  async advertise(advert: DeviceAdvert): Promise<void> {
    this.currentAdvert = advert;
    this.network.changed$.next();
  }

  async unadvertise(): Promise<void> {
    this.currentAdvert = undefined;
    this.network.changed$.next();
  }

  discover(): Observable<DiscoveryEvent> {
    return new Observable<DiscoveryEvent>((subscriber) => {
      let seen = new Map<string, DiscoveredPeer>();
      const diff = (): void => {
        const now = this.started ? this.network.visibleTo(this) : new Map<string, DiscoveredPeer>();
        for (const [addr, peer] of now) {
          const before = seen.get(addr);
          if (!before) subscriber.next({ type: 'found', peer });
          else if (!peersEqual(before, peer)) subscriber.next({ type: 'updated', peer });
        }
        for (const [addr, peer] of seen) {
          if (now.has(addr)) continue;
          const t = this.network.transports.get(addr);
          const reason = !this.started
            ? 'stopped'
            : !t?.started || !t.currentAdvert
              ? 'goodbye'
              : !this.network.reachable(this.address, addr)
                ? 'unreachable'
                : 'expired';
          subscriber.next({ type: 'lost', peer, reason });
        }
        seen = now;
      };
      diff();
      const sub = this.network.changed$.subscribe(diff);
      return () => sub.unsubscribe();
    });
  }

  async dial(address: string, options: DialOptions = {}): Promise<Conduit> {
    if (!this.started) throw new ColinkError(ErrorCode.NOT_STARTED, 'memory transport is not started');
    if (options.signal?.aborted) throw new ColinkError(ErrorCode.ABORTED, 'dial aborted');
    const target = this.network.transports.get(address);
    if (!target?.started) throw new ColinkError(ErrorCode.DIAL_FAILED, `nothing listens at ${address}`);
    if (!this.network.reachable(this.address, address))
      throw new ColinkError(ErrorCode.DIAL_FAILED, `${address} is out of reach`);
    const ends = createConduitPair({
      medium: this.medium,
      addresses: [this.address, address],
      model: { ...this.model, ...target.model, ...this.model },
      ...(this.network.scheduler ? { scheduler: this.network.scheduler } : {}),
    });
    this.network.track(this.address, address, ends);
    this.adopt(ends[0]);
    target.accept(ends[1]);
    return ends[0];
  }

  /** @internal */
  accept(conduit: MemoryConduit): void {
    this.adopt(conduit);
    this.incoming.next(conduit);
  }

  private adopt(c: Conduit): void {
    this.mine.add(c);
    c.closed$.subscribe({ complete: () => this.mine.delete(c) });
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
