import { assertArgument } from '@colink/core';

const MAC = /^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$/i;

/**
 * A BLE MAC as HarmonyOS shows it: upper-case, colon-separated (`AA:BB:CC:DD:EE:FF`). Accepts colons, dashes or
 * no separators in any case. Throws `ERR_INVALID_ARGUMENT` for anything else.
 */
export function normalizeMac(address: string): string {
  assertArgument(
    typeof address === 'string' && MAC.test(address),
    `not a BLE MAC address: ${String(address)}`,
  );
  return address.replace(/[:-]/g, '').toUpperCase().match(/../g)!.join(':');
}

/** True when `address` is a BLE MAC in any accepted notation. */
export function isMac(address: string): boolean {
  return typeof address === 'string' && MAC.test(address);
}
