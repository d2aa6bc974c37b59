import { closeReason, isColinkError } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { END_FLUSH_TIMEOUT_MS, STOP_WAIT_MS } from '../src/constants.js';
import { VirtualRadio } from '../src/virtual/index.js';
import { advertise, closed, collect, connectPair, pattern, World, writeAll } from './helpers/world.js';

const A = 'AA:00:00:00:00:01';
const B = 'BB:00:00:00:00:02';

describe('disconnects, link loss and failed connects', () => {
  let world: World;
  afterEach(async () => world.close());

  async function pair(
    radio = new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }),
    clock?: VirtualClock,
  ) {
    world = new World(radio);
    const a = await world.device(A, clock ? { scheduler: clock } : {});
    const b = await world.device(B);
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, B);
    return { a, b, ca, cb };
  }

  it('central end(): flushes, then the central sees 0x16 (normal) and the peripheral 0x13 (normal, remote)', async () => {
    const { ca, cb } = await pair();
    const data = pattern(100_000, 1);
    const got = collect(cb, data.length);
    await writeAll(ca, data);
    ca.end(closeReason('normal', 'done'));
    expect((await got).equals(data)).toBe(true);
    expect(await closed(ca)).toMatchObject({ code: 'normal', message: 'done' });
    expect(await closed(cb)).toEqual({
      code: 'normal',
      message: 'peer disconnected',
      remote: true,
      detail: { hciReason: 0x13 },
    });
  });

  /** Resolves with `c`'s close reason, or 'open' if it stays open for `ms` of real time. */
  const closedWithin = (c: Parameters<typeof closed>[0], ms: number) =>
    Promise.race([closed(c), new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);

  // The peer acknowledges DATA once it is handed to a reader; with no reader on b's end, a's end() cannot flush.
  it('end() with unacknowledged data gives up after END_FLUSH_TIMEOUT_MS (5 s, virtual time) and disconnects', async () => {
    const clock = new VirtualClock();
    const { ca, cb } = await pair(undefined, clock);
    ca.write([pattern(1000, 7)]);
    await new Promise((r) => setTimeout(r, 200)); // the PDUs reach b (unacknowledged)
    ca.end(closeReason('normal', 'done'));
    await clock.advance(END_FLUSH_TIMEOUT_MS - 1);
    expect(await closedWithin(ca, 300)).toBe('open');
    await clock.advance(1);
    // Well before the 5 s a real-time timer would take.
    expect(await closedWithin(ca, 2_000)).toMatchObject({ code: 'normal', message: 'done' });
    expect(await closed(cb)).toMatchObject({ code: 'normal', remote: true, detail: { hciReason: 0x13 } });
  });

  it('stop() waits STOP_WAIT_MS (2 s, virtual time) for ends that cannot flush, then tears its conduits down', async () => {
    const clock = new VirtualClock();
    const { a, ca } = await pair(undefined, clock);
    ca.write([pattern(1000, 8)]);
    await new Promise((r) => setTimeout(r, 200));
    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    await clock.advance(STOP_WAIT_MS - 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false);
    await clock.advance(1);
    // Well before the 2 s a real-time wait would take.
    const waiting = new Promise((r) => setTimeout(() => r('waiting'), 1_000));
    expect(await Promise.race([stopping, waiting])).toBe(true);
    expect(await closedWithin(ca, 5_000)).toMatchObject({ code: 'going-away' });
  });

  it('peripheral end(): the central sees 0x13 (normal, remote)', async () => {
    const { ca, cb } = await pair();
    cb.end(closeReason('normal'));
    expect(await closed(ca)).toEqual({
      code: 'normal',
      message: 'peer disconnected',
      remote: true,
      detail: { hciReason: 0x13 },
    });
    expect(await closed(cb)).toMatchObject({ code: 'normal' });
  });

  it('destroy() closes at once with the given reason and refuses further writes', async () => {
    const { ca, cb } = await pair();
    ca.destroy(closeReason('protocol-error', 'bad'));
    expect(await closed(ca)).toEqual({ code: 'protocol-error', message: 'bad' });
    expect((await closed(cb)).detail).toEqual({ hciReason: 0x13 });
    expect(() => ca.write([Buffer.from('x')])).toThrow(/closed/);
  });

  it('link loss (supervision timeout 0x08) closes both ends with timeout, after the supervision timeout', async () => {
    const radio = new VirtualRadio({
      model: { pacing: 'realtime', intervalMs: 15 },
      advertisingIntervalMs: 20,
    });
    const { ca, cb } = await pair(radio);
    expect(radio.dropLink(A, B)).toBe(1);
    const t0 = performance.now();
    const expected = { code: 'timeout', message: 'BLE supervision timeout', detail: { hciReason: 0x08 } };
    expect(await closed(ca)).toEqual(expected);
    expect(await closed(cb)).toEqual(expected);
    // noble asks for a 420 ms supervision timeout in LE Create Connection
    expect(performance.now() - t0).toBeGreaterThan(300);
  });

  it('dials again after link loss', async () => {
    const { a, b, ca, cb } = await pair();
    world.radio.dropLink(A, B);
    await Promise.all([closed(ca), closed(cb)]);
    const [c2, d2] = await connectPair(a, b, B);
    const got = collect(c2, 2000);
    d2.write([pattern(2000, 3)]);
    expect((await got).equals(pattern(2000, 3))).toBe(true);
  });

  it('a controller reset ends its links: the peer sees a supervision timeout', async () => {
    const { ca, cb, b } = await pair();
    world.radio.resetController(B);
    expect((await closed(ca)).code).toBe('timeout');
    expect((await closed(cb)).code).toBe('timeout');
    expect(b.localAddress).toBe(B);
  });

  it('a refused connection rejects the dial with ERR_DIAL_FAILED; a later dial succeeds', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A);
    const b = await world.device(B);
    await advertise(b, 'bee');
    world.radio.refuseConnections(B);
    const err = await a.dial(B).catch((e) => e);
    expect(isColinkError(err, 'ERR_DIAL_FAILED')).toBe(true);
    expect(String(err.message)).toMatch(/0x3e/i);
    world.radio.refuseConnections(B, false);
    const [ca, cb] = await connectPair(a, b, B);
    await Promise.all([writeAll(ca, pattern(1000)), collect(cb, 1000)]);
  });

  it('accepts conduits while not announcing itself (connectable without advertise())', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A);
    const b = await world.device(B);
    const [ca, cb] = await connectPair(a, b, B);
    const got = collect(cb, 3);
    ca.write([Buffer.from('abc')]);
    expect((await got).toString()).toBe('abc');
    await b.unadvertise();
  });

  it('a dial to a silent address times out with ERR_TIMEOUT, cancels the pending connect, and the next dial works', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A);
    const b = await world.device(B);
    await advertise(b, 'bee');
    const err = await a.dial('DE:AD:00:00:00:00', { timeoutMs: 200 }).catch((e) => e);
    expect(isColinkError(err, 'ERR_TIMEOUT')).toBe(true);
    const [ca, cb] = await connectPair(a, b, B);
    const got = collect(ca, 10);
    cb.write([pattern(10)]);
    expect((await got).equals(pattern(10))).toBe(true);
  });

  it('an aborted dial rejects with ERR_ABORTED and the next dial works', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const a = await world.device(A);
    const b = await world.device(B);
    const ac = new AbortController();
    const dialing = a.dial('DE:AD:00:00:00:01', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await dialing.catch((e) => e);
    expect(isColinkError(err, 'ERR_ABORTED')).toBe(true);
    await connectPair(a, b, B);
    // Already aborted: rejects at once.
    await expect(a.dial(B, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('reconnects after a disconnect', async () => {
    const { a, b, ca } = await pair();
    ca.end(closeReason('normal'));
    await closed(ca);
    for (let i = 0; i < 2; i++) {
      const [c2, d2] = await connectPair(a, b, B);
      const got = collect(d2, 5000);
      await writeAll(c2, pattern(5000, i));
      expect((await got).equals(pattern(5000, i))).toBe(true);
      c2.end(closeReason('normal'));
      expect((await closed(d2)).remote).toBe(true);
    }
  });

  it('rejects bad addresses and dials before start with typed errors', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' } }));
    const a = await world.device(A);
    await expect(a.dial('not-a-mac')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const { BleTransport } = await import('../src/index.js');
    await expect(new BleTransport({ central: false, peripheral: false }).dial(B)).rejects.toMatchObject({
      code: 'ERR_NOT_STARTED',
    });
    expect(() => new BleTransport({ mtu: 600 })).toThrow(/mtu/);
  });
});
