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

import * as common from './ability/common.js';
import * as AbilityConstant from './ability/constant.js';
import * as abilityConnectionManager from './abilityConnectionManager.js';
import * as connection from './connection.js';
import * as distributedDeviceManager from './distributedDeviceManager.js';
import * as hilog from './hilog.js';
import * as linkEnhance from './linkEnhance.js';
import * as socket from './socket.js';
import * as util from './util.js';
import * as wifiManager from './wifiManager.js';

export { AppStorage } from './ability/app-storage.js';
export { UIAbility } from './ability/ui-ability.js';
export { Want } from './ability/want.js';
export type { AsyncCallback, BusinessError, Callback, ErrorCallback } from './base.js';
export { SPECIFIERS } from './specifiers.js';
export {
  AbilityConstant,
  abilityConnectionManager,
  common,
  connection,
  distributedDeviceManager,
  hilog,
  linkEnhance,
  socket,
  util,
  wifiManager,
};
