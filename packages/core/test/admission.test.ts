import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type HandshakeProgress, sourceHost } from '../src/admission.js';
import { encodePreamble } from '../src/codec.js';
import { LocalDevice, type LocalDeviceOptions } from '../src/device.js';
import { PRE_AUTH_TIMEOUT_MS, PREAMBLE_BYTES } from '../src/limits.js';
import type { SecurityUpgrade } from '../src/link.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import type { Conduit } from '../src/transport.js';
import { advert, dialVirtual, virtualServer } from './helpers.js';

// LocalDevice's admission control in virtual time, over the memory medium: the pre-authentication deadline and the
// caps on pending inbound handshakes. The "attackers" are raw conduits dialled on the memory network that never speak
// the protocol. (Over real sockets: transport-tcp/test/hostile-peers.test.ts.)

async function world(admission?: LocalDeviceOptions['admission']) {
  const { clock, net, server } = await virtualServer(admission);
  const closed = new Map<Conduit, string>();
  /** A raw connection from `from` that says nothing. */
  const silent = async (from: ReturnType<typeof net.createTransport>): Promise<Conduit> => {
    const dialling = from.dial('server');
    await clock.advance(1);
    const c = await dialling;
    c.closed$.subscribe((r) => closed.set(c, r.code));
    c.data$.subscribe(); // read (and drop) whatever the server sends (nothing: it speaks after the peer)
    await clock.advance(1);
    return c;
  };
  return { clock, net, server, silent, closed };
}

