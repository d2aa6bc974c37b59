/**
 * `common` of `@kit.AbilityKit` (`@ohos.app.ability.common`): the context types. As in the SDK, the namespace holds
 * types only (`common.UIAbilityContext` in a type position); contexts come from the runtime (`this.context`,
 * `getContext()`).
 * @module
 */
export type { Context, UIAbilityContext } from './context.js';
