import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { gateConduit, PreAuthWork, type WorkClock } from '../src/admission.js';
import { closeReason } from '../src/errors.js';
import { MAX_PRE_AUTH_HELD_BYTES, PRE_AUTH_WORK_GAP_MS } from '../src/limits.js';
import { testConduit } from './helpers.js';

// The pre-authentication work queue that keeps a connection storm from crowding out trusted Links: a manual clock
// whose "work" costs the time each item says, breaks and check-phase callbacks run when the test says.
// (Over real sockets, with real time: transport-tcp/test/hostile-peers.test.ts.)

class ManualClock implements WorkClock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  private immediates: Array<{ fn: () => void; live: boolean }> = [];
  now(): number {
    return this.t;
  }
  later(fn: () => void, ms: number): () => void {
    const e = { at: this.t + ms, fn, live: true };
    this.timers.push(e);
    return () => {
      e.live = false;
    };
  }
  soon(fn: () => void): () => void {
    const e = { fn, live: true };
    this.immediates.push(e);
    return () => {
      e.live = false;
    };
  }
  /** Runs the immediates queued now (one check phase). */
  checkPhase(): void {
    for (const e of this.immediates.splice(0)) if (e.live) e.fn();
  }
  /** Moves time on by `ms`, firing due timers, each followed by the check phase it leads to. */
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((e) => e.live && e.at <= this.t);
      if (due.length === 0) return;
      this.timers = this.timers.filter((e) => !due.includes(e));
      for (const e of due) e.fn();
      this.checkPhase();
    }
  }
}

/**
 * The slice these tests give the queue, ms: their item costs are chosen for 1 ms (the default, `PRE_AUTH_WORK_SLICE_MS`,
 * is 0.25 ms; the mechanism is the same).
 */
const SLICE_MS = 1;

/** A work item that takes `ms` of (manual) time and logs its name. */
const item = (clock: ManualClock, log: string[], name: string, ms: number) => () => {
  clock.t += ms;
  log.push(name);
};

