/**
 * `@ohos.base`: the callback and error types every HarmonyOS module uses (harmony-api.md §0.1).
 * @module
 */

/** `Callback<T>`: `(data: T) => void` (@ohos.base, since 6). */
export type Callback<T> = (data: T) => void;

/** `ErrorCallback<T>`: `(err: T) => void` (@ohos.base). */
export type ErrorCallback<T extends Error = BusinessError> = (err: T) => void;

/** `AsyncCallback<T, E>`: `(err, data) => void`; on success `err` is `undefined` (harmony-api.md §0.1). */
export type AsyncCallback<T, E = void> = (err: BusinessError<E>, data: T) => void;

/**
 * `BusinessError<T>`: an `Error` with a numeric `code` and optional `data` (@ohos.base, since 6). At run time
 * HarmonyOS modules differ in what they really throw (harmony-api.md §0.2); api-compat reproduces each module's shape.
 */
export interface BusinessError<T = void> extends Error {
  code: number;
  data?: T;
}
