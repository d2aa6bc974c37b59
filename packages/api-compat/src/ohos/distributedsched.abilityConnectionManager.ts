import * as abilityConnectionManager from '../abilityConnectionManager.js';
/** `@ohos.distributedsched.abilityConnectionManager` (default export). */
export default abilityConnectionManager;
