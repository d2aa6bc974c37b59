import { afterEach, describe, expect, it } from 'vitest';
import { BleTransport } from '../src/index.js';
import { VirtualRadio, virtualTransportOptions } from '../src/virtual/index.js';
import { collect, connectPair, pattern, World } from './helpers/world.js';

const X = 'AA:00:00:00:00:0A';

describe('both roles on one adapter (noble and bleno on one controller)', () => {
  let world: World;
  afterEach(async () => world.close());

  async function setup(sharedAdapter: boolean) {
    const lines: string[] = [];
    const radio = new VirtualRadio({
      model: { pacing: 'instant' },
      advertisingIntervalMs: 20,
      trace: (l) => lines.push(l),
    });
    world = new World(radio);
    const x = new BleTransport({
      ...virtualTransportOptions(radio, X, { sharedAdapter: true }),
      sharedAdapter,
      dialTimeoutMs: 1_500,
    });
    world.transports.push(x);
    await x.start();
    const y = await world.device('BB:00:00:00:00:0B');
    const z = await world.device('CC:00:00:00:00:0C');
    const resets = () => lines.filter((l) => l.startsWith(`${X} host> 01030c00`)).length;
    const before = resets();
    // X dials Y: noble resets the shared controller first (it holds no connection yet), which stops advertising.
    const [xy, yx] = await connectPair(x, y, 'BB:00:00:00:00:0B');
    expect(resets()).toBeGreaterThan(before);
    return { x, z, xy, yx };
  }

  it('with sharedAdapter the transport re-advertises after noble’s HCI_Reset, so X stays reachable', async () => {
    const { x, z, xy, yx } = await setup(true);
    const [zx, xz] = await connectPair(z, x, X);
    const got = collect(xz, 1000);
    zx.write([pattern(1000)]);
    expect((await got).equals(pattern(1000))).toBe(true);
    const got2 = collect(yx, 1000);
    xy.write([pattern(1000, 2)]);
    expect((await got2).equals(pattern(1000, 2))).toBe(true);
  });

  it('without it X silently stops being connectable (why two adapters or sharedAdapter are needed)', async () => {
    const { z } = await setup(false);
    await expect(z.dial(X, { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
  });
});
