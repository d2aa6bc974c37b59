import type { Conduit } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCEPT_BURST_PER_SOURCE, TcpTransport } from '../src/index.js';
import { burst, sockets } from './fixtures/burst.js';

// The listener's per-source accept allowance (`acceptLimit`): a token bucket per source host; a connection past it
// is reset at accept, before any conduit exists. Real sockets on loopback; the refill runs on a VirtualClock (the
// transport's `scheduler`), so "one second later" costs no real second. 127.0.0.1 and 127.0.0.2 are two sources.

const started: TcpTransport[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

async function listener(options: ConstructorParameters<typeof TcpTransport>[0] = {}) {
  // The allowance's own refusals, reset at once (the tarpit, which holds them first, is on by default: tarpit.test.ts).
  const t = new TcpTransport({ host: '127.0.0.1', discovery: false, tarpit: false, ...options });
  await t.start();
  started.push(t);
  const accepted: Conduit[] = [];
  t.incoming$.subscribe((c) => accepted.push(c));
  return { t, accepted };
}

describe('TcpTransport accept allowance per source host', () => {
  it('resets connections past the burst at accept, counts them, and lets other sources in', {
    timeout: 30_000,
  }, async () => {
    const clock = new VirtualClock();
    const { t, accepted } = await listener({ acceptLimit: { burst: 5, perSecond: 2 }, scheduler: clock });
    const a = await burst(t.port!, 12);
    expect(a).toEqual({ reset: 7, open: 5 });
    expect(accepted).toHaveLength(5); // the reset ones never became conduits
    expect(t.rateLimitedConnections).toBe(7);
    // Another source host has an allowance of its own.
    expect(await burst(t.port!, 3, '127.0.0.2')).toEqual({ reset: 0, open: 3 });
    // One (virtual) second refills 2 connections for the first source, no more.
    await clock.advance(1_000);
    expect(await burst(t.port!, 3)).toEqual({ reset: 1, open: 2 });
    expect(t.rateLimitedConnections).toBe(8);
  });

  it('is on by default (ACCEPT_BURST_PER_SOURCE) and off with acceptLimit: false', {
    timeout: 30_000,
  }, async () => {
    const on = await listener({ scheduler: new VirtualClock() });
    const r = await burst(on.t.port!, ACCEPT_BURST_PER_SOURCE + 4);
    expect(r).toEqual({ reset: 4, open: ACCEPT_BURST_PER_SOURCE });
    const off = await listener({ acceptLimit: false });
    expect(await burst(off.t.port!, ACCEPT_BURST_PER_SOURCE + 4)).toEqual({
      reset: 0,
      open: ACCEPT_BURST_PER_SOURCE + 4,
    });
    expect(off.t.rateLimitedConnections).toBe(0);
  });

  it.each([
    { burst: 0, perSecond: 1 },
    { burst: 4, perSecond: 0 },
    { burst: Number.NaN, perSecond: 1 },
    { burst: 4, perSecond: Number.POSITIVE_INFINITY },
  ])('rejects acceptLimit %j with ERR_INVALID_ARGUMENT', (acceptLimit) => {
    expect(() => new TcpTransport({ acceptLimit, discovery: false })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
