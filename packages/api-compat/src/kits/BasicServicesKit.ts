/** `@kit.BasicServicesKit`: `BusinessError` and the callback types of `@ohos.base`. @module */
export type { AsyncCallback, BusinessError, Callback, ErrorCallback } from '../base.js';
