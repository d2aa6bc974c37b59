/**
 * The HarmonyOS import specifiers api-compat serves, mapped to its own entry points (resolved by the
 * `@colink/api-compat/register` hook and declared for TypeScript in `ambient.d.ts`).
 */
export const SPECIFIERS: Readonly<Record<string, string>> = {
  '@kit.DistributedServiceKit': '@colink/api-compat/kit.DistributedServiceKit',
  '@kit.NetworkKit': '@colink/api-compat/kit.NetworkKit',
  '@kit.ConnectivityKit': '@colink/api-compat/kit.ConnectivityKit',
  '@kit.AbilityKit': '@colink/api-compat/kit.AbilityKit',
  '@kit.BasicServicesKit': '@colink/api-compat/kit.BasicServicesKit',
  '@kit.PerformanceAnalysisKit': '@colink/api-compat/kit.PerformanceAnalysisKit',
  '@kit.ArkTS': '@colink/api-compat/kit.ArkTS',
  '@ohos.distributedsched.abilityConnectionManager':
    '@colink/api-compat/ohos/distributedsched.abilityConnectionManager',
  '@ohos.distributedsched.linkEnhance': '@colink/api-compat/ohos/distributedsched.linkEnhance',
  '@ohos.net.connection': '@colink/api-compat/ohos/net.connection',
  '@ohos.net.socket': '@colink/api-compat/ohos/net.socket',
  '@ohos.util': '@colink/api-compat/ohos/util',
  '@ohos.wifiManager': '@colink/api-compat/ohos/wifiManager',
  '@ohos.distributedDeviceManager': '@colink/api-compat/ohos/distributedDeviceManager',
  '@ohos.hilog': '@colink/api-compat/ohos/hilog',
  '@ohos.base': '@colink/api-compat/ohos/base',
  '@ohos.app.ability.UIAbility': '@colink/api-compat/ohos/app.ability.UIAbility',
  '@ohos.app.ability.AbilityConstant': '@colink/api-compat/ohos/app.ability.AbilityConstant',
  '@ohos.app.ability.common': '@colink/api-compat/ohos/app.ability.common',
  '@ohos.app.ability.Want': '@colink/api-compat/ohos/app.ability.Want',
};
