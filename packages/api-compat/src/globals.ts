import { AppStorage as AppStorageImpl } from './ability/app-storage.js';
import type { Context } from './ability/context.js';
import { getRuntime } from './runtime/runtime.js';

interface ArkGlobals {
  AppStorage?: typeof AppStorageImpl;
  getContext?: (component?: object) => Context;
}

/** Installs the ArkTS globals `AppStorage` and `getContext()` (the runtime's default UIAbilityContext). */
export function installGlobals(): void {
  const g = globalThis as ArkGlobals;
  g.AppStorage ??= AppStorageImpl;
  g.getContext ??= () => getRuntime().defaultContext();
}
