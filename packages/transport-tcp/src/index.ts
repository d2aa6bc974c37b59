/**
 * @packageDocumentation
 * `@colink/transport-tcp`: colink's LAN TCP medium. {@link TcpTransport} implements core's `Transport`: it listens
 * on an ephemeral port (IPv4 and IPv6), dials `host:port` / `[v6]:port`, and turns every socket into a core
 * `Conduit` with {@link socketConduit} (TCP_NODELAY, corked batched writes, `write()`/`drain` backpressure, every
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
export { formatAddress, type HostPort, parseAddress } from './address.js';
export { LOST_ERRNO, REMOTE_FIN, socketErrorReason } from './close-reason.js';
export * from './constants.js';
export { DISCOVERY_TICK_MS, DnsSdDiscovery, type DnsSdOptions } from './mdns/discovery.js';
export type { InterfaceSelection, SelectedInterface } from './mdns/interfaces.js';
export { scanInterfaces } from './mdns/interfaces.js';
export { advertToTxt, TXT_KEYS, txtToAdvert } from './mdns/txt.js';
export { type SocketConduitOptions, socketConduit } from './socket-conduit.js';
export { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
