import { describe, expect, it } from 'vitest';
import type { CloseReason } from '../src/errors.js';
import { closeReason } from '../src/errors.js';
import { CONDUIT_CLOSE_TIMEOUT_MS } from '../src/limits.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';

// Review of the memory pipe's close delivery to a paused end (CONDUIT_CLOSE_TIMEOUT_MS after the other end ended).

describe('memory pipe: an end, then a pause that starts after the close timeout', () => {
  it('a receiver that pauses only after CONDUIT_CLOSE_TIMEOUT_MS (its bytes still arriving) still gets the end', async () => {
    // Slow medium: 6 KB at 1 KB/s arrive over 6 s. The other end ends at once; the receiver pauses at 3 s (a Link's
    // receive budget filling as the bytes come in). The timer found it not paused at 2 s and did nothing, so the
    // pause held the rest and the close forever — unlike a socket, whose peer destroys it after the close timeout.
    const clock = new VirtualClock();
    const [a, b] = createConduitPair({ scheduler: clock, model: { bandwidthBytesPerSec: 1_000 } });
    let got = 0;
    b.data$.subscribe((c) => (got += c.length));
    let bClosed: CloseReason | undefined;
    b.closed$.subscribe((r) => (bClosed = r));
    for (let i = 0; i < 6; i++) a.write([new Uint8Array(1_000)]);
    a.end(closeReason('normal', 'bye'));
    await clock.advance(CONDUIT_CLOSE_TIMEOUT_MS + 1_000);
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(6_000);
    b.pause!();
    await clock.advance(20_000);
    expect(bClosed).toMatchObject({ code: 'normal', message: 'bye', remote: true });
    expect(got).toBe(6_000);
  });
});
