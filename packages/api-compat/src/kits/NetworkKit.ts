/** `@kit.NetworkKit`: `connection` (@ohos.net.connection). @module */
export { connection } from '../connection.js';
