import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../src/channel.js';
import { closeReason } from '../src/errors.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { next } from './helpers.js';
import { indexOf, numbered, peers } from './peer-helpers.js';

/** Collects numbered messages and checks they arrive exactly once, in order. */
function collector(ch: Channel): { count: () => number; done: (n: number) => Promise<void> } {
  let expected = 0;
  let error: Error | undefined;
  const waiters: Array<() => void> = [];
  ch.messages$.subscribe((m) => {
    try {
      const i = indexOf(m);
      if (i !== expected) throw new Error(`got message ${i}, expected ${expected}`);
      expected++;
    } catch (e) {
      error ??= e as Error;
    }
    for (const w of waiters.splice(0)) w();
  });
  return {
    count: () => expected,
    done: async (n) => {
      while (expected < n && !error) await new Promise<void>((r) => waiters.push(r));
      if (error) throw error;
    },
  };
}

async function sendAll(ch: Channel, n: number, size: number, onEach?: (i: number) => void): Promise<void> {
  for (let i = 0; i < n; i++) {
    await ch.send(numbered(i, size));
    onEach?.(i);
  }
}

describe('PeerConnection', () => {
  it('carries a channel on its best Link and reports the medium in quality$', async () => {
    const { pa, pb, link } = peers();
    await link('ble', { mtu: 244 });
    await link('tcp');
    expect(pa.carrier?.medium).toBe('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'numbers' });
    const got = collector(await incoming);
    await sendAll(ch, 200, 3000);
    await got.done(200);
    const q = await firstValueFrom(pa.quality$);
    expect(q).toMatchObject({ state: 'connected', medium: 'tcp', links: 2 });
    await pa.close();
    await pb.close();
  });

  it('moves channels to the standby Link when the carrier is cut mid-transfer: every message once, in order', async () => {
    for (const cutSide of ['a', 'b'] as const) {
      const { pa, pb, link } = peers();
      const ble = await link('ble', { mtu: 244 });
      const tcp = await link('tcp', { bandwidthBytesPerSec: 20 * 1024 * 1024 });
      const incoming = next(pb.incomingChannels$);
      const ch = pa.openChannel({ proto: 'numbers' });
      const got = collector(await incoming);
      const moves: string[] = [];
      pa.moves$.subscribe((m) => moves.push(`${m.from}→${m.to}:${m.why}`));
      const n = 3000;
      const sending = sendAll(ch, n, 1500, (i) => {
        if (i === 1000) (cutSide === 'a' ? tcp.ca : tcp.cb).sever();
      });
      await sending;
      await got.done(n);
      expect(got.count()).toBe(n);
      expect(pa.carrier).toBe(ble.a);
      expect(moves, moves.join()).toContain('tcp→ble:loss');
      await pa.close();
      await pb.close();
    }
  });

  it('leader moves at once when the follower alone lost the carrier (a network change only it saw): no wait for keep-alive', async () => {
    for (const sender of ['leader', 'follower'] as const) {
      const { pa, pb, link } = peers();
      const ble = await link('ble', { mtu: 244 });
      const tcp = await link('tcp', { bandwidthBytesPerSec: 20 * 1024 * 1024 });
      const [leader, follower] = pa.leader ? [pa, pb] : [pb, pa];
      const followerTcp = follower === pa ? tcp.a : tcp.b;
      const leaderBle = leader === pa ? ble.a : ble.b;
      const [from, to] = sender === 'leader' ? [leader, follower] : [follower, leader];
      const incoming = next(to.incomingChannels$);
      const ch = from.openChannel({ proto: 'numbers' });
      const got = collector(await incoming);
      const leaderMoves: string[] = [];
      leader.moves$.subscribe((m) => leaderMoves.push(`${m.from}→${m.to}:${m.why}`));
      const n = 2000;
      // The follower takes its TCP Link out as a dropped one would be; the Link itself stays open on both ends, so
      // neither a conduit end nor a keep-alive timeout tells the leader anything.
      await sendAll(ch, n, 1500, (i) => {
        if (i === 600) follower.release(followerTcp);
      });
      await got.done(n);
      expect(got.count()).toBe(n);
      expect(leader.carrier).toBe(leaderBle);
      expect(leaderMoves, leaderMoves.join()).toContain('tcp→ble:loss');
      expect(tcp.a.state).toBe('open');
      await pa.close();
      await pb.close();
      await tcp.a.close();
    }
  }, 60_000);

  it('upgrades make-before-break from BLE to TCP while a transfer runs, with no loss and no duplicate', async () => {
    const { pa, pb, link } = peers();
    await link('ble', { mtu: 244 });
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'numbers' });
    const back = pb.openChannel({ proto: 'back' });
    const backIn = collector(await next(pa.incomingChannels$));
    const got = collector(await incoming);
    const leader = pa.leader ? pa : pb;
    const leaderMoves: string[] = [];
    leader.moves$.subscribe((m) => leaderMoves.push(`${m.from}→${m.to}:${m.why}`));
    const n = 2000;
    let tcpLinks: Awaited<ReturnType<typeof link>> | undefined;
    const sending = sendAll(ch, n, 700, (i) => {
      if (i === 300) void link('tcp').then((l) => (tcpLinks = l));
    });
    await Promise.all([sending, sendAll(back, n, 700), got.done(n), backIn.done(n)]);
    expect(tcpLinks).toBeDefined();
    expect(pa.carrier?.medium).toBe('tcp');
    expect(pb.carrier?.medium).toBe('tcp');
    expect(pa.links.length).toBe(2); // the BLE Link stays as a standby
    expect(leaderMoves).toEqual(['ble→tcp:upgrade']); // the move names the Link it left
    await pa.close();
    await pb.close();
  });

  it('holds writers during an outage and resumes when a Link returns within the grace period', async () => {
    const { pa, pb, link } = peers({ graceMs: 60_000 });
    const first = await link('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'numbers' }, { sendBufferBytes: 64 * 1024 });
    const got = collector(await incoming);
    const moves: string[] = [];
    pa.moves$.subscribe((m) => moves.push(`${m.from}→${m.to}:${m.why}`));
    await sendAll(ch, 100, 1000);
    first.ca.sever();
    await first.a.closed;
    expect(pa.state).toBe('reconnecting');
    // Writers queue up to the send buffer, then wait: nothing is dropped, nothing grows without bound.
    let sent = 100;
    const sending = (async () => {
      for (; sent < 400; sent++) await ch.send(numbered(sent, 1000));
    })();
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toBeLessThan(200);
    expect(ch.bufferedAmount).toBeLessThanOrEqual(64 * 1024 + 1000);
    await link('ble', { mtu: 244 });
    await sending;
    await got.done(400);
    expect(pa.state).toBe('connected');
    // the move after the gap names the medium that carried before it
    expect(moves).toEqual([expect.stringMatching(/^tcp→ble:(loss|peer)$/)]);
    await pa.close();
    await pb.close();
  });

  it('closes channels with lost once the grace period passes with no Link (virtual time), and re-dials with backoff', async () => {
    const clock = new VirtualClock();
    const dials: number[] = [];
    const { pa, pb, link } = peers({
      scheduler: clock,
      graceMs: 10_000,
      redial: async () => {
        dials.push(clock.now());
        throw new Error('unreachable');
      },
    });
    const l = await link('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'x' });
    const other = await incoming;
    l.ca.sever();
    await l.a.closed;
    await l.b.closed;
    expect(pa.state).toBe('reconnecting');
    await clock.advance(9_000);
    expect(ch.state).toBe('open');
    await clock.advance(1_500);
    expect(ch.state).toBe('closed');
    expect(ch.closeReason).toMatchObject({ code: 'lost' });
    expect(ch.closeReason?.message).toMatch(/no link to the peer for 10000 ms/);
    expect(other.state).toBe('closed');
    expect(pa.state).toBe('disconnected');
    await expect(ch.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    // 0, 100, 300, 700, 1500, 3100, 5100, 7100, 9100 ms: doubling up to the 2 s cap
    const times = [...new Set(dials)]; // both sides re-dial at the same instants
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(Math.max(...gaps)).toBe(2000);
    await pa.close(closeReason('normal'));
    await pb.close();
  });
});
