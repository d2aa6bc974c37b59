import { assertArgument, type DeviceAdvert, MAX_DEVICE_NAME_BYTES, parseAdvert } from '@colink/core';
import { truncateUtf8 } from '@colink/core/wire';
import {
  MAX_LABEL_BYTES,
  MAX_TXT_RECORD_BYTES,
  MAX_TXT_STRING_BYTES,
  PROTOCOL_VERSION,
  TXT_VERSION,
} from '../constants.js';

/**
 * TXT keys of a colink instance (RFC 6763 §6: short keys, ≤ 9 characters, case-insensitive).
 *
 * | key | value |
 * |---|---|
 * | `txtvers` | layout version, {@link TXT_VERSION} |
 * | `pv` | colink wire protocol version |
 * | `nid` | networkId |
 * | `dn` | device name (UTF-8) |
 * | `dt` | device type |
 * | `ble` | BLE MAC, when the device has one |
 * | `sv`, `sv2`, `sv3`… | services offered, comma-separated, split over several keys when > 255 bytes |
 */
export const TXT_KEYS = {
  version: 'txtvers',
  protocol: 'pv',
  networkId: 'nid',
  name: 'dn',
  type: 'dt',
  bleMac: 'ble',
  services: 'sv',
} as const;

/** The TXT strings announcing `advert`. Throws `ERR_INVALID_ARGUMENT` when it breaks a TXT limit (RFC 6763 §6). */
export function advertToTxt(advert: DeviceAdvert): Buffer[] {
  assertArgument(
    typeof advert.networkId === 'string' && advert.networkId.length > 0,
    'advert.networkId is required',
  );
  assertArgument(
    // The exact name travels in `dn=` (one TXT string, ≤ 255 bytes); the instance label is truncated to 63 bytes.
    Buffer.byteLength(advert.deviceName ?? '') <= MAX_DEVICE_NAME_BYTES,
    `advert.deviceName must be ≤ ${MAX_DEVICE_NAME_BYTES} bytes of UTF-8`,
  );
  const strings = [
    `${TXT_KEYS.version}=${TXT_VERSION}`,
    `${TXT_KEYS.protocol}=${PROTOCOL_VERSION}`,
    `${TXT_KEYS.networkId}=${advert.networkId}`,
    `${TXT_KEYS.name}=${advert.deviceName}`,
    `${TXT_KEYS.type}=${advert.deviceType}`,
  ];
  if (advert.bleMac) strings.push(`${TXT_KEYS.bleMac}=${advert.bleMac}`);
  const services = advert.services ?? [];
  for (const s of services) {
    assertArgument(
      typeof s === 'string' && s.length > 0 && !s.includes(','),
      `service name "${s}" must be non-empty without ","`,
    );
  }
  // One string carries at most 255 bytes (RFC 6763 §6.1): a long list continues under sv2, sv3, ….
  let part = 1;
  for (const chunk of chunkUtf8(services.join(','), MAX_TXT_STRING_BYTES - 5)) {
    strings.push(`${TXT_KEYS.services}${part === 1 ? '' : part}=${chunk}`);
    part += 1;
  }
  const buffers = strings.map((s) => Buffer.from(s, 'utf8'));
  for (const b of buffers)
    assertArgument(b.length <= MAX_TXT_STRING_BYTES, `TXT string "${b}" exceeds 255 bytes`);
  const total = buffers.reduce((n, b) => n + 1 + b.length, 0);
  assertArgument(
    total <= MAX_TXT_RECORD_BYTES,
    `TXT record of ${total} bytes exceeds ${MAX_TXT_RECORD_BYTES} (RFC 6763 §6.2)`,
  );
  return buffers;
}

/**
 * Parses TXT strings back into an advert; `undefined` when it is not a colink record (no `nid`).
 * @throws ColinkError `ERR_PROTOCOL` for a colink record whose fields are invalid ({@link parseAdvert}).
 */
export function txtToAdvert(strings: readonly (string | Buffer)[]): DeviceAdvert | undefined {
  const map = new Map<string, string>();
  for (const raw of strings) {
    const s = typeof raw === 'string' ? raw : raw.toString('utf8');
    const eq = s.indexOf('=');
    const key = (eq < 0 ? s : s.slice(0, eq)).toLowerCase();
    // RFC 6763 §6.4: only the first occurrence of a key counts.
    if (key && !map.has(key)) map.set(key, eq < 0 ? '' : s.slice(eq + 1));
  }
  const networkId = map.get(TXT_KEYS.networkId);
  if (!networkId) return undefined;
  let services = map.get(TXT_KEYS.services) ?? '';
  for (let part = 2; map.has(`${TXT_KEYS.services}${part}`); part++)
    services += map.get(`${TXT_KEYS.services}${part}`);
  const bleMac = map.get(TXT_KEYS.bleMac);
  return parseAdvert(
    {
      networkId,
      deviceName: map.get(TXT_KEYS.name) ?? '',
      deviceType: map.get(TXT_KEYS.type) ?? '',
      ...(bleMac ? { bleMac } : {}),
      services: services ? services.split(',') : [],
    },
    'a DNS-SD TXT record',
  );
}

/**
 * The DNS-SD instance label for a device name: dots become `-` (the DNS encoder splits on dots), trimmed to 63
 * bytes of UTF-8 (RFC 6763 §4.1.1) without cutting a character. The exact name travels in TXT `dn`.
 */
export function instanceLabel(deviceName: string, suffix = ''): string {
  const base = (deviceName || 'colink').replace(/[.\\]/g, '-');
  return truncateUtf8(base, MAX_LABEL_BYTES - Buffer.byteLength(suffix)) + suffix;
}

/** The host label of a device: `colink-` + 16 lower-case alphanumerics of its networkId, plus `suffix`. */
export function hostLabel(networkId: string, suffix = ''): string {
  const id =
    networkId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 16) || 'device';
  return `colink-${id}${suffix}`;
}

function* chunkUtf8(s: string, maxBytes: number): Generator<string> {
  let rest = s;
  while (rest.length > 0) {
    const chunk = truncateUtf8(rest, maxBytes);
    yield chunk;
    rest = rest.slice(chunk.length);
  }
}
