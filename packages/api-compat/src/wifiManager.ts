/**
 * `@ohos.wifiManager` — the Wi-Fi P2P (Wi-Fi Direct) subset on Node.js (harmony-api.md §4), driving wpa_supplicant
 * through `@colink/transport-wifi-p2p`. Which daemon: `COLINK_WPA_CTRL` (see `wifi/settings.ts`); without one the
 * device has no P2P and every call fails with 801.
 *
 * Errors have the Wi-Fi module's runtime shapes (§0.2): synchronous throws are `Error`s with a **string** `code`
 * and message `"BussinessError <code>: <text>"`; promise rejections `{ code, message, data: null }`; callback
 * errors `{ code, message }`. Codes: 201 (no GET_WIFI_INFO), 202 (system API), 401 (bad argument), 801 (no P2P on
 * this device), 2801000 (operation failed), 2801001 (P2P not open: the daemon is gone).
 *
 * `createGroup`, `removeGroup`, `startDiscoverDevices`, `stopDiscoverDevices`, `p2pConnect` and `p2pCancelConnect`
 * return at once, as on the platform: they check arguments, permission and availability synchronously, then run in
 * order; their outcome arrives through the events (`'p2pConnectionChange'`, `'p2pPersistentGroupChange'`, …).
 *
 * @example
 * ```ts
 * import { wifiManager } from '@kit.ConnectivityKit';
 * wifiManager.on('p2pConnectionChange', (info) => console.log(info.connectState));
 * wifiManager.createGroup({ deviceAddress: '', netId: -2, passphrase: '12345678', groupName: 'lab', goBand: 0 });
 * ```
 * @module
 */
import {
  isWpaPassphrase,
  P2P_DEVICE_NAME_MAX_BYTES,
  type P2pService,
  SSID_MAX_BYTES,
  WPA_PASSPHRASE_MAX,
  WPA_PASSPHRASE_MIN,
} from '@colink/transport-wifi-p2p';
import type { AsyncCallback, Callback } from './base.js';
import type { P2pBackend } from './wifi/backend.js';
import { toGroupInfo, toLinkedInfo, toLocalDevice, toP2pDevice } from './wifi/convert.js';
import {
  WifiErrorCode,
  WifiFailure,
  wifiCallbackError,
  wifiCodeOf,
  wifiPromiseError,
  wifiSyncError,
} from './wifi/errors.js';
import { hasPermission, isSystemApp, p2pBackend } from './wifi/registry.js';
import {
  GroupOwnerBand,
  P2P_EVENT_TYPES,
  type P2pEventType,
  type WifiP2PConfig,
  type WifiP2pDevice,
  type WifiP2pGroupInfo,
  type WifiP2pLinkedInfo,
} from './wifi/types.js';

export {
  DeviceAddressType,
  GroupOwnerBand,
  P2pConnectState,
  P2pDeviceStatus,
  type WifiP2PConfig,
  type WifiP2pDevice,
  type WifiP2pGroupInfo,
  type WifiP2pLinkedInfo,
} from './wifi/types.js';

/**
 * WPA2 passphrase bounds in bytes (IEEE 802.11-2020 Annex J.4.1; XTS: 7 and 64 are rejected; OpenHarmony's P2P
 * service and wpa_supplicant count bytes of the UTF-8 text).
 */
const PASSPHRASE_MIN = WPA_PASSPHRASE_MIN;
const PASSPHRASE_MAX = WPA_PASSPHRASE_MAX;
/** `netId` values: -1 temporary group, -2 persistent group (harmony-api.md §4.3), ≥ 0 a stored group. */
const NET_ID_TEMPORARY = -1;
const NET_ID_PERSISTENT = -2;
/** OpenHarmony's P2P service searches for 120 s per `startDiscoverDevices` (`DISC_TIMEOUT_S` in p2p_define.h). */
const DISCOVER_TIMEOUT_S = 120;
const MAC = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
/**
 * Characters colink does not put into a group name (`SET_NETWORK <id> ssid "…"`): line breaks. Quotes are fine —
 * wpa_supplicant takes the text up to the last quote (`wpa_config_parse_string`).
 */
