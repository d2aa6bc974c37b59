import { ColinkError, ErrorCode } from '../errors.js';

/** Bytes of a TLS record header (RFC 8446 §5.1, TLSPlaintext): ContentType (1), legacy_record_version (2), length (2). */
export const TLS_RECORD_HEADER_BYTES = 5;
/** Largest TLSPlaintext fragment, bytes (RFC 8446 §5.1: "The length MUST NOT exceed 2^14 bytes"). */
export const TLS_MAX_PLAINTEXT_BYTES = 2 ** 14;
/** Bytes {@link clientHelloRecordLength} needs to judge a record: its header and the handshake message type. */
export const CLIENT_HELLO_HEAD_BYTES = TLS_RECORD_HEADER_BYTES + 1;
/** ContentType `handshake` (RFC 8446 §5.1). */
const CONTENT_TYPE_HANDSHAKE = 22;
/** HandshakeType `client_hello` (RFC 8446 §4). */
const HANDSHAKE_CLIENT_HELLO = 1;

/**
 * The size in bytes (header included) of the TLS record that opens a client's first flight, read from the first
 * bytes a TLS server receives: `head` (any length; only its first {@link CLIENT_HELLO_HEAD_BYTES} are read).
 *
 * The record must be a `handshake` record (ContentType 22) with `legacy_record_version` 0x0301–0x0303 (RFC 8446
 * §5.1: 0x0303, or 0x0301 for an initial ClientHello), a length of 1 to 2^14 bytes (§5.1: zero-length handshake
 * fragments are forbidden, longer ones are a `record_overflow`) and a fragment that starts a `client_hello`
 * (HandshakeType 1, §4). Nothing inside the ClientHello is parsed: node:tls does that once the record is whole.
 *
 * Used by the security stage's responder so that a stranger costs no TLS state (no `TLSSocket`, no OpenSSL
 * handshake) until it has sent a whole first record: a peer that stops in the middle of it (slowloris) holds only
 * the bytes it sent, at most 5 + 2^14.
 *
 * @returns 0 while `head` has fewer than {@link CLIENT_HELLO_HEAD_BYTES} bytes (judged once it has them), else
 *   {@link TLS_RECORD_HEADER_BYTES} + the record's length (6 to 16,389).
 * @throws ColinkError `ERR_HANDSHAKE_FAILED` naming the field when the bytes cannot open a TLS 1.3 ClientHello.
 */
export function clientHelloRecordLength(head: Uint8Array): number {
  if (head.length < CLIENT_HELLO_HEAD_BYTES) return 0;
  const type = head[0]!;
  if (type !== CONTENT_TYPE_HANDSHAKE)
    throw notClientHello(`record content type ${type}, expected ${CONTENT_TYPE_HANDSHAKE} (handshake)`);
  const major = head[1]!;
  const minor = head[2]!;
  if (major !== 3 || minor < 1 || minor > 3)
    throw notClientHello(`record version 0x${hex(major)}${hex(minor)}, expected 0x0301-0x0303`);
  const length = (head[3]! << 8) | head[4]!;
  if (length === 0 || length > TLS_MAX_PLAINTEXT_BYTES)
    throw notClientHello(`record length ${length}, expected 1-${TLS_MAX_PLAINTEXT_BYTES}`);
  const message = head[5]!;
  if (message !== HANDSHAKE_CLIENT_HELLO)
    throw notClientHello(
      `handshake message type ${message}, expected ${HANDSHAKE_CLIENT_HELLO} (client_hello)`,
    );
  return TLS_RECORD_HEADER_BYTES + length;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function notClientHello(what: string): ColinkError {
  return new ColinkError(ErrorCode.HANDSHAKE_FAILED, `not a TLS ClientHello: ${what}`);
}
