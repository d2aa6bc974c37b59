/** `@kit.NetworkKit`: `connection` (@ohos.net.connection). @module */

import * as connection from '../connection.js';

export { connection };