const UNQUOTABLE = /[\r\n]/;
/** `P2P_GROUP_ADD freq=2` / `freq=5`: "any channel in the 2.4 / 5 GHz band" (wpa_supplicant ctrl_iface.c). */
const WPA_FREQ_BAND_2GHZ = 2;
const WPA_FREQ_BAND_5GHZ = 5;
const GET_WIFI_INFO = 'GET_WIFI_INFO';
/** HarmonyOS `on`/`off` event names outside the P2P subset (STA / hotspot): 801 here. */
const OTHER_WIFI_EVENTS = new Set([
  'wifiStateChange',
  'wifiConnectionChange',
  'wifiScanStateChange',
  'wifiRssiChange',
  'streamChange',
  'deviceConfigChange',
  'hotspotStateChange',
  'hotspotStaJoin',
  'hotspotStaLeave',
]);

// ---------------------------------------------------------------- helpers

/** Runs the synchronous checks; a failure is thrown in the synchronous shape. */
function sync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw wifiSyncError(wifiCodeOf(e));
  }
}

function fail(code: (typeof WifiErrorCode)[keyof typeof WifiErrorCode], detail?: string): never {
  throw new WifiFailure(code, detail);
}

function requirePermission(...permissions: string[]): void {
  for (const p of permissions) if (!hasPermission(p)) fail(WifiErrorCode.PERMISSION_DENIED, p);
}

function requireSystemApp(): void {
  if (!isSystemApp()) fail(WifiErrorCode.NON_SYSTEM_APP);
}

/**
 * The checks every synchronous P2P call makes after its arguments: GET_WIFI_INFO (201), a daemon (801), reached
 * (2801001).
 */
function gate(): P2pBackend {
  requirePermission(GET_WIFI_INFO);
  const b = p2pBackend();
  b.assertAvailable();
  return b;
}

