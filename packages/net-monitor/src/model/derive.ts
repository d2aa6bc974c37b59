/**
 * From a {@link HostSnapshot} to networks: pure functions, no state. A network is an interface that is up, has
 * carrier (IFF_LOWER_UP, operstate up/unknown) and a usable address (IPv4 other than host scope, or IPv6 of global or
 * site scope; never tentative or DAD-failed).
 * @module
 */
import { KBPS_PER_MBPS } from '../constants.js';
import {
  type HostSnapshot,
  type RawAddress,
  type RawLink,
  type RawRoute,
  RT_TABLE_LOCAL,
} from '../host/snapshot.js';
import {
  NetBearType as Bearer,
  type ConnectionProperties,
  type LinkAddress,
  type NetAddress,
  type NetBearType,
  NetCap,
  type RouteInfo,
} from '../types.js';
import { classifyBearer } from './bearer.js';

/** Per-network DNS configuration overriding resolv.conf. */
export interface DnsOverride {
  /** Name server IP addresses. */
  readonly servers: readonly string[];
  /** Search domains. */
  readonly domains?: readonly string[];
}

/** What derivation needs besides the snapshot. */
export interface DeriveConfig {
  /** True for interfaces that may become networks (loopback never does). */
  readonly accept: (interfaceName: string) => boolean;
  /** Whether the network is metered (decides NET_CAPABILITY_NOT_METERED). */
  readonly metered: (interfaceName: string, bearer: NetBearType) => boolean;
  /** Per-network DNS override, or undefined to use resolv.conf. */
  readonly dns: (interfaceName: string) => DnsOverride | undefined;
  /** Bandwidth in kbit/s known from elsewhere (used when sysfs `speed` is unknown). */
  readonly bandwidthKbps?: (interfaceName: string) => number | undefined;
}

/** A network as the snapshot shows it, before netIds, validation and block status. */
export interface Candidate {
  /** Identity of the network: `<ifindex>:<name>` (a renamed or re-created interface is a new network). */
  readonly key: string;
  readonly ifindex: number;
  readonly name: string;
  readonly bearer: NetBearType;
  readonly virtual: boolean;
  readonly kind: string | undefined;
  /** Has a default route: NET_CAPABILITY_INTERNET. */
  readonly internet: boolean;
  /** networkCap without the validation capabilities, ascending. */
  readonly caps: readonly NetCap[];
  /** Link speed in kbit/s, 0 when unknown. */
  readonly bandwidthKbps: number;
  readonly properties: ConnectionProperties;
  readonly localAddresses: { readonly ipv4: string | undefined; readonly ipv6: string | undefined };
}

/** Output of {@link deriveNetworks}. */
export interface Derived {
  readonly candidates: ReadonlyMap<string, Candidate>;
  /** Key of the default network's candidate. */
  readonly defaultKey: string | undefined;
}

const netAddress = (address: string, family: 4 | 6): NetAddress => ({
  address,
  family: family === 4 ? 1 : 2,
  port: 0,
});

/** True for an address a network can use as its source. */
export function isUsableAddress(a: RawAddress): boolean {
  if (a.tentative || a.dadFailed) return false;
  return a.family === 4
    ? a.scope !== 'host' && a.scope !== 'nowhere'
    : a.scope === 'global' || a.scope === 'site';
}

/** True for an interface state that can carry a network. */
export function hasCarrier(l: RawLink): boolean {
  return l.up && l.lowerUp && (l.operstate === 'up' || l.operstate === 'unknown');
}

const isDefault = (r: RawRoute): boolean => r.dstLength === 0;

function routeInfo(r: RawRoute, name: string): RouteInfo {
  const unspecified = r.family === 4 ? '0.0.0.0' : '::';
  return {
    interface: name,
    destination: { address: netAddress(r.dst, r.family), prefixLength: r.dstLength },
    gateway: netAddress(r.gateway ?? unspecified, r.family),
    hasGateway: r.gateway !== undefined,
    isDefaultRoute: isDefault(r),
    isExcludedRoute: false,
    metric: r.metric,
    table: r.table,
  };
}

function compareAddresses(a: RawAddress, b: RawAddress): number {
  return a.family - b.family;
}

