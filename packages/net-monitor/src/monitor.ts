/**
 * {@link NetMonitor}: networks, the default network and their changes, from any {@link Host}.
 * @module
 */
import { isIP } from 'node:net';
import { ColinkError, ErrorCode, logger } from '@colink/core';
import {
  asyncScheduler,
  BehaviorSubject,
  interval,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
} from 'rxjs';
import {
  DEFAULT_DEBOUNCE_MS,
  DEFAULT_DNS_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_VALIDATION_INTERVAL_MS,
  IP_MONITOR_SETTLE_MS,
  MAX_HOSTNAME_LENGTH,
  ROUTE_LOOKUP_IPV4,
  ROUTE_LOOKUP_IPV6,
} from './constants.js';
import { type Host, type HostOptions, LocalHost } from './host/host.js';
import { NetnsHost } from './host/netns-host.js';
import { RESOLV_CONF_PATH } from './host/resolv-conf.js';
import type { HostSnapshot } from './host/snapshot.js';
import { type Candidate, type DeriveConfig, deriveNetworks, sortCaps } from './model/derive.js';
import { NetIdAllocator } from './model/netid.js';
import {
  deriveConfig,
  type LinkInfo,
  type NetMonitorOptions,
  type ResolveOptions,
  validateOptions,
} from './options.js';
import {
  type NetAddress,
  NetCap,
  type NetCapabilities,
  type NetEvent,
  type Network,
  type ReaderKind,
  type SourceKind,
  type ValidationState,
} from './types.js';

const log = logger('net-monitor');

interface NetState {
  candidate: Candidate;
  readonly netId: number;
  readonly since: number;
  validation: ValidationState;
  blocked: boolean;
  probeGeneration: number;
  network: Network;
}

