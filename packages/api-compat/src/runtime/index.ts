/**
 * `@colink/api-compat/runtime`: the device this process is — configure it, reach its LocalDevice, register
 * abilities in code, wait for peers.
 * @module
 */

export { type LinkEnhanceApi, type LinkEnhanceHost, linkEnhanceOn } from '../link-enhance/host.js';
export { canIUse, SYSTEM_CAPABILITIES } from '../syscaps.js';
export type { AbilityDecl, AppDecl } from './app-dir.js';
export { readAppDir } from './app-dir.js';
export { type BindConfirmPolicy, bindPolicyFromEnv } from './binding.js';
export { configFromEnv, DEFAULT_UPGRADE_DIAL_MS, type RuntimeConfig } from './config.js';
export type { DeviceIdentity } from './identity.js';
export {
  type AbilityClass,
  configure,
  DeviceRuntime,
  getRuntime,
  prepareRuntime,
  setRuntime,
} from './runtime.js';
export { WARM_UP_TIMEOUT_MS, type WarmUpResult, type WarmUpStep, warmUpConnectPath } from './warm-up.js';
