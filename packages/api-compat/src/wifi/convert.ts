/**
 * From the transport's P2P model (`P2pPeer`, `P2pGroupInfo`) to `wifiManager`'s objects, applying HarmonyOS's MAC
 * privacy (harmony-api.md §4.1): peer and group MACs are real only with GET_WIFI_PEERS_MAC (otherwise a stable
 * random address per real one, which `p2pConnect` maps back); this device's own MAC only with GET_WIFI_LOCAL_MAC
 * (otherwise all-zero); `groupOwnerAddr` only with GET_WIFI_LOCAL_MAC (otherwise `"00.00.00.00"`).
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  P2P_GROUP_CAPAB_GROUP_OWNER,
  P2P_GROUP_CAPAB_PERSISTENT,
  type P2pGroupInfo,
  type P2pPeer,
  type P2pPeerStatus,
} from '@colink/transport-wifi-p2p';
import {
  DeviceAddressType,
  P2pConnectState,
  P2pDeviceStatus,
  type WifiP2pDevice,
  type WifiP2pGroupInfo,
  type WifiP2pLinkedInfo,
} from './types.js';

/** The all-zero MAC `getP2pLocalDevice` reports without GET_WIFI_LOCAL_MAC (harmony-api.md §4.1). */
export const ZERO_MAC = '00:00:00:00:00:00';
/** What OpenHarmony's `QueryP2pLinkedInfo` writes into `groupOwnerAddr` without GET_WIFI_LOCAL_MAC (sic). */
export const HIDDEN_GROUP_OWNER_ADDR = '00.00.00.00';

const STATUS: Readonly<Record<P2pPeerStatus, P2pDeviceStatus>> = {
  connected: P2pDeviceStatus.CONNECTED,
  invited: P2pDeviceStatus.INVITED,
  failed: P2pDeviceStatus.FAILED,
  available: P2pDeviceStatus.AVAILABLE,
  unavailable: P2pDeviceStatus.UNAVAILABLE,
};

/** What the caller may see, read from the runtime's permissions at each call. */
export interface MacVisibility {
  /** GET_WIFI_PEERS_MAC: real peer MACs. */
  readonly peers: boolean;
  /** GET_WIFI_LOCAL_MAC: this device's MAC and `groupOwnerAddr`. */
  readonly local: boolean;
}

/** This device as the P2P layer knows it. */
export interface LocalP2pDevice {
  readonly deviceAddress: string;
  readonly deviceName: string;
  readonly primaryDeviceType: string;
}

/**
 * Stable random stand-ins for real peer MACs (locally administered, unicast: IEEE 802 §8.4), one per real address
 * for this process, and the way back for `p2pConnect`.
 */
export class RandomMacs {
  private readonly salt = randomBytes(16);
  private readonly toRandom = new Map<string, string>();
  private readonly toReal = new Map<string, string>();

