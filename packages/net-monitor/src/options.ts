/**
 * Options of {@link NetMonitor.start}: shapes, defaults, validation and their translation for the model.
 * @module
 */
import { isIP } from 'node:net';
import { ColinkError, ErrorCode } from '@colink/core';
import type { Observable, SchedulerLike } from 'rxjs';
// Referenced from TSDoc only.
import type {
  DEFAULT_DEBOUNCE_MS,
  DEFAULT_DNS_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_VALIDATION_INTERVAL_MS,
  IP_MONITOR_SETTLE_MS,
  ROUTE_LOOKUP_IPV4,
  ROUTE_LOOKUP_IPV6,
} from './constants.js';
import type { FamilyType } from './dns.js';
import type { SourceChoice } from './host/host.js';
import type { DeriveConfig, DnsOverride } from './model/derive.js';
import type { NetMonitor } from './monitor.js';
import { NetBearType } from './types.js';

/**
 * What an enricher (e.g. the NetworkManager one) knows about an interface. Explicit options win over it; it wins
 * over heuristics, resolv.conf and sysfs.
 */
export interface LinkInfo {
  /** Metered (NetworkManager `Device.Metered` yes / guess-yes) or not (no / guess-no); undefined = unknown. */
  readonly metered?: boolean;
  /** Per-link DNS servers and search domains. */
  readonly dns?: DnsOverride;
  /** Link bandwidth in kbit/s (e.g. Wi-Fi bitrate), used when sysfs `speed` is unknown. */
  readonly bandwidthKbps?: number;
}

