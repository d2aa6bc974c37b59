import { createHash } from 'node:crypto';
import { assertArgument } from '@colink/core';

/** Default server name: the service every colink device offers. */
export const DEFAULT_SERVER_NAME = 'colink';

/** The UUIDs of one colink GATT service, as 32 lower-case hex digits (the form noble and bleno use). */
export interface ServiceUuids {
  /** Primary service. */
  readonly service: string;
  /** RX characteristic: the central writes (write without response). */
  readonly rx: string;
  /** TX characteristic: the peripheral notifies. */
  readonly tx: string;
  /** INFO characteristic: the device advert as JSON (read). */
  readonly info: string;
}

/**
 * Derives the service and characteristic UUIDs for a server name: SHA-256 of `colink-ble/<name>`, first 16 bytes,
 * stamped as an RFC 9562 version-8 UUID; the characteristics differ from the service in the last byte.
 * Throws `ERR_INVALID_ARGUMENT` for an empty name or one over 256 characters (linkEnhance server-name limit).
 */
export function serviceUuids(name: string): ServiceUuids {
  assertArgument(
    typeof name === 'string' && name.length > 0 && name.length <= 256,
    'server name must be 1-256 characters',
  );
  const h = createHash('sha256').update(`colink-ble/${name}`).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const base = h.toString('hex');
  const withLast = (n: number): string =>
    base.slice(0, 30) + ((h[15]! ^ n) & 0xff).toString(16).padStart(2, '0');
  return { service: base, rx: withLast(1), tx: withLast(2), info: withLast(3) };
}
