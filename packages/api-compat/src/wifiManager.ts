import { notImplemented } from './notImplemented.js';

/** `@ohos.wifiManager` P2P subset (harmony-api.md §4). Not implemented yet: functions throw 801 naming issue #5. */
export const wifiManager = notImplemented('wifiManager', 'issue #5', [
  'createGroup',
  'removeGroup',
  'startDiscoverDevices',
  'stopDiscoverDevices',
  'getP2pPeerDevices',
  'p2pConnect',
  'p2pCancelConnect',
  'getP2pLinkedInfo',
  'getCurrentGroup',
  'getP2pLocalDevice',
  'on',
  'off',
] as const);
export default wifiManager;
