/** `@kit.NetworkKit`: `connection` (@ohos.net.connection). @module */
export * as connection from '../connection.js';
