/**
 * Enums of `@ohos.net.connection` with their exact values (harmony-api.md §3.3), as TypeScript `enum`s whose run-time
 * objects map name → value only (see `enums.ts`). `NetBearType` and `NetCap` have the values `@colink/net-monitor`
 * reports with.
 * @module
 */
import { forwardOnly } from '../enums.js';

/** Bearer (medium) of a network (since 8). */
export enum NetBearType {
  BEARER_CELLULAR = 0,
  BEARER_WIFI = 1,
  BEARER_BLUETOOTH = 2,
  BEARER_ETHERNET = 3,
  BEARER_VPN = 4,
}
forwardOnly(NetBearType);

/** Network capability (since 8). */
export enum NetCap {
  NET_CAPABILITY_MMS = 0,
  NET_CAPABILITY_NOT_METERED = 11,
  NET_CAPABILITY_INTERNET = 12,
  NET_CAPABILITY_NOT_VPN = 15,
  NET_CAPABILITY_VALIDATED = 16,
  NET_CAPABILITY_PORTAL = 17,
  NET_CAPABILITY_CHECKING_CONNECTIVITY = 31,
}
forwardOnly(NetCap);

/** Address family of a DNS query (since 23). */
export enum FamilyType {
  FAMILY_TYPE_ALL = 0,
  FAMILY_TYPE_IPV4 = 1,
  FAMILY_TYPE_IPV6 = 2,
}
forwardOnly(FamilyType);

/** System proxy mode (since 20, system API). */
export enum ProxyMode {
  PROXY_MODE_OFF = 0,
  PROXY_MODE_AUTO = 1,
}
forwardOnly(ProxyMode);

/** Where a SOCKS5 proxy resolves names (since 26.0.0). */
export enum Socks5DnsStrategy {
  SYSTEM_MODE = 0,
  PROXY_MODE = 1,
}
forwardOnly(Socks5DnsStrategy);

/** Transport protocol of `getConnectOwnerUid` (IANA protocol numbers; since 23). */
export enum ProtocolType {
  PROTO_TYPE_TCP = 6,
  PROTO_TYPE_UDP = 17,
}
forwardOnly(ProtocolType);

/** Probe packets of `queryTraceRoute` (since 26.0.0). */
export enum PacketsType {
  NETCONN_PACKETS_ICMP = 0,
  NETCONN_PACKETS_UDP = 1,
}
forwardOnly(PacketsType);

/** TCP socket states (Linux `tcp_states.h` numbering; since 24). */
export enum TcpState {
  TCP_ESTABLISHED = 1,
  TCP_SYN_SENT = 2,
  TCP_SYN_RECV = 3,
  TCP_FIN_WAIT1 = 4,
  TCP_FIN_WAIT2 = 5,
  TCP_TIME_WAIT = 6,
  TCP_CLOSE = 7,
  TCP_CLOSE_WAIT = 8,
  TCP_LAST_ACK = 9,
  TCP_LISTEN = 10,
  TCP_CLOSING = 11,
}
forwardOnly(TcpState);

/** IDNA conversion flags of `getDnsAscii` / `getDnsUnicode` (since 23). */
export enum ConversionProcess {
  NO_CONFIGURATION = 0,
  ALLOW_UNASSIGNED = 1,
  USE_STD3_ASCII_RULES = 2,
}
forwardOnly(ConversionProcess);