/** Derives candidates and the default network from `snap`. */
export function deriveNetworks(snap: HostSnapshot, config: DeriveConfig): Derived {
  const candidates = new Map<string, Candidate>();
  const byIndex = new Map<number, Candidate>();
  const routesByIndex = new Map<number, RawRoute[]>();
  for (const r of snap.routes) {
    if (r.oif === undefined || r.table === RT_TABLE_LOCAL || r.type !== 'unicast') continue;
    const list = routesByIndex.get(r.oif) ?? [];
    list.push(r);
    routesByIndex.set(r.oif, list);
  }
  for (const link of snap.links) {
    if (link.loopback || !hasCarrier(link) || !config.accept(link.name)) continue;
    const addrs = snap.addresses
      .filter((a) => a.index === link.index && !a.tentative && !a.dadFailed)
      .sort(compareAddresses);
    const usable = addrs.filter(isUsableAddress);
    if (usable.length === 0) continue;
    const facts = snap.facts[String(link.index)];
    const bearer = classifyBearer(link.name, link.kind, facts);
    const routes = (routesByIndex.get(link.index) ?? []).sort(
      (a, b) => a.family - b.family || a.metric - b.metric,
    );
    const ipv4 = usable.find((a) => a.family === 4)?.address;
    const ipv6 =
      usable.find((a) => a.family === 6 && !a.deprecated)?.address ??
      usable.find((a) => a.family === 6)?.address;
    const default4 = routes.some((r) => r.family === 4 && isDefault(r));
    const default6 = routes.some((r) => r.family === 6 && isDefault(r));
    const internet = default4 || default6;
    const dns = config.dns(link.name);
    const servers = dns?.servers ?? snap.resolvConf.nameservers;
    const domains = dns?.domains ?? (dns === undefined ? snap.resolvConf.search : []);
    const caps: NetCap[] = [];
    if (!config.metered(link.name, bearer.type)) caps.push(NetCap.NET_CAPABILITY_NOT_METERED);
    if (internet) caps.push(NetCap.NET_CAPABILITY_INTERNET);
    if (bearer.type !== Bearer.BEARER_VPN) caps.push(NetCap.NET_CAPABILITY_NOT_VPN);
    const linkAddresses: LinkAddress[] = addrs
      .filter((a) => a.scope !== 'host' && a.scope !== 'nowhere')
      .map((a) => ({ address: netAddress(a.address, a.family), prefixLength: a.prefixLength }));
    const candidate: Candidate = {
      key: `${link.index}:${link.name}`,
      ifindex: link.index,
      name: link.name,
      bearer: bearer.type,
      virtual: bearer.virtual,
      kind: link.kind,
      internet,
      caps,
      bandwidthKbps:
        facts?.speedMbps !== undefined
          ? facts.speedMbps * KBPS_PER_MBPS
          : (config.bandwidthKbps?.(link.name) ?? 0),
      properties: {
        interfaceName: link.name,
        domains: domains.join(' '),
        linkAddresses,
        dnses: servers.map((s) => netAddress(s, s.includes(':') ? 6 : 4)),
        routes: routes.map((r) => routeInfo(r, link.name)),
        mtu: link.mtu,
        isIPv4LinkValid: ipv4 !== undefined && default4,
        isIPv6LinkValid: ipv6 !== undefined && default6,
      },
      localAddresses: { ipv4, ipv6 },
    };
    candidates.set(candidate.key, candidate);
    byIndex.set(link.index, candidate);
  }
  return { candidates, defaultKey: pickDefault(snap, byIndex) };
}

/**
 * The default network: the interface of the kernel's route lookup for a public destination (IPv4 first, then IPv6),
 * when that interface is a network; otherwise the network of the lowest-metric default route (main table first).
 */
function pickDefault(snap: HostSnapshot, byIndex: ReadonlyMap<number, Candidate>): string | undefined {
  for (const family of [4, 6] as const) {
    const l = snap.lookups.find((x) => x.family === family);
    const c = l?.oif === undefined ? undefined : byIndex.get(l.oif);
    if (c !== undefined) return c.key;
  }
  const defaults = snap.routes
    .filter(
      (r) =>
        r.type === 'unicast' &&
        r.table !== RT_TABLE_LOCAL &&
        isDefault(r) &&
        !r.linkDown &&
        r.oif !== undefined &&
        byIndex.has(r.oif),
    )
    .sort((a, b) => a.family - b.family || a.metric - b.metric);
  const best = defaults[0];
  return best === undefined ? undefined : byIndex.get(best.oif!)?.key;
}

/** Sorts and de-duplicates capabilities. */
export function sortCaps(caps: Iterable<NetCap>): NetCap[] {
  return [...new Set(caps)].sort((a, b) => a - b);
}
