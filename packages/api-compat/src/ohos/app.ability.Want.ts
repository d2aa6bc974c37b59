import { Want } from '../ability/want.js';
/** `@ohos.app.ability.Want` (default export): the `Want` class. */
export default Want;
