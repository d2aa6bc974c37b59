import { notImplemented } from './notImplemented.js';

/** `@ohos.net.connection` (harmony-api.md §3). Not implemented yet: functions throw 801 naming issue #6. */
export const connection = notImplemented('connection', 'issue #6', [
  'createNetConnection',
  'getDefaultNet',
  'getDefaultNetSync',
  'getAllNets',
  'getAllNetsSync',
  'hasDefaultNet',
  'hasDefaultNetSync',
  'getNetCapabilities',
  'getNetCapabilitiesSync',
  'getConnectionProperties',
  'getConnectionPropertiesSync',
  'getAddressesByName',
  'isDefaultNetMetered',
  'isDefaultNetMeteredSync',
  'setAppNet',
  'getAppNet',
  'getAppNetSync',
  'getDefaultHttpProxy',
] as const);
export default connection;
