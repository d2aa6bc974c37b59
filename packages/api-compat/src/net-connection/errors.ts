/**
 * Error codes of `@ohos.net.connection` (harmony-api.md §6.5 and §6.1) and their runtime shape: net.connection throws,
 * rejects and calls back with a plain object `{ code: <number>, message }` (netmanager `CreateErrorMessage`,
 * harmony-api.md §0.2).
 * @module
 */
import { ErrorCode } from '@colink/core';
import type { BusinessError } from '../base.js';
import { plainError, UNIVERSAL_MESSAGES } from '../errors.js';

/** Codes used by this module (harmony-api.md §6.1, §6.5). */
export const NetErrorCode = {
  PERMISSION_DENIED: 201,
  NOT_SYSTEM_APP: 202,
  PARAMETER_ERROR: 401,
  CAPABILITY_NOT_SUPPORTED: 801,
  INVALID_PARAMETER_VALUE: 2100001,
  SERVICE_CONNECTION_FAILED: 2100002,
  SYSTEM_INTERNAL_ERROR: 2100003,
  NOT_VPN_APP: 2100301,
  /** Undocumented; XTS pins it for `reportNetConnected/Disconnected` with a non-existent netId (§3.5). */
  NET_ID_NOT_FOUND: 2101006,
  CALLBACK_NOT_FOUND: 2101007,
  CALLBACK_EXISTS: 2101008,
} as const;
export type NetErrorCode = (typeof NetErrorCode)[keyof typeof NetErrorCode];

/** Message texts of the net.connection error page (harmony-api.md §6.5); 2101006 has no documented text. */
const MESSAGES: Readonly<Record<number, string>> = {
  ...UNIVERSAL_MESSAGES,
  2100001: 'Invalid parameter value.',
  2100002: 'Failed to connect to the service.',
  2100003: 'System internal error.',
  2100301: 'Incorrect usage in non-VPN application.',
  2101006: 'The network does not exist.',
  2101007: 'The callback does not exist.',
  2101008: 'The callback already exists.',
};

/**
 * A net.connection error: plain `{ code, message }`. `detail` (optional) is appended to the standard message so
 * callers see why, e.g. `"Invalid parameter value. (no network with netId 23)"`.
 */
export function netError(code: NetErrorCode, detail?: string): BusinessError {
  const base = MESSAGES[code] ?? 'System internal error.';
  return plainError(code, detail === undefined ? base : `${base} (${detail})`);
}

/** Maps a colink error code (from `@colink/net-monitor`) to the HarmonyOS code it stands for (net-monitor README). */
export function codeForColink(colinkCode: string | undefined): NetErrorCode {
  switch (colinkCode) {
    case ErrorCode.INVALID_ARGUMENT:
      return NetErrorCode.INVALID_PARAMETER_VALUE;
    case ErrorCode.UNREACHABLE:
      return NetErrorCode.SERVICE_CONNECTION_FAILED;
    default:
      return NetErrorCode.SYSTEM_INTERNAL_ERROR;
  }
}

/** Whether `e` already is a net.connection error object. */
export function isNetError(e: unknown): e is BusinessError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number';
}
