/**
 * Enums of `@ohos.net.connection` with their exact values (harmony-api.md §3.3). `NetBearType` and `NetCap` are the
 * ones `@colink/net-monitor` reports with.
 * @module
 */
export { NetBearType, NetCap } from '@colink/net-monitor';

/** Address family of a DNS query (since 23). */
export const FamilyType = { FAMILY_TYPE_ALL: 0, FAMILY_TYPE_IPV4: 1, FAMILY_TYPE_IPV6: 2 } as const;
export type FamilyType = (typeof FamilyType)[keyof typeof FamilyType];

/** System proxy mode (since 20, system API). */
export const ProxyMode = { PROXY_MODE_OFF: 0, PROXY_MODE_AUTO: 1 } as const;
export type ProxyMode = (typeof ProxyMode)[keyof typeof ProxyMode];

/** Where a SOCKS5 proxy resolves names (since 26.0.0). */
export const Socks5DnsStrategy = { SYSTEM_MODE: 0, PROXY_MODE: 1 } as const;
export type Socks5DnsStrategy = (typeof Socks5DnsStrategy)[keyof typeof Socks5DnsStrategy];

/** Transport protocol of `getConnectOwnerUid` (IANA protocol numbers; since 23). */
export const ProtocolType = { PROTO_TYPE_TCP: 6, PROTO_TYPE_UDP: 17 } as const;
export type ProtocolType = (typeof ProtocolType)[keyof typeof ProtocolType];

/** Probe packets of `queryTraceRoute` (since 26.0.0). */
export const PacketsType = { NETCONN_PACKETS_ICMP: 0, NETCONN_PACKETS_UDP: 1 } as const;
export type PacketsType = (typeof PacketsType)[keyof typeof PacketsType];

/** TCP socket states (Linux `tcp_states.h` numbering; since 24). */
export const TcpState = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
} as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

/** IDNA conversion flags of `getDnsAscii` / `getDnsUnicode` (since 23). */
export const ConversionProcess = {
  NO_CONFIGURATION: 0,
  ALLOW_UNASSIGNED: 1,
  USE_STD3_ASCII_RULES: 2,
} as const;
export type ConversionProcess = (typeof ConversionProcess)[keyof typeof ConversionProcess];