const VALIDATION_CAPS: Readonly<Record<ValidationState, readonly NetCap[]>> = {
  unknown: [],
  failed: [],
  checking: [NetCap.NET_CAPABILITY_CHECKING_CONNECTIVITY],
  validated: [NetCap.NET_CAPABILITY_VALIDATED],
  portal: [NetCap.NET_CAPABILITY_PORTAL],
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Watches the networks of one Linux network namespace.
 *
 * Change notifications (rtnetlink multicast, `ip -o monitor` lines or a timer) only trigger a coalesced re-read of
 * links, addresses and routes followed by a diff against the previous state: no state is taken from notification
 * payloads. Every change is an Observable; getters give the current state synchronously.
 *
 * @example
 * ```ts
 * const monitor = await NetMonitor.start();
 * console.log(monitor.source, monitor.defaultNetwork?.netId);
 * monitor.events$.subscribe((e) => console.log(e.type, 'network' in e ? e.network.netId : ''));
 * await monitor.close();
 * ```
 */
export class NetMonitor {
  readonly #host: Host;
  readonly #options: NetMonitorOptions;
  readonly #config: DeriveConfig;
  readonly #ids = new NetIdAllocator();
  readonly #states = new Map<string, NetState>();
  readonly #networks = new BehaviorSubject<readonly Network[]>([]);
  readonly #default = new BehaviorSubject<Network | undefined>(undefined);
  readonly #events = new Subject<NetEvent>();
  readonly #scheduler: SchedulerLike;
  readonly #timers: Subscription[] = [];
  #subscription: Subscription | undefined;
  #linkInfoSubscription: Subscription | undefined;
  #linkInfo: ReadonlyMap<string, LinkInfo> = new Map();
  #defaultKey: string | undefined;
  #debounce: Subscription | undefined;
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #sourceOverride: SourceKind | undefined;
  #closed = false;

  /** Every network, sorted by netId; replays the current list to new subscribers. */
  readonly networks$: Observable<readonly Network[]> = this.#networks.asObservable();
  /**
   * The default network (undefined when there is none); replays the current value and emits whenever the default
   * network changes or its record changes. Use `distinctUntilChanged((a, b) => a?.netId === b?.netId)` for switches only.
   */
  readonly defaultNetwork$: Observable<Network | undefined> = this.#default.asObservable();
  /** Every change, in the order documented on {@link NetEvent}. Not replayed. */
  readonly events$: Observable<NetEvent> = this.#events.asObservable();

  private constructor(host: Host, options: NetMonitorOptions) {
    this.#host = host;
    this.#options = options;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#config = deriveConfig(options, () => this.#linkInfo);
  }

  /**
   * Opens the event source, reads the initial state and starts watching. Resolves once `networks` is populated.
   * Throws `ColinkError` `ERR_INVALID_ARGUMENT` (bad option) or `ERR_NOT_STARTED` (the requested source, or the
   * namespace agent, cannot start; the message says why).
   */
  static async start(options: NetMonitorOptions = {}): Promise<NetMonitor> {
    validateOptions(options);
    const hostOptions: HostOptions = {
      source: options.source ?? 'auto',
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      lookupTargets: [
        options.routeLookup?.ipv4 ?? ROUTE_LOOKUP_IPV4,
        options.routeLookup?.ipv6 ?? ROUTE_LOOKUP_IPV6,
      ],
      resolvConfPath: options.resolvConfPath ?? RESOLV_CONF_PATH,
    };
    const host: Host =
      options.netns === undefined
        ? await LocalHost.open(hostOptions, options.scheduler)
        : await NetnsHost.open(options.netns, hostOptions);
    const monitor = new NetMonitor(host, options);
    try {
      await monitor.#begin();
    } catch (e) {
      await monitor.close();
      throw e;
    }
    return monitor;
  }

  async #begin(): Promise<void> {
    this.#subscription = this.#host.changes.subscribe({
      next: () => this.#onChange(),
      error: (e: unknown) => this.#onSourceFailure(e),
    });
    this.#linkInfoSubscription = this.#options.linkInfo$?.subscribe({
      next: (info) => {
        this.#linkInfo = info;
        void this.refresh();
      },
      error: (e: unknown) => log.warn('linkInfo$ failed: %s', e),
    });
    await this.refresh();
    const resync = this.#options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
    if (resync > 0 && this.#host.source !== 'poll') this.#every(resync, () => void this.refresh());
    // `ip monitor` subscribes a moment after the process starts: one settle read closes that window.
    if (this.#host.source === 'ip-monitor')
      this.#timers.push(this.#scheduler.schedule(() => void this.refresh(), IP_MONITOR_SETTLE_MS));
    const v = this.#options.validation;
    if (v) this.#every(v.intervalMs ?? DEFAULT_VALIDATION_INTERVAL_MS, () => this.#reprobeAll());
  }

  #every(ms: number, fn: () => void): void {
    this.#timers.push(interval(ms, this.#scheduler).subscribe(fn));
  }

  #onChange(): void {
    if (this.#closed || this.#debounce !== undefined) return;
    this.#debounce = this.#scheduler.schedule(() => {
      this.#debounce = undefined;
      void this.refresh();
    }, this.#options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  #onSourceFailure(e: unknown): void {
    if (this.#closed) return;
    log.warn('event source %s failed, falling back to polling: %s', this.#host.source, e);
    this.#sourceOverride = 'poll';
    this.#every(this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, () => void this.refresh());
  }

  /** The event source in use (`netlink`, `ip-monitor` or `poll`; `poll` after the source failed). */
  get source(): SourceKind {
    return this.#sourceOverride ?? this.#host.source;
  }

  /** How state is read: `netlink` dumps or `ip -j`. */
  get reader(): ReaderKind {
    return this.#host.reader;
  }

  /** The monitored namespace, undefined for the current one. */
  get netns(): string | undefined {
    return this.#options.netns;
  }

  /** Every network, sorted by netId. */
  get networks(): readonly Network[] {
    return this.#networks.value;
  }

  /** The default network, undefined when there is none (HarmonyOS: netId 0). */
  get defaultNetwork(): Network | undefined {
    return this.#default.value;
  }

  /** The network with `netId`, undefined when no such network is alive. */
  getNetwork(netId: number): Network | undefined {
    for (const s of this.#states.values()) if (s.netId === netId) return s.network;
    return undefined;
  }

  /**
   * Re-reads the state now and applies the diff. Resolves after a read that started after the call. Reads are
   * serialised; calls during a pending read share the next one.
   */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#queued !== undefined) return this.#queued;
    const run = this.#chain.then(async () => {
      this.#queued = undefined;
      if (this.#closed) return;
      let snap: HostSnapshot;
      try {
        snap = await this.#host.read();
      } catch (e) {
        log.warn('re-read failed: %s', e);
        return;
      }
      if (!this.#closed) this.#apply(snap);
    });
    this.#queued = run;
    this.#chain = run;
    return run;
  }

  #apply(snap: HostSnapshot): void {
    const { candidates, defaultKey } = deriveNetworks(snap, this.#config);
    const events: NetEvent[] = [];
    const validation = this.#options.validation;
    const probes: NetState[] = [];
    for (const [key, st] of this.#states) {
      if (candidates.has(key)) continue;
      this.#states.delete(key);
      this.#ids.release(st.netId);
      events.push({ type: 'lost', network: st.network });
    }
    const appeared: NetEvent[] = [];
    const changed: NetEvent[] = [];
    for (const c of candidates.values()) {
      const st = this.#states.get(c.key);
      if (st === undefined) {
        const fresh: NetState = {
          candidate: c,
          netId: this.#ids.allocate(),
          since: Date.now(),
          validation: validation && c.internet ? 'checking' : 'unknown',
          blocked: false,
          probeGeneration: 0,
          network: undefined as unknown as Network,
        };
        fresh.network = this.#build(fresh);
        this.#states.set(c.key, fresh);
        const n = fresh.network;
        appeared.push(
          { type: 'available', network: n },
          { type: 'capabilitiesChanged', network: n, capabilities: n.capabilities },
          { type: 'propertiesChanged', network: n, properties: n.properties },
        );
        if (fresh.validation === 'checking') probes.push(fresh);
        continue;
      }
      const before = st.network;
      const linkChanged =
        !same(before.properties.linkAddresses, c.properties.linkAddresses) ||
        !same(before.properties.routes, c.properties.routes);
      st.candidate = c;
      if (!c.internet) st.validation = 'unknown';
      else if (validation && (linkChanged || st.validation === 'unknown')) {
        st.validation = 'checking';
        probes.push(st);
      }
      this.#rebuild(st, changed);
    }
    events.push(...appeared, ...changed);
    this.#defaultKey = defaultKey;
    this.#publish(events);
    for (const st of probes) void this.#probe(st);
  }

  #build(st: NetState): Network {
    const c = st.candidate;
    const capabilities: NetCapabilities = {
      linkUpBandwidthKbps: c.bandwidthKbps,
      linkDownBandwidthKbps: c.bandwidthKbps,
      networkCap: sortCaps([...c.caps, ...VALIDATION_CAPS[st.validation]]),
      bearerTypes: [c.bearer],
    };
    return {
      netId: st.netId,
      interfaceName: c.name,
      ifindex: c.ifindex,
      capabilities,
      properties: c.properties,
      blocked: st.blocked,
      virtual: c.virtual,
      linkKind: c.kind,
      validation: st.validation,
      localAddresses: c.localAddresses,
      availableSince: st.since,
    };
  }

  /** Rebuilds `st.network` and appends the change events it implies. */
  #rebuild(st: NetState, events: NetEvent[]): void {
    const before = st.network;
    const after = this.#build(st);
    if (same(before, after)) return;
    st.network = after;
    if (!same(before.capabilities, after.capabilities)) {
      events.push({ type: 'capabilitiesChanged', network: after, capabilities: after.capabilities });
    }
    if (!same(before.properties, after.properties)) {
      events.push({ type: 'propertiesChanged', network: after, properties: after.properties });
    }
    if (before.blocked !== after.blocked)
      events.push({ type: 'blockStatusChanged', network: after, blocked: after.blocked });
  }

  /** Updates the subjects first (so getters inside event handlers see the new state), then emits `events`. */
  #publish(events: NetEvent[]): void {
    const previous = this.#default.value;
    const current = this.#defaultKey === undefined ? undefined : this.#states.get(this.#defaultKey)?.network;
    if (previous?.netId !== current?.netId) events.push({ type: 'defaultChanged', previous, current });
    if (events.length === 0) return;
    this.#networks.next([...this.#states.values()].map((s) => s.network).sort((a, b) => a.netId - b.netId));
    if (previous !== current) this.#default.next(current);
    for (const e of events) this.#events.next(e);
  }

  async #probe(st: NetState): Promise<void> {
    const v = this.#options.validation;
    if (!v) return;
    const generation = ++st.probeGeneration;
    const url = new URL(v.url);
    const literal = isIP(url.hostname.replace(/^\[|\]$/g, ''));
    const { ipv4, ipv6 } = st.candidate.localAddresses;
    const family = literal === 6 || (literal === 0 && ipv4 === undefined) ? 6 : 4;
    const result = await this.#host
      .probe({
        url: v.url,
        localAddress: family === 4 ? ipv4 : ipv6,
        family,
        timeoutMs: v.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      })
      .catch((e: unknown) => ({ state: 'failed' as const, error: String(e) }));
    log.debug('probe of %s: %o', st.candidate.name, result);
    if (this.#closed || this.#states.get(st.candidate.key) !== st || st.probeGeneration !== generation)
      return;
    st.validation = result.state;
    const events: NetEvent[] = [];
    this.#rebuild(st, events);
    this.#publish(events);
  }

  #reprobeAll(): void {
    for (const st of this.#states.values())
      if (st.candidate.internet && st.validation !== 'checking') void this.#probe(st);
  }

  #state(netId: number): NetState {
    for (const s of this.#states.values()) if (s.netId === netId) return s;
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `no network with netId ${netId}`, {
      detail: { netId },
    });
  }

  /**
   * Probes `netId` again now (HarmonyOS `reportNetConnected`/`reportNetDisconnected`): CHECKING_CONNECTIVITY is set
   * until the probe answers; resolves when it has. A no-op for a network without INTERNET or when validation is off.
   * Throws `ERR_INVALID_ARGUMENT` for an unknown netId.
   */
  async revalidate(netId: number): Promise<void> {
    const st = this.#state(netId);
    if (!this.#options.validation || !st.candidate.internet) return;
    st.validation = 'checking';
    const events: NetEvent[] = [];
    this.#rebuild(st, events);
    this.#publish(events);
    await this.#probe(st);
  }

  /**
   * Sets the HarmonyOS block status of a network (e.g. from a firewall policy) and emits `blockStatusChanged` when it
   * changes. Linux itself has no per-application block status. Throws `ERR_INVALID_ARGUMENT` for an unknown netId.
   */
  setBlocked(netId: number, blocked: boolean): void {
    const st = this.#state(netId);
    if (st.blocked === blocked) return;
    st.blocked = blocked;
    const events: NetEvent[] = [];
    this.#rebuild(st, events);
    this.#publish(events);
  }

  /**
   * Source address to bind a socket to so its traffic leaves through `netId` (the `localAddress` approximation of
   * HarmonyOS `NetHandle.bindSocket`; see the README on source policy routing). Undefined when the network has no
   * usable address of `family`. Throws `ERR_INVALID_ARGUMENT` for an unknown netId.
   */
  bindAddress(netId: number, family: 4 | 6 = 4): string | undefined {
    const { ipv4, ipv6 } = this.#state(netId).network.localAddresses;
    return family === 4 ? ipv4 : ipv6;
  }

  /**
   * Resolves `host` to addresses (HarmonyOS `getAddressesByName`; `port` is 0). Without `netId`: the system resolver
   * (getaddrinfo, `/etc/hosts` + resolv.conf) of the monitored namespace. With `netId`: that network's DNS servers
   * (`properties.dnses`), queried from its source address. An IP literal resolves to itself (even for an unknown
   * netId, as HarmonyOS does).
   *
   * Throws `ColinkError`: `ERR_INVALID_ARGUMENT` for an empty or over-long host (→ HarmonyOS 2100001) or an unknown
   * netId (→ 2100001); `ERR_UNREACHABLE` with `detail.dnsCode` when nothing resolves (→ 2100002).
   */
  async getAddressesByName(host: string, options: ResolveOptions = {}): Promise<NetAddress[]> {
    if (typeof host !== 'string' || host === '' || host.length > MAX_HOSTNAME_LENGTH) {
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `invalid host name ${JSON.stringify(host)}`);
    }
    const family = options.family ?? 0;
    if (family !== 0 && family !== 1 && family !== 2) {
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `invalid family ${String(family)}`);
    }
    const literal = isIP(host);
    if (literal !== 0) return [{ address: host, family: literal === 4 ? 1 : 2, port: 0 }];
    const timeoutMs = this.#options.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
    if (options.netId === undefined) {
      return this.#host.resolve({ host, family, servers: undefined, localAddress: undefined, timeoutMs });
    }
    const n = this.#state(options.netId).network;
    return this.#host.resolve({
      host,
      family,
      servers: n.properties.dnses.map((d) => d.address),
      localAddress: n.localAddresses,
      timeoutMs,
    });
  }

  /** Stops watching: closes the source (and the namespace agent) and completes every Observable. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#debounce?.unsubscribe();
    for (const t of this.#timers) t.unsubscribe();
    this.#subscription?.unsubscribe();
    this.#linkInfoSubscription?.unsubscribe();
    await this.#host.close();
    this.#events.complete();
    this.#networks.complete();
    this.#default.complete();
  }
}
