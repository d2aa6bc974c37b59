import { connect } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { closeReason } from '../src/errors.js';
import { PRE_AUTH_TIMEOUT_MS } from '../src/limits.js';
import { advert, LoopbackTcp } from './helpers.js';

// LocalDevice.dropLinksFrom over real TCP sockets on loopback (IPv4 and IPv6): what a network change calls when a local
// address is gone. A minimal socket transport (`LoopbackTcp`) stands in for transport-tcp (core does not depend on it).

const running: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((d) => d.stop()));
});

async function pair(host: string) {
  const ta = new LoopbackTcp(host);
  const tb = new LoopbackTcp(host);
  const a = new LocalDevice({ advert: advert('drop-a'), transports: [ta] });
  const b = new LocalDevice({ advert: advert('drop-b'), transports: [tb] });
  running.push(a, b);
  await a.start();
  await b.start();
  const opened = firstValueFrom(b.linkOpened$);
  const link = await a.connectAddress('tcp', tb.localAddress!);
  return { a, b, link, remote: await opened };
}

describe('LocalDevice.dropLinksFrom', () => {
  it.each(['127.0.0.1', '::1'])(
    'drops the Links running from a gone address at once (%s), and only those',
    async (host) => {
      const { a, link, remote } = await pair(host);
      expect(a.dropLinksFrom(['192.0.2.7', '2001:db8::7'])).toEqual([]);
      expect(link.state).toBe('open');
      // the address as net-monitor reports it: IPv6 in any case, with a zone
      const gone = host === '::1' ? '::1%lo' : host;
      const dropped = a.dropLinksFrom([gone]);
      expect(dropped).toEqual([link]);
      expect(link.state).toBe('closed');
      expect(await link.closed).toMatchObject({
        code: 'lost',
        detail: { cause: 'network-change', address: host },
      });
      expect(a.links()).toEqual([]);
      // the peer hears of it (GOAWAY or the socket's end) well before any keep-alive timeout
      expect((await remote.closed).code).not.toBe('timeout');
    },
  );

  it('closes an inbound connection on a gone address that has no Link yet, at once', async () => {
    const { b } = await pair('127.0.0.1');
    const listen = (b.transports[0] as LoopbackTcp).localAddress!;
    const stranger = connect({ host: '127.0.0.1', port: Number(listen.split(':')[1]) });
    const ended = new Promise<void>((r) => stranger.once('close', () => r()));
    stranger.on('error', () => undefined);
    await expect.poll(() => b.admissionStats().pending).toBe(1); // silent: before its preamble, no Link
    const t0 = performance.now();
    expect(b.dropLinksFrom(['127.0.0.1'])).toHaveLength(1); // b's end of the Link from a; the stranger has none
    await ended;
    // not left to the pre-authentication deadline (it would close it ~5 s after it connected)
    expect(performance.now() - t0).toBeLessThan(PRE_AUTH_TIMEOUT_MS / 2);
    await expect.poll(() => b.admissionStats().pending).toBe(0);
  });

  it('takes the reason it is given, and ignores non-IP notations', async () => {
    const { a, link } = await pair('127.0.0.1');
    expect(a.dropLinksFrom(['AA:BB:CC:DD:EE:FF', '', 'not an address'])).toEqual([]);
    const reason = closeReason('lost', 'wlan0 went down', { detail: { cause: 'network-change' } });
    expect(a.dropLinksFrom(new Set(['::FFFF:127.0.0.1']), reason)).toEqual([link]); // IPv4-mapped, upper case
    expect(await link.closed).toEqual(reason);
  });
});