  /** The random stand-in of `real`. */
  randomOf(real: string): string {
    const key = real.toLowerCase();
    let r = this.toRandom.get(key);
    if (!r) {
      const b = createHash('sha256').update(this.salt).update(key).digest().subarray(0, 6);
      b[0] = (b[0]! | 0x02) & 0xfe;
      r = [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
      this.toRandom.set(key, r);
      this.toReal.set(r, key);
    }
    return r;
  }

  /** The real address behind `address` (itself when it is not one of our stand-ins). */
  realOf(address: string): string {
    const a = address.toLowerCase();
    return this.toReal.get(a) ?? a;
  }
}

/** A peer's address as the caller may see it. */
export function shownPeerAddress(
  real: string,
  vis: MacVisibility,
  macs: RandomMacs,
): Pick<WifiP2pDevice, 'deviceAddress' | 'deviceAddressType'> {
  return vis.peers
    ? { deviceAddress: real, deviceAddressType: DeviceAddressType.REAL_DEVICE_ADDRESS }
    : { deviceAddress: macs.randomOf(real), deviceAddressType: DeviceAddressType.RANDOM_DEVICE_ADDRESS };
}

/** A discovered peer as `WifiP2pDevice`. */
export function toP2pDevice(peer: P2pPeer, vis: MacVisibility, macs: RandomMacs): WifiP2pDevice {
  return {
    deviceName: peer.deviceName,
    ...shownPeerAddress(peer.deviceAddress, vis, macs),
    primaryDeviceType: peer.primaryDeviceType,
    deviceStatus: STATUS[peer.status],
    groupCapabilities: peer.groupCapabilities,
  };
}

/** This device as `WifiP2pDevice`: CONNECTED while in a group, group capabilities from the group it owns. */
export function toLocalDevice(
  local: LocalP2pDevice,
  groups: readonly P2pGroupInfo[],
  vis: MacVisibility,
): WifiP2pDevice {
  const owned = groups.find((g) => g.role === 'GO');
  return {
    deviceName: local.deviceName,
    ...(vis.local
      ? { deviceAddress: local.deviceAddress, deviceAddressType: DeviceAddressType.REAL_DEVICE_ADDRESS }
      : { deviceAddress: ZERO_MAC }),
    primaryDeviceType: local.primaryDeviceType,
    deviceStatus: groups.length > 0 ? P2pDeviceStatus.CONNECTED : P2pDeviceStatus.AVAILABLE,
    groupCapabilities: owned
      ? P2P_GROUP_CAPAB_GROUP_OWNER | (owned.persistent ? P2P_GROUP_CAPAB_PERSISTENT : 0)
      : 0,
  };
}

/** `WifiP2pLinkedInfo` of this device: connected while any group is ready. */
export function toLinkedInfo(group: P2pGroupInfo | undefined, vis: MacVisibility): WifiP2pLinkedInfo {
  if (!group)
    return {
      connectState: P2pConnectState.DISCONNECTED,
      isGroupOwner: false,
      groupOwnerAddr: vis.local ? '' : HIDDEN_GROUP_OWNER_ADDR,
    };
  return {
    connectState: P2pConnectState.CONNECTED,
    isGroupOwner: group.role === 'GO',
    groupOwnerAddr: vis.local ? group.goIpAddress : HIDDEN_GROUP_OWNER_ADDR,
  };
}

/** A member of a group that discovery did not report (its name and type unknown). */
function memberDevice(address: string, vis: MacVisibility, macs: RandomMacs, capab: number): WifiP2pDevice {
  return {
    deviceName: '',
    ...shownPeerAddress(address, vis, macs),
    primaryDeviceType: '',
    deviceStatus: P2pDeviceStatus.CONNECTED,
    groupCapabilities: capab,
  };
}

/** A ready group as `WifiP2pGroupInfo`. */
export function toGroupInfo(
  group: P2pGroupInfo,
  peers: ReadonlyMap<string, P2pPeer>,
  local: LocalP2pDevice,
  vis: MacVisibility,
  macs: RandomMacs,
): WifiP2pGroupInfo {
  const isGo = group.role === 'GO';
  const member = (address: string, capab: number): WifiP2pDevice => {
    const p = peers.get(address);
    return p
      ? { ...toP2pDevice(p, vis, macs), deviceStatus: P2pDeviceStatus.CONNECTED }
      : memberDevice(address, vis, macs, capab);
  };
  return {
    isP2pGo: isGo,
    ownerInfo: isGo
      ? toLocalDevice(local, [group], vis)
      : member(group.goDeviceAddress, P2P_GROUP_CAPAB_GROUP_OWNER),
    passphrase: group.passphrase ?? '',
    interface: group.ifname,
    groupName: group.ssid,
    networkId: group.networkId,
    frequency: group.freq,
    clientDevices: group.clients.map((c) => member(c.deviceAddress, 0)),
    goIpAddress: group.goIpAddress,
  };
}
