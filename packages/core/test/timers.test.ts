import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { clockNow, runAfter, runEvery } from '../src/timers.js';

describe('runAfter / runEvery on an injected clock', () => {
  it('runAfter fires once at its time on a VirtualClock, and not once cancelled', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    runAfter(2 * 60_000, () => fired.push(clock.now()), { scheduler: clock });
    const cancel = runAfter(1_000, () => fired.push(-1), { scheduler: clock });
    cancel();
    cancel(); // idempotent
    await clock.advance(2 * 60_000 - 1);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([2 * 60_000]);
    await clock.advance(10 * 60_000);
    expect(fired).toEqual([2 * 60_000]);
  });

  it('runEvery fires every period on a VirtualClock until cancelled', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const cancel = runEvery(500, () => fired.push(clock.now()), { scheduler: clock });
    await clock.advance(1_600);
    expect(fired).toEqual([500, 1_000, 1_500]);
    cancel();
    await clock.advance(5_000);
    expect(fired).toEqual([500, 1_000, 1_500]);
  });

  it('real time (no scheduler, or asyncScheduler): Node timers; unref lets the process exit while pending', async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      runAfter(20, () => order.push('no scheduler'));
      runAfter(
        30,
        () => {
          order.push('asyncScheduler');
          resolve();
        },
        { scheduler: asyncScheduler },
      );
      runAfter(5, () => order.push('cancelled'))();
    });
    expect(order).toEqual(['no scheduler', 'asyncScheduler']);

    let ticks = 0;
    await new Promise<void>((resolve) => {
      const cancel = runEvery(5, () => {
        if (++ticks === 3) {
          cancel();
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(ticks).toBe(3);

    // unref: the pending timer does not hold the event loop (it is not among the active handles that keep Node up).
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const cancelHeld = runAfter(60_000, () => undefined);
    const cancelUnref = runAfter(60_000, () => undefined, { unref: true });
    const held = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(held).toBe(before + 1);
    cancelHeld();
    cancelUnref();
  });

  it('clockNow: the scheduler time on a VirtualClock, performance.now() in real time', async () => {
    const clock = new VirtualClock();
    expect(clockNow(clock)).toBe(0);
    await clock.advance(90_000);
    expect(clockNow(clock)).toBe(90_000);
    for (const s of [undefined, asyncScheduler]) {
      const before = performance.now();
      const now = clockNow(s);
      expect(now).toBeGreaterThanOrEqual(before);
      expect(now).toBeLessThanOrEqual(performance.now());
    }
  });
});
