import { UIAbility } from '../ability/ui-ability.js';
/** `@ohos.app.ability.UIAbility` (default export). */
export default UIAbility;
