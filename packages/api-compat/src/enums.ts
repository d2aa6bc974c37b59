/**
 * HarmonyOS enums on Node: declared as real TypeScript `enum`s (so `let r: DisconnectReason = 1` and enum members as
 * types compile, as with the SDK's `.d.ts`), but at run time objects that map **name → value only**, as the NAPI
 * layers create them (harmony-api.md §1 [impl]: "no reverse mapping").
 * @module
 */

/**
 * Deletes the reverse mapping (value → name) TypeScript adds to a numeric enum, so `Object.keys(e)` lists the
 * member names only and `e[0]` is `undefined`, as on HarmonyOS. Returns `e` (the same object).
 */
export function forwardOnly<E extends object>(e: E): E {
  const o = e as Record<string, unknown>;
  for (const k of Object.keys(o)) if (typeof o[k] === 'string' && String(Number(k)) === k) delete o[k];
  return e;
}