describe('PreAuthWork: pre-authentication work in slices', () => {
  it('runs work at once while there is no backlog', () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const log: string[] = [];
    work.admit('a', item(clock, log, 'a1', 0.2), () => log.push('refused'));
    work.step(item(clock, log, 's1', 0.2));
    expect(log).toEqual(['a1', 's1']);
    expect(work.stats()).toMatchObject({ queued: 0, slices: 0 });
  });

  it('past a slice of work, waits a break, then runs one slice; handshake steps go before new connections', () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const log: string[] = [];
    const refused: string[] = [];
    for (let i = 1; i <= 8; i++)
      work.admit('src', item(clock, log, `a${i}`, 0.25), () => refused.push(`a${i}`));
    // 0.25 ms each: a1..a4 use up the 1 ms slice, the rest wait.
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4']);
    work.step(item(clock, log, 's1', 0.25));
    expect(work.stats().queued).toBe(4);
    clock.advance(PRE_AUTH_WORK_GAP_MS / 2);
    expect(log).toHaveLength(4); // still in the break
    clock.advance(PRE_AUTH_WORK_GAP_MS / 2);
    // After the break one slice: the step first, then new connections until 1 ms is used.
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4', 's1', 'a5', 'a6', 'a7']);
    clock.advance(PRE_AUTH_WORK_GAP_MS);
    expect(log.slice(8)).toEqual(['a8']);
    expect(work.stats()).toMatchObject({ queued: 0, queuedHighWater: 4, queueRefused: 0, slices: 2 });
    expect(refused).toEqual([]);
    // The break over and nothing waiting, work runs at once again.
    clock.advance(PRE_AUTH_WORK_GAP_MS);
    work.admit('src', item(clock, log, 'a9', 0.1), () => refused.push('a9'));
    expect(log.at(-1)).toBe('a9');
  });

  it('caps the queue per source and in all, closing the oldest waiting connection of that source (or overall)', () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS, PRE_AUTH_WORK_GAP_MS, 4, 2);
    const log: string[] = [];
    const refused: string[] = [];
    work.admit('x', item(clock, log, 'x0', 2), () => refused.push('x0')); // uses up the slice
    for (const name of ['a1', 'a2', 'a3'])
      work.admit('a', item(clock, log, name, 0.1), () => refused.push(name));
    expect(refused).toEqual(['a1']); // a's third: its oldest goes
    for (const name of ['b1', 'b2', 'c1'])
      work.admit(name[0]!, item(clock, log, name, 0.1), () => refused.push(name));
    expect(refused).toEqual(['a1', 'a2']); // 5th in all: the oldest overall
    expect(work.stats()).toMatchObject({ queued: 4, queueRefused: 2 });
    clock.advance(PRE_AUTH_WORK_GAP_MS);
    expect(log).toEqual(['x0', 'a3', 'b1', 'b2', 'c1']);
  });

  it('a full queue takes from the source with the most waiting: a lone connection is never pushed out', () => {
    // Issue 16 ("admits queue drops oldest"): with oldest-first, a device that dialled in once during a storm lost
    // its waiting connection to the storm's newer ones. Now sources with more waiting lose theirs first; only when
    // every waiting connection is its source's only one does the oldest go, as before.
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS, PRE_AUTH_WORK_GAP_MS, 4, 8);
    const log: string[] = [];
    const refused: string[] = [];
    const admit = (source: string, name: string) =>
      work.admit(source, item(clock, log, name, 0.1), () => refused.push(name));
    work.admit('x', item(clock, log, 'x0', 2), () => refused.push('x0')); // uses up the slice
    admit('dev', 'dev'); // the oldest waiting
    for (let i = 1; i <= 20; i++) admit('a', `a${i}`); // one storm source
    expect(refused).toEqual(Array.from({ length: 17 }, (_, i) => `a${i + 1}`));
    // b1: a has the most (3) and loses its oldest; b2: b ties with a at 2 and replaces its own; c1: a again.
    for (const name of ['b1', 'b2', 'c1']) admit(name[0]!, name);
    expect(refused.slice(17)).toEqual(['a18', 'b1', 'a19']); // waiting: dev, a20, b2, c1
    admit('a', 'a21'); // a source with one waiting, tied with every other: replaces its own
    expect(refused.at(-1)).toBe('a20'); // waiting: dev, b2, c1, a21
    expect(work.stats()).toMatchObject({ queued: 4, queueRefused: 21 });
    clock.advance(PRE_AUTH_WORK_GAP_MS);
    expect(log).toEqual(['x0', 'dev', 'b2', 'c1', 'a21']);
    expect(refused).not.toContain('dev');
    // Every waiting connection its source's only one (a storm from as many hosts as the queue holds): the oldest
    // goes, so a device dialling in right after the storm's burst still gets its turn.
    clock.advance(PRE_AUTH_WORK_GAP_MS); // the break over: y0 runs at once and uses up the slice
    work.admit('y', item(clock, log, 'y0', 2), () => refused.push('y0'));
    for (const name of ['p', 'q', 'r', 's', 'dev2']) admit(name, name);
    expect(refused.at(-1)).toBe('p');
    clock.advance(PRE_AUTH_WORK_GAP_MS);
    expect(log.slice(-5)).toEqual(['y0', 'q', 'r', 's', 'dev2']);
  });

  it('stop() refuses what waits and drops queued steps', () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const log: string[] = [];
    work.admit('a', item(clock, log, 'a1', 2), () => log.push('refused a1'));
    work.admit('a', item(clock, log, 'a2', 0.1), () => log.push('refused a2'));
    work.step(item(clock, log, 's1', 0.1), () => log.push('dropped s1'));
    work.stop();
    expect(log).toEqual(['a1', 'dropped s1', 'refused a2']);
    clock.advance(10);
    expect(log).toHaveLength(3);
  });
});

