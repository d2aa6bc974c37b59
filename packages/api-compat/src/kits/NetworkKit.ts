/** `@kit.NetworkKit`: `connection` (@ohos.net.connection), `socket` (@ohos.net.socket). @module */

import * as connection from '../connection.js';
import * as socket from '../socket.js';

export { connection, socket };
