import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { type Conduit, ErrorCode } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { TARPIT_HOLD_MS, TARPIT_RESETS_PER_TICK, TARPIT_TICK_MS, TcpTransport } from '../src/index.js';
import { until } from './helpers.js';

// The listener's tarpit (`tarpit`, on by default): a connection past its source's accept allowance is held — raw
// accepted handle, nothing read, no net.Socket — and reset once its hold ended, instead of at once. Real sockets on
// loopback; the hold runs on a VirtualClock (the transport's `scheduler`), so "five seconds later" costs no real time.

const started: TcpTransport[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

const openFds = (): number => readdirSync('/proc/self/fd').length;

async function listener(options: ConstructorParameters<typeof TcpTransport>[0] = {}) {
  const clock = new VirtualClock();
  const t = new TcpTransport({
    host: '127.0.0.1',
    discovery: false,
    acceptLimit: { burst: 2, perSecond: 0.001 },
    scheduler: clock,
    ...options,
  });
  await t.start();
  started.push(t);
  const accepted: Conduit[] = [];
  t.incoming$.subscribe((c) => accepted.push(c));
  return { t, clock, accepted };
}

/** A connection from `from`: `ended` resolves with how it ended ('ECONNRESET', 'closed'); `at` when (ms, real time). */
function dial(port: number, from = '127.0.0.1'): { connected: Promise<void>; ended: Promise<string> } {
  const c = connect({ host: '127.0.0.1', port, localAddress: from });
  clients.push(c);
  c.on('connect', () => c.write('anything'));
  return {
    connected: new Promise((r) => c.once('connect', () => r())),
    ended: new Promise((resolve) => {
      let how = 'closed';
      c.on('error', (e: NodeJS.ErrnoException) => {
        how = e.code ?? 'error';
      });
      c.once('close', () => resolve(how));
    }),
  };
}

/** Whether `p` settles within `ms` of real time. */
const settlesWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('TcpTransport tarpit', () => {
  it('holds a connection past the allowance, unread and with no conduit, and resets it once the hold ended', {
    timeout: 30_000,
  }, async () => {
    const { t, clock, accepted } = await listener();
    const admitted = [dial(t.port!), dial(t.port!)];
    await Promise.all(admitted.map((d) => d.connected));
    const refused = dial(t.port!);
    await refused.connected; // the kernel completed the handshake; the listener holds the connection
    await until(() => t.tarpitCounts?.held === 1);
    expect(t.tarpitCounts).toEqual({ held: 1, released: 0, evicted: 0 });
    expect(t.rateLimitedConnections).toBe(1);
    expect(accepted).toHaveLength(2); // no conduit for the held one
    expect(await settlesWithin(refused.ended, 300)).toBe(false);
    await clock.advance(TARPIT_HOLD_MS - 1);
    expect(await settlesWithin(refused.ended, 200)).toBe(false);
    await clock.advance(TARPIT_TICK_MS + 1);
    expect(await refused.ended).toBe('ECONNRESET');
    expect(t.tarpitCounts).toEqual({ held: 0, released: 1, evicted: 0 });
    // The admitted ones were never touched.
    expect(await settlesWithin(Promise.race(admitted.map((d) => d.ended)), 200)).toBe(false);
  });

  it('holds at most `max`: past it the oldest held connection is reset at once', {
    timeout: 30_000,
  }, async () => {
    const { t } = await listener({ tarpit: { max: 3 } });
    await Promise.all([dial(t.port!), dial(t.port!)].map((d) => d.connected)); // the allowance
    const held: Array<ReturnType<typeof dial>> = [];
    for (let i = 0; i < 3; i++) {
      held.push(dial(t.port!));
      await until(() => t.tarpitCounts?.held === i + 1);
    }
    const fourth = dial(t.port!);
    expect(await held[0]!.ended).toBe('ECONNRESET'); // evicted for the fourth
    await until(() => t.tarpitCounts?.evicted === 1);
    expect(t.tarpitCounts).toEqual({ held: 3, released: 0, evicted: 1 });
    expect(await settlesWithin(Promise.race([held[1]!.ended, held[2]!.ended, fourth.ended]), 300)).toBe(
      false,
    );
  });

  it(`releases at most ${TARPIT_RESETS_PER_TICK} per tick, then the rest at the next ones; stop() resets the held`, {
    timeout: 30_000,
  }, async () => {
    const { t, clock } = await listener();
    await Promise.all([dial(t.port!), dial(t.port!)].map((d) => d.connected));
    const n = TARPIT_RESETS_PER_TICK + 8;
    const held = Array.from({ length: n }, () => dial(t.port!));
    await until(() => t.tarpitCounts?.held === n);
    // Every one was held at time 0: the tick at TARPIT_HOLD_MS finds them all due and resets the first 32.
    await clock.advance(TARPIT_HOLD_MS);
    expect(t.tarpitCounts).toEqual({ held: 8, released: TARPIT_RESETS_PER_TICK, evicted: 0 });
    await clock.advance(TARPIT_TICK_MS);
    expect(t.tarpitCounts).toEqual({ held: 0, released: n, evicted: 0 });
    expect(new Set(await Promise.all(held.map((d) => d.ended)))).toEqual(new Set(['ECONNRESET']));
    // stop(): those held now are reset with it.
    const late = [dial(t.port!), dial(t.port!)];
    await until(() => t.tarpitCounts?.held === 2);
    await t.stop();
    expect(await Promise.all(late.map((d) => d.ended))).toEqual(['ECONNRESET', 'ECONNRESET']);
  });

  it('thousands of held connections leave no file descriptor behind', { timeout: 60_000 }, async () => {
    const { t, clock } = await listener({ tarpit: { max: 200 } });
    const before = openFds();
    let resets = 0;
    for (let round = 0; round < 10; round++) {
      const batch = Array.from({ length: 200 }, () => dial(t.port!, '127.0.4.1'));
      for (const d of batch)
        void d.ended.then((how) => {
          if (how === 'ECONNRESET') resets++;
        });
      await Promise.all(batch.map((d) => d.connected));
      if (round % 3 === 2) await clock.advance(TARPIT_HOLD_MS + 20 * TARPIT_TICK_MS);
    }
    await until(
      () =>
        (t.tarpitCounts?.held ?? 0) + (t.tarpitCounts?.evicted ?? 0) + (t.tarpitCounts?.released ?? 0) >=
        1_998,
    );
    expect(t.tarpitCounts!.held).toBeLessThanOrEqual(200);
    await clock.advance(TARPIT_HOLD_MS + 20 * TARPIT_TICK_MS);
    await until(() => resets >= 1_998);
    expect(resets).toBe(1_998); // every one but the 2 the allowance let in, which are still open
    for (const c of clients.splice(0)) c.destroy();
    await until(() => openFds() <= before + 2);
    expect(openFds()).toBeLessThanOrEqual(before + 2);
    expect(t.tarpitCounts!.held).toBe(0);
  });

  it('is off with tarpit: false (reset at once) and without an accept allowance (nothing to hold)', {
    timeout: 30_000,
  }, async () => {
    const off = await listener({ tarpit: false });
    await Promise.all([dial(off.t.port!), dial(off.t.port!)].map((d) => d.connected));
    expect(await dial(off.t.port!).ended).toBe('ECONNRESET');
    expect(off.t.tarpitCounts).toBeUndefined();
    const open = await listener({ acceptLimit: false });
    expect(open.t.tarpitCounts).toBeUndefined();
  });

  it.each([{ holdMs: 0 }, { holdMs: Number.POSITIVE_INFINITY }, { max: 0 }, { max: 1.5 }])(
    'rejects tarpit %j with ERR_INVALID_ARGUMENT',
    (tarpit) => {
      expect(() => new TcpTransport({ tarpit, discovery: false })).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
      );
    },
  );
});
