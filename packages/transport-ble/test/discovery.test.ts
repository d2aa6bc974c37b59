import type { DiscoveryEvent } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualRadio } from '../src/virtual/index.js';
import { advertise, World } from './helpers/world.js';

const B = 'BB:00:00:00:00:02';

describe('discovery by scanning for the colink service', () => {
  let world: World;
  afterEach(async () => world.close());

  it('finds an advertising device with its advert read from INFO, and loses it when its advertisements stop', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device('AA:00:00:00:00:01', { lostAfterMs: 400 });
    const b = await world.device(B);
    const other = await world.device('DD:00:00:00:00:04', { serverName: 'another-app' });
    await advertise(other, 'other');
    const events: DiscoveryEvent[] = [];
    const sub = a.discover().subscribe((e) => events.push(e));
    const found = firstValueFrom(a.discover().pipe(filter((e) => e.type === 'found')));
    await b.advertise({
      networkId: 'b'.repeat(64),
      deviceName: 'Tablet B',
      deviceType: 'tablet',
      services: ['chat'],
    });
    const f = await found;
    expect(f).toEqual({
      type: 'found',
      peer: {
        networkId: 'b'.repeat(64),
        deviceName: 'Tablet B',
        deviceType: 'tablet',
        services: ['chat'],
        bleMac: B,
        medium: 'ble',
        address: B,
      },
    });
    // A late subscriber first gets every peer currently known.
    const replay = await firstValueFrom(a.discover());
    expect(replay).toMatchObject({ type: 'found', peer: { address: B } });
    // The found peer is dialable.
    const incoming = firstValueFrom(b.incoming$);
    const c = await a.dial(f.peer.address);
    await incoming;
    c.end({ code: 'normal' });
    const lost = firstValueFrom(a.discover().pipe(filter((e) => e.type === 'lost')));
    world.radio.loseAdvertisements(B);
    expect(await lost).toMatchObject({ type: 'lost', reason: 'expired', peer: { address: B } });
    sub.unsubscribe();
    // Only the colink service of this server name was reported.
    expect(events.every((e) => e.peer.address === B)).toBe(true);
  });

  it('loses a silent peer after the default 10 s lostAfterMs, in virtual time', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const clock = new VirtualClock();
    const a = await world.device('AA:00:00:00:00:01', { scheduler: clock });
    const b = await world.device(B);
    const events: DiscoveryEvent[] = [];
    const sub = a.discover().subscribe((e) => events.push(e));
    await advertise(b, 'silent');
    await expect.poll(() => events.map((e) => e.type)).toEqual(['found']);
    world.radio.loseAdvertisements(B);
    await new Promise((r) => setTimeout(r, 100)); // real time: the last advertisements in flight land
    await clock.advance(9_000);
    expect(events.map((e) => e.type)).toEqual(['found']);
    await clock.advance(4_000); // the sweep runs every lostAfterMs / 4: lost at the one after 10 s
    expect(events.map((e) => e.type)).toEqual(['found', 'lost']);
    expect(events[1]).toMatchObject({ reason: 'expired', peer: { address: B } });
    sub.unsubscribe();
  });

  it('reports a renamed device as updated, and unadvertise() as lost with reason goodbye', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device('AA:00:00:00:00:01');
    const b = await world.device(B);
    const sub = a.discover().subscribe();
    const found = firstValueFrom(a.discover().pipe(filter((e) => e.type === 'found')));
    await advertise(b, 'first');
    expect((await found).peer.deviceName).toBe('first');
    const updated = firstValueFrom(a.discover().pipe(filter((e) => e.type === 'updated')));
    await advertise(b, 'second');
    expect((await updated).peer.deviceName).toBe('second');
    const lost = firstValueFrom(a.discover().pipe(filter((e) => e.type === 'lost')));
    await b.unadvertise();
    expect(await lost).toMatchObject({
      type: 'lost',
      reason: 'goodbye',
      peer: { address: B, deviceName: 'second' },
    });
    // Still connectable after the goodbye.
    const incoming = firstValueFrom(b.incoming$);
    await a.dial(B);
    await incoming;
    // Stopping the scanner's transport reports what it knew as lost (stopped).
    await advertise(b, 'third');
    await firstValueFrom(a.discover().pipe(filter((e) => e.type === 'found')));
    const stopped = firstValueFrom(a.discover().pipe(filter((e) => e.type === 'lost')));
    await a.stop();
    expect(await stopped).toMatchObject({ reason: 'stopped' });
    sub.unsubscribe();
  });
});
