import * as common from '../ability/common.js';
/** `@ohos.app.ability.common` (default export). */
export default common;
