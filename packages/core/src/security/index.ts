/**
 * @packageDocumentation
 * `@colink/core/security`: device identity, trust and encrypted Links — the security stage of the colink wire
 * protocol (PROTOCOL.md §2.2). Each device has a persistent ECDSA P-256 key and self-signed certificate (its
 * networkId is the SHA-256 of the public key); every Link runs mutually authenticated TLS 1.3 (node:tls, OpenSSL)
 * over the transport's byte stream; peers are trusted when they prove the same account (HarmonyOS "same account")
 * or were bound by comparing a 6-digit code (HarmonyOS binding), and bindings persist in a trust store.
 *
 * @example
 * ```ts
 * import { LocalDevice } from '@colink/core';
 * import { createDeviceSecurity, trackTrust } from '@colink/core/security';
 *
 * const security = await createDeviceSecurity({ stateDir: '/var/lib/colink', account: process.env.COLINK_ACCOUNT });
 * const device = new LocalDevice({
 *   advert: { networkId: security.networkId, deviceName: 'pc', deviceType: 'pc' },
 *   transports: [tcp],
 *   security,
 * });
 * trackTrust(device.directory, security);
 * await device.start();
 * ```
 */
export { ACCOUNT_SCRYPT, AccountKey, deriveAccountKey } from './account.js';
export { bindingCode } from './binding-code.js';
export {
  CLIENT_HELLO_HEAD_BYTES,
  clientHelloRecordLength,
  TLS_MAX_PLAINTEXT_BYTES,
  TLS_RECORD_HEADER_BYTES,
} from './client-hello.js';
export {
  ACCOUNT_EXPORTER_LABEL,
  BINDING_CODE_DIGITS,
  BINDING_EXPORTER_LABEL,
  CERTIFICATE_RENEW_BEFORE_MS,
  CERTIFICATE_VALIDITY_MS,
  EXPORTER_BYTES,
  IDENTITY_FILE,
  IDENTITY_KEY_ALGORITHM,
  MAX_TRUST_EXCHANGE_BUFFER_BYTES,
  MAX_TRUST_STORE_BYTES,
  MAX_VERDICT_REASON_BYTES,
  SECRET_FILE_MODE,
  STATE_DIR_MODE,
  TLS_ALPN,
  TLS_CIPHER_SUITES,
  TLS_SECURITY_NAME,
  TLS_SOCKET_HIGH_WATER_MARK,
  TLS_VERSION,
  TRUST_MESSAGE_BYTES,
  TRUST_STORE_FILE,
} from './constants.js';
export {
  bindDevice,
  createDeviceSecurity,
  type DeviceSecurityOptions,
  trackTrust,
} from './device-security.js';
export {
  createIdentity,
  type DeviceIdentity,
  decodeIdentity,
  encodeIdentity,
  fingerprintOf,
  type IdentityOptions,
  loadOrCreateIdentity,
  networkIdOf,
  renewCertificate,
  rotateIdentity,
} from './identity.js';
export {
  type BindingRequest,
  type ConfirmBinding,
  TlsSecurity,
  type TlsSecurityOptions,
  type TrustBasis,
  type TrustEvent,
} from './tls-security.js';
export { TRUST_FLAG_ACCOUNT, TRUST_FLAG_BIND, TRUST_MAGIC, TRUST_VERSION } from './trust-messages.js';
export { type Binding, TrustStore, type TrustStoreChange } from './trust-store.js';
