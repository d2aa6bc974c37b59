/**
 * The call conventions of `@ohos.net.connection`: callback or promise form of one operation, permission checks
 * against the device runtime, argument checks and NetHandle validation (harmony-api.md §3.1, §3.5).
 * @module
 */
import type { AsyncCallback } from '../base.js';
import { getRuntime } from '../runtime/runtime.js';
import { isNetError, netError } from './errors.js';

/** Permissions this module checks (without the `ohos.permission.` prefix). */
export type NetPermission =
  | 'GET_NETWORK_INFO'
  | 'INTERNET'
  | 'SET_PAC_URL'
  | 'SET_NET_EXT_ATTRIBUTE'
  | 'GET_IP_MAC_INFO'
  | 'ACCESS_NET_TRACE_INFO'
  | 'LOCATION'
  | 'APPROXIMATELY_LOCATION';

/** Throws 201 unless the app holds every one of `permissions`. */
export function requirePermission(...permissions: NetPermission[]): void {
  const rt = getRuntime();
  const missing = permissions.filter((p) => !rt.hasPermission(p));
  if (missing.length > 0)
    throw netError(201, `missing ohos.permission.${missing.join(', ohos.permission.')}`);
}

/** Throws 202 (801 for a system app: Node has no such system service) — the system APIs of §3.1. */
export function systemOnly(name: string): never {
  if (getRuntime().config.systemApp) throw netError(801, `connection.${name} has no equivalent on Node`);
  throw netError(202, `connection.${name} is a system API`);
}

/** Throws 401 naming `what` unless `ok`. */
export function requireArg(ok: boolean, what: string): asserts ok {
  if (!ok) throw netError(401, what);
}

/**
 * The netId of a `NetHandle` argument: any object with a numeric `netId` (XTS passes plain `{ netId }` objects).
 * `null`, `undefined` or anything else → 401.
 */
export function handleNetId(netHandle: unknown): number {
  requireArg(
    typeof netHandle === 'object' &&
      netHandle !== null &&
      typeof (netHandle as { netId?: unknown }).netId === 'number',
    'netHandle must be a NetHandle',
  );
  return (netHandle as { netId: number }).netId;
}

/** Converts anything thrown inside an operation to a net.connection error object. */
export function toNetError(e: unknown): unknown {
  if (isNetError(e)) return e;
  return netError(2100003, e instanceof Error ? e.message : String(e));
}

/**
 * Runs `op` in callback form (when `callback` is given: `callback(err, data)`, err `undefined` on success) or
 * promise form (when `callback` is `undefined`). Errors thrown by `op`, synchronous or not, are delivered through the
 * callback / rejection (as HarmonyOS does for 201 and NetHandle 401s). A `callback` that is neither a function nor
 * `undefined` throws 401.
 */
export function callOrPromise<T>(callback: unknown, op: () => T | Promise<T>): Promise<T> | undefined {
  const run = (): Promise<T> => {
    try {
      return Promise.resolve(op()).catch((e: unknown) => Promise.reject(toNetError(e)));
    } catch (e) {
      return Promise.reject(toNetError(e));
    }
  };
  if (callback === undefined) return run();
  requireArg(typeof callback === 'function', 'callback must be a function');
  const cb = callback as AsyncCallback<T>;
  run().then(
    (data) => cb(undefined as never, data),
    (err: unknown) => cb(err as never, undefined as never),
  );
  return undefined;
}
