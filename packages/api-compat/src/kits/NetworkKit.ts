/** `@kit.NetworkKit`: `connection` (@ohos.net.connection), `socket` (@ohos.net.socket). @module */
export * as connection from '../connection.js';
export * as socket from '../socket.js';
