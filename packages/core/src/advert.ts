import { ColinkError, ErrorCode } from './errors.js';
import { MAX_CONTROL_PAYLOAD } from './limits.js';
import type { DeviceAdvert, DiscoveredPeer } from './transport.js';

/** A networkId: 64 lower-case hex characters (SHA-256 of the device's public key, or of its udid without security). */
export const NETWORK_ID_PATTERN = /^[0-9a-f]{64}$/;
/** Longest device name, bytes of UTF-8: fits one DNS-SD TXT string (`dn=`, RFC 6763 §6.1) and a BLE INFO read. */
export const MAX_DEVICE_NAME_BYTES = 128;
/** Longest device type, bytes (`'phone'`, `'2in1'`, `'smart-display'`…). */
export const MAX_DEVICE_TYPE_BYTES = 32;
/** Most services one advert lists (abilityConnectionManager service names plus linkEnhance servers). */
export const MAX_ADVERT_SERVICES = 64;
/** Longest service name, bytes (HarmonyOS service and linkEnhance server names are ≤ 255). */
export const MAX_SERVICE_NAME_BYTES = 255;

/**
 * Longest advert as JSON, bytes: what fits a HELLO, whose payload is at most {@link MAX_CONTROL_PAYLOAD} (16 KiB,
 * PROTOCOL.md §4.1) — less 64 bytes for the rest of it (`{"v":2,"advert":…,"window":4294967295,"maxFrame":65548}`
 * is 52). The per-field limits above allow more (64 services of 255 bytes are 16.5 KB of JSON alone), so this one
 * is checked on the whole.
 */
export const MAX_ADVERT_JSON_BYTES = MAX_CONTROL_PAYLOAD - 64;

const MAC = /^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$/i;

/** True when `address` is a 48-bit MAC (BLE or Wi-Fi) in any accepted notation: colons, dashes or none, any case. */
export function isMac(address: unknown): address is string {
  return typeof address === 'string' && MAC.test(address);
}

/**
 * A MAC as HarmonyOS prints it: upper-case, colon-separated (`AA:BB:CC:DD:EE:FF`). Accepts colons, dashes or no
 * separators in any case.
 * @throws ColinkError `ERR_INVALID_ARGUMENT` for anything else.
 */
export function normalizeMac(address: string): string {
  if (!isMac(address))
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `not a MAC address: ${String(address)}`);
  return address.replace(/[:-]/g, '').toUpperCase().match(/../g)!.join(':');
}

/** Why `value` is not a valid advert, or undefined when it is one. */
function advertProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return 'not an object';
  const a = value as Record<string, unknown>;
  if (typeof a.networkId !== 'string' || !NETWORK_ID_PATTERN.test(a.networkId))
    return 'networkId is not 64 lower-case hex characters';
  if (typeof a.deviceName !== 'string' || Buffer.byteLength(a.deviceName) > MAX_DEVICE_NAME_BYTES)
    return `deviceName is not a string of at most ${MAX_DEVICE_NAME_BYTES} bytes`;
  if (typeof a.deviceType !== 'string' || Buffer.byteLength(a.deviceType) > MAX_DEVICE_TYPE_BYTES)
    return `deviceType is not a string of at most ${MAX_DEVICE_TYPE_BYTES} bytes`;
  if (a.bleMac !== undefined && !isMac(a.bleMac)) return 'bleMac is not a MAC address';
  if (a.services !== undefined) {
    if (!Array.isArray(a.services) || a.services.length > MAX_ADVERT_SERVICES)
      return `services is not a list of at most ${MAX_ADVERT_SERVICES} names`;
    for (const s of a.services)
      if (typeof s !== 'string' || s.length === 0 || Buffer.byteLength(s) > MAX_SERVICE_NAME_BYTES)
        return `a service name is not 1..${MAX_SERVICE_NAME_BYTES} bytes`;
  }
  return undefined;
}

/**
 * Checks a device advert received from a peer or a medium (HELLO, DNS-SD TXT record, BLE INFO characteristic, Wi-Fi
 * P2P vendor element) and returns a clean copy: only the known fields, `bleMac` normalized to `AA:BB:CC:DD:EE:FF`.
 * @param source Where it came from, for the error message (e.g. `'HELLO'`, `'TXT record of x.local'`).
 * @throws ColinkError `ERR_PROTOCOL` naming the first problem (bad networkId, over-long name, …).
 */
export function parseAdvert(value: unknown, source: string): DeviceAdvert {
  const problem = advertProblem(value);
  if (problem) throw new ColinkError(ErrorCode.PROTOCOL, `invalid device advert in ${source}: ${problem}`);
  const a = value as DeviceAdvert;
  return {
    networkId: a.networkId,
    deviceName: a.deviceName,
    deviceType: a.deviceType,
    ...(a.bleMac !== undefined ? { bleMac: normalizeMac(a.bleMac) } : {}),
    ...(a.services !== undefined ? { services: [...a.services] } : {}),
  };
}

/**
 * Checks this device's own advert before it is announced: the rules peers apply with {@link parseAdvert}, and that
 * its JSON — as given, fields core does not know included, since the HELLO carries the object as given — is at
 * most {@link MAX_ADVERT_JSON_BYTES} (16,320 bytes), so that the HELLO carrying it fits the 16 KiB
 * peers accept (`MAX_CONTROL_PAYLOAD`; a larger HELLO is a `protocol-error` of the Link).
 * @throws ColinkError `ERR_INVALID_ARGUMENT` naming the first problem.
 */
export function assertValidAdvert(advert: DeviceAdvert): void {
  let problem = advertProblem(advert);
  if (!problem) {
    // The HELLO carries the object as given (fields core does not know included); peers keep its clean copy.
    let bytes = Buffer.byteLength(JSON.stringify(parseAdvert(advert, 'this device')));
    try {
      bytes = Math.max(bytes, Buffer.byteLength(JSON.stringify(advert)));
    } catch (e) {
      problem = `not serializable as JSON (${e instanceof Error ? e.message : String(e)})`;
    }
    if (!problem && bytes > MAX_ADVERT_JSON_BYTES)
      problem = `${bytes} bytes as JSON, over ${MAX_ADVERT_JSON_BYTES} (a HELLO carries at most ${MAX_CONTROL_PAYLOAD})`;
  }
  if (problem) throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `invalid device advert: ${problem}`);
}

/** Whether two adverts announce the same thing (every field, services in order); extra fields are ignored. */
export function advertsEqual(a: DeviceAdvert, b: DeviceAdvert): boolean {
  const sa = a.services ?? [];
  const sb = b.services ?? [];
  return (
    a.networkId === b.networkId &&
    a.deviceName === b.deviceName &&
    a.deviceType === b.deviceType &&
    a.bleMac === b.bleMac &&
    sa.length === sb.length &&
    sa.every((s, i) => s === sb[i])
  );
}

/** Whether two discovered peers are the same announcement: equal adverts on the same medium and address. */
export function peersEqual(a: DiscoveredPeer, b: DiscoveredPeer): boolean {
  return a.medium === b.medium && a.address === b.address && advertsEqual(a, b);
}
