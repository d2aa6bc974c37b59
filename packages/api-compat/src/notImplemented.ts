import { numericCodeError } from './errors.js';

/**
 * Builds a module stand-in for a HarmonyOS module whose implementation has not landed yet: every function name
 * exists and throws 801 with a clear "not implemented yet" message naming the issue that brings it.
 */
export function notImplemented<T extends string>(
  module: string,
  issue: string,
  names: readonly T[],
): Record<T, (...args: unknown[]) => never> {
  const out = {} as Record<T, (...args: unknown[]) => never>;
  for (const n of names) {
    out[n] = () => {
      throw numericCodeError(801, `${module}.${n} is not implemented yet in @colink/api-compat (${issue})`);
    };
  }
  return out;
}
