/**
 * Wi-Fi error codes and the three runtime shapes of `@ohos.wifiManager` errors (harmony-api.md §0.2, §6.6, from
 * OpenHarmony communication_wifi `wifi_napi_errcode.cpp`):
 *
 * - synchronous throw: an `Error` whose `code` is the code as a **string**, message `"BussinessError <code>: <text>"`
 *   (sic, double s; `napi_throw_error(env, code, msg)`);
 * - promise rejection: a plain object `{ code: <number>, message, data: null }`;
 * - callback error: a plain object `{ code: <number>, message }`.
 *
 * Internal failures map to the P2P SysCap base 2800000 + 1000 ("Operation failed.") or + 1001 ("WIFI doesn't
 * open."); 201, 202, 401 and 801 are never offset.
 * @module
 */
import { ErrorCode, isColinkError } from '@colink/core';
import type { BusinessError } from '../base.js';
import { plainError, stringCodeError } from '../errors.js';

/** SysCap base of `SystemCapability.Communication.WiFi.P2P` in OpenHarmony's NAPI error arithmetic. */
export const P2P_SYSCAP_BASE = 2_800_000;

/** The codes the P2P subset uses (harmony-api.md §4.1, §6.1, §6.6). */
export const WifiErrorCode = {
  PERMISSION_DENIED: 201,
  NON_SYSTEM_APP: 202,
  INVALID_PARAM: 401,
  NOT_SUPPORTED: 801,
  /** 2801000: P2P operation failed. */
  P2P_OPERATION_FAILED: P2P_SYSCAP_BASE + 1000,
  /** 2801001: P2P not open (the docs' "Wi-Fi P2P disabled"). */
  P2P_NOT_OPENED: P2P_SYSCAP_BASE + 1001,
} as const;

/** A code of {@link WifiErrorCode}. */
export type WifiErrorCodeValue = (typeof WifiErrorCode)[keyof typeof WifiErrorCode];

/** Message texts of `napiErrMsgMap` (wifi_napi_errcode.cpp), keyed by the un-offset code. */
const TEXTS: Readonly<Record<number, string>> = {
  201: 'Permission denied.',
  // Not in the 5.x map (the NAPI layer prints "Inner error." for unknown codes); newer releases name it so.
  202: 'System API is not allowed called by Non-system application.',
  401: 'Parameter error.',
  801: 'Capability not supported.',
  1000: 'Operation failed.',
  1001: "WIFI doesn't open.",
};

/** `"BussinessError <code>: <text>"` for a P2P code. */
export function wifiMessage(code: number): string {
  const text = TEXTS[code >= P2P_SYSCAP_BASE ? code - P2P_SYSCAP_BASE : code] ?? 'Operation failed.';
  return `BussinessError ${code}: ${text}`;
}

/**
 * A failure inside the P2P layer carrying its Wi-Fi code until the API boundary gives it the right shape. Thrown
 * only by api-compat's own code; {@link wifiCodeOf} reads it.
 */
export class WifiFailure extends Error {
  constructor(
    readonly wifiCode: WifiErrorCodeValue,
    detail?: string,
  ) {
    super(detail ? `${wifiMessage(wifiCode)} (${detail})` : wifiMessage(wifiCode));
    this.name = 'WifiFailure';
  }
}

/**
 * The Wi-Fi code for any failure: a {@link WifiFailure}'s own; colink's `ERR_INVALID_ARGUMENT` → 401,
 * `ERR_NOT_STARTED` (the daemon is gone or the client closed) → 2801001; anything else → 2801000
 * (mapping of the transport's author, /tmp/wifi-mapping.md).
 */
export function wifiCodeOf(e: unknown): WifiErrorCodeValue {
  if (e instanceof WifiFailure) return e.wifiCode;
  if (isColinkError(e)) {
    if (e.code === ErrorCode.INVALID_ARGUMENT) return WifiErrorCode.INVALID_PARAM;
    if (e.code === ErrorCode.NOT_STARTED) return WifiErrorCode.P2P_NOT_OPENED;
  }
  return WifiErrorCode.P2P_OPERATION_FAILED;
}

/** The synchronous shape: `Error` with string `code` and `"BussinessError <code>: <text>"`. */
export function wifiSyncError(code: number): BusinessError {
  return stringCodeError(code, wifiMessage(code));
}

/** The promise-rejection shape: `{ code: <number>, message, data: null }`. */
export function wifiPromiseError(code: number): BusinessError {
  return plainError(code, wifiMessage(code), { data: null });
}

/** The callback-error shape: `{ code: <number>, message }`. */
export function wifiCallbackError(code: number): BusinessError {
  return plainError(code, wifiMessage(code));
}
