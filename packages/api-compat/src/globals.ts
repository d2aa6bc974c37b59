import { AppStorage as AppStorageImpl } from './ability/app-storage.js';
import type { Context } from './ability/context.js';
import { getRuntime } from './runtime/runtime.js';
import { canIUse } from './syscaps.js';

interface ArkGlobals {
  AppStorage?: typeof AppStorageImpl;
  getContext?: (component?: object) => Context;
  canIUse?: (syscap: string) => boolean;
}

/**
 * Installs the ArkTS globals `AppStorage`, `getContext()` (the runtime's default UIAbilityContext) and `canIUse()`
 * (the SystemCapabilities colink provides).
 */
export function installGlobals(): void {
  const g = globalThis as ArkGlobals;
  g.AppStorage ??= AppStorageImpl;
  g.getContext ??= () => getRuntime().defaultContext();
  g.canIUse ??= canIUse;
}
