import { describe, expect, it } from 'vitest';
import { encodeAckWindowFrames, FrameDecoder, FrameType } from '../src/codec.js';
import { DEFAULT_CHANNEL_WINDOW_FAST, DELAYED_ACK_MS } from '../src/limits.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { next, until } from './helpers.js';
import { indexOf, inOrder, numbered, peers } from './peer-helpers.js';

const KiB = 1024;

describe('ACKs of a connection channel (PROTOCOL.md §4.11)', () => {
  it('encodes ACK + WINDOW into one buffer that decodes as the two frames', () => {
    const frames: Array<{ type: number; channel: number; seq: number; payload: number[] }> = [];
    new FrameDecoder().push(encodeAckWindowFrames(0x8003, 0xfffffffe, 1_048_576), (f) => {
      frames.push({ type: f.type, channel: f.channel, seq: f.seq, payload: [...f.payload] });
    });
    expect(frames).toEqual([
      { type: FrameType.ACK, channel: 0x8003, seq: 0xfffffffe, payload: [] },
      { type: FrameType.WINDOW, channel: 0x8003, seq: 0, payload: [0, 0x10, 0, 0] },
    ]);
  });

  it('in a steady flow rides with the WINDOW frames: the receiver writes no more than its WINDOWs, retention stays within the window', async () => {
    const { pa, pb, link } = peers();
    const l = await link('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'flow' });
    const rx = await incoming;
    // What B writes from here on, and the frames A reads from B.
    let writes = 0;
    const write = l.cb.write.bind(l.cb);
    l.cb.write = (chunks) => {
      writes++;
      return write(chunks);
    };
    const types: number[] = [];
    l.a.frames$.subscribe((f) => types.push(f.type));
    const n = 256;
    const seen = inOrder(rx);
    let maxKept = 0;
    for (let i = 0; i < n; i++) {
      await ch.send(numbered(i, 64 * KiB));
      maxKept = Math.max(maxKept, ch.unacknowledgedBytes);
    }
    await until(() => seen.got === n);
    expect(seen.order).toBeUndefined();
    const windows = types.filter((t) => t === FrameType.WINDOW).length;
    const acks = types.filter((t) => t === FrameType.ACK).length;
    // 16 MiB through a 4 MiB window: a WINDOW every quarter window (1 MiB), each carrying the ACK.
    expect(windows).toBeGreaterThanOrEqual(15);
    expect(acks).toBeGreaterThanOrEqual(windows);
    for (let i = 0; i < types.length; i++)
      if (types[i] === FrameType.WINDOW) expect(types[i - 1]).toBe(FrameType.ACK);
    // At most the delayed ACK of the tail comes on a write of its own.
    expect(writes).toBeLessThanOrEqual(windows + 1);
    expect(maxKept).toBeLessThanOrEqual(DEFAULT_CHANNEL_WINDOW_FAST + 64 * KiB);
    await pa.close();
    await pb.close();
  });

  it('in a request/response exchange rides with the replies and requests: no write of its own but the last', async () => {
    const clock = new VirtualClock(); // never advanced: the delayed-ACK timer stays out of it
    const { pa, pb, link } = peers({ scheduler: clock }, clock);
    const l = await link('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'echo' });
    const rx = await incoming;
    rx.messages$.subscribe((m) => void rx.send(m));
    const count = { a: 0, b: 0 };
    for (const [side, c] of [
      ['a', l.ca],
      ['b', l.cb],
    ] as const) {
      const write = c.write.bind(c);
      c.write = (chunks) => {
        count[side]++;
        return write(chunks);
      };
    }
    const acksAtB: number[] = [];
    l.b.frames$.subscribe((f) => {
      if (f.type === FrameType.ACK) acksAtB.push(f.seq);
    });
    let reply: (m: Uint8Array) => void = () => undefined;
    ch.messages$.subscribe((m) => reply(m));
    const n = 64;
    for (let i = 0; i < n; i++) {
      const back = new Promise<Uint8Array>((r) => (reply = r));
      await ch.send(numbered(i, KiB));
      expect(indexOf(await back)).toBe(i);
    }
    await new Promise((r) => setImmediate(r));
    // Each side's ACK after 32 messages went in the same write as its next DATA; only A's last one, with nothing
    // after it, went alone at the end of its turn.
    expect(count.b).toBe(n);
    expect(count.a).toBe(n + 1);
    expect(acksAtB).toEqual([32, 64]);
    expect(ch.unacknowledgedBytes).toBe(0);
    await pa.close();
    await pb.close();
  });

  it('acknowledges a lone message by the delayed-ACK timer within two ticks (virtual time)', async () => {
    const clock = new VirtualClock();
    const { pa, pb, link } = peers({ scheduler: clock }, clock);
    await link('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'lone' });
    const rx = await incoming;
    const arrived = next(rx.messages$);
    await ch.send(numbered(1, 100));
    await arrived;
    await clock.advance(0);
    expect(ch.unacknowledgedBytes).toBe(100); // not urgent: waits for the timer
    await clock.advance(2 * DELAYED_ACK_MS);
    expect(ch.unacknowledgedBytes).toBe(0);
    await pa.close();
    await pb.close();
  });
  it('keeps every message through a long gap in the ACKs and lets the retention slots go once all are acknowledged', async () => {
    const { pa, pb, link } = peers();
    const l = await link('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'gap' });
    const rx = await incoming;
    const seen = inOrder(rx);
    // A reads nothing from B: B's ACKs wait in flight and A keeps every message it wrote (3,000 > the 1,024 slots
    // a channel keeps for reuse).
    l.ca.pause!();
    const n = 3000;
    const size = 100;
    for (let i = 0; i < n; i++) await ch.send(numbered(i, size));
    await until(() => seen.got === n);
    expect(seen.order).toBeUndefined();
    expect(seen.got).toBe(n);
    expect(ch.unacknowledgedBytes).toBe(n * size);
    expect(ch.debug().unacked).toBe(n);
    l.ca.resume!();
    await until(() => ch.unacknowledgedBytes === 0);
    expect(ch.unacknowledgedBytes).toBe(0);
    expect(ch.debug().unacked).toBe(0);
    // And again, in the slots (or the fresh list) that are left: nothing from before comes back.
    l.ca.pause!();
    for (let i = n; i < n + 100; i++) await ch.send(numbered(i, size));
    await until(() => seen.got === n + 100);
    expect(ch.unacknowledgedBytes).toBe(100 * size);
    expect(ch.debug().unacked).toBe(100);
    l.ca.resume!();
    await until(() => ch.unacknowledgedBytes === 0);
    expect(ch.debug().unacked).toBe(0);
    expect(seen.order).toBeUndefined();
    await pa.close();
    await pb.close();
  });

  it('after a cut resends exactly what was not acknowledged, from a retention list a late ACK compacted', async () => {
    const { pa, pb, link } = peers();
    const ble = await link('ble', { mtu: 244 });
    const tcp = await link('tcp');
    expect(pa.carrier?.medium).toBe('tcp');
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'late' });
    const rx = await incoming;
    const seen = inOrder(rx);
    const size = 200;
    // Wave 1: B receives all of it; its ACKs wait in flight to A, which reads nothing.
    tcp.ca.pause!();
    for (let i = 0; i < 300; i++) await ch.send(numbered(i, size));
    await until(() => seen.got === 300);
    expect(seen.got).toBe(300);
    // Wave 2: held in flight to B.
    tcp.cb.pause!();
    for (let i = 300; i < 600; i++) await ch.send(numbered(i, size));
    expect(ch.debug().unacked).toBe(600);
    // A reads the ACKs of wave 1: half its retention list is acknowledged, so the list is compacted to wave 2.
    tcp.ca.resume!();
    await until(() => ch.debug().unacked === 300);
    expect(ch.debug().unacked).toBe(300);
    expect(ch.unacknowledgedBytes).toBe(300 * size);
    // Wave 2 is lost with the Link: the channel resumes on BLE and resends it from the compacted list.
    tcp.ca.sever();
    await until(() => seen.got === 600 && ch.unacknowledgedBytes === 0);
    expect(seen.order).toBeUndefined();
    expect(seen.got).toBe(600);
    expect(pa.carrier).toBe(ble.a);
    expect(ch.unacknowledgedBytes).toBe(0);
    await pa.close();
    await pb.close();
  });
});