/** The asynchronous calls' checks: GET_WIFI_INFO (201), then the open service (801, 2801001 after a new attempt). */
async function open(): Promise<{ b: P2pBackend; svc: P2pService }> {
  requirePermission(GET_WIFI_INFO);
  const b = p2pBackend();
  return { b, svc: await b.service() };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * The promise / callback pair of the platform's async APIs: `run`'s failures become `{ code, message, data: null }`
 * rejections, or `{ code, message }` as the callback's first argument (`undefined` on success, harmony-api.md §0.1).
 * A `callback` that is not a function throws 401 synchronously.
 */
function promiseOrCallback<T>(callback: unknown, run: () => Promise<T>): Promise<T> | undefined {
  if (callback !== undefined && typeof callback !== 'function')
    throw wifiSyncError(WifiErrorCode.INVALID_PARAM);
  const result = Promise.resolve().then(run);
  if (typeof callback === 'function') {
    const cb = callback as AsyncCallback<T | undefined>;
    result.then(
      (data) => cb(undefined as never, data),
      (e: unknown) => cb(wifiCallbackError(wifiCodeOf(e)), undefined),
    );
    return undefined;
  }
  return result.catch((e: unknown) => {
    throw wifiPromiseError(wifiCodeOf(e));
  });
}

function visibility(): { peers: boolean; local: boolean } {
  return { peers: hasPermission('GET_WIFI_PEERS_MAC'), local: hasPermission('GET_WIFI_LOCAL_MAC') };
}

/** Validates a `WifiP2PConfig`'s common fields: 401 for wrong types or out-of-range values. */
function checkConfig(config: unknown): asserts config is WifiP2PConfig {
  if (!isObject(config)) fail(WifiErrorCode.INVALID_PARAM, 'config must be a WifiP2PConfig');
  const { deviceAddress, netId, passphrase, groupName, goBand, goFreq, deviceAddressType } = config;
  if (deviceAddress !== undefined && typeof deviceAddress !== 'string')
    fail(WifiErrorCode.INVALID_PARAM, 'deviceAddress must be a string');
  if (netId !== undefined && !(Number.isInteger(netId) && (netId as number) >= NET_ID_PERSISTENT))
    fail(WifiErrorCode.INVALID_PARAM, 'netId must be -2, -1 or a network id');
  if (passphrase !== undefined && typeof passphrase !== 'string')
    fail(WifiErrorCode.INVALID_PARAM, 'passphrase must be a string');
  if (groupName !== undefined && (typeof groupName !== 'string' || UNQUOTABLE.test(groupName)))
    fail(WifiErrorCode.INVALID_PARAM, 'groupName must be a string without line breaks');
  if (goBand !== undefined && !(goBand === 0 || goBand === 1 || goBand === 2))
    fail(WifiErrorCode.INVALID_PARAM, 'goBand must be a GroupOwnerBand');
  if (goFreq !== undefined && !(Number.isInteger(goFreq) && (goFreq as number) > 0))
    fail(WifiErrorCode.INVALID_PARAM, 'goFreq must be a frequency in MHz');
  if (deviceAddressType !== undefined && deviceAddressType !== 0 && deviceAddressType !== 1)
    fail(WifiErrorCode.INVALID_PARAM, 'deviceAddressType must be a DeviceAddressType');
}

// ---------------------------------------------------------------- Wi-Fi state

/**
 * Whether Wi-Fi is on (since 9; no permission since 13). On Node: `true` while the configured wpa_supplicant
 * (`COLINK_WPA_CTRL`) is reachable — before the first P2P call, while its control socket exists; `false` without a
 * configured daemon or while it is gone. Never throws. (The STA and hotspot functions of @ohos.wifiManager are not
 * provided; this one answers for the P2P radio colink drives.)
 */
export function isWifiActive(): boolean {
  return p2pBackend().wifiActive;
}

// ---------------------------------------------------------------- groups

/**
 * Creates a P2P group with this device as group owner (`P2P_GROUP_ADD`; with a name or passphrase through a network
 * block). `netId` -2 makes it persistent, -1 temporary, ≥ 0 restarts the stored group with that id (name and
 * passphrase then come from it). `goFreq` (MHz) or `goBand` choose the channel. Returns at once; the group is
 * announced by `'p2pConnectionChange'` (CONNECTED, `isGroupOwner`) and, when persistent, `'p2pPersistentGroupChange'`.
 *
 * Throws (synchronously, string code): 401 `config` missing or malformed, passphrase not empty and not 8–63 bytes
 * (UTF-8) or with a control character (what wpa_supplicant refuses; quotes and backslashes are fine); 201 without
 * GET_WIFI_INFO; 801 no P2P; 2801001 daemon gone; 2801000 group name over 32 bytes.
 * Since API 9 (harmony-api.md §4.1).
 */
export function createGroup(config: WifiP2PConfig): void {
  sync(() => {
    checkConfig(config);
    const passphrase = config.passphrase ?? '';
    if (passphrase !== '' && !isWpaPassphrase(passphrase))
      fail(
        WifiErrorCode.INVALID_PARAM,
        `passphrase must be ${PASSPHRASE_MIN}..${PASSPHRASE_MAX} bytes without control characters`,
      );
    const b = gate();
    const groupName = config.groupName ?? '';
    if (Buffer.byteLength(groupName) > SSID_MAX_BYTES)
      fail(WifiErrorCode.P2P_OPERATION_FAILED, `groupName over ${SSID_MAX_BYTES} bytes`);
    const netId = config.netId ?? NET_ID_TEMPORARY;
    const freq =
      config.goFreq ??
      (config.goBand === GroupOwnerBand.GO_BAND_2GHZ
        ? WPA_FREQ_BAND_2GHZ
        : config.goBand === GroupOwnerBand.GO_BAND_5GHZ
          ? WPA_FREQ_BAND_5GHZ
          : undefined);
    const stored = netId >= 0;
    b.enqueue('createGroup', async (svc) => {
      await svc.createGroup({
        persistent: netId === NET_ID_PERSISTENT,
        ...(stored ? { networkId: netId } : {}),
        ...(!stored && groupName ? { ssid: groupName } : {}),
        ...(!stored && passphrase ? { passphrase } : {}),
        ...(freq !== undefined ? { freq } : {}),
      });
    });
  });
}

/**
 * Removes this device's current P2P group (as group owner: ends it for every client; as client: leaves it).
 * Returns at once; `'p2pConnectionChange'` (DISCONNECTED) follows. Throws 201, 801, 2801001. Since API 9.
 */
export function removeGroup(): void {
  sync(() => gate().enqueue('removeGroup', (svc) => svc.removeGroup()));
}

/**
 * Starts P2P device discovery (`P2P_FIND`, 120 s as OpenHarmony's service). Found devices arrive through
 * `'p2pPeerDeviceChange'`; `'p2pDiscoveryChange'` reports 1 / 0. Throws 201, 801, 2801001. Since API 9.
 */
export function startDiscoverDevices(): void {
  sync(() => gate().enqueue('startDiscoverDevices', (svc) => svc.find(DISCOVER_TIMEOUT_S)));
}

/** Stops P2P device discovery (`P2P_STOP_FIND`). Throws 201, 801, 2801001. Since API 9. */
export function stopDiscoverDevices(): void {
  sync(() => gate().enqueue('stopDiscoverDevices', (svc) => svc.stopFind()));
}

/**
 * The peers discovery found (the daemon's table, `P2P_PEER FIRST/NEXT-`). MACs are random stand-ins without
 * GET_WIFI_PEERS_MAC. Rejects / calls back with 201, 801, 2801000, 2801001. Since API 9.
 */
export function getP2pPeerDevices(): Promise<WifiP2pDevice[]>;
export function getP2pPeerDevices(callback: AsyncCallback<WifiP2pDevice[]>): void;
export function getP2pPeerDevices(
  callback?: AsyncCallback<WifiP2pDevice[]>,
): Promise<WifiP2pDevice[]> | undefined {
  return promiseOrCallback(callback, async () => {
    const { b, svc } = await open();
    const peers = await svc.refreshPeers();
    const vis = visibility();
    return peers.map((p) => toP2pDevice(p, vis, b.macs));
  });
}

/**
 * Connects to the peer `config.deviceAddress` (a real address, or a random stand-in this module reported): GO
 * negotiation, or a push-button join when the peer already owns a group; `netId` -2 asks for a persistent group.
 * Returns at once; the outcome is `'p2pConnectionChange'` (CONNECTED, or DISCONNECTED when it failed). A device this
 * one is already in a group with is left as it is — no event, the group and its sockets untouched — so an app that
 * calls `p2pConnect` on every peer-list change (the wifi-p2p guide's example) does not make it join anew.
 *
 * Throws: 401 `config` missing or malformed; 201; 801; 2801001; 2801000 `deviceAddress` not a MAC address.
 * Since API 9.
 */
export function p2pConnect(config: WifiP2PConfig): void {
  sync(() => {
    checkConfig(config);
    if (typeof config.deviceAddress !== 'string') fail(WifiErrorCode.INVALID_PARAM, 'deviceAddress missing');
    const b = gate();
    if (!MAC.test(config.deviceAddress))
      fail(WifiErrorCode.P2P_OPERATION_FAILED, 'deviceAddress is not a MAC');
    const address = b.macs.realOf(config.deviceAddress);
    const persistent = config.netId === NET_ID_PERSISTENT;
    b.enqueue(
      'p2pConnect',
      async (svc) => {
        await svc.startConnect(address, { persistent });
      },
      () => b.connectionFailed(),
    );
  });
}

/** Cancels a connection in progress (`P2P_CANCEL`). Throws 201, 801, 2801001. Since API 9. */
export function p2pCancelConnect(): void {
  sync(() => gate().enqueue('p2pCancelConnect', (svc) => svc.cancel()));
}

/**
 * This device's P2P connection: CONNECTED with `isGroupOwner` and the group owner's IP address while in a group.
 * `groupOwnerAddr` is `"00.00.00.00"` without GET_WIFI_LOCAL_MAC (as OpenHarmony). Rejects / calls back with 201,
 * 801, 2801000, 2801001. Since API 9.
 */
export function getP2pLinkedInfo(): Promise<WifiP2pLinkedInfo>;
export function getP2pLinkedInfo(callback: AsyncCallback<WifiP2pLinkedInfo>): void;
export function getP2pLinkedInfo(
  callback?: AsyncCallback<WifiP2pLinkedInfo>,
): Promise<WifiP2pLinkedInfo> | undefined {
  return promiseOrCallback(callback, async () => {
    const { svc } = await open();
    return toLinkedInfo(svc.currentGroups[0], visibility());
  });
}

/**
 * The group this device is in (owner or client), with `goIpAddress`. Rejects / calls back with 2801000 when there
 * is none, and 201, 801, 2801001. Since API 9.
 */
export function getCurrentGroup(): Promise<WifiP2pGroupInfo>;
export function getCurrentGroup(callback: AsyncCallback<WifiP2pGroupInfo>): void;
export function getCurrentGroup(
  callback?: AsyncCallback<WifiP2pGroupInfo>,
): Promise<WifiP2pGroupInfo> | undefined {
  return promiseOrCallback(callback, async () => {
    const { b, svc } = await open();
    const g = svc.currentGroups[0];
    if (!g) fail(WifiErrorCode.P2P_OPERATION_FAILED, 'no P2P group');
    return toGroupInfo(g, svc.peers, b.local, visibility(), b.macs);
  });
}

/**
 * This device as a P2P device (name, P2P Device Address, status). `deviceAddress` is `"00:00:00:00:00:00"` without
 * GET_WIFI_LOCAL_MAC. Rejects / calls back with 201, 801, 2801000, 2801001. Since API 9.
 */
export function getP2pLocalDevice(): Promise<WifiP2pDevice>;
export function getP2pLocalDevice(callback: AsyncCallback<WifiP2pDevice>): void;
export function getP2pLocalDevice(
  callback?: AsyncCallback<WifiP2pDevice>,
): Promise<WifiP2pDevice> | undefined {
  return promiseOrCallback(callback, async () => {
    const { b, svc } = await open();
    return toLocalDevice(b.local, svc.currentGroups, visibility());
  });
}

// ---------------------------------------------------------------- system APIs (202 for other apps)

/**
 * **System API.** Deletes the stored persistent group `netId` (`REMOVE_NETWORK`). Throws 202 (not a system app),
 * 401, 201 (needs SET_WIFI_INFO + MANAGE_WIFI_CONNECTION), 801, 2801001. Since API 9.
 */
export function deletePersistentGroup(netId: number): void {
  sync(() => {
    requireSystemApp();
    if (!Number.isInteger(netId) || netId < 0) fail(WifiErrorCode.INVALID_PARAM, 'netId');
    requirePermission('SET_WIFI_INFO', 'MANAGE_WIFI_CONNECTION');
    const b = p2pBackend();
    b.assertAvailable();
    b.enqueue('deletePersistentGroup', (svc) => svc.deletePersistentGroup(netId));
  });
}

/**
 * **System API.** The stored persistent groups (`LIST_NETWORKS` rows flagged `[P2P-PERSISTENT]`): `groupName`,
 * `networkId`, this device as owner. Rejects / calls back with 202, 201, 801, 2801000, 2801001. Since API 9.
 */
export function getP2pGroups(): Promise<WifiP2pGroupInfo[]>;
export function getP2pGroups(callback: AsyncCallback<WifiP2pGroupInfo[]>): void;
export function getP2pGroups(
  callback?: AsyncCallback<WifiP2pGroupInfo[]>,
): Promise<WifiP2pGroupInfo[]> | undefined {
  return promiseOrCallback(callback, async () => {
    requireSystemApp();
    const { b, svc } = await open();
    const owner = toLocalDevice(b.local, [], visibility());
    return (await svc.persistentGroups()).map((g) => ({
      isP2pGo: true,
      ownerInfo: owner,
      passphrase: '',
      interface: '',
      groupName: g.ssid,
      networkId: g.networkId,
      frequency: 0,
      clientDevices: [],
      goIpAddress: '',
    }));
  });
}

/**
 * **System API.** Sets the device name peers see (`SET device_name`, 1–32 bytes). Throws 202, 401, 201 (needs
 * SET_WIFI_INFO + MANAGE_WIFI_CONNECTION), 801, 2801001; `'p2pDeviceChange'` follows. Since API 9.
 */
export function setDeviceName(devName: string): void {
  sync(() => {
    requireSystemApp();
    if (
      typeof devName !== 'string' ||
      devName === '' ||
      Buffer.byteLength(devName) > P2P_DEVICE_NAME_MAX_BYTES ||
      /[\r\n]/.test(devName)
    )
      fail(WifiErrorCode.INVALID_PARAM, 'devName must be 1..32 bytes');
    requirePermission('SET_WIFI_INFO', 'MANAGE_WIFI_CONNECTION');
    const b = p2pBackend();
    b.assertAvailable();
    b.enqueue('setDeviceName', async (svc) => {
      await svc.setDeviceName(devName);
      await b.refreshLocal();
      b.localChanged();
    });
  });
}

// ---------------------------------------------------------------- events

function checkEventType(type: unknown): asserts type is P2pEventType {
  if (typeof type === 'string' && OTHER_WIFI_EVENTS.has(type))
    fail(WifiErrorCode.NOT_SUPPORTED, `${type} is outside the P2P subset`);
  if (!P2P_EVENT_TYPES.includes(type as P2pEventType))
    fail(WifiErrorCode.INVALID_PARAM, 'unknown event type');
}

/**
 * Subscribes to a P2P event (harmony-api.md §4.2): `'p2pStateChange'` (number: 3 started, 5 closed — the daemon
 * came or went; with a listener subscribed while no daemon answers, colink tries again every second and reports 3
 * when one does), `'p2pConnectionChange'` (`WifiP2pLinkedInfo`), `'p2pDeviceChange'` (this device,
 * `WifiP2pDevice`), `'p2pPeerDeviceChange'` (`WifiP2pDevice[]`), `'p2pPersistentGroupChange'` (no payload),
 * `'p2pDiscoveryChange'` (1 discovering, 0 not). When a group forms or ends, `'p2pDeviceChange'` (this device
 * CONNECTED / AVAILABLE) comes before `'p2pConnectionChange'`, as OpenHarmony's P2P state machine sends them
 * (`ChangeConnectedStatus`). Throws 401 (unknown type, callback not a function), 201, 801.
 */
export function on(type: 'p2pStateChange', callback: Callback<number>): void;
export function on(type: 'p2pConnectionChange', callback: Callback<WifiP2pLinkedInfo>): void;
export function on(type: 'p2pDeviceChange', callback: Callback<WifiP2pDevice>): void;
export function on(type: 'p2pPeerDeviceChange', callback: Callback<WifiP2pDevice[]>): void;
export function on(type: 'p2pPersistentGroupChange', callback: Callback<void>): void;
export function on(type: 'p2pDiscoveryChange', callback: Callback<number>): void;
export function on(type: string, callback: Callback<never>): void {
  sync(() => {
    checkEventType(type);
    if (typeof callback !== 'function') fail(WifiErrorCode.INVALID_PARAM, 'callback must be a function');
    requirePermission(GET_WIFI_INFO);
    const b = p2pBackend();
    if (!b.configured) fail(WifiErrorCode.NOT_SUPPORTED, 'no wpa_supplicant configured');
    b.addListener(type, callback as (d: unknown) => void);
  });
}

/**
 * Unsubscribes `callback`, or every callback of `type` without one. Throws 401; 201 without GET_WIFI_INFO except
 * for `'p2pDeviceChange'` / `'p2pPeerDeviceChange'` (no permission since API 10); 801.
 */
export function off(type: 'p2pStateChange', callback?: Callback<number>): void;
export function off(type: 'p2pConnectionChange', callback?: Callback<WifiP2pLinkedInfo>): void;
export function off(type: 'p2pDeviceChange', callback?: Callback<WifiP2pDevice>): void;
export function off(type: 'p2pPeerDeviceChange', callback?: Callback<WifiP2pDevice[]>): void;
export function off(type: 'p2pPersistentGroupChange', callback?: Callback<void>): void;
export function off(type: 'p2pDiscoveryChange', callback?: Callback<number>): void;
export function off(type: string, callback?: Callback<never>): void {
  sync(() => {
    checkEventType(type);
    if (callback !== undefined && callback !== null && typeof callback !== 'function')
      fail(WifiErrorCode.INVALID_PARAM, 'callback must be a function');
    if (type !== 'p2pDeviceChange' && type !== 'p2pPeerDeviceChange') requirePermission(GET_WIFI_INFO);
    const b = p2pBackend();
    if (!b.configured) fail(WifiErrorCode.NOT_SUPPORTED, 'no wpa_supplicant configured');
    b.removeListener(type, (callback ?? undefined) as ((d: never) => void) | undefined);
  });
}

// ArkTS-static twins (API 23): same behaviour as on/off with the event named in the function.

/** `on('p2pStateChange', callback)`. */
export function onP2pStateChange(callback: Callback<number>): void {
  on('p2pStateChange', callback);
}
/** `off('p2pStateChange', callback)`. */
export function offP2pStateChange(callback?: Callback<number>): void {
  off('p2pStateChange', callback);
}
/** `on('p2pConnectionChange', callback)`. */
export function onP2pConnectionChange(callback: Callback<WifiP2pLinkedInfo>): void {
  on('p2pConnectionChange', callback);
}
/** `off('p2pConnectionChange', callback)`. */
export function offP2pConnectionChange(callback?: Callback<WifiP2pLinkedInfo>): void {
  off('p2pConnectionChange', callback);
}
/** `on('p2pDeviceChange', callback)`. */
export function onP2pDeviceChange(callback: Callback<WifiP2pDevice>): void {
  on('p2pDeviceChange', callback);
}
/** `off('p2pDeviceChange', callback)`. */
export function offP2pDeviceChange(callback?: Callback<WifiP2pDevice>): void {
  off('p2pDeviceChange', callback);
}
/** `on('p2pPeerDeviceChange', callback)`. */
export function onP2pPeerDeviceChange(callback: Callback<WifiP2pDevice[]>): void {
  on('p2pPeerDeviceChange', callback);
}
/** `off('p2pPeerDeviceChange', callback)`. */
export function offP2pPeerDeviceChange(callback?: Callback<WifiP2pDevice[]>): void {
  off('p2pPeerDeviceChange', callback);
}
/** `on('p2pPersistentGroupChange', callback)`. */
export function onP2pPersistentGroupChange(callback: Callback<void>): void {
  on('p2pPersistentGroupChange', callback);
}
/** `off('p2pPersistentGroupChange', callback)`. */
export function offP2pPersistentGroupChange(callback?: Callback<void>): void {
  off('p2pPersistentGroupChange', callback);
}
/** `on('p2pDiscoveryChange', callback)`. */
export function onP2pDiscoveryChange(callback: Callback<number>): void {
  on('p2pDiscoveryChange', callback);
}
/** `off('p2pDiscoveryChange', callback)`. */
export function offP2pDiscoveryChange(callback?: Callback<number>): void {
  off('p2pDiscoveryChange', callback);
}
