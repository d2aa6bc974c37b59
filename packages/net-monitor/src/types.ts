/**
 * Public shapes of `@colink/net-monitor`. Field names, enum values and units follow `@ohos.net.connection`
 * (harmony-api.md §3.2 and §3.3) so an api-compat layer can hand them out unchanged.
 * @module
 */

/**
 * Bearer (medium) of a network. Values are HarmonyOS `connection.NetBearType` (harmony-api.md §3.3).
 */
export const NetBearType = {
  BEARER_CELLULAR: 0,
  BEARER_WIFI: 1,
  BEARER_BLUETOOTH: 2,
  BEARER_ETHERNET: 3,
  BEARER_VPN: 4,
} as const;
export type NetBearType = (typeof NetBearType)[keyof typeof NetBearType];

/**
 * Network capability. Values are HarmonyOS `connection.NetCap` (harmony-api.md §3.3).
 */
export const NetCap = {
  NET_CAPABILITY_MMS: 0,
  NET_CAPABILITY_NOT_METERED: 11,
  NET_CAPABILITY_INTERNET: 12,
  NET_CAPABILITY_NOT_VPN: 15,
  NET_CAPABILITY_VALIDATED: 16,
  NET_CAPABILITY_PORTAL: 17,
  NET_CAPABILITY_CHECKING_CONNECTIVITY: 31,
} as const;
export type NetCap = (typeof NetCap)[keyof typeof NetCap];

/** Address family of a {@link NetAddress}: 1 = IPv4, 2 = IPv6 (HarmonyOS `NetAddress.family`). */
export type NetFamily = 1 | 2;

/** An IP address (HarmonyOS `NetAddress`, harmony-api.md §3.2). `port` is 0 unless a port is meant. */
export interface NetAddress {
  readonly address: string;
  readonly family: NetFamily;
  readonly port: number;
}

/** An address with its prefix length in bits (HarmonyOS `LinkAddress`). */
export interface LinkAddress {
  readonly address: NetAddress;
  readonly prefixLength: number;
}

/**
 * A route through a network's interface (HarmonyOS `RouteInfo`). Without a gateway, `gateway` is the unspecified
 * address of the family (`0.0.0.0` / `::`) and `hasGateway` is false. `isDefaultRoute` = destination `0.0.0.0/0` or
 * `::/0`. `isExcludedRoute` is always false on Linux (HarmonyOS uses it for VPN exclusions). `metric` and `table` are
 * Linux extras (route priority and routing table number; 254 = main).
 */
export interface RouteInfo {
  readonly interface: string;
  readonly destination: LinkAddress;
  readonly gateway: NetAddress;
  readonly hasGateway: boolean;
  readonly isDefaultRoute: boolean;
  readonly isExcludedRoute: boolean;
  readonly metric: number;
  readonly table: number;
}

/**
 * Link properties of a network (HarmonyOS `ConnectionProperties`, harmony-api.md §3.2).
 * - `domains`: DNS search domains, space-separated (resolv.conf `search` syntax); `''` when none.
 * - `linkAddresses`: every non-tentative address of the interface, IPv4 first.
 * - `dnses`: the network's DNS servers (per-network override, else the resolv.conf name servers).
 * - `routes`: unicast routes out of the interface in every table but `local`.
 * - `mtu`: interface MTU in bytes.
 * - `isIPv4LinkValid` / `isIPv6LinkValid`: the family has a usable address and a default route on this network.
 */
export interface ConnectionProperties {
  readonly interfaceName: string;
  readonly domains: string;
  readonly linkAddresses: readonly LinkAddress[];
  readonly dnses: readonly NetAddress[];
  readonly routes: readonly RouteInfo[];
  readonly mtu: number;
  readonly isIPv4LinkValid: boolean;
  readonly isIPv6LinkValid: boolean;
}

/**
 * Capabilities of a network (HarmonyOS `NetCapabilities`, harmony-api.md §3.2). `bearerTypes` has exactly one element;
 * `networkCap` is sorted ascending; bandwidths are in kbit/s from sysfs `speed` (0 = cannot be estimated).
 */
export interface NetCapabilities {
  readonly linkUpBandwidthKbps: number;
  readonly linkDownBandwidthKbps: number;
  readonly networkCap: readonly NetCap[];
  readonly bearerTypes: readonly NetBearType[];
}

/** Result of the HTTP validation probe of one network. */
export type ValidationState = 'unknown' | 'checking' | 'validated' | 'portal' | 'failed';

/**
 * One network: an interface that is up, has carrier and a usable address. Immutable; every change produces a new
 * object with the same `netId`. This is the data behind a HarmonyOS `NetHandle` (`netId` ≥ 100).
 */
export interface Network {
  /** Identifier ≥ {@link MIN_NET_ID}; never reused while the network lives; a reappearing network gets a new one. */
  readonly netId: number;
  /** Kernel interface name (`eth0`, `wlan0`, …). */
  readonly interfaceName: string;
  /** Kernel interface index. */
  readonly ifindex: number;
  readonly capabilities: NetCapabilities;
  readonly properties: ConnectionProperties;
  /** HarmonyOS block status: set through {@link NetMonitor.setBlocked}; Linux has no per-app equivalent. */
  readonly blocked: boolean;
  /** A virtual link (veth, bridge, tun, …) rather than a device on a bus. */
  readonly virtual: boolean;
  /** `ip -d link` `linkinfo.info_kind` (`veth`, `bridge`, `tun`, …) or undefined for physical devices. */
  readonly linkKind: string | undefined;
  /** State of the HTTP validation probe. */
  readonly validation: ValidationState;
  /** Preferred source addresses (for `localAddress` binding): first usable address of each family. */
  readonly localAddresses: { readonly ipv4: string | undefined; readonly ipv6: string | undefined };
  /** `Date.now()` when the network appeared, in ms. */
  readonly availableSince: number;
}

/** How changes are noticed: rtnetlink multicast, an `ip -o monitor` child process, or a timer. */
export type SourceKind = 'netlink' | 'ip-monitor' | 'poll';

/** How state is read: rtnetlink dumps through the `netlink` package, or `ip -j` JSON. */
export type ReaderKind = 'netlink' | 'ip';

/**
 * A change of network state. Order within one re-read: every `lost`, then for each new network `available`,
 * `capabilitiesChanged`, `propertiesChanged` (the HarmonyOS order, harmony-api.md §3.4), then changes of existing
 * networks, then `defaultChanged`.
 */
export type NetEvent =
  | { readonly type: 'available'; readonly network: Network }
  | { readonly type: 'lost'; readonly network: Network }
  | {
      readonly type: 'capabilitiesChanged';
      readonly network: Network;
      readonly capabilities: NetCapabilities;
    }
  | {
      readonly type: 'propertiesChanged';
      readonly network: Network;
      readonly properties: ConnectionProperties;
    }
  | { readonly type: 'blockStatusChanged'; readonly network: Network; readonly blocked: boolean }
  | {
      readonly type: 'defaultChanged';
      readonly previous: Network | undefined;
      readonly current: Network | undefined;
    };

/** The `type` of a {@link NetEvent}. */
export type NetEventType = NetEvent['type'];
