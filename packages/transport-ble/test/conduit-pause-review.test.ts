import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualRadio } from '../src/virtual/index.js';
import { advertise, connectPair, pattern, World, writeAll } from './helpers/world.js';

// Review of BleConduit.pause/resume as the Link uses them: pause() from inside a data$ delivery (the Link pauses
// while it decodes a chunk), resume() that hands held PDUs over synchronously, and a close while paused.

const instant = () => new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });

describe('BleConduit pause/resume over real noble + bleno on the virtual radio (review)', () => {
  let world: World;
  afterEach(async () => world.close());

  it('pausing inside a delivery and resuming a turn later, over and over, delivers every byte once, in order', async () => {
    world = new World(instant());
    const a = await world.device('AA:00:00:00:00:01');
    const b = await world.device('BB:00:00:00:00:02');
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    const bytes = pattern(192 * 1024, 5);
    const parts: Uint8Array[] = [];
    let got = 0;
    let pauses = 0;
    let whole: () => void;
    const done = new Promise<void>((r) => (whole = r));
    cb.data$.subscribe((d) => {
      parts.push(d);
      got += d.length;
      if (got >= bytes.length) whole();
      // Every third PDU the reader pauses mid-delivery (as the Link does when its budget fills) and resumes in a
      // later turn; resume() hands the held PDUs over synchronously, during which this handler pauses again.
      if (parts.length % 3 === 0) {
        cb.pause!();
        pauses++;
        setImmediate(() => cb.resume!());
      }
    });
    await writeAll(ca, bytes);
    await done;
    expect(pauses).toBeGreaterThan(10);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  });

  it('the writer ends while the reader is paused: every byte still reaches the reader before the close', async () => {
    world = new World(instant());
    const a = await world.device('AA:00:00:00:00:01');
    const b = await world.device('BB:00:00:00:00:02');
    await advertise(b, 'bee');
    const [ca, cb] = await connectPair(a, b, 'BB:00:00:00:00:02');
    const bytes = pattern(8 * 1024, 7);
    const parts: Uint8Array[] = [];
    let atClose = -1;
    cb.data$.subscribe((d) => parts.push(d));
    const closedB = firstValueFrom(cb.closed$).then((r) => {
      atClose = parts.reduce((n, p) => n + p.length, 0);
      return r;
    });
    cb.pause!();
    await writeAll(ca, bytes);
    ca.end({ code: 'normal' });
    // The writer's end waits for the paused side's acknowledgements, at most END_FLUSH_TIMEOUT_MS (5 s).
    const reason = await closedB;
    expect(reason.code).toBe('normal');
    expect(atClose).toBe(bytes.length);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  }, 30_000);
});
