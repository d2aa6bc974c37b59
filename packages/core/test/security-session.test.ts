import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { bindDevice, trackTrust } from '../src/security/device-security.js';
import type { TlsSecurity } from '../src/security/tls-security.js';
import type { SessionRequest } from '../src/session.js';
import { app, next, openSession, sha } from './helpers.js';
import { advertOf, cleanup, HANDSHAKE_REFUSAL, onCleanup, security } from './security-helpers.js';

afterEach(cleanup);

async function device(net: MemoryNetwork, sec: TlsSecurity, name: string): Promise<LocalDevice> {
  const d = new LocalDevice({
    advert: advertOf(sec, name),
    transports: [net.createTransport()],
    security: sec,
    link: { keepAliveIntervalMs: 0 },
  });
  onCleanup(() => d.stop());
  trackTrust(d.directory, sec);
  await d.start();
  return d;
}

describe('sessions over secured Links', () => {
  it('runs a session end to end encrypted between same-account devices, and peer-exit still arrives', async () => {
    const net = new MemoryNetwork();
    const [sa, sb] = await Promise.all([security({ account: 'family' }), security({ account: 'family' })]);
    const a = await device(net, sa, 'phone');
    const b = await device(net, sb, 'tablet');
    await next(a.directory.devices$, (l) => l.length === 1);
    const [s1, s2] = await openSession(a, b);
    const link = a.links(b.advert.networkId)[0]!;
    expect(link.security).toBe('tls1.3');
    expect(link.verifiedPeer).toMatchObject({ networkId: sb.networkId, detail: { trust: 'account' } });
    expect(a.directory.get(sb.networkId)?.trust).toBe('trusted');
    const msg = firstValueFrom(s2.messages$);
    await s1.sendMessage('hello over TLS');
    expect(await msg).toBe('hello over TLS');
    const blob = new Uint8Array(2 * 1024 * 1024 + 5).map((_, i) => i % 251);
    const data = firstValueFrom(s1.data$);
    await s2.sendData(blob);
    expect(sha(await data)).toBe(sha(blob));
    await b.stop();
    expect(await firstValueFrom(s1.ended$)).toBe('peer-exit');
  });

  it('keeps an untrusted device from opening a session: no Link, no request, marked untrusted', async () => {
    const net = new MemoryNetwork();
    const [sa, sb] = await Promise.all([security({ account: 'family' }), security({ account: 'stranger' })]);
    const a = await device(net, sa, 'phone');
    const b = await device(net, sb, 'tablet');
    await next(a.directory.devices$, (l) => l.length === 1);
    const requests: SessionRequest[] = [];
    b.sessions.requests$.subscribe((r) => requests.push(r));
    const err = await a.sessions
      .request({ peer: b.advert.networkId, service: 'collab', local: app('A'), remote: app('B') })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: HANDSHAKE_REFUSAL, reason: { code: 'handshake-failed' } });
    expect((err as Error).message).toMatch(/untrusted|does not trust/);
    expect(requests).toEqual([]);
    expect(a.links()).toEqual([]);
    expect(b.links()).toEqual([]);
    // Discovery still lists the device, marked untrusted.
    expect(a.directory.get(sb.networkId)).toMatchObject({ deviceName: 'tablet', trust: 'untrusted' });
  });

  it('binds two devices through bindDevice, then opens sessions without prompts', async () => {
    const net = new MemoryNetwork();
    const codes: string[] = [];
    const sa = await security();
    const sb = await security({
      onBindRequest: (r) => {
        codes.push(r.code);
        return true;
      },
    });
    const a = await device(net, sa, 'phone');
    const b = await device(net, sb, 'tablet');
    await next(a.directory.devices$, (l) => l.length === 1);
    const binding = await bindDevice(a, sa, sb.networkId, (r) => {
      codes.push(r.code);
      return true;
    });
    expect(binding.networkId).toBe(sb.networkId);
    expect(codes).toHaveLength(2);
    expect(codes[0]).toBe(codes[1]);
    expect(a.directory.get(sb.networkId)?.trust).toBe('trusted');
    const [s1, s2] = await openSession(a, b);
    const msg = firstValueFrom(s1.messages$);
    await s2.sendMessage('bound');
    expect(await msg).toBe('bound');
    await expect(bindDevice(a, sa, sb.networkId, () => true)).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
  });
});
