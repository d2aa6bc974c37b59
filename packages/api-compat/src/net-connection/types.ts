/**
 * Interfaces of `@ohos.net.connection` (harmony-api.md §3.2), exact HarmonyOS shapes (mutable, with HarmonyOS's
 * optional fields). `convert.ts` turns `@colink/net-monitor` data into them (dropping its Linux extras).
 * @module
 */
import type { FamilyType, NetBearType, NetCap, PacketsType, Socks5DnsStrategy, TcpState } from './enums.js';
import type { NetHandle } from './net-handle.js';

/** An IP address: `family` 1 = IPv4, 2 = IPv6 (default 1); `port` 0–65535 (0 unless a port is meant). */
export interface NetAddress {
  address: string;
  family?: number;
  port?: number;
}

/** An address with its prefix length in bits. */
export interface LinkAddress {
  address: NetAddress;
  prefixLength: number;
}

/**
 * A route through a network's interface. Without a gateway, `gateway` is `0.0.0.0` / `::` and `hasGateway` false;
 * `isDefaultRoute` = destination `0.0.0.0/0` or `::/0`; `isExcludedRoute` is always false on Linux.
 */
export interface RouteInfo {
  interface: string;
  destination: LinkAddress;
  gateway: NetAddress;
  hasGateway: boolean;
  isDefaultRoute: boolean;
  isExcludedRoute?: boolean;
}

/**
 * Link properties of a network: `domains` search domains (space-separated), `mtu` in bytes, `isIPv4LinkValid` /
 * `isIPv6LinkValid` = usable address and default route of that family.
 */
export interface ConnectionProperties {
  interfaceName: string;
  domains: string;
  linkAddresses: Array<LinkAddress>;
  dnses: Array<NetAddress>;
  routes: Array<RouteInfo>;
  mtu: number;
  isIPv4LinkValid?: boolean;
  isIPv6LinkValid?: boolean;
}

/**
 * Capabilities of a network: bandwidths in kbit/s (0 = cannot be estimated), `networkCap` ascending, `bearerTypes`
 * exactly one element.
 */
export interface NetCapabilities {
  linkUpBandwidthKbps?: number;
  linkDownBandwidthKbps?: number;
  networkCap?: Array<NetCap>;
  bearerTypes: Array<NetBearType>;
}

/** The network a `NetConnection` asks for (since 8). Missing arrays match anything. */
export interface NetSpecifier {
  netCapabilities: {
    linkUpBandwidthKbps?: number;
    linkDownBandwidthKbps?: number;
    networkCap?: NetCap[];
    bearerTypes: NetBearType[];
  };
  /** Cellular slot (`slot0`) or registered WLAN hotspot on HarmonyOS; compared with the interface name here. */
  bearerPrivateIdentifier?: string;
}

/** Payload of `'netCapabilitiesChange'` (since 10). */
export interface NetCapabilityInfo {
  netHandle: NetHandle;
  netCap: NetCapabilities;
}

/** Payload of `'netConnectionPropertiesChange'` (since 11). */
export interface NetConnectionPropertyInfo {
  netHandle: NetHandle;
  connectionProperties: ConnectionProperties;
}

/** Payload of `'netBlockStatusChange'` (since 11). */
export interface NetBlockStatusInfo {
  netHandle: NetHandle;
  blocked: boolean;
}

/** Options of `getAddressesByNameWithOptions` (since 23). */
export interface QueryOptions {
  family?: FamilyType;
}

/**
 * An HTTP proxy (since 10). `port` 0–65535; `username`/`password` only used together; `exclusionList` host rules
 * (exact or substring, case-insensitive; a lone `*` disables the proxy).
 */
export interface HttpProxy {
  host: string;
  port: number;
  username?: string;
  password?: string;
  exclusionList: Array<string>;
}

/** A SOCKS5 proxy (since 26.0.0; declared, consumed by no function of this module). */
export interface Socks5Proxy {
  host: string;
  port: number;
  username?: string;
  password?: string;
  dnsStrategy?: Socks5DnsStrategy;
  exclusionList?: Array<string>;
}

/** One neighbour-table entry (since 22). */
export interface NetIpMacInfo {
  ipAddress: NetAddress;
  iface: string;
  macAddress: string;
}

/** TCP socket of `getSystemNetPortStates` (since 24). */
export interface TcpNetPortStatesInfo {
  tcpLocalIp: string;
  tcpLocalPort: number;
  tcpRemoteIp: string;
  tcpRemotePort: number;
  tcpUid: number;
  tcpPid: number;
  tcpState: TcpState;
}

/** UDP socket of `getSystemNetPortStates` (since 24). */
export interface UdpNetPortStatesInfo {
  udpLocalIp: string;
  udpLocalPort: number;
  udpUid: number;
  udpPid: number;
}

/** Result of `getSystemNetPortStates` (since 24). */
export interface NetPortStatesInfo {
  tcpPortStatesInfo?: Array<TcpNetPortStatesInfo>;
  udpPortStatesInfo?: Array<UdpNetPortStatesInfo>;
}

/** Options of `queryTraceRoute` (since 26.0.0). */
export interface TraceRouteOptions {
  maxJumpNumber?: number;
  packetsType?: PacketsType;
}

/** One hop of `queryTraceRoute`: `rtt` = [min, avg, max, std-dev] in ms (since 26.0.0). */
export interface TraceRouteInfo {
  jumpNo: number;
  address: string;
  rtt: number[];
}

/** Result of `queryProbeResult`: `lossRate` in percent, `rtt` in ms (since 26.0.0). */
export interface ProbeResultInfo {
  lossRate: number;
  rtt: number[];
}
