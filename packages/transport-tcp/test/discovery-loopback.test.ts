import type { DiscoveryEvent } from '@colink/core';
import { firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import {
  Capture,
  canCapture,
  loopbackDiscovery,
  networkId,
  nextEvent,
  PeerProcess,
  randomPort,
} from './helpers.js';

describe('discovery on loopback between two processes', () => {
  const port = randomPort();
  const peers: PeerProcess[] = [];
  const local = new TcpTransport({ host: '127.0.0.1', discovery: loopbackDiscovery(port) });
  const events: DiscoveryEvent[] = [];
  local.discover().subscribe((e) => events.push(e));

  afterAll(async () => {
    await Promise.all([leak?.stop().catch(() => 0), onLo?.stop().catch(() => 0)]);
    await local.stop();
    await Promise.all(peers.map((p) => p.close()));
  });

  // Loopback mode must keep every mDNS packet on lo: capture our port everywhere except 127.0.0.0/8.
  const leak = canCapture ? new Capture('any', `udp port ${port} and not src net 127.0.0.0/8`) : undefined;
  const onLo = canCapture ? new Capture('lo', `udp port ${port}`) : undefined;

  it('finds a peer process, opens a conduit to it, and loses it after its goodbye', async () => {
    await Promise.all([leak?.listening, onLo?.listening]);
    await local.start();
    await local.advertise({ networkId: networkId('a'), deviceName: 'tester', deviceType: 'pc' });
    const remote = new PeerProcess({
      transport: { host: '127.0.0.1', discovery: loopbackDiscovery(port) },
      advert: {
        networkId: networkId('b'),
        deviceName: 'peer-b',
        deviceType: 'phone',
        services: ['chat', 'files'],
      },
      incoming: 'echo',
    });
    peers.push(remote);
    const started = await remote.next((m) => m.ev === 'started');

    const found = await nextEvent(
      local.discover(),
      (e) => e.type === 'found' && e.peer.networkId === networkId('b'),
    );
    expect(found.peer).toMatchObject({
      medium: 'tcp',
      address: started.address,
      deviceName: 'peer-b',
      deviceType: 'phone',
      services: ['chat', 'files'],
    });
    // The remote process sees us too.
    await remote.next(
      (m) =>
        m.ev === 'discovery' &&
        m.type === 'found' &&
        (m.peer as { deviceName: string }).deviceName === 'tester',
    );

    const conduit = await local.dial(found.peer.address);
    const echoed = firstValueFrom(conduit.data$);
    conduit.write([new TextEncoder().encode('ping '), new TextEncoder().encode('over tcp')]);
    expect(new TextDecoder().decode(await echoed)).toBe('ping over tcp');

    const closed = firstValueFrom(conduit.closed$);
    remote.send({ cmd: 'unadvertise' });
    const lost = await nextEvent(local.discover(), (e) => e.type === 'lost');
    expect(lost).toMatchObject({ type: 'lost', reason: 'goodbye', peer: { networkId: networkId('b') } });
    // Unadvertising does not close conduits; stopping does (and the peer's end is a clean FIN).
    remote.send({ cmd: 'stop' });
    expect(await closed).toMatchObject({ code: 'normal', remote: true });
  });

  it('re-finds a peer that advertises again, and `discover()` replays known peers to late subscribers', async () => {
    const remote = peers[0]!;
    remote.send({ cmd: 'exit' });
    const again = new PeerProcess({
      transport: { host: '127.0.0.1', discovery: loopbackDiscovery(port) },
      advert: { networkId: networkId('c'), deviceName: 'peer-c', deviceType: 'tablet' },
    });
    peers.push(again);
    await nextEvent(local.discover(), (e) => e.type === 'found' && e.peer.networkId === networkId('c'));
    const replayed = await nextEvent(local.discover(), () => true, 100);
    expect(replayed).toMatchObject({ type: 'found', peer: { deviceName: 'peer-c' } });
  });

  it.skipIf(!canCapture)('kept every mDNS packet on lo (tcpdump; needs root)', async () => {
    const leaked = await leak!.stop();
    const seen = await onLo!.stop();
    console.log(`packet capture: ${seen} mDNS packets on lo, ${leaked} elsewhere`);
    expect(seen).toBeGreaterThan(0);
    expect(leaked).toBe(0);
  });
});
