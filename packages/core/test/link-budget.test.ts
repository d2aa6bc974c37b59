import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../src/channel.js';
import { ColinkError, ErrorCode } from '../src/errors.js';
import { DEFAULT_LINK_RECEIVE_BUDGET, MAX_FRAME_SIZE, WRITE_BATCH_BYTES } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { ConduitDuplex, NORMAL_END } from '../src/security/conduit-duplex.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import {
  advert,
  bytes,
  collectIncoming,
  LoopbackTcp,
  linkPair,
  settle,
  sha,
  virtualLinkPair,
} from './helpers.js';
import { cleanup, securedLinks, security } from './security-helpers.js';

// The Link-wide receive budget (LinkOptions.receiveBudget): what all channels hold for their apps together is bounded;
// past the budget the Link stops reading its medium, and nothing is dropped.

const KiB = 1024;
const MiB = 1024 * KiB;

const collect = collectIncoming;

/** Every message of `ch` until it closes, concatenated (its subscription starts now). */
async function readAll(ch: Channel): Promise<Uint8Array> {
  const parts = await firstValueFrom(ch.messages$.pipe(toArray()));
  return Buffer.concat(parts);
}

afterEach(cleanup);

describe('TLS over a JS stream: the duplex holds its conduit back', () => {
  it('pauses the conduit once its readable side is full (TLS not reading), and resumes when read', async () => {
    const [ca, cb] = createConduitPair();
    const duplex = new ConduitDuplex(cb, () => NORMAL_END);
    duplex.pause(); // what node:tls does when its reader stops (JSStreamSocket.readStop)
    const chunk = new Uint8Array(16 * KiB);
    // 4 MiB written regardless of backpressure (a conduit never drops what write() accepted).
    let pushedBack = false;
    for (let i = 0; i < 256; i++) if (!ca.write([chunk])) pushedBack = true;
    await settle();
    expect(pushedBack).toBe(true);
    // The duplex holds no more than its high-water mark (64 KiB) and what the pipe delivered in the same turn; the
    // rest waits in the pipe.
    expect(duplex.readableLength).toBeLessThanOrEqual(64 * KiB + 2 * chunk.length);
    let read = 0;
    duplex.on('data', (d: Buffer) => {
      read += d.length;
    });
    duplex.resume();
    await settle(100);
    expect(read).toBe(256 * chunk.length);
    duplex.destroy();
  });
});

