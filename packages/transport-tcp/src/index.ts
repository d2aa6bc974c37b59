/**
 * @packageDocumentation
 * `@colink/transport-tcp`: colink's LAN TCP medium. {@link TcpTransport} implements core's `Transport`: it listens
 * on an ephemeral port (IPv4 and IPv6), dials `host:port` / `[v6]:port`, and turns every socket into a core
 * `Conduit` with core's {@link socketConduit} (TCP_NODELAY, corked batched writes, `write()`/`drain` backpressure, every
 * socket error mapped to a close reason). Devices find each other with DNS-SD (RFC 6763) over mDNS (RFC 6762),
 * service type `_colink._tcp.local`, one `multicast-dns` socket per interface.
 *
 * @example
 * ```ts
 * import { TcpTransport } from '@colink/transport-tcp';
 *
 * // Loopback mode: mDNS stays on 127.0.0.1, on a private port.
 * const tcp = new TcpTransport({ host: '127.0.0.1', discovery: { interface: '127.0.0.1', bind: '0.0.0.0', port: 45353 } });
 * await tcp.start();
 * await tcp.advertise({ networkId: 'a1'.repeat(32), deviceName: 'desk', deviceType: 'pc' });
 * tcp.discover().subscribe(async (event) => {
 *   if (event.type !== 'found') return;
 *   const conduit = await tcp.dial(event.peer.address);
 *   conduit.write([new TextEncoder().encode('hello')]);
 * });
 * ```
 */

// socketConduit and its close reasons live in @colink/core (shared by every socket-based medium); re-exported here
// for compatibility.
export {
  LOST_ERRNO,
  REMOTE_FIN,
  type SocketConduitOptions,
  socketConduit,
  socketErrorReason,
} from '@colink/core';
export { formatAddress, type HostPort, parseAddress } from './address.js';
export {
  ACCEPT_BURST_PER_SOURCE,
  ACCEPT_RATE_PER_SOURCE,
  ANNOUNCE_COUNT,
  ANNOUNCE_INTERVAL_MS,
  CLOSE_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_INBOUND_CONNECTIONS,
  FIRST_QUERY_DELAY_MS,
  GATEKEEPER_MAX_RESTARTS,
  GATEKEEPER_MAX_WAITING,
  GATEKEEPER_MAX_WAITING_PER_SOURCE,
  GATEKEEPER_NICE,
  GATEKEEPER_RESTART_WINDOW_MS,
  GATEKEEPER_STATS_INTERVAL_MS,
  GATEKEEPER_STOP_TIMEOUT_MS,
  GOODBYE_GRACE_MS,
  HOST_RECORD_TTL_S,
  INTERFACE_SCAN_INTERVAL_MS,
  MAX_LABEL_BYTES,
  MAX_MDNS_MESSAGE_BYTES,
  MAX_TRACKED_ACCEPT_SOURCES,
  MAX_TXT_RECORD_BYTES,
  MAX_TXT_STRING_BYTES,
  MDNS_IPV4_GROUP,
  MDNS_IPV6_GROUP,
  MDNS_PORT,
  MIN_MULTICAST_INTERVAL_MS,
  OTHER_RECORD_TTL_S,
  POOF_ANSWER_GRACE_MS,
  POOF_QUERY_COUNT,
  POOF_WINDOW_MS,
  PROBE_COUNT,
  PROBE_DEFENCE_INTERVAL_MS,
  PROBE_DEFER_MS,
  PROBE_INITIAL_WAIT_MAX_MS,
  PROBE_INTERVAL_MS,
  PROBE_RATE_LIMIT_MS,
  PROTOCOL_VERSION,
  QUERY_INTERVAL_MAX_MS,
  QUERY_INTERVAL_MIN_MS,
  REFRESH_FRACTIONS,
  SERVICE_ENUMERATION,
  SERVICE_TYPE,
  SHARED_RESPONSE_DELAY_MS,
  TARPIT_HOLD_MS,
  TARPIT_MAX_HELD,
  TARPIT_RESETS_PER_TICK,
  TARPIT_TICK_MS,
  TCP_MAX_FRAME_SIZE,
  TCP_PRIORITY,
  TXT_VERSION,
} from './constants.js';
export type { GatekeeperCounts } from './gatekeeper/messages.js';
export { DISCOVERY_TICK_MS, DnsSdDiscovery, type DnsSdOptions } from './mdns/discovery.js';
export type { InterfaceSelection, SelectedInterface } from './mdns/interfaces.js';
export { scanInterfaces } from './mdns/interfaces.js';
export { advertToTxt, TXT_KEYS, txtToAdvert } from './mdns/txt.js';
export type { TarpitCounts } from './tarpit.js';
export { type GatekeeperStats, TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
