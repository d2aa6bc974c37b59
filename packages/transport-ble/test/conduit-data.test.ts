import { afterEach, describe, expect, it } from 'vitest';
import { VirtualRadio } from '../src/virtual/index.js';
import { advertise, collect, connectPair, pattern, World, writeAll } from './helpers/world.js';

const instant = () => new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });

/** Sends `up` one way and `down` the other at once, checking both byte-exact. */
async function exchange(
  ca: import('@colink/core').Conduit,
  cb: import('@colink/core').Conduit,
  up: Buffer,
  down: Buffer,
) {
  const gotB = collect(cb, up.length);
  const gotA = collect(ca, down.length);
  await Promise.all([writeAll(ca, up), writeAll(cb, down)]);
  expect((await gotB).equals(up)).toBe(true);
  expect((await gotA).equals(down)).toBe(true);
}

describe('conduit data over real noble + bleno on the virtual radio', () => {
  let world: World;
  afterEach(async () => world.close());

  it('carries messages from 0 B to 64 KiB byte-exact both ways (MTU 517)', async () => {
    world = new World(instant());
    const a = await world.device('AA:00:00:00:00:01');
    const b = await world.device('BB:00:00:00:00:02');
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    expect(ca.remoteAddress).toBe('BB:00:00:00:00:02');
    expect(cb.remoteAddress).toBe('AA:00:00:00:00:01');
    expect(ca.localAddress).toBe('AA:00:00:00:00:01');
    expect(cb.localAddress).toBe('BB:00:00:00:00:02');
    expect(ca.medium).toBe('ble');
    // min(517 - 3, 512) minus the 3-byte PDU header
    expect(ca.maxFrameSize).toBe(509);
    expect(cb.maxFrameSize).toBe(509);
    for (const size of [0, 1, 20, 511, 512, 4096, 65_536])
      await exchange(ca, cb, pattern(size, size + 1), pattern(size, size + 2));
  });

  it('pause() holds PDUs back unacknowledged: the writer stops at the window and waits; resume() delivers byte-exact', async () => {
    world = new World(instant());
    const a = await world.device('AA:00:00:00:00:01');
    const b = await world.device('BB:00:00:00:00:02');
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    const bytes = pattern(256 * 1024, 9);
    let received = 0;
    cb.data$.subscribe((d) => {
      received += d.length;
    });
    cb.pause!();
    let written = false;
    const writing = writeAll(ca, bytes).then(() => {
      written = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    // Nothing reached the reader, and the writer is stuck behind the PDUs the paused side did not acknowledge.
    expect(received).toBe(0);
    expect(written).toBe(false);
    const got = collect(cb, bytes.length);
    cb.resume!();
    await writing;
    expect((await got).equals(bytes)).toBe(true);
  });

  it('carries 1 MiB byte-exact both ways at once', async () => {
    world = new World(instant());
    const a = await world.device('AA:00:00:00:00:01');
    const b = await world.device('BB:00:00:00:00:02');
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    await exchange(ca, cb, pattern(1 << 20, 7), pattern(1 << 20, 8));
  });

  it.each([
    { mtu: 23, maxMtu: 517, frame: 17 },
    { mtu: 517, maxMtu: 256, frame: 250 },
    { mtu: 256, maxMtu: 517, frame: 250 },
    { mtu: 517, maxMtu: 517, frame: 509 },
  ])('negotiates ATT MTU min($mtu, $maxMtu) and chunks to it', async ({ mtu, maxMtu, frame }) => {
    world = new World(instant());
    const a = await world.device('AA:00:00:00:00:01', { mtu });
    const b = await world.device('BB:00:00:00:00:02', { maxMtu });
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    expect(ca.maxFrameSize).toBe(frame);
    expect(cb.maxFrameSize).toBe(frame);
    await exchange(ca, cb, pattern(20_000, 3), pattern(20_000, 4));
  });

  it('serves several centrals at once on one peripheral, each stream separate', async () => {
    world = new World(instant());
    const hub = await world.device('CC:00:00:00:00:00');
    await advertise(hub, 'hub');
    const spokes = await Promise.all([1, 2, 3].map((i) => world.device(`CC:00:00:00:00:0${i}`)));
    const pairs = [];
    for (const s of spokes) pairs.push(await connectPair(s, hub, 'CC:00:00:00:00:00'));
    expect(new Set(pairs.map(([, h]) => h.remoteAddress))).toEqual(
      new Set(['CC:00:00:00:00:01', 'CC:00:00:00:00:02', 'CC:00:00:00:00:03']),
    );
    await Promise.all(
      pairs.map(([s, h], i) => exchange(s, h, pattern(30_000, 10 + i), pattern(30_000, 20 + i))),
    );
  });

  it('runs a legacy link: LE 1M, 27-octet PDUs, ATT MTU 23 (real-time link model)', async () => {
    const radio = new VirtualRadio({
      model: { pacing: 'realtime', phy: '1M', maxDataLength: 27, intervalMs: 7.5 },
      advertisingIntervalMs: 20,
    });
    world = new World(radio);
    const a = await world.device('AA:00:00:00:00:01', { mtu: 23 });
    const b = await world.device('BB:00:00:00:00:02');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    expect(ca.maxFrameSize).toBe(17);
    await exchange(ca, cb, pattern(3_000, 5), pattern(3_000, 6));
    expect(radio.links()[0]).toMatchObject({ dataLength: 27, phy: '1M', intervalMs: 7.5 });
  });

  it('paces data through connection events with DLE on the 2M PHY (real-time link model)', async () => {
    const radio = new VirtualRadio({
      model: { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: 7.5 },
      advertisingIntervalMs: 20,
    });
    world = new World(radio);
    const a = await world.device('AA:00:00:00:00:01', { mtu: 247 });
    const b = await world.device('BB:00:00:00:00:02');
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    await exchange(ca, cb, pattern(40_000, 5), pattern(40_000, 6));
    const [link] = radio.links();
    expect(link).toMatchObject({
      central: 'AA:00:00:00:00:01',
      peripheral: 'BB:00:00:00:00:02',
      dataLength: 251,
      intervalMs: 7.5,
      phy: '2M',
    });
    expect(link!.bytesCentralToPeripheral).toBeGreaterThan(40_000);
    expect(link!.bytesPeripheralToCentral).toBeGreaterThan(40_000);
  });
});
