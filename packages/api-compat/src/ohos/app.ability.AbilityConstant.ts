import * as AbilityConstant from '../ability/constant.js';
/** `@ohos.app.ability.AbilityConstant` (default export). */
export default AbilityConstant;
