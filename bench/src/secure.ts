import type { SecurityUpgrade } from '@colink/core';

/**
 * The part of `@colink/core/security` the comparison uses: a TLS 1.3 security stage for Links whose peers prove the
 * same account. Loaded at run time (the module is new; without it the encrypted rows say "not measured yet").
 */
interface SecurityModule {
  createIdentity(): Promise<unknown>;
  deriveAccountKey(credential: string): Promise<unknown>;
  TlsSecurity: new (options: {
    identity: unknown;
    account: unknown;
  }) => SecurityUpgrade & { networkId: string };
}

/** The shared secret both bench processes derive their account key from (the same-account trust path). */
const BENCH_ACCOUNT = 'colink-bench-account';

/**
 * A fresh TLS security stage (new identity, account key of {@link BENCH_ACCOUNT}), or the reason there is none.
 */
export async function benchSecurity(): Promise<
  { security: SecurityUpgrade & { networkId: string } } | { unavailable: string }
> {
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
  return { security: new mod.TlsSecurity({ identity, account }) };
}
