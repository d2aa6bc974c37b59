/**
 * Named limits of the BLE transport, each with the source of its number.
 */

/** ATT MTU the central requests (Bluetooth Core 5.4 Vol 3 Part F §3.2.8: 512-byte attribute + 5 = 517, the usual maximum). */
export const DEFAULT_REQUESTED_MTU = 517;
/** Minimum ATT MTU on LE (Vol 3 Part F §3.2.8). */
export const ATT_MIN_MTU = 23;
/** ATT header of a Write Command / Handle Value Notification: opcode + handle (Vol 3 Part F §3.4.5.3, §3.4.7.1). */
export const ATT_WRITE_HEADER = 3;
/** Longest attribute value (Vol 3 Part F §3.2.9). */
export const ATT_MAX_VALUE = 512;
/** Largest ATT MTU bleno answers unless raised (`maxMtu` in bleno 0.12.4 `lib/hci-socket/gatt.js`). */
export const BLENO_DEFAULT_MAX_MTU = 256;
/** Header of every colink GATT PDU: type u8 + conduit id u16 (see `frames.ts`). */
export const PDU_HEADER = 3;
/** Conduit ids per BLE link (u16). */
export const MAX_CONDUIT_ID = 0xffff;
/** Default receive window in PDUs: covers about three 15 ms connection events of 2M PHY + DLE traffic. */
export const DEFAULT_WINDOW_PDUS = 64;
/** Largest receive window a peer may announce (the HELLO field is a u16, bounded here to cap memory at 32 MiB). */
export const MAX_WINDOW_PDUS = 65_535;
/** Bytes a conduit buffers before `write()` returns `false` (backpressure high-water mark). */
export const WRITE_HIGH_WATER_MARK = 64 * 1024;
/** Bytes a conduit accepts unsent at most; a write beyond it throws `ERR_SEND_BUFFER_FULL` (caller ignored `false`). */
export const WRITE_HARD_LIMIT = 16 * 1024 * 1024;
/** Default dial timeout in ms (linkEnhance connect timeout, HarmonyOS `@ohos.distributedsched.linkEnhance`). */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
/** How long a graceful `end()` waits for outstanding acknowledgements before disconnecting anyway, ms. */
export const END_FLUSH_TIMEOUT_MS = 5_000;
/** How long `BleTransport.stop()` waits for its conduits' graceful ends before tearing them down, ms. */
export const STOP_WAIT_MS = 2_000;
/** Default: a discovered peer is lost after this many ms without an advertisement (10 s, libp2p mDNS query interval). */
export const DEFAULT_LOST_AFTER_MS = 10_000;
/** Longest GAP device name carried in the scan response: 31 octets minus 2 of AD header (Vol 3 Part C §11). */
export const MAX_ADVERTISED_NAME_BYTES = 29;
/** Longest device info JSON served by the INFO characteristic (the ATT value limit). */
export const MAX_INFO_BYTES = ATT_MAX_VALUE;
/** Protocol version carried in HELLO. */
export const PROTOCOL_VERSION = 1;
