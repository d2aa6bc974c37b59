import * as distributedDeviceManager from '../distributedDeviceManager.js';
/** `@ohos.distributedDeviceManager` (default export). */
export default distributedDeviceManager;
