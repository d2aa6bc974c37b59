/**
 * @packageDocumentation
 * `@colink/net-monitor`: Linux network state and its changes, in the shapes of HarmonyOS `@ohos.net.connection`.
 *
 * A *network* is an interface that is up, has carrier and a usable address. Each gets a netId from 100 upward
 * (never reused while alive), {@link NetCapabilities} (bearer from sysfs, INTERNET / NOT_VPN / NOT_METERED,
 * VALIDATED / PORTAL / CHECKING_CONNECTIVITY from an optional HTTP probe, link speed) and
 * {@link ConnectionProperties} (addresses, routes, DNS servers, MTU). The default network is the one the kernel's
 * route lookup picks for a public destination. Changes come from rtnetlink (npm `netlink`), `ip -o monitor` or
 * polling, chosen automatically; each notification only triggers a re-read and a diff.
 *
 * @example
 * ```ts
 * import { NetMonitor, NetCap } from '@colink/net-monitor';
 *
 * const monitor = await NetMonitor.start();            // or { netns: 'lab1' } to watch a namespace
 * console.log(`source ${monitor.source}, default netId ${monitor.defaultNetwork?.netId ?? 0}`);
 * monitor.events$.subscribe((e) => {
 *   if (e.type === 'defaultChanged') console.log('default network now', e.current?.interfaceName);
 * });
 * const net = monitor.defaultNetwork;
 * if (net?.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_INTERNET)) {
 *   console.log(await monitor.getAddressesByName('localhost'));
 * }
 * await monitor.close();
 * ```
 */
export {
  AGENT_REQUEST_TIMEOUT_MS,
  AGENT_START_TIMEOUT_MS,
  DEFAULT_DEBOUNCE_MS,
  DEFAULT_DNS_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_VALIDATION_INTERVAL_MS,
  IP_MONITOR_SETTLE_MS,
  KBPS_PER_MBPS,
  MAX_AGENT_LINE_BYTES,
  MAX_CONSISTENT_READ_ATTEMPTS,
  MAX_HOSTNAME_LENGTH,
  MAX_IFNAME_LENGTH,
  MAX_NAMESERVERS,
  MAX_NET_ID,
  MIN_NET_ID,
  NO_NET_ID,
  ROUTE_LOOKUP_IPV4,
  ROUTE_LOOKUP_IPV6,
} from './constants.js';
export { type FamilyType, type ResolveRequest, resolveHost } from './dns.js';
export type { Host, HostOptions, SourceChoice } from './host/host.js';
export { LocalHost } from './host/host.js';
export { parseResolvConf, RESOLV_CONF_PATH, readResolvConf } from './host/resolv-conf.js';
export type {
  AddressScope,
  HostSnapshot,
  LinkFacts,
  RawAddress,
  RawLink,
  RawRoute,
  ResolvConf,
  RouteLookup,
} from './host/snapshot.js';
export {
  dropLinksOnNetworkLoss,
  type LinkDropTarget,
  type NetworkLossCause,
  type NetworkLossDrop,
  type NetworkLossOptions,
  type NetworkSource,
} from './link-loss.js';
export { type Bearer, classifyBearer } from './model/bearer.js';
export {
  type Candidate,
  type DeriveConfig,
  type Derived,
  type DnsOverride,
  deriveNetworks,
  hasCarrier,
  isUsableAddress,
} from './model/derive.js';
export { NetIdAllocator } from './model/netid.js';
export { NetMonitor } from './monitor.js';
export {
  meteredFromNm,
  NetworkManagerEnricher,
  type NetworkManagerOptions,
  NM_BUS_NAME,
  NM_PATH,
} from './nm/network-manager.js';
export type {
  InterfacePattern,
  LinkInfo,
  NetMonitorOptions,
  ResolveOptions,
  ValidationOptions,
} from './options.js';
export { classifyProbeStatus, type ProbeRequest, type ProbeResult, runProbe } from './probe.js';
export { envHttpProxy, type HttpProxyLike } from './proxy.js';
export { matchesNetSpecifier, type NetSpecifierLike } from './specifier.js';
export {
  type ConnectionProperties,
  type LinkAddress,
  type NetAddress,
  NetBearType,
  NetCap,
  type NetCapabilities,
  type NetEvent,
  type NetEventType,
  type NetFamily,
  type Network,
  type ReaderKind,
  type RouteInfo,
  type SourceKind,
  type ValidationState,
} from './types.js';
