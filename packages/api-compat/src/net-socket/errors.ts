/**
 * Error codes and shapes of `@ohos.net.socket` (netstack `socket_constant.h`, js-apis-socket error codes):
 * a failed system call on a TCP/UDP socket is `2301000 + errno` (Linux errno numbers, e.g. ECONNREFUSED 111 →
 * 2301111), on a `TCPSocketServer` `2303100 + errno` (EADDRINUSE 98 → 2303198), TLS errors `23035xx`, the
 * universal 201/401/801. Argument errors (401) are thrown synchronously as an `Error` with a numeric `code` (netstack
 * `napi_throw_business_error`); everything else reaches the callback / rejection as a plain `{ code, message }`
 * object (netstack `CreateErrorMessage`).
 * @module
 */
import os from 'node:os';
import type { BusinessError } from '../base.js';
import { numericCodeError, plainError, UNIVERSAL_MESSAGES } from '../errors.js';

/** `SOCKET_ERROR_CODE_BASE` (netstack socket_constant.h): TCP/UDP errors are this plus errno. */
export const SOCKET_ERROR_CODE_BASE = 2_301_000;
/** `SOCKET_SERVER_ERROR_CODE_BASE` (netstack socket_constant.h): TCPSocketServer errors are this plus errno. */
export const SOCKET_SERVER_ERROR_CODE_BASE = 2_303_100;
/** "System internal error." (js-apis-socket error codes). */
export const SOCKET_SYSTEM_INTERNAL_ERROR = 2_300_002;

/** glibc `strerror` texts of the errnos a socket reports (netstack returns `strerror(errno)`). */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  EPIPE: 'Broken pipe',
  EMSGSIZE: 'Message too long',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort',
  ECONNRESET: 'Connection reset by peer',
  EISCONN: 'Transport endpoint is already connected',
  ENOTCONN: 'Transport endpoint is not connected',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  EINPROGRESS: 'Operation now in progress',
  ENOTSOCK: 'Socket operation on non-socket',
};

/** The errno number of a Linux errno name (`os.constants.errno`), or undefined. */
function errnoOf(name: string): number | undefined {
  return (os.constants.errno as Record<string, number | undefined>)[name];
}

/** Whether `name` is a Linux errno name (`os.constants.errno`), e.g. `'ECONNRESET'`. */
export function isErrnoName(name: string): boolean {
  return errnoOf(name) !== undefined;
}

/** A plain `{ code, message }` error for `errnoName` on a socket (`base` + errno, message `strerror`). */
export function errnoError(errnoName: string, base = SOCKET_ERROR_CODE_BASE, detail?: string): BusinessError {
  const n = errnoOf(errnoName);
  if (n === undefined) return plainError(SOCKET_SYSTEM_INTERNAL_ERROR, detail ?? 'System internal error.');
  const text = STRERROR[errnoName] ?? errnoName;
  return plainError(base + n, detail === undefined ? text : `${text} (${detail})`);
}

/** Converts a Node socket error (with `code` such as `'ECONNREFUSED'`) to a socket BusinessError. */
export function fromNodeError(e: unknown, base = SOCKET_ERROR_CODE_BASE): BusinessError {
  if (isSocketError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && errnoOf(code) !== undefined) return errnoError(code, base);
  return plainError(SOCKET_SYSTEM_INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
}

/** Whether `e` is already a socket error object (`{ code: number, message }`). */
export function isSocketError(e: unknown): e is BusinessError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number';
}

/** 201 as a plain error object (delivered asynchronously, as netstack's `SetPermissionDenied`). */
export function permissionError(): BusinessError {
  return plainError(201, `${UNIVERSAL_MESSAGES[201]} (missing ohos.permission.INTERNET)`);
}

/** Throws 401 synchronously (an `Error` with numeric code, netstack `napi_throw_business_error`) unless `ok`. */
export function requireArg(ok: boolean, what: string): asserts ok {
  if (!ok) throw numericCodeError(401, `Parameter error. (${what})`);
}
