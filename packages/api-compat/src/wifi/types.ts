/**
 * The types of `@ohos.wifiManager`'s P2P subset (harmony-api.md §4.3, §4.4), with the exact names, members and
 * values of the SDK declaration (`api/@ohos.wifiManager.d.ts`, API 9+; `deviceAddressType` since 10, `goFreq`
 * since 23).
 * @module
 */
import { forwardOnly } from '../enums.js';

/** `wifiManager.P2pConnectState` (API 9): the state reported by `getP2pLinkedInfo` and `'p2pConnectionChange'`. */
export enum P2pConnectState {
  DISCONNECTED = 0,
  CONNECTED = 1,
}
forwardOnly(P2pConnectState);

/** `wifiManager.P2pDeviceStatus` (API 9): a P2P device's status as this device sees it. */
export enum P2pDeviceStatus {
  CONNECTED = 0,
  INVITED = 1,
  FAILED = 2,
  AVAILABLE = 3,
  UNAVAILABLE = 4,
}
forwardOnly(P2pDeviceStatus);

/** `wifiManager.GroupOwnerBand` (API 9): the band a group owner operates on. */
export enum GroupOwnerBand {
  GO_BAND_AUTO = 0,
  GO_BAND_2GHZ = 1,
  GO_BAND_5GHZ = 2,
}
forwardOnly(GroupOwnerBand);

/** `wifiManager.DeviceAddressType` (API 10, SysCap WiFi.Core): whether a MAC address is random or the real one. */
export enum DeviceAddressType {
  RANDOM_DEVICE_ADDRESS = 0,
  REAL_DEVICE_ADDRESS = 1,
}
forwardOnly(DeviceAddressType);

/** `wifiManager.WifiP2PConfig` (note the capital `P2P`): what `createGroup` and `p2pConnect` take. */
export interface WifiP2PConfig {
  /** The peer's P2P Device Address (`p2pConnect`); ignored by `createGroup`. `aa:bb:cc:dd:ee:ff`. */
  deviceAddress: string;
  /** API 10: whether `deviceAddress` is a random (privacy) address or the real one. */
  deviceAddressType?: DeviceAddressType;
  /** -1 temporary group, -2 persistent group; ≥ 0 restarts the stored persistent group with that id. */
  netId: number;
  /** WPA2 passphrase, 8..63 bytes of UTF-8 without control characters; empty = generated. */
  passphrase: string;
  /** Group name (the SSID gets the `DIRECT-xy-` prefix the P2P spec requires), no line breaks; empty = generated. */
  groupName: string;
  goBand: GroupOwnerBand;
  /** API 23: group owner frequency, MHz. */
  goFreq?: number;
}

/** `wifiManager.WifiP2pDevice`: a P2P device (a peer, or this device). */
export interface WifiP2pDevice {
  deviceName: string;
  /** `aa:bb:cc:dd:ee:ff`; random or all-zero without the MAC permissions (harmony-api.md §4.1). */
  deviceAddress: string;
  /** API 10. */
  deviceAddressType?: DeviceAddressType;
  /** WPS primary device type `category-OUI-subcategory`, e.g. `10-0050F204-5`. */
  primaryDeviceType: string;
  deviceStatus: P2pDeviceStatus;
  /** P2P Group Capability bit field (Wi-Fi P2P spec §4.1.4): 0x01 group owner, 0x02 persistent group. */
  groupCapabilities: number;
}

/** `wifiManager.WifiP2pLinkedInfo`: this device's P2P connection. */
export interface WifiP2pLinkedInfo {
  connectState: P2pConnectState;
  isGroupOwner: boolean;
  /**
   * The group owner's IP address (OpenHarmony `WifiP2pLinkedInfo::groupOwnerAddress`); `"00.00.00.00"` (sic, as
   * OpenHarmony's `WifiP2pServiceImpl::QueryP2pLinkedInfo` writes it) without GET_WIFI_LOCAL_MAC.
   */
  groupOwnerAddr: string;
}

/** `wifiManager.WifiP2pGroupInfo`: a P2P group. */
export interface WifiP2pGroupInfo {
  isP2pGo: boolean;
  ownerInfo: WifiP2pDevice;
  passphrase: string;
  /** Group interface name, e.g. `p2p-wlan0-0` (ArkTS-static calls it `interfaceName`). */
  interface: string;
  /** The group's SSID. */
  groupName: string;
  /** Network id of the stored persistent group, -1 for a temporary one. */
  networkId: number;
  /** Operating frequency, MHz. */
  frequency: number;
  clientDevices: WifiP2pDevice[];
  /** The group owner's IPv4 address on the group (192.168.49.1 by default). */
  goIpAddress: string;
}

/** The P2P events of `wifiManager.on` / `off` (harmony-api.md §4.2), with their payloads. */
export interface P2pEventMap {
  p2pStateChange: number;
  p2pConnectionChange: WifiP2pLinkedInfo;
  p2pDeviceChange: WifiP2pDevice;
  p2pPeerDeviceChange: WifiP2pDevice[];
  p2pPersistentGroupChange: undefined;
  p2pDiscoveryChange: number;
}

/** A P2P event name. */
export type P2pEventType = keyof P2pEventMap;

/** Every P2P event name, in §4.2's order. */
export const P2P_EVENT_TYPES: readonly P2pEventType[] = [
  'p2pStateChange',
  'p2pConnectionChange',
  'p2pDeviceChange',
  'p2pPeerDeviceChange',
  'p2pPersistentGroupChange',
  'p2pDiscoveryChange',
];

/** `'p2pStateChange'` payloads (harmony-api.md §4.2; OpenHarmony `P2pState`). */
export const P2pState = {
  IDLE: 1,
  STARTING: 2,
  STARTED: 3,
  CLOSING: 4,
  CLOSED: 5,
} as const;

/** `'p2pDiscoveryChange'` payloads: 0 discovery not running (initial), 1 running. */
export const P2pDiscoveryState = {
  STOPPED: 0,
  STARTED: 1,
} as const;
