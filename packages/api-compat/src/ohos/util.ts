import * as util from '../util.js';
/** `@ohos.util` (default export). */
export default util;
