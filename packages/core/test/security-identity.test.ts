import 'reflect-metadata'; // @peculiar/x509 (certificates of other key types below) needs it, as identity.ts does
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccountKey } from '../src/security/account.js';
import { bindingCode } from '../src/security/binding-code.js';
import {
  createIdentity,
  loadOrCreateIdentity,
  networkIdOf,
  rotateIdentity,
} from '../src/security/identity.js';
import { TrustStore } from '../src/security/trust-store.js';
import { cleanup, stateDir } from './security-helpers.js';

afterEach(cleanup);

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('device identity', () => {
  it('creates a P-256 key and self-signed certificate once, stored 0600 in a 0700 state directory', async () => {
    const dir = join(await stateDir(), 'nested', 'state');
    const id = await loadOrCreateIdentity(dir);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, 'identity.pem'))).toBe(0o600);
    expect(id.networkId).toMatch(/^[0-9a-f]{64}$/);
    const spki = id.certificate.publicKey.export({ type: 'spki', format: 'der' });
    expect(id.networkId).toBe(createHash('sha256').update(spki).digest('hex'));
    expect(id.certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(id.certificate.subject).toContain(`CN=${id.networkId}`);
    expect(id.certificate.ca).toBe(false);
    expect(id.certificate.verify(id.certificate.publicKey)).toBe(true);
    expect(id.certificate.checkPrivateKey(id.privateKey)).toBe(true);
    expect(id.fingerprint).toBe(createHash('sha256').update(id.certificate.raw).digest('hex'));
    const again = await loadOrCreateIdentity(dir);
    expect(again.networkId).toBe(id.networkId);
    expect(again.fingerprint).toBe(id.fingerprint);
    expect(await readdir(dir)).toEqual(['identity.pem']); // no temporary files left behind
  });

  it('ends with one identity when several processes start at once', async () => {
    const dir = await stateDir();
    const ids = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateIdentity(dir)));
    expect(new Set(ids.map((i) => i.networkId)).size).toBe(1);
    expect((await loadOrCreateIdentity(dir)).networkId).toBe(ids[0]!.networkId);
  });

  it('tightens a world-readable identity file to 0600', async () => {
    const dir = await stateDir();
    await loadOrCreateIdentity(dir);
    const { chmod } = await import('node:fs/promises');
    await chmod(join(dir, 'identity.pem'), 0o644);
    await loadOrCreateIdentity(dir);
    expect(await mode(join(dir, 'identity.pem'))).toBe(0o600);
  });

  it('rotates to a new key (new networkId) and renews an expiring certificate for the same key', async () => {
    const dir = await stateDir();
    const old = await loadOrCreateIdentity(dir, { now: new Date(Date.now() - 20 * 365 * 24 * 3600 * 1000) });
    const renewed = await loadOrCreateIdentity(dir); // the certificate ends about now: re-issued
    expect(renewed.networkId).toBe(old.networkId);
    expect(renewed.fingerprint).not.toBe(old.fingerprint);
    expect(Date.parse(renewed.certificate.validTo)).toBeGreaterThan(Date.now() + 10 * 365 * 24 * 3600 * 1000);
    const rotated = await rotateIdentity(dir);
    expect(rotated.networkId).not.toBe(old.networkId);
    expect((await loadOrCreateIdentity(dir)).networkId).toBe(rotated.networkId);
    expect(await mode(join(dir, 'identity.pem'))).toBe(0o600);
  });

  it('rejects a corrupt identity file with ERR_INVALID_ARGUMENT', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, 'identity.pem'), 'not a pem', { mode: 0o600 });
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const a = await createIdentity();
    const b = await createIdentity();
    const keyA = a.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFile(join(dir, 'identity.pem'), keyA + b.certificatePem);
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/does not match/),
    });
  });

  it('replaces an empty identity file (left by an interrupted writer) with a new identity', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, 'identity.pem'), '', { mode: 0o600 });
    const id = await loadOrCreateIdentity(dir);
    expect(id.networkId).toMatch(/^[0-9a-f]{64}$/);
    expect((await loadOrCreateIdentity(dir)).networkId).toBe(id.networkId);
  });

  it('derives the networkId from the certificate key alone', async () => {
    const id = await createIdentity();
    expect(networkIdOf(new X509Certificate(id.certificatePem))).toBe(id.networkId);
  });

  it('networkId = SHA-256 of the SPKI DER for P-256 (JWK fast path) and for other keys (DER export)', async () => {
    for (const algorithm of [
      { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
      { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
      { name: 'Ed25519' },
    ]) {
      const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=networkid-test',
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3_600_000),
        signingAlgorithm: algorithm,
        keys,
      });
      const node = new X509Certificate(cert.toString('pem'));
      const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
      expect(networkIdOf(node), algorithm.name).toBe(createHash('sha256').update(spki).digest('hex'));
    }
  });
});

