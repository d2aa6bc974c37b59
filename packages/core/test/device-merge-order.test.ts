import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkClock } from '../src/admission.js';
import type { Channel } from '../src/channel.js';
import type { LocalDevice } from '../src/device.js';
import { lowHighDevices } from './helpers.js';

// A device whose pre-authentication work is backlogged (a loaded machine, a connection storm) handles an inbound
// peer's handshake in slices. A Link the peer opens a channel on as soon as its own end is open must still see that
// channel before anything that happens later — here a second Link between the two devices opening and merging, whose
// drain closes the replaced Link once it carries no channel. (test/device-depth.test.ts "drains the replaced Link"
// failed now and then when the machine was slow: the channel's OPEN waited a slice behind the merge.)

const running: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((d) => d.stop()));
});

/**
 * A work clock that moves 0.2 ms each time it is read, so that every piece of pre-authentication work seems to take
 * 0.4 ms (each slice of 0.25 ms, `PRE_AUTH_WORK_SLICE_MS`, holds one), and whose breaks between slices last 30 ms
 * more than asked: a device this slow at strangers' work.
 */
function slowWorkClock(): WorkClock {
  let t = 0;
  return {
    now: () => (t += 0.2),
    later: (fn, ms) => {
      const h = setTimeout(fn, ms + 30);
      return () => clearTimeout(h);
    },
    soon: (fn) => {
      const h = setImmediate(fn);
      return () => clearImmediate(h);
    },
  };
}

describe('duplicate Links on a device whose pre-authentication work is backlogged', () => {
  it('a channel opened on the replaced Link before the merge is drained, not reset', async () => {
    const { low, high, tLo, tHi } = await lowHighDevices(running, ({ high }) => {
      // (internal: the device's work queue runs on this clock; everything else in real time)
      (high as unknown as { admission: { work: { clock: WorkClock } } }).admission.work.clock =
        slowWorkClock();
    });
    // high's end of the first Link (dialled by low): it opens only after a slice
    const highFirst = firstValueFrom(high.linkOpened$.pipe(filter((l) => l.role === 'responder')));
    const got: number[] = [];
    let rx: Channel | undefined;
    high.handle('stream', (ch) => {
      rx = ch;
      ch.messages$.subscribe((m) => got.push(m[0]!));
    });
    const first = await low.connectAddress('memory', tHi.address); // open at low; high's end waits for a slice
    const ch = first.openChannel({ proto: 'stream' });
    await ch.send(Uint8Array.of(1));
    const second = await high.connectAddress('memory', tLo.address); // dialled by high: the keeper, open at once
    await highFirst; // after the keeper: the merge that drains it runs now
    await new Promise((r) => setTimeout(r, 100)); // (before the fix the OPEN reached it a slice, 30 ms, later)
    expect(first.state).toBe('open');
    expect(ch.state).toBe('open');
    await ch.send(Uint8Array.of(2));
    await expect.poll(() => got).toEqual([1, 2]);
    await ch.close();
    expect(rx?.state).toBe('closed');
    expect(await first.closed).toMatchObject({ code: 'replaced' });
    expect(second.state).toBe('open');
  });
});
