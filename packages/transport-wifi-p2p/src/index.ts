/**
 * @packageDocumentation
 * `@colink/transport-wifi-p2p`: Wi-Fi Direct (P2P) for colink, driven through wpa_supplicant's control interface.
 *
 * - {@link WpaCtrlClient}: the wpa_supplicant 2.10 control protocol over unix datagram sockets, typed events.
 * - {@link P2pService}: find / listen / connect / groups / peers on top of it.
 * - {@link WifiP2pTransport}: the colink `Transport` (medium `'wifi-p2p'`): discovery by P2P device discovery,
 *   conduits over TCP between group owner and client.
 * - `@colink/transport-wifi-p2p/testing`: a faithful fake wpa_supplicant and shared medium for tests.
 *
 * @example
 * ```ts
 * import { WpaCtrlClient, P2pService } from '@colink/transport-wifi-p2p';
 * const wpa = await WpaCtrlClient.open({ ctrlPath: '/run/wpa_supplicant/p2p-dev-wlan0' });
 * const p2p = new P2pService(wpa);
 * p2p.peers$.subscribe((peers) => console.log([...peers.values()].map((p) => p.deviceName)));
 * await p2p.find();
 * ```
 */
export * from './constants.js';
export * from './dgram-socket.js';
export * from './dhcp.js';
export * from './group-addressing.js';
export * from './p2p-peer.js';
export * from './p2p-service.js';
export * from './vendor-advert.js';
export * from './wifi-p2p-transport.js';
export * from './wpa-ctrl-client.js';
export * from './wpa-events.js';