describe('gateConduit: a stranger’s bytes through the work queue', () => {
  function fakeConduit() {
    const data = new Subject<Uint8Array>();
    let detached = false;
    const destroyed: string[] = [];
    const conduit = testConduit({
      maxFrameSize: 1024,
      data$: data.asObservable(),
      destroy: (r) => {
        destroyed.push(r.message ?? r.code);
      },
      detachSocket: () => {
        detached = true;
        return undefined;
      },
    });
    return { conduit, data, isDetached: () => detached, destroyed };
  }

  it('keeps the order of bytes while some wait; once ungated, what waits is delivered at once, then directly', () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const { conduit, data } = fakeConduit();
    const gated = gateConduit(conduit, work);
    const got: number[] = [];
    gated.conduit.data$.subscribe((c) => {
      got.push(c[0]!);
      clock.t += 0.5; // each chunk costs 0.5 ms of handling
    });
    for (const b of [1, 2, 3, 4]) data.next(new Uint8Array([b]));
    expect(got).toEqual([1, 2]); // the slice is used up
    clock.advance(PRE_AUTH_WORK_GAP_MS);
    expect(got).toEqual([1, 2, 3, 4]); // the next slice
    data.next(new Uint8Array([5]));
    data.next(new Uint8Array([6]));
    expect(got).toEqual([1, 2, 3, 4]); // that slice is used up too: 5 and 6 wait for the next
    // The peer is authenticated (its Link opened): what waits reaches the Link now, in order, not a slice later —
    // else the Link would see it after later events (a second Link to the same peer opening and merging).
    gated.ungate();
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    data.next(new Uint8Array([7])); // nothing waits: directly
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
    clock.advance(PRE_AUTH_WORK_GAP_MS); // the queued steps find nothing left to deliver
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(gated.conduit.write([])).toBe(true);
    gated.conduit.destroy(closeReason('normal'));
  });

  it('ungate() called while a held chunk is being handled delivers the rest after it, never nested', async () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const { conduit, data } = fakeConduit();
    const gated = gateConduit(conduit, work);
    const log: string[] = [];
    gated.conduit.data$.subscribe((c) => {
      log.push(`start ${c[0]}`);
      clock.t += 1.2; // each chunk uses up a slice
      if (c[0] === 2) gated.ungate(); // e.g. a security stage reporting the peer trusted while it reads chunk 2
      log.push(`end ${c[0]}`);
    });
    for (const b of [1, 2, 3, 4]) data.next(new Uint8Array([b]));
    expect(log).toEqual(['start 1', 'end 1']);
    clock.advance(PRE_AUTH_WORK_GAP_MS); // chunk 2's slice: it ungates while being handled
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    await Promise.resolve();
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4']);
  });

  /** A gate whose reader counts the bytes it gets, each chunk using a whole work slice up (the next one waits). */
  function sliceCountingGate() {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const { conduit, data, destroyed } = fakeConduit();
    const gated = gateConduit(conduit, work);
    let got = 0;
    gated.conduit.data$.subscribe((c) => {
      got += c.length;
      clock.t += SLICE_MS;
    });
    return { clock, data, destroyed, gated, got: () => got };
  }

  it('closes a stranger whose held-back bytes pass MAX_PRE_AUTH_HELD_BYTES, and drops what it held', () => {
    const { clock, data, destroyed, got } = sliceCountingGate();
    const chunk = new Uint8Array(16 * 1024);
    // one delivered, then a held-back 256 KiB, then one more
    for (let i = 0; i < MAX_PRE_AUTH_HELD_BYTES / chunk.length + 2; i++) data.next(chunk);
    expect(got()).toBe(chunk.length);
    expect(destroyed).toEqual([`more than ${MAX_PRE_AUTH_HELD_BYTES} bytes before authentication`]);
    data.next(chunk); // nothing more is taken
    clock.advance(100);
    expect(got()).toBe(chunk.length);
  });

  it('resets a stranger past MAX_PRE_AUTH_HELD_BYTES when its conduit can be reset (TCP RST, Conduit.reset)', () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const { conduit, data, destroyed } = fakeConduit();
    const reset: string[] = [];
    const gated = gateConduit({ ...conduit, reset: (r) => reset.push(r.code) }, work);
    gated.conduit.data$.subscribe(() => {
      clock.t += SLICE_MS;
    });
    const chunk = new Uint8Array(16 * 1024);
    for (let i = 0; i < MAX_PRE_AUTH_HELD_BYTES / chunk.length + 2; i++) data.next(chunk);
    expect(reset).toEqual(['refused']);
    expect(destroyed).toEqual([]);
  });

  it('an authenticated peer that keeps sending past MAX_PRE_AUTH_HELD_BYTES right after ungate() is not refused', async () => {
    // Regression (seen as `scale`'s "no link to the peer for 10000 ms"): a peer whose Link had opened with a chunk
    // still held sent a burst (2,500 session requests); the gate kept queueing it at the pre-authentication pace and
    // closed the open Link as `refused` once 256 KiB waited.
    const { data, destroyed, gated, got } = sliceCountingGate();
    const chunk = new Uint8Array(16 * 1024);
    data.next(chunk);
    data.next(chunk); // held
    gated.ungate(); // trusted: the Link opened
    const burst = MAX_PRE_AUTH_HELD_BYTES / chunk.length + 4;
    for (let i = 0; i < burst; i++) data.next(chunk); // in the same turn, before ungate's microtask
    await Promise.resolve();
    expect(destroyed).toEqual([]);
    expect(got()).toBe((burst + 2) * chunk.length);
    data.next(chunk);
    expect(got()).toBe((burst + 3) * chunk.length);
  });

  it('detachSocket() delivers the waiting bytes first, so the security stage finds them', () => {
    const clock = new ManualClock();
    const work = new PreAuthWork(clock, SLICE_MS);
    const { conduit, data, isDetached } = fakeConduit();
    const gated = gateConduit(conduit, work);
    const got: number[] = [];
    gated.conduit.data$.subscribe((c) => {
      got.push(c[0]!);
      clock.t += 1;
    });
    for (const b of [1, 2, 3]) data.next(new Uint8Array([b]));
    expect(got).toEqual([1]);
    gated.conduit.detachSocket?.();
    expect(got).toEqual([1, 2, 3]);
    expect(isDetached()).toBe(true);
    clock.advance(10); // the queued steps find nothing left
    expect(got).toEqual([1, 2, 3]);
  });
});
