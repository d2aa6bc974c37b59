import { closeReason } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { until } from './helpers.js';
import { listenerHarness } from './listener-harness.js';

// Review (session 11) of "every connection the listener refuses is reset": one that finds the listener full at accept
// is reset before the per-source allowance runs, so it spends none of it. Real sockets on loopback; the allowance runs
// on a VirtualClock (no refill unless advanced).

const { listen, dial } = listenerHarness();

describe('listener review (session 11): refused when full', () => {
  it('connections reset because the listener is full spend no allowance and are not counted as rate-limited', {
    timeout: 60_000,
  }, async () => {
    const t = await listen({
      maxInboundConnections: 1,
      acceptLimit: { burst: 2, perSecond: 1 },
      tarpit: false,
      scheduler: new VirtualClock(),
    });
    const conduits: { close(): void }[] = [];
    t.incoming$.subscribe((c) => conduits.push({ close: () => c.destroy(closeReason('normal')) }));
    const port = t.port!;
    // 127.0.0.2's first connection (one of its 2 tokens) fills the listener…
    const first = dial(port, '127.0.0.2');
    await until(() => t.inboundConnections === 1);
    // …its next 5 find it full: each reset, none spending a token.
    for (let i = 0; i < 5; i++) {
      const refused = dial(port, '127.0.0.2');
      await refused.ended;
      expect(refused.error()).toBe('ECONNRESET');
    }
    expect(t.rateLimitedConnections).toBe(0);
    // Room again: its second token admits the next connection.
    conduits[0]!.close();
    await first.ended;
    await until(() => t.inboundConnections === 0);
    const again = dial(port, '127.0.0.2');
    await until(() => t.inboundConnections === 1);
    expect(again.error()).toBeUndefined();
    expect(t.rateLimitedConnections).toBe(0);
  });
});

describe('listener review (session 11): maxInboundConnections is checked', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    '%s is refused with ERR_INVALID_ARGUMENT',
    (n) => {
      // 0 and NaN meant "no limit" to node's listener (`maxConnections` is falsy) and "none" or "no limit" to the
      // gatekeeper's hand-over check; -1 reset every connection: each silently, none an error.
      expect(() => new TcpTransport({ discovery: false, maxInboundConnections: n })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    },
  );
});

describe('the other numeric options (session 11)', () => {
  it.each([
    ['port', { port: -1 }],
    ['port', { port: 65_536 }],
    ['port', { port: 1.5 }],
    ['connectTimeoutMs', { connectTimeoutMs: 0 }],
    ['connectTimeoutMs', { connectTimeoutMs: Number.NaN }],
    ['connectTimeoutMs', { connectTimeoutMs: Number.POSITIVE_INFINITY }],
    ['idleTimeoutMs', { idleTimeoutMs: -1 }],
    ['idleTimeoutMs', { idleTimeoutMs: Number.NaN }],
  ])('a bad %s (%j) is refused with ERR_INVALID_ARGUMENT', (_, options) => {
    expect(() => new TcpTransport({ discovery: false, ...options })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('a dial with a timeoutMs that is not a positive finite number rejects with ERR_INVALID_ARGUMENT', async () => {
    const t = await listen();
    for (const timeoutMs of [0, -5, Number.NaN])
      await expect(t.dial(`127.0.0.1:${t.port!}`, { timeoutMs })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
  });
});
