/**
 * @packageDocumentation
 * `@colink/api-compat`: the exact HarmonyOS APIs on Node.js. Import namespaces from here or from the kit entry points
 * (`@colink/api-compat/kit.DistributedServiceKit`, …), or run unchanged HarmonyOS code with
 * `node --import @colink/api-compat/register app.ts`, which resolves `@kit.*` / `@ohos.*` imports.
 *
 * @example
 * ```ts
 * import { abilityConnectionManager, distributedDeviceManager } from '@colink/api-compat';
 * const dm = distributedDeviceManager.createDeviceManager('com.example.app');
 * const peer = dm.getAvailableDeviceListSync()[0];
 * ```
 */

export { AppStorage } from './ability/app-storage.js';
export * as common from './ability/common.js';
export * as AbilityConstant from './ability/constant.js';
export { UIAbility } from './ability/ui-ability.js';
export { Want } from './ability/want.js';
export * as abilityConnectionManager from './abilityConnectionManager.js';
export type { AsyncCallback, BusinessError, Callback, ErrorCallback } from './base.js';
export * as connection from './connection.js';
export * as distributedDeviceManager from './distributedDeviceManager.js';
export * as hilog from './hilog.js';
export * as linkEnhance from './linkEnhance.js';
export * as socket from './socket.js';
export { SPECIFIERS } from './specifiers.js';
export * as util from './util.js';
export * as wifiManager from './wifiManager.js';
