/** `common` of `@kit.AbilityKit` (`@ohos.app.ability.common`): context classes. @module */
export { type AbilityInfo, type ApplicationInfo, Context, UIAbilityContext, UIContext } from './context.js';