/** HTTP validation probe settings. Tests must point `url` only at servers they start themselves. */
export interface ValidationOptions {
  /** URL fetched with GET; 204 → VALIDATED, 3xx → PORTAL. No default: there is no built-in internet endpoint. */
  readonly url: string;
  /** Re-probe interval per network, in ms. Default {@link DEFAULT_VALIDATION_INTERVAL_MS}. */
  readonly intervalMs?: number;
  /** Time limit of one probe, in ms. Default {@link DEFAULT_PROBE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** An interface name pattern: exact name or regular expression. */
export type InterfacePattern = string | RegExp;

/** Options of {@link NetMonitor.start}. Every field is optional. */
export interface NetMonitorOptions {
  /** Event source; `auto` (default) tries netlink, then `ip -o monitor`, then polling. */
  readonly source?: SourceChoice;
  /**
   * Monitor the named network namespace (`ip netns add <name>`) instead of the current one, through an agent process
   * started with `ip netns exec` (needs root). Default: the current namespace, in process.
   */
  readonly netns?: string;
  /** Interval of the poll source, in ms. Default {@link DEFAULT_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number;
  /** Coalescing delay between a change notification and the re-read, in ms. Default {@link DEFAULT_DEBOUNCE_MS}. */
  readonly debounceMs?: number;
  /** Safety re-read interval of event sources, in ms; 0 disables. Default {@link DEFAULT_RESYNC_INTERVAL_MS}. */
  readonly resyncIntervalMs?: number;
  /** Which interfaces may become networks: `include` (default all) minus `exclude` (default none). Loopback never. */
  readonly interfaces?: {
    readonly include?: readonly InterfacePattern[];
    readonly exclude?: readonly InterfacePattern[];
  };
  /**
   * Metered networks (without NET_CAPABILITY_NOT_METERED): interface patterns, or a function. Default: cellular
   * bearers are metered, everything else is not (HarmonyOS: "Wi-Fi normally unmetered, cellular metered").
   */
  readonly metered?: readonly InterfacePattern[] | ((interfaceName: string, bearer: NetBearType) => boolean);
  /** Per-network DNS servers and search domains by interface name, replacing resolv.conf for that network. */
  readonly dns?: Readonly<Record<string, DnsOverride>>;
  /** resolv.conf giving every other network's DNS servers and domains. Default `/etc/resolv.conf`. */
  readonly resolvConfPath?: string;
  /** HTTP validation probe; default off (no VALIDATED / PORTAL / CHECKING_CONNECTIVITY). */
  readonly validation?: ValidationOptions | false;
  /** Destinations of the default-route lookup. Default {@link ROUTE_LOOKUP_IPV4} / {@link ROUTE_LOOKUP_IPV6}. */
  readonly routeLookup?: { readonly ipv4?: string; readonly ipv6?: string };
  /** Time limit of one DNS query attempt, in ms. Default {@link DEFAULT_DNS_TIMEOUT_MS}. */
  readonly dnsTimeoutMs?: number;
  /**
   * Extra facts per interface name, e.g. `NetworkManagerEnricher.links$`. Each emission replaces the previous map
   * and triggers a re-read. Default: none.
   */
  readonly linkInfo$?: Observable<ReadonlyMap<string, LinkInfo>>;
  /**
   * Clock of the monitor's timers, as an rxjs scheduler: the change debounce ({@link NetMonitorOptions.debounceMs}),
   * the `ip-monitor` settle read ({@link IP_MONITOR_SETTLE_MS}), the safety resync
   * ({@link NetMonitorOptions.resyncIntervalMs}), the validation re-probe interval
   * ({@link ValidationOptions.intervalMs}), the polling fallback after a source dies, and the in-process `poll`
   * source ({@link NetMonitorOptions.pollIntervalMs}). Tests pass core's `VirtualClock` to run these long intervals in
   * virtual time. Not covered: with `netns`, the agent process polls and times probes and DNS in real time; probe and
   * DNS time limits are always real time. Default: real time (rxjs `asyncScheduler`).
   */
  readonly scheduler?: SchedulerLike;
}

/** Options of {@link NetMonitor.getAddressesByName}. */
export interface ResolveOptions {
  /** Resolve on this network (its DNS servers, its source address); default: the system resolver. */
  readonly netId?: number;
  /** 0 both (default), 1 IPv4, 2 IPv6 (HarmonyOS `FamilyType`). */
  readonly family?: FamilyType;
}

const matches = (patterns: readonly InterfacePattern[], name: string): boolean =>
  patterns.some((p) => (typeof p === 'string' ? p === name : p.test(name)));

export function deriveConfig(
  o: NetMonitorOptions,
  linkInfo: () => ReadonlyMap<string, LinkInfo>,
): DeriveConfig {
  const include = o.interfaces?.include;
  const exclude = o.interfaces?.exclude ?? [];
  const metered = o.metered;
  return {
    accept: (name) => (include === undefined || matches(include, name)) && !matches(exclude, name),
    metered:
      typeof metered === 'function'
        ? metered
        : metered !== undefined
          ? (name) => matches(metered, name)
          : (name, bearer) => linkInfo().get(name)?.metered ?? bearer === NetBearType.BEARER_CELLULAR,
    dns: (name) => o.dns?.[name] ?? linkInfo().get(name)?.dns,
    bandwidthKbps: (name) => linkInfo().get(name)?.bandwidthKbps,
  };
}

export function validateOptions(o: NetMonitorOptions): void {
  const positive = (v: number | undefined, name: string, allowZero = false): void => {
    if (v !== undefined && !(Number.isFinite(v) && (v > 0 || (allowZero && v === 0)))) {
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of ms`,
      );
    }
  };
  positive(o.pollIntervalMs, 'pollIntervalMs');
  positive(o.debounceMs, 'debounceMs', true);
  positive(o.resyncIntervalMs, 'resyncIntervalMs', true);
  positive(o.dnsTimeoutMs, 'dnsTimeoutMs');
  if (o.source !== undefined && !['auto', 'netlink', 'ip-monitor', 'poll'].includes(o.source)) {
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `unknown source ${String(o.source)}`);
  }
  if (o.validation) {
    positive(o.validation.intervalMs, 'validation.intervalMs');
    positive(o.validation.timeoutMs, 'validation.timeoutMs');
    try {
      const u = new URL(o.validation.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `validation.url must be an http(s) URL: ${o.validation.url}`,
      );
    }
  }
  for (const [name, d] of Object.entries(o.dns ?? {})) {
    if (!d.servers.every((s) => isIP(s) !== 0)) {
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `dns.${name}.servers must be IP addresses`);
    }
  }
}
