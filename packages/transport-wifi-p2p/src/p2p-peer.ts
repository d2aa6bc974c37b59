/**
 * P2P peers as wpa_supplicant reports them (`P2P_PEER` replies, `P2P-DEVICE-FOUND` events), with the HarmonyOS
 * device status model (`wifiManager.P2pDeviceStatus`, harmony-api.md §4.4).
 */

/** Peer status, named as `wifiManager.P2pDeviceStatus` (CONNECTED 0, INVITED 1, FAILED 2, AVAILABLE 3, UNAVAILABLE 4). */
export type P2pPeerStatus = 'connected' | 'invited' | 'failed' | 'available' | 'unavailable';

/** One P2P device seen by discovery. */
export interface P2pPeer {
  /** P2P Device Address, lower case `aa:bb:cc:dd:ee:ff`. */
  readonly deviceAddress: string;
  /** WPS device name (≤ 32 bytes). */
  readonly deviceName: string;
  /** Primary device type `category-OUI-subcategory`, e.g. `10-0050F204-5`. */
  readonly primaryDeviceType: string;
  /** WPS config methods bit field (0x0080 push button, 0x0008 display, 0x0100 keypad). */
  readonly configMethods: number;
  /** P2P Device Capability bit field (spec §4.1.4). */
  readonly deviceCapabilities: number;
  /** P2P Group Capability bit field: 0x01 group owner, 0x02 persistent group (spec §4.1.4). */
  readonly groupCapabilities: number;
  /** Vendor-specific elements the peer sends in probe responses, hex (`vendor_elems=` of `P2P_PEER`). */
  readonly vendorElems: string;
  /** Connection status as this device sees it. */
  readonly status: P2pPeerStatus;
}

/** Group Capability bit: the device is group owner of a group (Wi-Fi P2P spec §4.1.4). */
export const P2P_GROUP_CAPAB_GROUP_OWNER = 0x01;
/** Group Capability bit: persistent group. */
export const P2P_GROUP_CAPAB_PERSISTENT = 0x02;

/** A bit field wpa_supplicant prints in hex (`0x1188`); 0 for anything else (a sign, no digits, garbage). */
function hexField(v: string | undefined): number {
  return v !== undefined && /^(0x)?[0-9a-f]{1,8}$/i.test(v) ? Number.parseInt(v.replace(/^0x/i, ''), 16) : 0;
}

/**
 * Parses a `P2P_PEER <addr>|FIRST|NEXT-<addr>` reply (first line the address, then `key=value` lines).
 * Returns `undefined` for `FAIL` (no such peer / end of list).
 */
export function parsePeerReply(reply: string, status: P2pPeerStatus = 'available'): P2pPeer | undefined {
  const lines = reply.split('\n').filter(Boolean);
  const addr = lines[0];
  if (!addr || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(addr)) return undefined;
  const kv: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf('=');
    if (i > 0) kv[l.slice(0, i)] = l.slice(i + 1);
  }
  return {
    deviceAddress: addr.toLowerCase(),
    deviceName: kv.device_name ?? '',
    primaryDeviceType: kv.pri_dev_type ?? '',
    configMethods: hexField(kv.config_methods),
    deviceCapabilities: hexField(kv.dev_capab),
    groupCapabilities: hexField(kv.group_capab),
    vendorElems: kv.vendor_elems ?? '',
    status,
  };
}
