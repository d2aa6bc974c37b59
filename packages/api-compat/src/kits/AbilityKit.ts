/**
 * `@kit.AbilityKit`: `UIAbility`, `AbilityConstant`, `Want`, `common` (contexts).
 * @module
 */

export * as common from '../ability/common.js';
export * as AbilityConstant from '../ability/constant.js';
export { UIAbility } from '../ability/ui-ability.js';
export { Want } from '../ability/want.js';
