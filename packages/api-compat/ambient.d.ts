// TypeScript declarations for HarmonyOS import specifiers served by @colink/api-compat.
// Recipe: add "@colink/api-compat/ambient" to "types" in tsconfig.json (see the package README).
// Names are listed (no `export *`); `node scripts/api-report.mjs --check` fails when a list differs from its kit.
declare module '@kit.DistributedServiceKit' {
  export {
    abilityConnectionManager,
    distributedDeviceManager,
    linkEnhance,
  } from '@colink/api-compat/kit.DistributedServiceKit';
}
declare module '@kit.NetworkKit' {
  export { connection, socket } from '@colink/api-compat/kit.NetworkKit';
}
declare module '@kit.ConnectivityKit' {
  export { wifiManager } from '@colink/api-compat/kit.ConnectivityKit';
}
declare module '@kit.AbilityKit' {
  export { AbilityConstant, common, UIAbility, Want } from '@colink/api-compat/kit.AbilityKit';
}
declare module '@kit.BasicServicesKit' {
  export {
    AsyncCallback,
    BusinessError,
    Callback,
    ErrorCallback,
  } from '@colink/api-compat/kit.BasicServicesKit';
}
declare module '@kit.PerformanceAnalysisKit' {
  export { hilog } from '@colink/api-compat/kit.PerformanceAnalysisKit';
}
declare module '@kit.ArkTS' {
  export { util } from '@colink/api-compat/kit.ArkTS';
}
declare module '@ohos.util' {
  export { default } from '@colink/api-compat/ohos/util';
}
declare module '@ohos.distributedsched.abilityConnectionManager' {
  export { default } from '@colink/api-compat/ohos/distributedsched.abilityConnectionManager';
}
declare module '@ohos.distributedsched.linkEnhance' {
  export { default } from '@colink/api-compat/ohos/distributedsched.linkEnhance';
}
declare module '@ohos.net.connection' {
  export { default } from '@colink/api-compat/ohos/net.connection';
}
declare module '@ohos.net.socket' {
  export { default } from '@colink/api-compat/ohos/net.socket';
}
declare module '@ohos.wifiManager' {
  export { default } from '@colink/api-compat/ohos/wifiManager';
}
declare module '@ohos.distributedDeviceManager' {
  export { default } from '@colink/api-compat/ohos/distributedDeviceManager';
}
declare module '@ohos.hilog' {
  export { default } from '@colink/api-compat/ohos/hilog';
}
declare module '@ohos.base' {
  export type { AsyncCallback, BusinessError, Callback, ErrorCallback } from '@colink/api-compat/ohos/base';
}
declare module '@ohos.app.ability.UIAbility' {
  export { default } from '@colink/api-compat/ohos/app.ability.UIAbility';
}
declare module '@ohos.app.ability.AbilityConstant' {
  export { default } from '@colink/api-compat/ohos/app.ability.AbilityConstant';
}
declare module '@ohos.app.ability.common' {
  export { default } from '@colink/api-compat/ohos/app.ability.common';
}
declare module '@ohos.app.ability.Want' {
  export { default } from '@colink/api-compat/ohos/app.ability.Want';
}
declare var AppStorage: typeof import('@colink/api-compat').AppStorage;
declare function getContext(component?: object): import('@colink/api-compat/kit.AbilityKit').common.Context;
/** Whether this device provides the SystemCapability `syscap` (e.g. `'SystemCapability.Communication.WiFi.P2P'`). */
declare function canIUse(syscap: string): boolean;
// ArkTS sources (loaded by the register hook); their exports are not typed from TypeScript.
declare module '*.ets' {
  const component: unknown;
  export default component;
}
