/**
 * Named limits and labels of the colink security layer, each with the source of its number.
 * @module
 */

/** TLS version colink speaks: 1.3 only (RFC 8446). ECDHE-only key exchange gives forward secrecy; no renegotiation. */
export const TLS_VERSION = 'TLSv1.3';

/** ALPN protocol id offered and required on colink TLS links (RFC 7301). */
export const TLS_ALPN = 'colink/1';

/**
 * TLS 1.3 cipher suites in order of preference (RFC 8446 §B.4): AES-128-GCM first — 128-bit security, AES-NI
 * accelerated and measurably faster than AES-256-GCM on the bench — then AES-256-GCM, then ChaCha20-Poly1305 for
 * CPUs without AES instructions. All are AEAD; TLS 1.3 has no others.
 */
export const TLS_CIPHER_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/**
 * High-water mark of the TLS socket's buffers, bytes: 1 MiB. With node's default 16 KiB every 64 KiB batch of the
 * Link waited for a drain; 1 MiB doubled secure throughput on the bench. It bounds memory per Link, per direction.
 */
export const TLS_SOCKET_HIGH_WATER_MARK = 1024 * 1024;

/** Name of the security upgrade, as `Link.security` reports it. */
export const TLS_SECURITY_NAME = 'tls1.3';

/**
 * Key algorithm of device identities: ECDSA over P-256 with SHA-256 (FIPS 186-5; TLS 1.3 `ecdsa_secp256r1_sha256`,
 * RFC 8446 §4.2.3) — supported by every TLS 1.3 stack and fast in OpenSSL.
 */
export const IDENTITY_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Validity of a device certificate: 20 years. Peers pin the key (SPKI), not the dates (see README, Security). */
export const CERTIFICATE_VALIDITY_MS = 20 * 365 * 24 * 60 * 60 * 1000;

/** A certificate this close to its end is re-issued for the same key on load (30 days). */
export const CERTIFICATE_RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

/** File mode of every secret or trust file: owner read/write only. */
export const SECRET_FILE_MODE = 0o600;

/** Mode of the state directory: owner only. */
export const STATE_DIR_MODE = 0o700;

/** File name of the device identity (private key + certificate, PEM) inside the state directory. */
export const IDENTITY_FILE = 'identity.pem';

/** File name of the trust store (bound devices, JSON) inside the state directory. */
export const TRUST_STORE_FILE = 'trust.json';

/** Largest trust store file accepted, bytes (4 MiB ≈ 15 000 bindings). */
export const MAX_TRUST_STORE_BYTES = 4 * 1024 * 1024;

/** Bytes of TLS exporter output (RFC 8446 §7.5) used for the account proof and the binding code: 32 (SHA-256 size). */
export const EXPORTER_BYTES = 32;

/** RFC 5705 exporter label of the account proof. Labels starting with `EXPORTER` are reserved for this use. */
export const ACCOUNT_EXPORTER_LABEL = 'EXPORTER-colink-account-proof';

/** RFC 5705 exporter label of the binding short code. */
export const BINDING_EXPORTER_LABEL = 'EXPORTER-colink-binding-code';

/** Digits of the binding short code: 6, like Bluetooth Numeric Comparison (Core 5.4 Vol 3 Part H §2.3.5.6.2). */
export const BINDING_CODE_DIGITS = 6;

/** Bytes of a TRUST message: magic 4, version 1, flags 1, HMAC-SHA256 proof 32. */
export const TRUST_MESSAGE_BYTES = 38;

/** Largest reason text in a VERDICT message, bytes of UTF-8 (length is one byte). */
export const MAX_VERDICT_REASON_BYTES = 255;

/**
 * Most plaintext bytes held from the peer during the trust exchange, before the Link takes over: the exchange itself
 * reads a TRUST (38 bytes) and a VERDICT (≤ 257 bytes); a peer that sends ahead (its HELLO, ≤ 16 KiB, and early
 * frames) or floods — for as long as a user looks at a binding code — is no longer read past 64 KiB, so TCP's flow
 * control pushes back on it instead of the device buffering without bound. Only where TLS runs on the raw socket
 * (`Conduit.detachSocket`: TCP, Wi-Fi P2P): a Conduit without one cannot pause, and its bytes wait in the TLS
 * stream's buffer until the handshake deadlines close the Link.
 */
export const MAX_TRUST_EXCHANGE_BUFFER_BYTES = 64 * 1024;

/**
 * Binding prompts that a peer's request may have open at once on one device (a user compares one code at a time).
 * Further requests while one is shown are declined at once with a `busy` reason, so a stranger cannot queue prompts
 * (any self-made identity may ask to bind). Bindings this device's own user started (`bind()`) are not counted.
 */
export const MAX_CONCURRENT_BINDING_PROMPTS = 1;
/**
 * How long the responder of a Link waits, after its user declined a binding, for the initiator to read its VERDICT and close
 * first, ms. An inbound connection that fails before its Link opens is ended with a TCP reset (core's device), and a
 * reset can overtake or discard the VERDICT before the initiator's app has read it: the initiator then reported a lost
 * connection instead of the user's "declined" (seen under load in api-compat's two-process binding test). The
 * initiator closes as soon as it has read the VERDICT, so the wait is a round trip unless it misbehaves.
 */
export const VERDICT_LINGER_MS = 2_000;
