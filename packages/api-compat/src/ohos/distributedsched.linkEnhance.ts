import * as linkEnhance from '../linkEnhance.js';
/** `@ohos.distributedsched.linkEnhance` (default export). */
export default linkEnhance;
