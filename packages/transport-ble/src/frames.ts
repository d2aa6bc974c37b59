import { ColinkError, ErrorCode } from '@colink/core';
import { MAX_WINDOW_PDUS, PDU_HEADER, PROTOCOL_VERSION } from './constants.js';

/**
 * colink's GATT PDUs: one ATT value each (a Write Command to RX from the central, a notification on TX from the
 * peripheral). Several conduits share one BLE link (one LE connection per pair of devices, like linkEnhance's
 * logical connections over one BLE link); every PDU names its conduit.
 *
 * | byte 0 | bytes 1-2 | rest | meaning |
 * |---|---|---|---|
 * | 0x00 HELLO | conduit id u16 LE | version u8, receive window u16 LE (PDUs) | open (central) / accept (peripheral) |
 * | 0x01 DATA | conduit id | payload (1 … value size - 3 bytes) | bytes |
 * | 0x02 ACK | conduit id | count u16 LE | DATA PDUs consumed since the previous ACK |
 * | 0x03 CLOSE | conduit id | close code u8 (core `CLOSE_CODES` index) | conduit ended, link stays up |
 *
 * A sender keeps at most `window` DATA PDUs of one conduit unacknowledged; other PDUs do not count.
 */
export const PDU = { HELLO: 0x00, DATA: 0x01, ACK: 0x02, CLOSE: 0x03 } as const;

/** A decoded PDU. */
export type Pdu =
  | { readonly type: 'hello'; readonly id: number; readonly version: number; readonly window: number }
  | { readonly type: 'data'; readonly id: number; readonly payload: Uint8Array }
  | { readonly type: 'ack'; readonly id: number; readonly count: number }
  | { readonly type: 'close'; readonly id: number; readonly code: number };

function header(type: number, id: number, body: number): Buffer {
  const b = Buffer.allocUnsafe(PDU_HEADER + body);
  b[0] = type;
  b.writeUInt16LE(id, 1);
  return b;
}

/** HELLO for conduit `id` announcing a receive window of `window` PDUs (1-65535). */
export function encodeHello(id: number, window: number): Buffer {
  const b = header(PDU.HELLO, id, 3);
  b[3] = PROTOCOL_VERSION;
  b.writeUInt16LE(window, 4);
  return b;
}

/** ACK for conduit `id`: `count` DATA PDUs consumed (0-65535). */
export function encodeAck(id: number, count: number): Buffer {
  const b = header(PDU.ACK, id, 2);
  b.writeUInt16LE(count, 3);
  return b;
}

/** CLOSE for conduit `id` with a core close code index (`CLOSE_CODES`). */
export function encodeClose(id: number, code: number): Buffer {
  const b = header(PDU.CLOSE, id, 1);
  b[3] = code;
  return b;
}

/** Builds a DATA PDU for conduit `id` from `bytes[start, end)`. */
export function encodeData(id: number, bytes: Uint8Array, start: number, end: number): Buffer {
  const b = header(PDU.DATA, id, end - start);
  b.set(bytes.subarray(start, end), PDU_HEADER);
  return b;
}

/** Decodes one PDU. Throws `ERR_PROTOCOL` on a malformed one. */
export function decodePdu(b: Uint8Array): Pdu {
  const bad = (why: string): never => {
    throw new ColinkError(ErrorCode.PROTOCOL, `BLE PDU: ${why}`);
  };
  if (b.length < PDU_HEADER) return bad(`short PDU (${b.length} bytes)`);
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const id = view.readUInt16LE(1);
  switch (b[0]) {
    case PDU.HELLO: {
      if (b.length < PDU_HEADER + 3) return bad('short HELLO');
      const window = view.readUInt16LE(4);
      if (window === 0 || window > MAX_WINDOW_PDUS) return bad(`window ${window}`);
      return { type: 'hello', id, version: b[3]!, window };
    }
    case PDU.DATA:
      if (b.length < PDU_HEADER + 1) return bad('empty DATA');
      return { type: 'data', id, payload: b.subarray(PDU_HEADER) };
    case PDU.ACK:
      if (b.length < PDU_HEADER + 2) return bad('short ACK');
      return { type: 'ack', id, count: view.readUInt16LE(3) };
    case PDU.CLOSE:
      if (b.length < PDU_HEADER + 1) return bad('short CLOSE');
      return { type: 'close', id, code: b[3]! };
    default:
      return bad(`unknown type 0x${b[0]!.toString(16)}`);
  }
}
