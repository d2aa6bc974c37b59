/**
 * The colink advertisement (Bluetooth Core 5.4 Vol 3 Part C §11 and the Core Specification Supplement Part A):
 * advertising data = Flags (LE General Discoverable, BR/EDR not supported) + the 128-bit colink service UUID +
 * Manufacturer Specific Data `FF FF <state>`; scan response = Complete Local Name.
 *
 * `<state>` bit 0 is set while the device announces itself (`advertise()`), clear while it is only connectable
 * (`listen` / after `unadvertise()`): flipping it is BLE's goodbye. Company ID 0xFFFF is the value the Bluetooth SIG
 * reserves for tests and for products without an assigned ID. A manufacturer field is used because noble replaces it
 * on every report, whereas it accumulates service UUIDs for the whole scan.
 */

/** Bluetooth SIG company identifier reserved for internal and test use (Assigned Numbers §7). */
export const COLINK_COMPANY_ID = 0xffff;
/** Bit 0 of the state byte: the device announces itself. */
export const STATE_ANNOUNCING = 0x01;

const AD_FLAGS = 0x01;
const AD_COMPLETE_128_UUIDS = 0x07;
const AD_COMPLETE_LOCAL_NAME = 0x09;
const AD_MANUFACTURER_DATA = 0xff;
/** LE General Discoverable Mode | BR/EDR Not Supported (Supplement Part A §1.3). */
const FLAGS_GENERAL_DISCOVERABLE_LE_ONLY = 0x06;

/** Advertising data for `serviceUuid` (32 hex digits) with the announcing bit. */
export function advertisingData(serviceUuid: string, announcing: boolean): Buffer {
  const uuid = Buffer.from(serviceUuid, 'hex').reverse();
  return Buffer.concat([
    Buffer.from([2, AD_FLAGS, FLAGS_GENERAL_DISCOVERABLE_LE_ONLY]),
    Buffer.from([1 + uuid.length, AD_COMPLETE_128_UUIDS]),
    uuid,
    Buffer.from([
      4,
      AD_MANUFACTURER_DATA,
      COLINK_COMPANY_ID & 0xff,
      COLINK_COMPANY_ID >> 8,
      announcing ? STATE_ANNOUNCING : 0,
    ]),
  ]);
}

/** Scan response data carrying `name` (already cut to 29 bytes of UTF-8). */
export function scanResponseData(name: string): Buffer {
  const n = Buffer.from(name, 'utf8');
  return n.length === 0
    ? Buffer.alloc(0)
    : Buffer.concat([Buffer.from([1 + n.length, AD_COMPLETE_LOCAL_NAME]), n]);
}

/** Reads the announcing bit from noble's `advertisement.manufacturerData` (undefined: not a colink advertisement). */
export function announcingFrom(manufacturerData: Uint8Array | undefined): boolean | undefined {
  if (!manufacturerData || manufacturerData.length < 3) return undefined;
  if ((manufacturerData[0]! | (manufacturerData[1]! << 8)) !== COLINK_COMPANY_ID) return undefined;
  return (manufacturerData[2]! & STATE_ANNOUNCING) !== 0;
}
