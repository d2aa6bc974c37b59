/** `@kit.ArkTS`: `util` (@ohos.util: TextEncoder, TextDecoder). @module */

import * as util from '../util.js';

export { util };
