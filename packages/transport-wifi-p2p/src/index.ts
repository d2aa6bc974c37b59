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
export {
  P2P_ADDRESS_WAIT_MS,
  P2P_CLIENT_IP_END,
  P2P_CLIENT_IP_START,
  P2P_CONNECT_TIMEOUT_MS,
  P2P_DEFAULT_GO_INTENT,
  P2P_DEFAULT_TCP_PORT,
  P2P_DEVICE_NAME_MAX_BYTES,
  P2P_GO_INTENT_MAX,
  P2P_GO_IP_ADDRESS,
  P2P_GROUP_NETMASK,
  P2P_GROUP_PREFIX_LENGTH,
  P2P_SSID_PREFIX,
  SSID_MAX_BYTES,
  WPA_CTRL_MAX_DATAGRAM,
  WPA_DEFAULT_MONITOR_LEVEL,
  WPA_MAX_QUEUED_REQUESTS,
  WPA_PASSPHRASE_MAX,
  WPA_PASSPHRASE_MIN,
  WPA_PING_INTERVAL_MS,
  WPA_REATTACH_RETRY_MS,
  WPA_REQUEST_TIMEOUT_MS,
} from './constants.js';
export { type Datagram, errnoName, UNIX_PATH_MAX, UnixDgramSocket } from './dgram-socket.js';
export {
  type DhcpClient,
  type DhcpLease,
  type DhcpServer,
  P2P_DHCP_CLIENT_TIMEOUT_MS,
  P2P_DHCP_LEASE,
  startDhcpClient,
  startDhcpServer,
} from './dhcp.js';
export {
  ADDRESS_POLL_MS,
  currentAddress,
  type GroupAddressing,
  interfaceAddressing,
  netmaskToPrefixLength,
} from './group-addressing.js';
export {
  P2P_GROUP_CAPAB_GROUP_OWNER,
  P2P_GROUP_CAPAB_PERSISTENT,
  type P2pPeer,
  type P2pPeerStatus,
  parsePeerReply,
} from './p2p-peer.js';
export {
  groupSsid,
  isWpaPassphrase,
  type P2pConnectOptions,
  type P2pCreateGroupOptions,
  type P2pGroupClient,
  type P2pGroupInfo,
  type P2pGroupRemoval,
  type P2pPersistentGroup,
  P2pService,
  type P2pServiceOptions,
  parseListNetworks,
} from './p2p-service.js';
export {
  COLINK_ADVERT_MAX_BYTES,
  COLINK_VENDOR_OUI,
  COLINK_VENDOR_TYPE,
  decodeVendorAdvert,
  encodeVendorAdvert,
} from './vendor-advert.js';
export {
  DIAL_RETRY_MS,
  WIFI_P2P_CAPABILITIES,
  WifiP2pTransport,
  type WifiP2pTransportOptions,
} from './wifi-p2p-transport.js';
export { WpaCtrlClient, type WpaCtrlClientOptions, type WpaCtrlState } from './wpa-ctrl-client.js';
export {
  type ApStaEvent,
  type NetworkEvent,
  type OtherEvent,
  type P2pDeviceFoundEvent,
  type P2pDeviceLostEvent,
  type P2pFindStoppedEvent,
  type P2pGoNegFailureEvent,
  type P2pGoNegRequestEvent,
  type P2pGoNegSuccessEvent,
  type P2pGroupFormationEvent,
  type P2pGroupRemovedEvent,
  type P2pGroupStartedEvent,
  type P2pInvitationReceivedEvent,
  type P2pInvitationResultEvent,
  type P2pProvDiscEvent,
  type P2pRole,
  parseWpaEvent,
  type TerminatingEvent,
  tokenize,
  type WpaEvent,
  type WpaEventOf,
  type WpaEventType,
  WpaLevel,
} from './wpa-events.js';
