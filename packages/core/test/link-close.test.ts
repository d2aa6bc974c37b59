import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { closeReason } from '../src/errors.js';
import { Link } from '../src/link.js';
import { createConduitPair, type LinkModel } from '../src/memory/conduit-pair.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { advert } from './helpers.js';

// Link.close() waits for its flush only while there is something to flush: a Link whose channels have nothing left
// to send closes at once, also when the peer's GOAWAY crosses its own. Virtual time: a wait for the 5 s flush limit
// shows as virtual time passing, not as a slow test.

async function pair(model: LinkModel = {}) {
  const clock = new VirtualClock();
  const [ca, cb] = createConduitPair({ scheduler: clock, model });
  const a = new Link(ca, { role: 'initiator', local: advert('a'), scheduler: clock });
  const b = new Link(cb, { role: 'responder', local: advert('b'), scheduler: clock });
  await clock.advance(10);
  await Promise.all([a.opened, b.opened]);
  return { clock, a, b };
}

/** Whether `p` settled; updated as it does. */
function watch(p: Promise<unknown>): { settled: boolean } {
  const w = { settled: false };
  void p.then(() => (w.settled = true));
  return w;
}

describe('Link.close() does not wait out the flush limit with nothing to flush', () => {
  it('both ends closing right after a channel RESET close at once (used to take the full 5 s on one side)', async () => {
    const { clock, a, b } = await pair();
    const far = firstValueFrom(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'r' });
    await ch.send(Uint8Array.of(1));
    await clock.advance(10);
    (await far).messages$.subscribe(() => undefined);
    ch.reset(closeReason('normal', 'done with it')); // the RESET is still queued when both close
    const closing = [watch(a.close()), watch(b.close())];
    await clock.advance(50);
    expect(closing.map((c) => c.settled)).toEqual([true, true]);
    expect(await a.closed).toMatchObject({ code: 'normal' });
    expect(await b.closed).toMatchObject({ code: 'normal' });
  });

  it('one end closing alone after a RESET closes at once; the peer sees its GOAWAY', async () => {
    const { clock, a, b } = await pair();
    const ch = a.openChannel({ proto: 'r' });
    b.incomingChannels$.subscribe((c) => c.reset(closeReason('refused', 'no')));
    await clock.advance(10);
    expect(ch.state).toBe('closed');
    const other = a.openChannel({ proto: 'r2' });
    other.reset();
    const closing = watch(a.close());
    await clock.advance(50);
    expect(closing.settled).toBe(true);
    await clock.advance(10);
    expect(b.state).toBe('closed');
    expect(await b.closed).toMatchObject({ code: 'normal', remote: true });
  });

  it("a close still flushing when the peer's GOAWAY arrives resolves then, not at its flush limit", async () => {
    const { clock, a, b } = await pair({ bandwidthBytesPerSec: 100 * 1024 });
    b.incomingChannels$.subscribe((c) => c.messages$.subscribe(() => undefined));
    const ch = a.openChannel({ proto: 'q' });
    // 1 MiB over a 100 KiB/s medium: a's close has ~10 s of flushing ahead of it (it allows itself 60 s).
    const sends = Array.from({ length: 16 }, () =>
      ch.send(new Uint8Array(64 * 1024)).then(
        () => 'sent',
        (e: { code?: string }) => e.code,
      ),
    );
    await clock.advance(100);
    const closingA = watch(a.close(closeReason('normal'), 60_000));
    await clock.advance(100);
    expect(closingA.settled).toBe(false);
    const closingB = watch(b.close(closeReason('going-away', 'peer leaves')));
    await clock.advance(100);
    expect([closingA.settled, closingB.settled]).toEqual([true, true]);
    expect(await a.closed).toMatchObject({ code: 'going-away', remote: true });
    // What a could not hand over rejected with a typed error: nothing is left pending.
    const outcomes = await Promise.all(sends);
    expect(outcomes).toContain('ERR_CLOSED');
    expect(outcomes.every((o) => o === 'sent' || o === 'ERR_CLOSED')).toBe(true);
  });
});
