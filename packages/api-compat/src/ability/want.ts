/** `Want` of `@kit.AbilityKit`: what to start and with which parameters (subset). */
export interface Want {
  deviceId?: string;
  bundleName?: string;
  moduleName?: string;
  abilityName?: string;
  action?: string;
  uri?: string;
  parameters?: Record<string, Object>;
}
