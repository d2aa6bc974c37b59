import { ColinkError, closeReason, ErrorCode } from '../errors.js';
import { MAX_VERDICT_REASON_BYTES, TRUST_MESSAGE_BYTES } from './constants.js';

/**
 * The trust exchange runs inside TLS right after the handshake, before HELLO (README "Security", wire format):
 *
 * TRUST (38 bytes): magic `CLTR`, version u8 = 1, flags u8 (bit 0 `ACCOUNT`: proof present, bit 1 `BIND`: the
 * sender asks to bind), proof[32] (HMAC-SHA256, zeros without `ACCOUNT`).
 *
 * VERDICT (2 + n bytes): verdict u8 (0 accept, 1 untrusted, 2 binding declined), n u8, reason UTF-8[n].
 */
export const TRUST_MAGIC = Uint8Array.of(0x43, 0x4c, 0x54, 0x52); // "CLTR"
/** Version of the trust exchange. */
export const TRUST_VERSION = 1;
/** TRUST flag: a same-account proof follows. */
export const TRUST_FLAG_ACCOUNT = 0x01;
/** TRUST flag: the sender wants to bind (it runs the short-code ceremony when the peer is not trusted yet). */
export const TRUST_FLAG_BIND = 0x02;

/** A decoded TRUST message. */
export interface TrustMessage {
  readonly account: Uint8Array | undefined;
  readonly bind: boolean;
}

/** What a side concluded about its peer. */
export type VerdictCode = 'accept' | 'untrusted' | 'declined';
const VERDICTS: readonly VerdictCode[] = ['accept', 'untrusted', 'declined'];

/** A decoded VERDICT message. */
export interface Verdict {
  readonly verdict: VerdictCode;
  readonly reason: string;
}

/** Encodes a TRUST message. */
export function encodeTrust(account: Uint8Array | undefined, bind: boolean): Buffer {
  const b = Buffer.alloc(TRUST_MESSAGE_BYTES);
  b.set(TRUST_MAGIC, 0);
  b[4] = TRUST_VERSION;
  b[5] = (account ? TRUST_FLAG_ACCOUNT : 0) | (bind ? TRUST_FLAG_BIND : 0);
  if (account) b.set(account.subarray(0, 32), 6);
  return b;
}

/** Decodes a TRUST message. @throws ColinkError `ERR_HANDSHAKE_FAILED` on a wrong magic or version. */
export function decodeTrust(b: Uint8Array): TrustMessage {
  if (
    b.length !== TRUST_MESSAGE_BYTES ||
    !TRUST_MAGIC.every((x, i) => b[i] === x) ||
    b[4] !== TRUST_VERSION
  ) {
    throw handshakeError('peer sent no valid colink trust message');
  }
  const flags = b[5]!;
  return {
    account: flags & TRUST_FLAG_ACCOUNT ? b.slice(6, 38) : undefined,
    bind: (flags & TRUST_FLAG_BIND) !== 0,
  };
}

/** Encodes a VERDICT message; the reason is cut to 255 bytes of UTF-8 on a character boundary. */
export function encodeVerdict(v: Verdict): Buffer {
  let reason = Buffer.from(v.reason, 'utf8');
  if (reason.length > MAX_VERDICT_REASON_BYTES) {
    let end = MAX_VERDICT_REASON_BYTES;
    while (end > 0 && (reason[end]! & 0xc0) === 0x80) end--; // do not split a UTF-8 sequence
    reason = reason.subarray(0, end);
  }
  return Buffer.concat([Buffer.of(VERDICTS.indexOf(v.verdict), reason.length), reason]);
}

/** Decodes a VERDICT's verdict byte; unknown values read as `untrusted` (fail closed). */
export function verdictOf(byte: number): VerdictCode {
  return VERDICTS[byte] ?? 'untrusted';
}

/** A `ERR_HANDSHAKE_FAILED` error whose Link close reason is `handshake-failed`. */
export function handshakeError(message: string, cause?: unknown): ColinkError {
  return new ColinkError(ErrorCode.HANDSHAKE_FAILED, message, {
    reason: closeReason('handshake-failed', message),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A `ERR_UNTRUSTED` error whose Link close reason is `handshake-failed`. */
export function untrustedError(message: string): ColinkError {
  return new ColinkError(ErrorCode.UNTRUSTED, message, { reason: closeReason('handshake-failed', message) });
}
