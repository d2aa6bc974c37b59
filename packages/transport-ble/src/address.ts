/**
 * BLE addresses as HarmonyOS prints them (`AA:BB:CC:DD:EE:FF`): core's MAC helpers, re-exported where BLE users look
 * for them. `normalizeMac` throws `ERR_INVALID_ARGUMENT` for anything that is not a 48-bit MAC.
 */
export { isMac, normalizeMac } from '@colink/core';
