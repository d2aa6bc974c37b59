// The range fault from another process: a RadioBroker answers control hellos (what `colink-device radio-range`
// sends) by moving a device out of radio range and back.
import { isColinkError } from '@colink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BleTransport } from '../src/index.js';
import { RadioBroker, radioControl, VirtualRadio, virtualTransportOptions } from '../src/virtual/index.js';
import { advertise, closed, connectPair, World } from './helpers/world.js';

const A = 'C0:00:00:00:0A:01';
const B = 'C0:00:00:00:0B:02';

let world: World | undefined;
let broker: RadioBroker | undefined;
afterEach(async () => {
  await broker?.close();
  await world?.close();
});

describe('radio broker control: the range fault from outside', () => {
  it('range out drops the device links and refuses connections; range in lets it connect again', async () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });
    world = new World(radio);
    broker = await RadioBroker.listen(radio);
    const a = await world.device(A);
    const b = await world.device(B);
    await advertise(b, 'b');
    const [ca] = await connectPair(a, b, B);
    const lost = closed(ca);
    expect(await radioControl(broker.socketPath, { control: 'range', address: B, inRange: false })).toEqual({
      ok: true,
      linksDropped: 1,
    });
    expect(await lost).toMatchObject({ detail: { hciReason: 0x08 } });
    const refused = await a.dial(B, { timeoutMs: 3_000 }).catch((e: unknown) => e);
    expect(isColinkError(refused)).toBe(true);
    expect(await radioControl(broker.socketPath, { control: 'range', address: B, inRange: true })).toEqual({
      ok: true,
      linksDropped: 0,
    });
    const [again] = await connectPair(a, b, B);
    expect(again.remoteAddress.toUpperCase()).toBe(B);
  }, 60_000);

  it('answers bad commands with an error reply, and rejects ERR_UNREACHABLE when no broker listens', async () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' } });
    world = new World(radio);
    broker = await RadioBroker.listen(radio);
    expect(
      await radioControl(broker.socketPath, { control: 'range', address: 'nope', inRange: false }),
    ).toMatchObject({
      ok: false,
      error: expect.stringContaining('not a BLE address'),
    });
    const bad = { control: 'explode', address: A, inRange: true } as unknown as Parameters<
      typeof radioControl
    >[1];
    expect(await radioControl(broker.socketPath, bad)).toMatchObject({ ok: false });
    const e = await radioControl('/nonexistent/radio.sock', {
      control: 'range',
      address: A,
      inRange: true,
    }).catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_UNREACHABLE')).toBe(true);
  });

  it('a device whose radio went away still unadvertises and stops (bounded wait, no hang)', async () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' } });
    world = new World(radio);
    const b1 = await RadioBroker.listen(radio);
    const t = new BleTransport(virtualTransportOptions(b1.socketPath, A));
    await t.start();
    await advertise(t, 'a');
    await b1.close(); // the broker (another process, in real use) is gone: the controller answers nothing more
    const t0 = Date.now();
    await t.unadvertise();
    await t.stop();
    console.info(`unadvertise + stop without a radio: ${Date.now() - t0} ms`);
  }, 30_000);
});