describe('admission control of handshakes (virtual time)', () => {
  it('closes a silent inbound connection at the pre-authentication deadline, not at the handshake timeout', async () => {
    const { clock, net, server, silent, closed } = await world();
    const attacker = net.createTransport({ address: 'attacker' });
    await attacker.start();
    const c = await silent(attacker);
    expect(server.admissionStats().pending).toBe(1);
    await clock.advance(PRE_AUTH_TIMEOUT_MS - 10);
    expect(closed.has(c)).toBe(false);
    await clock.advance(20);
    expect(closed.get(c)).toBe('timeout');
    expect(server.admissionStats()).toMatchObject({ pending: 0, timedOut: 1, evicted: 0 });
    await server.stop();
  });

  it('leaves a peer that opens in time alone: it stops counting as pending once open', async () => {
    const { clock, net, server } = await world();
    const { client, link } = await dialVirtual(net, clock);
    expect(server.admissionStats()).toMatchObject({ pending: 0, pendingHighWater: 1 });
    await clock.advance(60_000);
    expect(link.state).toBe('open');
    expect(server.admissionStats().timedOut).toBe(0);
    await client.stop();
    await server.stop();
  });

  it('caps pending handshakes per source and in all, closing the oldest pending one; a real peer still gets in', async () => {
    const { clock, net, server, silent, closed } = await world({ maxPending: 3, maxPendingPerSource: 2 });
    const a = net.createTransport({ address: 'attacker-a' });
    const b = net.createTransport({ address: 'attacker-b' });
    await Promise.all([a.start(), b.start()]);
    const a1 = await silent(a);
    const a2 = await silent(a);
    const a3 = await silent(a); // a's third: a1 (its oldest) goes
    expect(closed.has(a1)).toBe(true);
    expect([closed.has(a2), closed.has(a3)]).toEqual([false, false]);
    const b1 = await silent(b); // 3 pending in all
    expect(server.admissionStats().pending).toBe(3);
    const b2 = await silent(b); // a 4th: the oldest overall (a2) goes
    expect(closed.has(a2)).toBe(true);
    expect([closed.has(a3), closed.has(b1), closed.has(b2)]).toEqual([false, false, false]);
    expect(server.admissionStats()).toMatchObject({ pending: 3, pendingHighWater: 3, evicted: 2 });

    const { client, link } = await dialVirtual(net, clock);
    expect(link.state).toBe('open');
    expect(closed.has(a3)).toBe(true); // made room for the real peer
    await clock.advance(PRE_AUTH_TIMEOUT_MS);
    expect([closed.has(b1), closed.has(b2)]).toEqual([true, true]);
    expect(link.state).toBe('open');
    expect(server.admissionStats()).toMatchObject({ pending: 0, evicted: 3, timedOut: 2 });
    await client.stop();
    await server.stop();
  });

  it('evicts handshakes still waiting for the preamble before an older one that is under way', async () => {
    const { clock, net, server, silent, closed } = await world({ maxPending: 3, maxPendingPerSource: 3 });
    const a = net.createTransport({ address: 'attacker-a' });
    await a.start();
    // The oldest connection sends a valid preamble and then stalls in the HELLO exchange: it is under way (the
    // server answered with its preamble and HELLO). Silent ones after it are stuck at the preamble.
    const dialling = a.dial('server');
    await clock.advance(1);
    const under = await dialling;
    under.closed$.subscribe((r) => closed.set(under, r.code));
    let answered = 0;
    under.data$.subscribe((b) => {
      answered += b.length;
    });
    await clock.advance(1);
    expect(answered).toBe(0); // the responder speaks only after the initiator's preamble (PROTOCOL.md §1)
    under.write([encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 })]);
    await clock.advance(1);
    expect(answered).toBeGreaterThan(PREAMBLE_BYTES);
    const s1 = await silent(a);
    const s2 = await silent(a); // 3 pending: under, s1, s2
    const s3 = await silent(a); // a 4th: s1 goes (oldest at the preamble), not the older `under`
    expect([closed.has(under), closed.has(s1), closed.has(s2), closed.has(s3)]).toEqual([
      false,
      true,
      false,
      false,
    ]);
    const s4 = await silent(a); // then s2
    expect([closed.has(under), closed.has(s2), closed.has(s4)]).toEqual([false, true, false]);
    expect(server.admissionStats()).toMatchObject({ pending: 3, evicted: 2 });
    await server.stop();
  });

  it('reports closing reasons: refused for an evicted handshake, timeout past the deadline', async () => {
    const { clock, net, server } = await world({ maxPending: 1 });
    const a = net.createTransport({ address: 'attacker' });
    await a.start();
    const reasons: string[] = [];
    server.linkOpened$.subscribe(() => reasons.push('opened?!'));
    const dial = async () => {
      const p = a.dial('server');
      await clock.advance(1);
      return p;
    };
    const c1 = await dial();
    c1.data$.subscribe();
    const c1closed = firstValueFrom(c1.closed$);
    const c2 = await dial();
    c2.data$.subscribe();
    await clock.advance(1);
    // The memory medium carries the reason to the far end (a socket would carry only the close).
    expect(await c1closed).toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/pending handshakes/),
    });
    const c2closed = firstValueFrom(c2.closed$);
    await clock.advance(PRE_AUTH_TIMEOUT_MS);
    expect(await c2closed).toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(/not authenticated/),
    });
    expect(reasons).toEqual([]);
    expect(server.admissionStats()).toMatchObject({ evicted: 1, timedOut: 1 });
    await server.stop();
  });

  it('never evicts a handshake whose user is confirming a binding, and stops its deadline', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ scheduler: clock });
    // A security stage that proves the peer and then waits for the user, as TlsSecurity does while codes are compared.
    const confirming: SecurityUpgrade = {
      name: 'confirming',
      upgrade: (_conduit, _role, progress?: HandshakeProgress) => {
        progress?.confirmingBinding();
        return new Promise(() => undefined);
      },
    } as SecurityUpgrade;
    const device = (name: string, admission?: LocalDeviceOptions['admission']) =>
      new LocalDevice({
        advert: advert(name),
        transports: [net.createTransport({ address: name })],
        scheduler: clock,
        security: confirming,
        link: { handshakeTimeoutMs: 60_000 },
        ...(admission ? { admission } : {}),
      });
    const server = device('server', { maxPending: 2, maxPendingPerSource: 2 });
    const client = device('client');
    await Promise.all([server.start(), client.start()]);
    let clientFailed: unknown;
    client.connectAddress('memory', 'server').catch((e) => {
      clientFailed = e;
    });
    await clock.advance(10);
    expect(server.admissionStats().pending).toBe(0); // confirming: out of the pending set

    const attackers = ['a', 'b', 'c'].map((n) => net.createTransport({ address: `attacker-${n}` }));
    await Promise.all(attackers.map((a) => a.start()));
    for (const a of attackers) {
      const dialling = a.dial('server');
      await clock.advance(1);
      (await dialling).data$.subscribe();
    }
    await clock.advance(1);
    expect(server.admissionStats()).toMatchObject({ pending: 2, evicted: 1 }); // an attacker made room, not the user
    await clock.advance(PRE_AUTH_TIMEOUT_MS * 2);
    expect(server.admissionStats()).toMatchObject({ pending: 0, timedOut: 2 });
    expect(clientFailed).toBeUndefined(); // still waiting for the users, bounded by the handshake timeout
    await clock.advance(60_000);
    expect(clientFailed).toMatchObject({ code: expect.any(String) });
    await Promise.all([client.stop(), server.stop()]);
  });

  it('takes the source host of an address: host of host:port, v6 of [v6]:port, else the whole address', () => {
    expect(sourceHost('192.168.1.20:40123')).toBe('192.168.1.20');
    expect(sourceHost('[fe80::1%eth0]:80')).toBe('fe80::1%eth0');
    expect(sourceHost('AA:BB:CC:DD:EE:FF')).toBe('AA:BB:CC:DD:EE:FF');
    expect(sourceHost('air-phone')).toBe('air-phone');
  });
});
