import { describe, expect, it, vi } from 'vitest';

// The listener's fallback on a node without the accept hook (`src/seams.ts` `admitBeforeSocket` returning false): the
// allowance is checked once the net.Socket exists and a connection past it is reset at once — there is nothing to
// hold. Node 20 has the hook, so the fallback cannot run for real here: `admitBeforeSocket` is replaced by one that
// reports the mechanism missing, which is what it does on such a node (seams.test.ts checks the real one).
vi.mock('../src/seams.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/seams.js')>()),
  admitBeforeSocket: () => false,
}));

const { TcpTransport } = await import('../src/index.js');
const { listenerHarness } = await import('./listener-harness.js');

const { listen, dial } = listenerHarness(TcpTransport);

describe('listener without the accept hook (review, session 10)', () => {
  it('has no tarpit (tarpitCounts undefined): a connection past the allowance is reset at once and counted', {
    timeout: 30_000,
  }, async () => {
    const t = await listen({
      acceptLimit: { burst: 1, perSecond: 0.001 },
    });
    t.incoming$.subscribe(() => undefined);
    const ends = Array.from({ length: 2 }, () => dial(t.port!).outcome());
    expect(await Promise.race(ends)).toBe('ECONNRESET');
    expect(t.rateLimitedConnections).toBe(1);
    expect(t.tarpitCounts).toBeUndefined();
  });
});
