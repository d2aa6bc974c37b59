/**
 * `@kit.AbilityKit`: `UIAbility`, `AbilityConstant`, `Want`, `common` (contexts).
 * @module
 */

import * as common from '../ability/common.js';
import * as AbilityConstant from '../ability/constant.js';

export { UIAbility } from '../ability/ui-ability.js';
export { Want } from '../ability/want.js';
export { AbilityConstant, common };
