import 'reflect-metadata'; // @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs it
import {
  createHash,
  createPrivateKey,
  type KeyObject,
  randomBytes,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { chmod, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { ColinkError, ErrorCode } from '../errors.js';
import {
  createFileExclusive,
  ensureStateDir,
  errText,
  readTextIfExists,
  writeFileAtomic,
} from './atomic-file.js';
import {
  CERTIFICATE_RENEW_BEFORE_MS,
  CERTIFICATE_VALIDITY_MS,
  IDENTITY_FILE,
  IDENTITY_KEY_ALGORITHM,
  SECRET_FILE_MODE,
} from './constants.js';

// `never`: the provider wants the DOM `Crypto` type, which this Node-only build does not load.
x509.cryptoProvider.set(webcrypto as never);

type KeyPair = webcrypto.CryptoKeyPair;

/**
 * A device's long-term identity: an ECDSA P-256 key pair and a self-signed X.509 certificate for it. The networkId is
 * derived from the public key, so nobody can claim a networkId without holding its private key.
 */
export interface DeviceIdentity {
  /** Hex SHA-256 of the public key's SubjectPublicKeyInfo DER (64 lower-case hex chars): {@link networkIdOf}. */
  readonly networkId: string;
  /** The self-signed certificate (PEM), presented in every TLS handshake. */
  readonly certificatePem: string;
  /** The parsed certificate. */
  readonly certificate: X509Certificate;
  /** Hex SHA-256 of the certificate DER (64 lower-case hex chars). */
  readonly fingerprint: string;
  /** The private key. Never leaves this process except into the identity file (mode 0600). */
  readonly privateKey: KeyObject;
}

/** Options of {@link createIdentity} and {@link loadOrCreateIdentity}. */
export interface IdentityOptions {
  /** Clock for the certificate's validity window (tests). Default `new Date()`. */
  readonly now?: Date;
}

/**
 * The networkId of a certificate: hex SHA-256 of its public key's SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7), the
 * same derivation as a libp2p PeerId or an HPKP SPKI pin (RFC 7469 §2.4). 64 lower-case hex chars.
 */
export function networkIdOf(certificate: X509Certificate): string {
  const key = certificate.publicKey;
  if (key.asymmetricKeyType === 'ec') {
    // Every identity key is P-256, whose SPKI DER is a fixed prefix and the uncompressed point (RFC 5480 §2.2): built
    // from the JWK export (~10 µs) instead of OpenSSL 3's DER encoder (~300 µs), twice per TLS handshake on each side.
    // The curve comes from the JWK too (`asymmetricKeyDetails` costs ~40 µs on a fresh key).
    const { crv, x, y } = key.export({ format: 'jwk' });
    if (crv === 'P-256' && typeof x === 'string' && typeof y === 'string') {
      return createHash('sha256')
        .update(P256_SPKI_PREFIX)
        .update(Buffer.from(x, 'base64url'))
        .update(Buffer.from(y, 'base64url'))
        .digest('hex');
    }
  }
  const spki = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/**
 * The DER of a P-256 SubjectPublicKeyInfo up to its key bits (RFC 5480 §2.1.1, §2.2): SEQUENCE { SEQUENCE {
 * id-ecPublicKey, prime256v1 }, BIT STRING (no unused bits) } and the uncompressed point's 0x04; the 64 bytes of
 * x ‖ y follow.
 */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');

/** Hex SHA-256 of a certificate's DER encoding (64 lower-case hex chars). */
export function fingerprintOf(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('hex');
}

/**
 * Creates a fresh identity in memory: a new ECDSA P-256 key pair (node:crypto WebCrypto) and a self-signed
 * certificate for it (`@peculiar/x509`): subject `CN=<networkId>, O=colink`, 20 years of validity, not a CA,
 * key usage digitalSignature, extended key usage serverAuth + clientAuth (RFC 5280 §4.2.1.3, §4.2.1.12).
 */
export async function createIdentity(options: IdentityOptions = {}): Promise<DeviceIdentity> {
  const keys = await webcrypto.subtle.generateKey(IDENTITY_KEY_ALGORITHM, true, ['sign', 'verify']);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return issue(keys as KeyPair, createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), options);
}

async function issue(
  keys: KeyPair,
  privateKey: KeyObject,
  options: IdentityOptions,
): Promise<DeviceIdentity> {
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const networkId = createHash('sha256').update(spki).digest('hex');
  const notBefore = new Date((options.now ?? new Date()).getTime() - 60_000); // tolerate a minute of clock skew
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // positive INTEGER (RFC 5280 §4.1.2.2)
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${networkId}, O=colink`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CERTIFICATE_VALIDITY_MS),
    signingAlgorithm: IDENTITY_KEY_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return fromParts(cert.toString('pem'), privateKey);
}

function fromParts(certificatePem: string, privateKey: KeyObject): DeviceIdentity {
  const certificate = new X509Certificate(certificatePem);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ColinkError(
      ErrorCode.INVALID_ARGUMENT,
      'identity: the private key does not match the certificate',
    );
  }
  return {
    networkId: networkIdOf(certificate),
    certificatePem,
    certificate,
    fingerprint: fingerprintOf(certificate),
    privateKey,
  };
}

/** Serialises an identity as the identity file's content: PKCS#8 private key PEM, then certificate PEM. */
export function encodeIdentity(identity: DeviceIdentity): string {
  const key = identity.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return `${key.trimEnd()}\n${identity.certificatePem.trimEnd()}\n`;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/**
 * Parses an identity file's content (see {@link encodeIdentity}).
 * @throws ColinkError `ERR_INVALID_ARGUMENT` when a block is missing, malformed, or the key does not match.
 */
export function decodeIdentity(text: string): DeviceIdentity {
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(PEM_BLOCK)) if (!blocks.has(m[1]!)) blocks.set(m[1]!, m[0]);
  const keyPem = blocks.get('PRIVATE KEY');
  const certPem = blocks.get('CERTIFICATE');
  if (!keyPem || !certPem) {
    throw new ColinkError(
      ErrorCode.INVALID_ARGUMENT,
      'identity file must hold a PKCS#8 PRIVATE KEY and a CERTIFICATE PEM block',
    );
  }
  try {
    return fromParts(`${certPem}\n`, createPrivateKey(keyPem));
  } catch (e) {
    if (e instanceof ColinkError) throw e;
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `identity file is malformed: ${errText(e)}`, {
      cause: e,
    });
  }
}

/** Re-issues the certificate of `identity` for the same key (so the networkId stays), e.g. before it expires. */
export async function renewCertificate(
  identity: DeviceIdentity,
  options: IdentityOptions = {},
): Promise<DeviceIdentity> {
  const pkcs8 = identity.privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = identity.certificate.publicKey.export({ type: 'spki', format: 'der' });
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, IDENTITY_KEY_ALGORITHM, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, IDENTITY_KEY_ALGORITHM, true, ['verify']),
  };
  return issue(keys as KeyPair, identity.privateKey, options);
}

/**
 * Loads this device's identity from `<stateDir>/identity.pem`, creating it on first use.
 *
 * - The directory is created with mode 0700, the file with 0600 (a looser existing file is tightened to 0600).
 * - Creation is atomic and race-free: the file is written completely under a temporary name and hard-linked into
 *   place, so two processes starting at once end up with the same identity.
 * - A certificate within 30 days of its end is re-issued for the same key (the networkId does not change).
 *
 * Rotation (a new key, hence a new networkId) is {@link rotateIdentity}.
 * @throws ColinkError `ERR_INVALID_ARGUMENT` when the directory cannot be used or the file is corrupt.
 */
export async function loadOrCreateIdentity(
  stateDir: string,
  options: IdentityOptions = {},
): Promise<DeviceIdentity> {
  await ensureStateDir(stateDir);
  const path = join(stateDir, IDENTITY_FILE);
  let text = await readTextIfExists(path);
  // An empty file is what an interrupted, unsynced writer leaves (ours fsync before linking): no identity yet.
  if (text !== undefined && text.trim() === '') {
    await unlink(path).catch(() => undefined);
    text = undefined;
  }
  if (text === undefined) {
    const fresh = await createIdentity(options);
    if (await createFileExclusive(path, encodeIdentity(fresh))) return fresh;
    text = await readTextIfExists(path); // another process won the race: use its identity
    if (text === undefined) throw new ColinkError(ErrorCode.INTERNAL, `${path} vanished while being created`);
  }
  const s = await stat(path);
  if ((s.mode & 0o077) !== 0) await chmod(path, SECRET_FILE_MODE);
  const identity = decodeIdentity(text);
  const now = (options.now ?? new Date()).getTime();
  if (Date.parse(identity.certificate.validTo) - now < CERTIFICATE_RENEW_BEFORE_MS) {
    const renewed = await renewCertificate(identity, options);
    await writeFileAtomic(path, encodeIdentity(renewed));
    return renewed;
  }
  return identity;
}

/**
 * Replaces this device's identity with a new key pair and certificate (atomic rename over `identity.pem`). The
 * networkId changes: bound peers must bind again; same-account peers trust the new identity at once. Links already
 * open keep the old identity until they close.
 */
export async function rotateIdentity(
  stateDir: string,
  options: IdentityOptions = {},
): Promise<DeviceIdentity> {
  await ensureStateDir(stateDir);
  const fresh = await createIdentity(options);
  await writeFileAtomic(join(stateDir, IDENTITY_FILE), encodeIdentity(fresh));
  return fresh;
}
