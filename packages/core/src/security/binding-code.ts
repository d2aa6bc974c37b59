import { BINDING_CODE_DIGITS } from './constants.js';

/**
 * The short code both devices show while binding: 6 decimal digits from TLS exporter material (RFC 8446 §7.5, label
 * `EXPORTER-colink-binding-code`). Both ends of one TLS connection derive the same value; a relay that terminates TLS
 * towards each side holds two connections with unrelated values, so the users see different codes — the same
 * argument as Bluetooth Numeric Comparison. 48 bits reduced modulo 10^6 (bias below 2^-28).
 */
export function bindingCode(exporter: Uint8Array): string {
  const n = Buffer.from(exporter.buffer, exporter.byteOffset, exporter.byteLength).readUIntBE(0, 6);
  return String(n % 10 ** BINDING_CODE_DIGITS).padStart(BINDING_CODE_DIGITS, '0');
}
