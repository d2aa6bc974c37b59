import * as hilog from '../hilog.js';
/** `@ohos.hilog` (default export). */
export default hilog;
