/**
 * The process's P2P backend: created on first use from the environment ({@link wifiP2pSettingsFromEnv}) or from
 * {@link configureWifiP2p}; permissions come from the device runtime.
 * @module
 */
import type { P2pGroupRemoval } from '@colink/transport-wifi-p2p';
import { getRuntime } from '../runtime/runtime.js';
import { P2pBackend } from './backend.js';
import { type WifiP2pSettings, wifiP2pSettingsFromEnv } from './settings.js';

let backend: P2pBackend | undefined;
let settings: WifiP2pSettings | undefined;

/** Whether the app holds `permission` (`ohos.permission.` prefix optional), per the device runtime. */
export function hasPermission(permission: string): boolean {
  return getRuntime().hasPermission(permission);
}

/** Whether the app is a system app (`COLINK_SYSTEM_APP=1`): system APIs do not throw 202. */
export function isSystemApp(): boolean {
  return getRuntime().config.systemApp;
}

/** The process's P2P backend. */
export function p2pBackend(): P2pBackend {
  backend ??= new P2pBackend(settings ?? wifiP2pSettingsFromEnv(), () => ({
    peers: hasPermission('GET_WIFI_PEERS_MAC'),
    local: hasPermission('GET_WIFI_LOCAL_MAC'),
  }));
  return backend;
}

/**
 * Chooses the wpa_supplicant (and service options) `wifiManager` drives, instead of the environment; closes the
 * current backend (its listeners are dropped). `undefined` goes back to the environment.
 */
export async function configureWifiP2p(next: WifiP2pSettings | undefined): Promise<void> {
  const old = backend;
  backend = undefined;
  settings = next;
  await old?.close();
}

/**
 * colink extension (not in HarmonyOS): every P2P group end with wpa_supplicant's reason (`REQUESTED` when this
 * device removed it, `GO_ENDING_SESSION` when the group owner did, `IDLE`, `UNAVAILABLE`, `TERMINATING`…), which
 * `'p2pConnectionChange'` does not carry. Returns the unsubscribe function.
 */
export function onP2pGroupRemoved(cb: (removal: P2pGroupRemoval) => void): () => void {
  return p2pBackend().onGroupRemoved(cb);
}