describe('Link receive budget', () => {
  it('defaults to 256 MiB and refuses a budget that is not a positive number', () => {
    expect(DEFAULT_LINK_RECEIVE_BUDGET).toBe(256 * MiB);
    const [ca] = createConduitPair();
    for (const receiveBudget of [0, -1, Number.NaN]) {
      let err: unknown;
      try {
        new Link(ca, { role: 'initiator', local: advert('a'), receiveBudget });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ColinkError);
      expect((err as ColinkError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    }
  });

  it('stops reading once unread messages on many channels fill it; the sender waits, and every byte arrives once read', async () => {
    const budget = 1 * MiB;
    const window = 256 * KiB;
    const [a, b] = await linkPair(
      {},
      { channelWindow: window, receiveBudget: budget, sendBufferBytes: 128 * KiB },
    );
    const incoming = collect(b);
    const channels = 16;
    const perChannel = 4;
    const message = 64 * KiB;
    const sent: Uint8Array[] = [];
    const sends: Promise<void>[] = [];
    const opened: Channel[] = [];
    let settled = 0;
    for (let c = 0; c < channels; c++) {
      const ch = a.openChannel({ proto: `flood-${c}` });
      opened.push(ch);
      const all = bytes(perChannel * message);
      sent.push(all);
      for (let m = 0; m < perChannel; m++) {
        const p = ch.send(all.subarray(m * message, (m + 1) * message));
        p.then(() => settled++);
        sends.push(p);
      }
    }
    await settle();
    // Nobody reads on B: 16 windows (4 MiB) were allowed, the budget holds 1 MiB (plus what one delivery brings).
    const held = b.stats().heldBytes;
    expect(held).toBeGreaterThan(budget);
    expect(held).toBeLessThanOrEqual(budget + WRITE_BATCH_BYTES + MAX_FRAME_SIZE);
    expect(b.stats().receivePauses).toBe(1);
    // The sender sees backpressure: its sends past its own buffers wait, none fails.
    expect(settled).toBeLessThan(channels * perChannel);
    await settle(50);
    expect(b.stats().heldBytes).toBe(held);
    expect(b.state).toBe('open');

    // B's apps read: reading resumes (below half the budget) and everything arrives intact, in order.
    const reads = incoming.map((ch) => readAll(ch));
    await Promise.all(sends);
    for (const ch of opened) void ch.close();
    const got = await Promise.all(reads);
    expect(got.map((g) => sha(g))).toEqual(
      incoming.map((ch) => sha(sent[Number(ch.metadata.proto.slice('flood-'.length))]!)),
    );
    expect(incoming).toHaveLength(channels);
    expect(b.stats().heldBytes).toBe(0);
    expect(b.state).toBe('open');
    await a.close();
  });

  it('over real TCP (a plain Link on socket conduits): the socket stops being read, and resumes', async () => {
    const budget = 1 * MiB;
    const tcp = new LoopbackTcp('127.0.0.1');
    await tcp.start();
    const accepted = firstValueFrom(tcp.incoming$);
    const opts = { receiveBudget: budget, channelWindow: 256 * KiB };
    const a = new Link(await tcp.dial(tcp.localAddress!), { ...opts, role: 'initiator', local: advert('a') });
    const b = new Link(await accepted, { ...opts, role: 'responder', local: advert('b') });
    await Promise.all([a.opened, b.opened]);
    const incoming = collect(b);
    const sent: Uint8Array[] = [];
    for (let c = 0; c < 16; c++) {
      const ch = a.openChannel({ proto: `tcp-${c}` });
      const m = bytes(256 * KiB);
      sent.push(m);
      for (let i = 0; i < 4; i++) void ch.send(m.subarray(i * 64 * KiB, (i + 1) * 64 * KiB));
      void ch.close();
    }
    // Until the Link paused and what it holds stopped changing (the flood is stuck).
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < 250 && b.stats().receivePauses === 0; i++) await sleep(20);
    let held = -1;
    for (let i = 0; i < 100 && b.stats().heldBytes !== held; i++) {
      held = b.stats().heldBytes;
      await sleep(50);
    }
    expect(b.stats().receivePauses).toBe(1);
    expect(held).toBeGreaterThan(budget);
    // Past the budget: what the socket's last read brought (a receive slab, 256 KiB at most).
    expect(held).toBeLessThanOrEqual(budget + 256 * KiB + MAX_FRAME_SIZE);
    const got = await Promise.all(incoming.map((ch) => readAll(ch)));
    expect(got.map((g) => sha(g)).sort()).toEqual(sent.map((m) => sha(m)).sort());
    expect(b.stats().heldBytes).toBe(0);
    await a.close();
    await tcp.stop();
  });

  it('holds TLS over a JS stream back too: the duplex beneath TLS pauses the medium', async () => {
    const budget = 512 * KiB;
    const [sa, sb] = await Promise.all([security({ account: 'budget' }), security({ account: 'budget' })]);
    const [a, b] = securedLinks(sa, sb, { link: { receiveBudget: budget, channelWindow: 256 * KiB } });
    await Promise.all([a.opened, b.opened]);
    const incoming = collect(b);
    const sent: Uint8Array[] = [];
    for (let c = 0; c < 8; c++) {
      const ch = a.openChannel({ proto: `tls-${c}` });
      // Whole messages (a frame each): what waits is unread, not in assembly.
      const m = bytes(240 * KiB);
      sent.push(m);
      for (let i = 0; i < 4; i++) void ch.send(m.subarray(i * 60 * KiB, (i + 1) * 60 * KiB));
      void ch.close();
    }
    await settle(100);
    const held = b.stats().heldBytes;
    await settle(100);
    expect(b.stats().heldBytes).toBe(held); // held back: nothing more arrives while nobody reads
    expect(b.stats().receivePauses).toBe(1);
    expect(held).toBeGreaterThan(budget);
    // Over a JS stream TLS has taken in more by the time the pause reaches the pipe (measured: 1.2 MiB held of the
    // 1.9 MiB sent, against 512 KiB): the pipe's deliveries of that turn, the duplex's buffer, TLS's own input.
    expect(held).toBeLessThanOrEqual(budget + 1024 * KiB);
    expect(held).toBeLessThan(sent.length * 240 * KiB);
    const got = await Promise.all(incoming.map((ch) => readAll(ch)));
    expect(got.map((g) => sha(g)).sort()).toEqual(sent.map((m) => sha(m)).sort());
    expect(b.stats().heldBytes).toBe(0);
  });

  it('refuses the smallest message still arriving when only messages in assembly fill it; the other completes', async () => {
    const budget = 1 * MiB;
    const [a, b] = await linkPair({}, { receiveBudget: budget });
    const incoming = collect(b);
    const big = [bytes(800 * KiB), bytes(800 * KiB)];
    const ends = [a.openChannel({ proto: 'big-0' }), a.openChannel({ proto: 'big-1' })];
    await settle();
    // B's apps read both channels: nothing waits unread, so pausing would only deadlock the two assemblies.
    const reads = incoming.map((ch) =>
      firstValueFrom(ch.messages$).then(
        (m) => ({ proto: ch.metadata.proto, m }),
        () => ({ proto: ch.metadata.proto, m: undefined }),
      ),
    );
    const closes = incoming.map((ch) => firstValueFrom(ch.closed$));
    for (const [i, ch] of ends.entries()) void ch.send(big[i]!).catch(() => undefined);
    // The sender learns it from its channel: reset with `refused` (what send() already handed over is gone with it).
    const first = await Promise.race(ends.map((ch, i) => firstValueFrom(ch.closed$).then((r) => ({ i, r }))));
    expect(first.r.code).toBe('refused');
    const loser = first.i;
    const winner = 1 - loser;
    expect(ends[winner]!.state).toBe('open');
    const delivered = await Promise.race([reads[winner]!, settle(200).then(() => undefined)]);
    expect(delivered?.m && sha(delivered.m)).toBe(sha(big[winner]!));
    const loserReason = await closes[loser]!;
    expect(loserReason.code).toBe('refused');
    expect(loserReason.message).toContain('receive budget');
    expect(b.stats().heldBytes).toBe(0);
    expect(b.stats().receivePauses).toBe(0);
    expect(b.state).toBe('open');
    await a.close();
  });

  it('lets one message larger than the budget through when it is the only one arriving', async () => {
    const [a, b] = await linkPair({}, { receiveBudget: 256 * KiB });
    const incoming = collect(b);
    const ch = a.openChannel({ proto: 'one' });
    const m = bytes(1 * MiB);
    await settle();
    const read = new Promise<Uint8Array>((resolve) => {
      const sub = () => incoming[0]!.messages$.subscribe(resolve);
      if (incoming.length > 0) sub();
      else b.incomingChannels$.subscribe(() => sub());
    });
    await ch.send(m);
    expect(sha(await read)).toBe(sha(m));
    expect(ch.state).toBe('open');
    expect(b.stats().heldBytes).toBe(0);
    await a.close();
  });

  it('does not count a paused Link as idle: the keep-alive waits, and the Link lives on once the app reads', async () => {
    const clock = new VirtualClock();
    const [a, b] = await virtualLinkPair(clock, {
      keepAliveIntervalMs: 1_000,
      idleTimeoutMs: 3_000,
      receiveBudget: 256 * KiB,
    });
    const incoming = collect(b);
    const ch = a.openChannel({ proto: 'unread' });
    const m = bytes(64 * KiB);
    for (let i = 0; i < 8; i++) void ch.send(m);
    await clock.advance(10);
    expect(b.stats().receivePauses).toBe(1);
    // Ten idle timeouts later: B hears nothing (it does not read), yet neither side gives up.
    await clock.advance(30_000);
    expect(b.state).toBe('open');
    expect(a.state).toBe('open');
    const received: Uint8Array[] = [];
    incoming[0]!.messages$.subscribe((x) => received.push(x));
    await clock.advance(10);
    expect(received).toHaveLength(8);
    await clock.advance(30_000);
    expect(b.state).toBe('open');
    await a.close();
    await clock.advance(5_000);
  });
});
