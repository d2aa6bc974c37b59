import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { LocalDevice, logger, socketConduit } from '@colink/core';
import { AccountKey, createIdentity, TlsSecurity } from '@colink/core/security';
import { TcpTransport } from '@colink/transport-tcp';

const log = logger('runtime');

/** The app both throwaway devices of the warm-up run a session between (never a real app of this device). */
const WARM_UP_APP = { bundleName: 'colink.warm-up', moduleName: 'entry', abilityName: 'WarmUp' } as const;
/** Longest the warm-up may take before it gives up, ms (it only ever talks to itself on loopback). */
export const WARM_UP_TIMEOUT_MS = 10_000;

/**
 * Runs the code of a connect once, off the first real one: the first use of that code in a process (V8 compiling and
 * specialising it, node:tls and OpenSSL setting up, lazily made state) cost the first `connect()` after start most
 * of its time (bench/README.md, issue 19), not the protocol.
 *
 * Two steps, both on loopback only and with nothing of the device itself at stake:
 * 1. two throwaway devices (not this one, no discovery, TCP on 127.0.0.1) open a Link, a session, send one message
 *    each way and stop: TCP dial and accept, the Link handshake (preamble, HELLO), channels, the peer connection and
 *    sessions. With `security` their Links run TLS 1.3 as the device's do, each with a throwaway identity (made here,
 *    ~10–30 ms each) and both with one throwaway account key (random, never stored): the TLS handshake with a
 *    different peer, the trust exchange (account proofs, verdicts) and the Link over the secured conduit run to the
 *    end (step `trust`). Nothing of it reaches the device's own `security` (its trust events, bindings, store);
 * 2. with `security`, its TLS 1.3 upgrade runs over a loopback TCP pair against itself: the handshake completes (both
 *    ends hold this device's key) and is then refused as this device's own identity, as any such Link is.
 *
 * Never rejects: a failed warm-up costs nothing but the time it took (it is logged at debug and in the result).
 */
export async function warmUpConnectPath(security: TlsSecurity | undefined): Promise<WarmUpResult> {
  const started = performance.now();
  const steps: WarmUpStep[] = [];
  // Whatever a step opened is closed in its finally, and right away when the step times out (a hung step must not
  // keep listeners or sockets open).
  const cleanups: Array<() => unknown> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of cleanups.splice(0)) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    await withTimeout(sessionRoundTrip(cleanups, security !== undefined), closeAll);
    cleanups.length = 0; // closed by the step itself
    steps.push('session');
    if (security) steps.push('trust');
    if (security && (await withTimeout(tlsAgainstSelf(security, cleanups), closeAll))) steps.push('tls');
    const ms = performance.now() - started;
    log.debug('connect path warmed up in %d ms (%s)', Math.round(ms), steps.join(', '));
    return { steps, ms };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    log.debug('connect path warm-up failed: %s', error);
    return { steps, ms: performance.now() - started, error };
  }
}

/**
 * What ran of the warm-up: `session` (step 1 of {@link warmUpConnectPath}), `trust` (step 1 ran over TLS 1.3 Links
 * with the trust exchange), `tls` (step 2).
 */
export type WarmUpStep = 'session' | 'trust' | 'tls';

/** Outcome of {@link warmUpConnectPath}. */
export interface WarmUpResult {
  /** The steps that ran to the end, in order. */
  readonly steps: readonly WarmUpStep[];
  /** How long the warm-up took, ms. */
  readonly ms: number;
  /** Why it stopped early, if it did. */
  readonly error?: string;
}

async function sessionRoundTrip(cleanups: Array<() => unknown>, secure: boolean): Promise<void> {
  // With TLS: two throwaway identities on one throwaway account, so the two devices trust each other by account.
  const security = secure ? await throwawaySecurity() : undefined;
  const device = (name: 'a' | 'b', i: number): LocalDevice => {
    const sec = security?.[i];
    return new LocalDevice({
      advert: {
        networkId: sec?.networkId ?? name.repeat(64),
        deviceName: `warm-up-${name}`,
        deviceType: 'pc',
      },
      transports: [new TcpTransport({ host: '127.0.0.1', discovery: false })],
      ...(sec ? { security: sec } : {}),
    });
  };
  const a = device('a', 0);
  const b = device('b', 1);
  cleanups.push(() => Promise.all([a.stop(), b.stop()]));
  try {
    await Promise.all([a.start(), b.start()]);
    const echoed = new Promise<void>((resolve) => {
      b.sessions.requests$.subscribe((req) => {
        void req.accept().then((s) => s.messages$.subscribe((m) => void s.sendMessage(m)));
      });
      a.sessions.opened$.subscribe((s) => s.messages$.subscribe(() => resolve()));
    });
    const link = await a.connectAddress('tcp', b.transports[0]!.localAddress!);
    // The step counts as `trust` only when the Link really ran TLS and trusted the peer by the account.
    if (security && link.verifiedPeer?.detail?.trust !== 'account')
      throw new Error(`warm-up Link not trusted by account (${link.security})`);
    const s = await a.sessions.request({
      peer: b.advert.networkId,
      service: 'warm-up',
      local: WARM_UP_APP,
      remote: WARM_UP_APP,
    });
    await s.sendMessage('warm-up');
    await echoed;
    await s.close();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** Two TLS stages with throwaway identities and one random account key (never stored, never leaves the process). */
async function throwawaySecurity(): Promise<[TlsSecurity, TlsSecurity]> {
  const account = AccountKey.random();
  const [x, y] = await Promise.all([createIdentity(), createIdentity()]);
  return [new TlsSecurity({ identity: x, account }), new TlsSecurity({ identity: y, account })];
}

async function tlsAgainstSelf(security: TlsSecurity, cleanups: Array<() => unknown>): Promise<boolean> {
  const server = createServer({ noDelay: true });
  const sockets: Socket[] = [];
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const { port } = server.address() as { port: number };
    const client = netConnect({ port, host: '127.0.0.1', noDelay: true });
    sockets.push(client);
    await once(client, 'connect');
    const [peer] = await accepted;
    sockets.push(peer);
    // The handshake completes and is refused as this device's own identity: what is expected. Anything else means
    // TLS stopped earlier, and the step does not count as run.
    const outcomes = await Promise.allSettled([
      security.upgrade(socketConduit(client), 'initiator'),
      security.upgrade(socketConduit(peer), 'responder'),
    ]);
    return outcomes.some((o) => o.status === 'rejected' && /own identity/.test(String(o.reason)));
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
}

/** `p`, or a rejection after {@link WARM_UP_TIMEOUT_MS} — then `onTimeout` closes what the step opened. */
function withTimeout<T>(p: Promise<T>, onTimeout: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void onTimeout();
        reject(new Error(`warm-up took over ${WARM_UP_TIMEOUT_MS} ms`));
      }, WARM_UP_TIMEOUT_MS);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
