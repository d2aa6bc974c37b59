import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../src/channel.js';
import type { Link } from '../src/link.js';
import type { MemoryConduit } from '../src/memory/conduit-pair.js';
import { next, until } from './helpers.js';
import { indexOf, numbered, peers } from './peer-helpers.js';

type Op =
  | { op: 'send'; toB: boolean; n: number; size: number }
  | { op: 'link'; medium: 'tcp' | 'ble'; latencyMs: number }
  | { op: 'cut'; which: number; side: boolean }
  | { op: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('send' as const),
    toB: fc.boolean(),
    n: fc.integer({ min: 1, max: 40 }),
    size: fc.integer({ min: 4, max: 6000 }),
  }),
  fc.record({
    op: fc.constant('link' as const),
    medium: fc.constantFrom('tcp' as const, 'ble' as const),
    // With latency, bytes are in flight (and lost) when a Link is cut.
    latencyMs: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ op: fc.constant('cut' as const), which: fc.nat(), side: fc.boolean() }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 5 }) }),
);

/** Receives numbered messages; fails on any gap, duplicate or reordering. */
function receiver(ch: Channel) {
  let expected = 0;
  let error: string | undefined;
  ch.messages$.subscribe((m) => {
    const i = indexOf(m);
    if (i !== expected) error ??= `got ${i}, expected ${expected}`;
    else expected++;
  });
  return { count: () => expected, error: () => error };
}

function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`stuck: ${what()}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

async function scenario(firstMedium: 'tcp' | 'ble', ops: Op[]): Promise<void> {
  const { pa, pb, link } = peers({ graceMs: 600_000 });
  const live: Array<{ a: Link; b: Link; ca: MemoryConduit; cb: MemoryConduit }> = [];
  const reasons: string[] = [];
  const add = async (medium: 'tcp' | 'ble', latencyMs = 0): Promise<void> => {
    const l = await link(medium, { latencyMs, ...(medium === 'ble' ? { mtu: 244 } : {}) });
    for (const x of [l.a, l.b])
      void x.closed.then((r) => reasons.push(`${x.id}:${r.code}:${r.message ?? ''}`));
    live.push(l);
  };
  await add(firstMedium, 1);
  const inB = next(pb.incomingChannels$);
  const inA = next(pa.incomingChannels$);
  const ab = pa.openChannel({ proto: 'ab' });
  const ba = pb.openChannel({ proto: 'ba' });
  const rb = receiver(await inB);
  const ra = receiver(await inA);
  const sent = { ab: 0, ba: 0 };
  let chainAB: Promise<void> = Promise.resolve();
  let chainBA: Promise<void> = Promise.resolve();
  for (const o of ops) {
    if (o.op === 'send') {
      const key = o.toB ? 'ab' : 'ba';
      const ch = o.toB ? ab : ba;
      const from = sent[key];
      sent[key] += o.n;
      const run = async (): Promise<void> => {
        for (let i = from; i < from + o.n; i++) await ch.send(numbered(i, o.size));
      };
      if (o.toB) chainAB = chainAB.then(run);
      else chainBA = chainBA.then(run);
    } else if (o.op === 'link') {
      await add(o.medium, o.latencyMs);
    } else if (o.op === 'cut') {
      const open = live.filter((l) => l.a.state === 'open');
      const l = open[o.which % Math.max(1, open.length)];
      if (l) (o.side ? l.ca : l.cb).sever();
    } else {
      await new Promise((r) => setTimeout(r, o.ms));
    }
  }
  // A Link that stays, so everything can arrive.
  await add('tcp');
  const state = (): string =>
    JSON.stringify({
      sent,
      got: { ab: rb.count(), ba: ra.count() },
      a: { leader: pa.leader, carrier: pa.carrier?.id, state: pa.state },
      b: { carrier: pb.carrier?.id, state: pb.state },
      reasons,
      links: live.map((l) => `${l.a.id}/${l.b.id}:${l.a.state}/${l.b.state}`),
      ab: {
        st: ab.state,
        buf: ab.bufferedAmount,
        unacked: ab.unacknowledgedBytes,
        ...(ab as any).debug?.(),
      },
      ba: {
        st: ba.state,
        buf: ba.bufferedAmount,
        unacked: ba.unacknowledgedBytes,
        ...(ba as any).debug?.(),
      },
    });
  await within(Promise.all([chainAB, chainBA]), 10_000, state);
  await until(() => rb.count() >= sent.ab && ra.count() >= sent.ba, 10_000, 2);
  expect(rb.count(), state()).toBe(sent.ab);
  expect(rb.error()).toBeUndefined();
  expect(ra.error()).toBeUndefined();
  expect(rb.count()).toBe(sent.ab);
  expect(ra.count(), state()).toBe(sent.ba);
  expect(ab.state).toBe('open');
  await within(Promise.all([pa.close(), pb.close()]), 10_000, state);
  for (const l of live) l.a.abort({ code: 'normal' });
}

describe('resumable channels (property)', () => {
  it('survive a cut of the standby, a new Link and a cut of the carrier while both sides send (found by fast-check)', async () => {
    for (let i = 0; i < 5; i++)
      await scenario('ble', [
        { op: 'cut', which: 0, side: false },
        { op: 'link', medium: 'tcp', latencyMs: 3 },
        { op: 'send', toB: false, n: 32, size: 3225 },
        { op: 'wait', ms: 1 },
        { op: 'send', toB: true, n: 37, size: 5239 },
        { op: 'send', toB: false, n: 6, size: 4905 },
        { op: 'cut', which: 1081437924, side: true },
        { op: 'link', medium: 'ble', latencyMs: 1 },
        { op: 'link', medium: 'tcp', latencyMs: 0 },
        { op: 'wait', ms: 2 },
        { op: 'send', toB: false, n: 25, size: 5615 },
      ]);
  }, 120_000);

  it('deliver every message exactly once and in order, both ways, for any interleaving of link losses, new links and sends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('tcp' as const, 'ble' as const),
        fc.array(opArb, { minLength: 1, maxLength: 24 }),
        scenario,
      ),
      { numRuns: 40, endOnFailure: true },
    );
  }, 240_000);
});
