/** `@kit.ArkTS`: `util` (@ohos.util: TextEncoder, TextDecoder). @module */
export * as util from '../util.js';
