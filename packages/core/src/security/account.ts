import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { assertArgument } from '../errors.js';
import type { LinkRole } from '../link.js';

/**
 * scrypt cost of the account key derivation (RFC 7914): N = 2^15, r = 8, p = 1 — the OWASP-recommended minimum
 * for scrypt (about 32 MiB and 50–100 ms once per process). It makes an offline guess of the credential from an
 * observed proof expensive; credentials should still be high-entropy tokens, not passwords.
 */
export const ACCOUNT_SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

const SALT = 'colink-account-key/1';
/** Length of an account key, bytes: the scrypt output length (RFC 7914 dkLen), one HMAC-SHA256 key block's worth. */
const ACCOUNT_KEY_BYTES = 32;
const PROOF_LABEL = 'colink-account';

/**
 * The secret all devices of one account share, derived from the account credential. Opaque: it never prints or
 * serialises its bytes.
 */
export class AccountKey {
  readonly #key: Buffer;

  /** @internal Use {@link deriveAccountKey} or {@link AccountKey.random}. */
  constructor(key: Buffer) {
    this.#key = key;
  }

  /**
   * A throwaway account key of 32 random bytes that no credential derives (no scrypt cost): for warm-ups and tests
   * where two devices in one process must trust only each other. It is never stored and cannot be recreated.
   */
  static random(): AccountKey {
    return new AccountKey(randomBytes(ACCOUNT_KEY_BYTES));
  }

  /**
   * HMAC-SHA256(key, "colink-account" ‖ role ‖ 0x00 ‖ prover networkId ‖ 0x00 ‖ verifier networkId ‖ exporter):
   * proves membership of the account on one TLS connection without revealing the credential. The TLS exporter value
   * (RFC 8446 §7.5) binds it to this connection, so a relay cannot replay it on another; the role and both
   * identities keep it from being reflected back.
   */
  proof(role: LinkRole, prover: string, verifier: string, exporter: Uint8Array): Buffer {
    return createHmac('sha256', this.#key)
      .update(PROOF_LABEL)
      .update(role === 'initiator' ? 'i' : 'r')
      .update('\0')
      .update(prover)
      .update('\0')
      .update(verifier)
      .update(exporter)
      .digest();
  }

  /** Constant-time check of a peer's proof (see {@link AccountKey.proof}). */
  verify(proof: Uint8Array, role: LinkRole, prover: string, verifier: string, exporter: Uint8Array): boolean {
    const expected = this.proof(role, prover, verifier, exporter);
    return proof.length === expected.length && timingSafeEqual(proof, expected);
  }

  /** Never reveals the key. */
  toJSON(): string {
    return '[AccountKey]';
  }

  /** Never reveals the key. */
  toString(): string {
    return '[AccountKey]';
  }
}

/**
 * Derives the account key from an account credential (HarmonyOS: the logged-in account; here any shared secret such
 * as an account token) with scrypt (RFC 7914, parameters {@link ACCOUNT_SCRYPT}, fixed salt
 * `"colink-account-key/1"`), 32 bytes.
 * @throws ColinkError `ERR_INVALID_ARGUMENT` for an empty credential.
 */
export async function deriveAccountKey(credential: string | Uint8Array): Promise<AccountKey> {
  assertArgument(credential.length > 0, 'account credential must not be empty');
  const key = await new Promise<Buffer>((resolve, reject) => {
    scrypt(credential, SALT, ACCOUNT_KEY_BYTES, ACCOUNT_SCRYPT, (err, k) => (err ? reject(err) : resolve(k)));
  });
  return new AccountKey(key);
}
