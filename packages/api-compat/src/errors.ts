import type { BusinessError } from './base.js';

/**
 * Universal error codes and messages (harmony-api.md §6.1) and the exact runtime shapes of errors per module
 * (§0.2). api-compat maps colink's errors to these at its boundary and nowhere else.
 * @module
 */

/** Universal codes (errorcode-universal). */
export const UniversalCode = {
  PERMISSION_DENIED: 201,
  NOT_SYSTEM_APP: 202,
  PARAMETER_ERROR: 401,
  CAPABILITY_NOT_SUPPORTED: 801,
} as const;

/** Standard message texts of the universal codes (harmony-api.md §6.1). */
export const UNIVERSAL_MESSAGES: Readonly<Record<number, string>> = {
  201: 'Permission verification failed. The application does not have the permission required to call the API.',
  202: 'Permission verification failed. A non-system application calls a system API.',
  401: 'Parameter error. Possible causes: 1. Mandatory parameters are left unspecified; 2. Incorrect parameter types; 3. Parameter verification failed.',
  801: 'Capability not supported. Failed to call the API due to limited device capabilities.',
};

/**
 * A synchronous throw as abilityConnectionManager's NAPI layer makes it: an `Error` whose `code` is the code as a
 * **string** (e.g. `"401"`) (harmony-api.md §0.2). `==` comparisons with numbers still hold.
 */
export function stringCodeError(code: number, message: string): BusinessError {
  const e = new Error(message) as Error & { code: unknown };
  e.code = String(code);
  return e as unknown as BusinessError;
}

/** A promise rejection as the NAPI layers make it: a plain object `{ code: <number>, message }` (harmony-api.md §0.2). */
export function plainError(
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): BusinessError {
  return { code, message, ...extra } as unknown as BusinessError;
}

/** An `Error` instance with a numeric code (linkEnhance; harmony-api.md §0.2 says XTS checks only `code == n`). */
export function numericCodeError(code: number, message: string): BusinessError {
  const e = new Error(message) as Error & { code: number };
  e.code = code;
  return e as BusinessError;
}
