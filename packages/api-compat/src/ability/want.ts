/**
 * `Want` of `@kit.AbilityKit` (`@ohos.app.ability.Want`, a class since API 9): what to start and with which
 * parameters. `new Want()` is an empty object, as on HarmonyOS; every field is optional. Fields as the SDK
 * declaration (interface_sdk-js `api/@ohos.app.ability.Want.d.ts`).
 */
export class Want {
  /** Bundle name of the target app. */
  declare bundleName?: string;
  /** Name of the target ability. */
  declare abilityName?: string;
  /** Target device (networkId); empty = this device. */
  declare deviceId?: string;
  declare uri?: string;
  /** MIME type of `uri`. */
  declare type?: string;
  /** `wantConstant.Flags` bits. */
  declare flags?: number;
  declare action?: string;
  declare parameters?: Record<string, Object>;
  declare entities?: Array<string>;
  declare moduleName?: string;
  /** File descriptors passed with the want (read only). */
  declare readonly fds?: Record<string, number>;
}
