import * as socket from '../socket.js';
/** `@ohos.net.socket` (default export). */
export default socket;
