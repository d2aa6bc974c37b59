/**
 * The raw, JSON-serialisable picture of one network namespace that every reader produces and the model derives
 * networks from. It crosses the process boundary of the namespace agent unchanged.
 * @module
 */

/** Address scope names as `ip` prints them (`rtnetlink.h` `RT_SCOPE_*`). */
export type AddressScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

/** One interface (RTM_NEWLINK / `ip -j -d link`). */
export interface RawLink {
  readonly index: number;
  readonly name: string;
  /** IFF_UP: administratively up. */
  readonly up: boolean;
  /** IFF_LOWER_UP: the driver reports carrier. */
  readonly lowerUp: boolean;
  readonly loopback: boolean;
  /** RFC 2863 operational state, lower case (`up`, `down`, `dormant`, `unknown`, …). */
  readonly operstate: string;
  /** MTU in bytes. */
  readonly mtu: number;
  /** `linkinfo.info_kind` (veth, bridge, tun, …) or undefined. */
  readonly kind: string | undefined;
}

/** One address (RTM_NEWADDR / `ip -j addr`). */
export interface RawAddress {
  readonly index: number;
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  readonly scope: AddressScope;
  /** Duplicate address detection still running (IFA_F_TENTATIVE). */
  readonly tentative: boolean;
  readonly dadFailed: boolean;
  readonly deprecated: boolean;
}

/** One route (RTM_NEWROUTE / `ip -j route show table all`). */
export interface RawRoute {
  readonly family: 4 | 6;
  readonly table: number;
  /** Lower-case route type (`unicast`, `local`, `broadcast`, `multicast`, `unreachable`, …). */
  readonly type: string;
  /** Destination network address (`0.0.0.0` / `::` for default routes). */
  readonly dst: string;
  readonly dstLength: number;
  readonly gateway: string | undefined;
  /** Output interface index, undefined for routes without a device (unreachable, multipath). */
  readonly oif: number | undefined;
  /** Route priority (`metric`); lower wins. */
  readonly metric: number;
  readonly prefsrc: string | undefined;
  /** The nexthop's link has no carrier (RTNH_F_LINKDOWN). */
  readonly linkDown: boolean;
}

/** Result of a kernel route lookup for a public destination (`ip route get`, RTM_GETROUTE): no packet is sent. */
export interface RouteLookup {
  readonly family: 4 | 6;
  readonly oif: number | undefined;
  readonly prefsrc: string | undefined;
  readonly gateway: string | undefined;
}

/** What sysfs (`/sys/class/net/<if>/`) says about an interface. */
export interface LinkFacts {
  /** ARPHRD_* hardware type (`type`): 1 ether, 772 loopback, 65534 none, 512 ppp, 519 rawip. */
  readonly arpType: number | undefined;
  /** `uevent` DEVTYPE (`wlan`, `wwan`, `bluetooth`, `vlan`, `bridge`, …). */
  readonly devtype: string | undefined;
  /** `wireless/` or `phy80211/` exists. */
  readonly wireless: boolean;
  /** `tun_flags` exists (tun/tap device); `tunFlags` holds its value (IFF_TUN 0x1, IFF_TAP 0x2). */
  readonly tunFlags: number | undefined;
  /** Kernel driver name (basename of `device/driver`), undefined for virtual links. */
  readonly driver: string | undefined;
  /** `device` exists: the link sits on a bus (physical or paravirtual NIC). */
  readonly hasDevice: boolean;
  /** `speed` in Mbit/s; undefined when unreadable or -1 (virtio, veth). */
  readonly speedMbps: number | undefined;
}

/** The global resolver configuration (`/etc/resolv.conf`; `ip netns exec` bind-mounts `/etc/netns/<ns>/resolv.conf`). */
export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
}

/** Everything one re-read returns. */
export interface HostSnapshot {
  readonly links: readonly RawLink[];
  readonly addresses: readonly RawAddress[];
  readonly routes: readonly RawRoute[];
  readonly lookups: readonly RouteLookup[];
  /** Keyed by interface index (as a string: JSON object keys). */
  readonly facts: Readonly<Record<string, LinkFacts>>;
  readonly resolvConf: ResolvConf;
}

/** Links, addresses, routes and lookups: the part a reader (netlink or ip) provides. */
export type KernelState = Pick<HostSnapshot, 'links' | 'addresses' | 'routes' | 'lookups'>;

/** Maps a numeric `RT_SCOPE_*` to its name. */
export function scopeName(scope: number): AddressScope {
  if (scope === 0) return 'global';
  if (scope === 200) return 'site';
  if (scope === 253) return 'link';
  if (scope === 254) return 'host';
  return 'nowhere';
}

/** RFC 2863 operational states by IFLA_OPERSTATE value. */
export const OPERSTATES = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
] as const;

/** Routing table numbers (`rtnetlink.h` `RT_TABLE_*`). */
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
