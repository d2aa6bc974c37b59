/**
 * Named limits and defaults of `@colink/net-monitor`, each with the source of its number.
 * @module
 */

/** Smallest netId handed out. Source: OpenHarmony netmanager `MIN_NET_ID` (harmony-api.md §3.2: valid ids ≥ 100). */
export const MIN_NET_ID = 100;

/** Largest netId handed out before wrapping to {@link MIN_NET_ID}. Source: OpenHarmony netmanager `0xFFFF - 0x400`. */
export const MAX_NET_ID = 0xffff - 0x400;

/** netId of "no network" (HarmonyOS `getDefaultNet` with no default network). Source: harmony-api.md §3.1. */
export const NO_NET_ID = 0;

/**
 * Coalescing window after a change notification before the state is re-read, in ms. Short enough for a netlink
 * detection p50 well under 20 ms, long enough to fold the burst of messages one `ip` command causes.
 */
export const DEFAULT_DEBOUNCE_MS = 3;

/**
 * Reads of one re-read, at most, while notifications keep arriving during them (links, addresses and routes are
 * separate dumps; a change between them shows half done). Three covers the link-down → route-flush sequence; the
 * next notification reads again anyway.
 */
export const MAX_CONSISTENT_READ_ATTEMPTS = 3;

/** Interval of the `poll` source, in ms. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

/**
 * Delay of the one settle read after an `ip -o monitor` source starts, in ms: `ip monitor` subscribes a moment after
 * its process starts, and this read closes that window (our choice; the value the monitor has always used).
 */
export const IP_MONITOR_SETTLE_MS = 250;

/** Safety re-read interval for event sources (recovers from netlink overruns), in ms. 0 disables it. */
export const DEFAULT_RESYNC_INTERVAL_MS = 30_000;

/** Interval between two validation probes of one network, in ms (Android's default re-evaluation is 10 min). */
export const DEFAULT_VALIDATION_INTERVAL_MS = 60_000;

/** Time limit of one validation probe (connect + response headers), in ms. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** Time limit of one DNS query attempt, in ms (glibc resolv.conf default `timeout:5`). */
export const DEFAULT_DNS_TIMEOUT_MS = 5_000;

/** Maximum name servers used from resolv.conf. Source: glibc `<resolv.h>` `MAXNS`. */
export const MAX_NAMESERVERS = 3;

/**
 * Public destinations whose kernel route lookup (`ip route get`, RTM_GETROUTE) names the default network. A lookup
 * sends no packet. Source: linux-net.md "the route the kernel would pick for a public destination".
 */
export const ROUTE_LOOKUP_IPV4 = '8.8.8.8';
/** IPv6 twin of {@link ROUTE_LOOKUP_IPV4}. */
export const ROUTE_LOOKUP_IPV6 = '2001:4860:4860::8888';

/** Time the namespace agent may take to start and report its source, in ms. */
export const AGENT_START_TIMEOUT_MS = 20_000;

/** Time limit of one request to the namespace agent, in ms. */
export const AGENT_REQUEST_TIMEOUT_MS = 15_000;

/** Longest line accepted from the namespace agent, in bytes (a snapshot of ~1000 links fits). */
export const MAX_AGENT_LINE_BYTES = 8 * 1024 * 1024;

/** Longest interface name. Source: Linux `IFNAMSIZ` (16 including the NUL). */
export const MAX_IFNAME_LENGTH = 15;

/** Longest host name accepted for resolution. Source: RFC 1035 §2.3.4 (255 octets on the wire, 253 as text). */
export const MAX_HOSTNAME_LENGTH = 253;

/** Kilobits per second in one Mbit/s (sysfs `speed` unit → HarmonyOS `link*BandwidthKbps`). */
export const KBPS_PER_MBPS = 1_000;
