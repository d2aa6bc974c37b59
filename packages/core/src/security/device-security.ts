import type { Subscription } from 'rxjs';
import type { LocalDevice } from '../device.js';
import type { DeviceDirectory } from '../directory.js';
import { ColinkError, ErrorCode } from '../errors.js';
import { deriveAccountKey } from './account.js';
import { loadOrCreateIdentity } from './identity.js';
import { type ConfirmBinding, TlsSecurity, type TlsSecurityOptions } from './tls-security.js';
import type { Binding } from './trust-store.js';
import { TrustStore } from './trust-store.js';

/** Options of {@link createDeviceSecurity}. */
export interface DeviceSecurityOptions {
  /** Directory holding `identity.pem` and `trust.json` (created with mode 0700). */
  readonly stateDir: string;
  /**
   * Account credential shared by the devices of one account (e.g. `process.env.COLINK_ACCOUNT`). Empty or undefined:
   * no same-account trust, only bindings.
   */
  readonly account?: string | Uint8Array | undefined;
  /** Handler of incoming binding requests (see {@link TlsSecurity.onBindRequest}). */
  readonly onBindRequest?: ConfirmBinding;
  /** {@link TlsSecurityOptions.clientHelloFirst}: no TLS (and no Link) for a stranger before its whole ClientHello record. */
  readonly clientHelloFirst?: boolean;
}

/**
 * Sets up this device's security from its state directory: loads (or creates) the identity, opens the trust store,
 * derives the account key, and returns the {@link TlsSecurity} to pass as `security` to `LocalDevice` (and whose
 * `networkId` goes in the advert).
 *
 * @example
 * ```ts
 * const security = await createDeviceSecurity({ stateDir, account: process.env.COLINK_ACCOUNT });
 * const device = new LocalDevice({ advert: { networkId: security.networkId, deviceName, deviceType }, transports, security });
 * trackTrust(device.directory, security);
 * ```
 * @throws ColinkError `ERR_INVALID_ARGUMENT` when the state directory or its files cannot be used.
 */
export async function createDeviceSecurity(options: DeviceSecurityOptions): Promise<TlsSecurity> {
  const [identity, trustStore, account] = await Promise.all([
    loadOrCreateIdentity(options.stateDir),
    TrustStore.openIn(options.stateDir),
    options.account && options.account.length > 0 ? deriveAccountKey(options.account) : undefined,
  ]);
  return new TlsSecurity({
    identity,
    trustStore,
    ...(account ? { account } : {}),
    ...(options.onBindRequest ? { onBindRequest: options.onBindRequest } : {}),
    ...(options.clientHelloFirst ? { clientHelloFirst: true } : {}),
  });
}

/**
 * Keeps `directory`'s trust marks in step with `security`: each handshake's decision (`trusted` / `untrusted`),
 * bindings made or revoked, and bound devices as discovery finds them. Devices seen only by discovery and not
 * bound stay `unknown` until a handshake decides (same-account membership needs one). Unsubscribe to stop.
 */
export function trackTrust(directory: DeviceDirectory, security: TlsSecurity): Subscription {
  const sub = security.trust$.subscribe((e) => directory.setTrust(e.networkId, e.trust));
  const store = security.trustStore;
  if (store) {
    sub.add(
      store.changes$.subscribe((c) =>
        directory.setTrust(c.binding.networkId, c.type === 'bound' ? 'trusted' : 'untrusted'),
      ),
    );
    sub.add(
      directory.devices$.subscribe((list) => {
        for (const d of list)
          if (d.trust === 'unknown' && store.has(d.networkId)) directory.setTrust(d.networkId, 'trusted');
      }),
    );
  }
  return sub;
}

/**
 * Binds this device with `networkId` (HarmonyOS: bind target through DeviceManager): arms the binding on `security`,
 * connects, and resolves with the stored binding once both users confirmed the same 6-digit code. The peer's
 * application answers through its `onBindRequest`.
 * @throws ColinkError `ERR_CONFLICT` when a Link to the device is already open (it is trusted already);
 *   `ERR_UNTRUSTED` when either side declines; errors of `device.connect`.
 */
export async function bindDevice(
  device: LocalDevice,
  security: TlsSecurity,
  networkId: string,
  confirm: ConfirmBinding,
): Promise<Binding> {
  if (device.links(networkId).length > 0) {
    throw new ColinkError(
      ErrorCode.CONFLICT,
      `already connected to ${networkId.slice(0, 12)}…: it is trusted`,
    );
  }
  const abort = new AbortController();
  const bound = security.bind(networkId, confirm, { signal: abort.signal });
  bound.catch(() => undefined);
  try {
    await device.connect(networkId);
  } catch (e) {
    abort.abort();
    // The binding's own verdict explains the failure better than the closed Link does.
    const why = await bound.catch((err: unknown) => err);
    throw why instanceof ColinkError && why.code !== ErrorCode.ABORTED ? why : e;
  }
  return bound;
}
