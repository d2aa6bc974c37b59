import type { KeyObject } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import type { SecurityUpgrade } from '@colink/core';

/**
 * The part of `@colink/core/security` the comparison uses: a TLS 1.3 security stage for Links whose peers prove the
 * same account, and the TLS settings that stage runs with. Loaded at run time, so the bench still runs (without the
 * encrypted rows, which then say why) where the module cannot load.
 */
interface SecurityModule {
  createIdentity(): Promise<{ certificatePem: string; privateKey: KeyObject }>;
  deriveAccountKey(credential: string): Promise<unknown>;
  TlsSecurity: new (options: {
    identity: unknown;
    account: unknown;
  }) => SecurityUpgrade & { networkId: string };
  TLS_VERSION: 'TLSv1.3';
  TLS_CIPHER_SUITES: string;
  TLS_ALPN: string;
  TLS_SOCKET_HIGH_WATER_MARK: number;
}

/** The shared secret both bench processes derive their account key from (the same-account trust path). */
const BENCH_ACCOUNT = 'colink-bench-account';

/** node:tls options of a bare TLS endpoint, usable for `tls.connect` and a server-side `TLSSocket` alike. */
export type BareTlsOptions = SecureContextOptions & {
  readonly ALPNProtocols: string[];
  readonly rejectUnauthorized: false;
  /** Bytes buffered per direction before `write` asks to wait (colink's TLS_SOCKET_HIGH_WATER_MARK). */
  readonly highWaterMark: number;
};

/** What {@link benchSecurity} gives a bench process. */
export interface BenchSecurity {
  /** colink's TLS 1.3 security stage with a fresh identity and the account key of {@link BENCH_ACCOUNT}. */
  readonly security: SecurityUpgrade & { networkId: string };
  /**
   * Options for a bare node:tls endpoint on the same route as that stage: the same identity (ECDSA P-256
   * certificate and key), TLS 1.3 only, the same cipher suites (TLS_AES_128_GCM_SHA256 first), ALPN and socket
   * high-water mark. Certificates are self-signed, so chain verification is off (as in colink, which pins keys).
   */
  readonly tls: BareTlsOptions;
}

/** A fresh {@link BenchSecurity}, or the reason there is none. */
export async function benchSecurity(): Promise<BenchSecurity | { unavailable: string }> {
  const specifier = '@colink/core/security';
  let mod: SecurityModule;
  try {
    mod = (await import(specifier)) as SecurityModule;
  } catch (e) {
    return {
      unavailable: `@colink/core/security not loadable: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  if (typeof mod.TlsSecurity !== 'function')
    return { unavailable: '@colink/core/security has no TlsSecurity' };
  const [identity, account] = await Promise.all([mod.createIdentity(), mod.deriveAccountKey(BENCH_ACCOUNT)]);
  return {
    security: new mod.TlsSecurity({ identity, account }),
    tls: {
      key: identity.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: identity.certificatePem,
      minVersion: mod.TLS_VERSION,
      maxVersion: mod.TLS_VERSION,
      ciphers: mod.TLS_CIPHER_SUITES,
      ALPNProtocols: [mod.TLS_ALPN],
      highWaterMark: mod.TLS_SOCKET_HIGH_WATER_MARK,
      rejectUnauthorized: false,
    },
  };
}
