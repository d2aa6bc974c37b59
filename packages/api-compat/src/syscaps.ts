/**
 * The SystemCapabilities colink provides, and the global `canIUse` that answers for them (HarmonyOS
 * `canIUse(syscap: string): boolean`, a global since API 8; syscap names as in the SDK's `@syscap` tags).
 * @module
 */
import { p2pBackend } from './wifi/registry.js';

/**
 * Each provided SystemCapability with the condition under which this device has it. Wi-Fi P2P needs a configured
 * wpa_supplicant (`COLINK_WPA_CTRL`; without one the P2P calls throw 801).
 */
export const SYSTEM_CAPABILITIES: Readonly<Record<string, () => boolean>> = {
  /** abilityConnectionManager, linkEnhance. */
  'SystemCapability.DistributedSched.AppCollaboration': () => true,
  /** distributedDeviceManager. */
  'SystemCapability.DistributedHardware.DeviceManager': () => true,
  /** @ohos.net.connection. */
  'SystemCapability.Communication.NetManager.Core': () => true,
  /** wifiManager's P2P subset. */
  'SystemCapability.Communication.WiFi.P2P': () => p2pBackend().configured,
  /** hilog. */
  'SystemCapability.HiviewDFX.HiLog': () => true,
  /** UIAbility, AbilityConstant, contexts. */
  'SystemCapability.Ability.AbilityRuntime.Core': () => true,
  /** Want. */
  'SystemCapability.Ability.AbilityBase': () => true,
};

/**
 * `canIUse(syscap)`: whether this device provides the SystemCapability `syscap` (see {@link SYSTEM_CAPABILITIES}).
 * `false` for any other name and for a non-string argument (the platform declares no error). Installed as a global
 * by `@colink/api-compat/register`.
 */
export function canIUse(syscap: string): boolean {
  if (typeof syscap !== 'string') return false;
  // own keys only: 'toString', 'constructor'… are not SystemCapabilities
  return Object.hasOwn(SYSTEM_CAPABILITIES, syscap) && SYSTEM_CAPABILITIES[syscap]!() === true;
}
