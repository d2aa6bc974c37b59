import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { CloseReason } from '../src/errors.js';
import { closeReason } from '../src/errors.js';
import { CONDUIT_CLOSE_TIMEOUT_MS } from '../src/limits.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { collectIncoming, virtualLinkPair } from './helpers.js';

// The memory pipe and a paused end (Conduit.pause, what a Link's full receive budget does): the peer's end used to
// wait behind the pause for as long as the paused side's app did not read — a paused Link never learnt that its peer
// had sent GOAWAY and gone. Now, CONDUIT_CLOSE_TIMEOUT_MS after the peer's end (the time a socket conduit's peer waits
// before destroying the connection), what it sent arrives anyway and the pipe closes behind it.

describe('memory pipe: an end while the other end is paused', () => {
  it('is held for CONDUIT_CLOSE_TIMEOUT_MS, then delivered with every byte before it, and the pipe closes', async () => {
    const clock = new VirtualClock();
    const [a, b] = createConduitPair({ scheduler: clock });
    const got: number[] = [];
    b.data$.subscribe((c) => got.push(...c));
    let bClosed: CloseReason | undefined;
    b.closed$.subscribe((r) => (bClosed = r));
    b.pause!();
    a.write([Uint8Array.of(1, 2)]);
    a.write([Uint8Array.of(3)]);
    a.end(closeReason('normal', 'bye'));
    await clock.advance(CONDUIT_CLOSE_TIMEOUT_MS - 1);
    expect(got).toEqual([]);
    expect(bClosed).toBeUndefined();
    await clock.advance(1);
    expect(got).toEqual([1, 2, 3]);
    expect(bClosed).toMatchObject({ code: 'normal', message: 'bye', remote: true });
  });

  it('a resume before the timeout delivers as before; an end with nothing paused closes at once', async () => {
    const clock = new VirtualClock();
    const [a, b] = createConduitPair({ scheduler: clock });
    const got: number[] = [];
    b.data$.subscribe((c) => got.push(...c));
    b.pause!();
    a.write([Uint8Array.of(9)]);
    a.end(closeReason('normal'));
    await clock.advance(10);
    const closed = firstValueFrom(b.closed$);
    b.resume!();
    await clock.advance(0);
    expect(got).toEqual([9]);
    expect((await closed).code).toBe('normal');
    // Nothing paused: the end arrives at once (no timer left behind).
    const [c, d] = createConduitPair({ scheduler: clock });
    const dClosed = firstValueFrom(d.closed$);
    c.end(closeReason('normal'));
    await clock.advance(0);
    expect((await dClosed).code).toBe('normal');
    expect(clock.actions.length).toBe(0);
  });

  it('a Link paused by its receive budget learns of its peer’s GOAWAY (virtual time)', async () => {
    const clock = new VirtualClock();
    const [a, b] = await virtualLinkPair(clock, { receiveBudget: 128 * 1024, keepAliveIntervalMs: 0 });
    collectIncoming(b); // b's app takes the channel and never reads it
    const ch = a.openChannel({ proto: 'unread' });
    for (let i = 0; i < 8; i++) void ch.send(new Uint8Array(32 * 1024)).catch(() => undefined);
    await clock.advance(10);
    expect(b.stats().receivePauses).toBe(1);
    const bClosed = b.closed;
    // a goes away: its flush gives up after 100 ms (b grants no credit), then GOAWAY and the end.
    void a.close(closeReason('going-away', 'shutting down'), 100);
    await clock.advance(200);
    expect(a.state).toBe('closed');
    expect(b.state).toBe('open'); // still paused: the GOAWAY waits behind the unread data
    await clock.advance(CONDUIT_CLOSE_TIMEOUT_MS);
    expect(await bClosed).toMatchObject({ code: 'going-away', message: 'shutting down', remote: true });
  });
});
