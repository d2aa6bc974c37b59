import * as wifiManager from '../wifiManager.js';
/** `@ohos.wifiManager` (default export). */
export default wifiManager;
