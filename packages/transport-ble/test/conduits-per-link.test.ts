import { closeReason } from '@colink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualRadio } from '../src/virtual/index.js';
import { closed, collect, connectPair, pattern, World, writeAll } from './helpers/world.js';

const A = 'AA:00:00:00:00:01';
const B = 'BB:00:00:00:00:02';

describe('several conduits on one BLE link', () => {
  let world: World;
  afterEach(async () => world.close());

  it('share one LE connection; ending one sends CLOSE, the last one disconnects the link', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A);
    const b = await world.device(B);
    const [c1, d1] = await connectPair(a, b, B);
    const [c2, d2] = await connectPair(a, b, B);
    expect(world.radio.links()).toHaveLength(1);
    await Promise.all([
      writeAll(c1, pattern(50_000, 1)).then(() => collect(d1, 50_000)),
      writeAll(d2, pattern(50_000, 2)).then(() => collect(c2, 50_000)),
    ]).then(([x, y]) => {
      expect(x.equals(pattern(50_000, 1))).toBe(true);
      expect(y.equals(pattern(50_000, 2))).toBe(true);
    });
    c1.end(closeReason('going-away'));
    expect(await closed(d1)).toEqual({
      code: 'going-away',
      message: 'peer closed the conduit',
      remote: true,
    });
    expect(await closed(c1)).toEqual({ code: 'going-away' });
    expect(world.radio.links()).toHaveLength(1);
    // The survivor still works both ways.
    const got = collect(c2, 10);
    d2.write([pattern(10, 9)]);
    expect((await got).equals(pattern(10, 9))).toBe(true);
    d2.end(closeReason('normal'));
    expect(await closed(c2)).toMatchObject({ code: 'normal', remote: true, detail: { hciReason: 0x13 } });
    expect(world.radio.links()).toHaveLength(0);
  });

  it('refuses to buffer past the hard limit when the caller ignores write() === false', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A);
    const b = await world.device(B);
    const [c] = await connectPair(a, b, B);
    const mib = Buffer.alloc(1 << 20);
    expect(() => {
      for (let i = 0; i < 17; i++) c.write([mib]);
    }).toThrow(expect.objectContaining({ code: 'ERR_SEND_BUFFER_FULL' }));
  });

  it('link loss closes every conduit on the link', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A);
    const b = await world.device(B);
    const pairs = [await connectPair(a, b, B), await connectPair(a, b, B), await connectPair(a, b, B)];
    world.radio.dropLink(A);
    for (const [c, d] of pairs) {
      expect((await closed(c)).code).toBe('timeout');
      expect((await closed(d)).code).toBe('timeout');
    }
  });

  it('keeps bytes that arrive before anyone reads data$, and acknowledges them only once read', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A, { windowPdus: 4 });
    const b = await world.device(B, { windowPdus: 4 });
    const [c, d] = await connectPair(a, b, B);
    const big = pattern(20_000, 4);
    // d's window is 4 PDUs: with nobody reading, the writer stalls instead of flooding.
    const writing = writeAll(c, big, 1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(world.radio.links()[0]!.bytesCentralToPeripheral).toBeLessThan(6 * 512);
    const got = collect(d, big.length);
    await writing;
    expect((await got).equals(big)).toBe(true);
  });
});
