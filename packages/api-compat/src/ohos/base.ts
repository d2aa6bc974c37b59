/** `@ohos.base`: types only. */
export type { AsyncCallback, BusinessError, Callback, ErrorCallback } from '../base.js';
