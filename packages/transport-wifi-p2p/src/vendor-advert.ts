import { type DeviceAdvert, parseAdvert } from '@colink/core';

/**
 * The colink advert carried in P2P probe frames as vendor-specific elements (IEEE 802.11-2020 §9.4.2.25, element id
 * 221), set with `VENDOR_ELEM_ADD` and read back from the peer's `vendor_elems=`.
 * Element: `dd <len> <OUI 02:43:4c> <type 0x01> <payload chunk>`; the chunks of all such elements, in order, are the
 * UTF-8 JSON `{ n: networkId, d: deviceName, t: deviceType, b?: bleMac, s?: services }`.
 */

/** Locally administered OUI (U/L bit set, "CL"): no IEEE assignment needed for a private element. */
export const COLINK_VENDOR_OUI = '02434c';
/** Vendor element subtype of the colink advert. */
export const COLINK_VENDOR_TYPE = '01';
/** Element body is ≤ 255 bytes; 4 go to OUI and type. */
const CHUNK = 251;
/** Adverts beyond this many bytes are refused (P2P probe frames must stay small; our bound). */
export const COLINK_ADVERT_MAX_BYTES = 1024;

/** Encodes `advert` as hex vendor elements. Throws `RangeError` beyond {@link COLINK_ADVERT_MAX_BYTES}. */
export function encodeVendorAdvert(advert: DeviceAdvert): string {
  const body: Record<string, unknown> = { n: advert.networkId, d: advert.deviceName, t: advert.deviceType };
  if (advert.bleMac) body.b = advert.bleMac;
  if (advert.services?.length) body.s = advert.services;
  const payload = Buffer.from(JSON.stringify(body));
  if (payload.length > COLINK_ADVERT_MAX_BYTES) throw new RangeError(`advert is ${payload.length} bytes`);
  let hex = '';
  for (let off = 0; off < payload.length; off += CHUNK) {
    const chunk = payload.subarray(off, off + CHUNK);
    hex += `dd${(chunk.length + 4).toString(16).padStart(2, '0')}${COLINK_VENDOR_OUI}${COLINK_VENDOR_TYPE}${chunk.toString('hex')}`;
  }
  return hex;
}

/** Decodes the colink advert from a peer's vendor elements; `undefined` when there is none or it is malformed. */
export function decodeVendorAdvert(hex: string): DeviceAdvert | undefined {
  const buf = Buffer.from(hex, 'hex');
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const id = buf[i]!;
    const len = buf[i + 1]!;
    const body = buf.subarray(i + 2, i + 2 + len);
    if (body.length < len) return undefined;
    if (
      id === 0xdd &&
      len >= 4 &&
      body.subarray(0, 4).toString('hex') === COLINK_VENDOR_OUI + COLINK_VENDOR_TYPE
    ) {
      parts.push(body.subarray(4));
    }
    i += 2 + len;
  }
  if (parts.length === 0) return undefined;
  try {
    const o = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
    return parseAdvert(
      { networkId: o.n, deviceName: o.d, deviceType: o.t, bleMac: o.b, services: o.s },
      'a Wi-Fi P2P vendor element',
    );
  } catch {
    return undefined; // unreadable JSON or invalid fields: not a colink device we can use
  }
}
