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
export * from './account.js';
export * from './binding-code.js';
export * from './constants.js';
export * from './device-security.js';
export * from './identity.js';
export * from './tls-security.js';
export { TRUST_FLAG_ACCOUNT, TRUST_FLAG_BIND, TRUST_MAGIC, TRUST_VERSION } from './trust-messages.js';
export * from './trust-store.js';
