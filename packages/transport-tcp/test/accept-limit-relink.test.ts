import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDevice } from '@colink/core';
import { createDeviceSecurity } from '@colink/core/security';
import { VirtualClock } from '@colink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { burst, sockets } from './fixtures/burst.js';

// The per-source accept allowance counts only connections that never authenticate: devices on one host (here two on
// 127.0.0.1) relink as often as they like, while strangers from the same host are still reset past the burst.
// Real sockets on loopback; the allowance's refill runs on a VirtualClock that is never advanced, so only the
// tokens given back by authenticated connections can make room. Behind the gatekeeper process the allowance lives in
// the child, on real time (a VirtualClock cannot cross processes): there it refills at 0.001 per second, i.e. not
// within the test, and the token goes back over IPC.

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

const BURST = 4;
const RELINKS = 3 * BURST;

async function pair(secure: boolean, gatekeeper = false) {
  const clock = new VirtualClock();
  const make = async (name: string) => {
    const transport = new TcpTransport({
      host: '127.0.0.1',
      discovery: false,
      acceptLimit: { burst: BURST, perSecond: gatekeeper ? 0.001 : 1 },
      scheduler: clock, // the allowance's clock only: never advanced, so nothing refills
      gatekeeper,
      tarpit: false, // strangers past the allowance are reset at once (the gatekeeper's are anyway)
    });
    let security: Awaited<ReturnType<typeof createDeviceSecurity>> | undefined;
    if (secure) {
      const dir = await mkdtemp(join(tmpdir(), 'cltcp-relink-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      security = await createDeviceSecurity({ stateDir: dir, account: 'relink-test-account' });
    }
    const device = new LocalDevice({
      advert: {
        networkId: security?.networkId ?? createHash('sha256').update(name).digest('hex'),
        deviceName: name,
        deviceType: 'pc',
      },
      transports: [transport],
      ...(security ? { security } : {}),
    });
    await device.start();
    cleanup.push(() => device.stop());
    return { transport, device };
  };
  return { a: await make('relink-a'), b: await make('relink-b') };
}

describe('TcpTransport accept allowance: authenticated connections give their share back', () => {
  it.each([
    ['without a security stage (the Link opening authenticates)', false],
    ['with TLS (the security stage trusting the peer authenticates)', true],
    ['with TLS, behind the gatekeeper process (the token goes back over IPC)', true, true],
  ])(
    `%s: ${RELINKS} relinks from 127.0.0.1 all open; strangers from it are still limited`,
    {
      timeout: 60_000,
    },
    async (_name, secure, gatekeeper = false) => {
      const { a, b } = await pair(secure as boolean, gatekeeper as boolean);
      const address = b.transport.localAddress!;
      let opened = 0;
      b.device.linkOpened$.subscribe(() => opened++);
      for (let i = 0; i < RELINKS; i++) {
        const link = await a.device.connectAddress('tcp', address);
        expect(link.state).toBe('open');
        await expect.poll(() => opened).toBe(i + 1); // b's end authenticated too
        await link.close();
        await expect.poll(() => b.device.links().length).toBe(0);
      }
      expect(b.transport.rateLimitedConnections).toBe(0);
      // Strangers from the same host never authenticate: the allowance is still whole for them, and no more.
      expect(await burst(b.transport.port!, BURST + 3)).toEqual({ reset: 3, open: BURST });
      await expect.poll(() => b.transport.rateLimitedConnections).toBe(3); // the gatekeeper reports every 100 ms
    },
  );
});