describe('trust store', () => {
  it('persists bindings atomically with mode 0600, survives reopening and revokes', async () => {
    const dir = await stateDir();
    const path = join(dir, 'trust.json');
    const store = await TrustStore.open(path);
    const changes: string[] = [];
    store.changes$.subscribe((c) => changes.push(`${c.type}:${c.binding.deviceName}`));
    const n1 = 'a'.repeat(64);
    const n2 = 'b'.repeat(64);
    await store.bind({ networkId: n1, fingerprint: 'c'.repeat(64), deviceName: 'tablet' });
    await store.bind({ networkId: n2, fingerprint: 'd'.repeat(64), deviceName: 'tv' });
    expect(await mode(path)).toBe(0o600);
    const reopened = await TrustStore.open(path);
    expect(reopened.list().map((b) => b.deviceName)).toEqual(['tablet', 'tv']);
    expect(reopened.get(n1)?.fingerprint).toBe('c'.repeat(64));
    expect(await reopened.revoke(n1)).toBe(true);
    expect((await TrustStore.open(path)).has(n1)).toBe(false);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      version: 1,
      bindings: [{ networkId: n2 }],
    });
    expect(changes).toEqual(['bound:tablet', 'bound:tv']);
    expect(await readdir(dir)).toEqual(['trust.json']);
  });

  it('rejects malformed files and bad bindings with ERR_INVALID_ARGUMENT', async () => {
    const dir = await stateDir();
    const path = join(dir, 'trust.json');
    await writeFile(path, '{ nope');
    await expect(TrustStore.open(path)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await writeFile(path, JSON.stringify({ version: 1, bindings: [{ networkId: 'xyz' }] }));
    await expect(TrustStore.open(path)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await writeFile(path, JSON.stringify({ version: 1, bindings: [] }));
    const store = await TrustStore.open(path);
    await expect(store.bind({ networkId: 'ABC', fingerprint: 'c'.repeat(64) })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('account key and binding code', () => {
  it('proves membership only for the same credential, role, identities and exporter value', async () => {
    const k1 = await deriveAccountKey('credential');
    const k1b = await deriveAccountKey(new TextEncoder().encode('credential'));
    const k2 = await deriveAccountKey('other');
    const x = Buffer.alloc(32, 1);
    const p = k1.proof('initiator', 'me', 'you', x);
    expect(k1b.verify(p, 'initiator', 'me', 'you', x)).toBe(true);
    expect(k2.verify(p, 'initiator', 'me', 'you', x)).toBe(false);
    expect(k1.verify(p, 'responder', 'me', 'you', x)).toBe(false); // reflected
    expect(k1.verify(p, 'initiator', 'you', 'me', x)).toBe(false);
    expect(k1.verify(p, 'initiator', 'me', 'you', Buffer.alloc(32, 2))).toBe(false); // other connection
    expect(JSON.stringify({ k1 })).toBe('{"k1":"[AccountKey]"}');
    await expect(deriveAccountKey('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('derives a 6-digit code from exporter material', () => {
    expect(bindingCode(Buffer.alloc(32, 0))).toBe('000000');
    expect(bindingCode(Buffer.from('ffffffffffff', 'hex'))).toBe(
      String(0xffffffffffff % 1_000_000).padStart(6, '0'),
    );
  });
});
