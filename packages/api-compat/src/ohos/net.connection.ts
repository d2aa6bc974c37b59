import * as connection from '../connection.js';
/** `@ohos.net.connection` (default export). */
export default connection;
