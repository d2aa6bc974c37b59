import { firstValueFrom, ReplaySubject, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../src/channel.js';
import { encodeClosePayload, encodeFrame, type Frame, FrameType } from '../src/codec.js';
import { CLOSE_CODES, type CloseCode, closeReason } from '../src/errors.js';
import { ConduitInbound } from '../src/inbound.js';
import { MAX_CHANNELS_PER_LINK, MAX_QUEUED_ANSWERS } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import type { Conduit } from '../src/transport.js';
import { advert, bytes, linkPair, next, openFrame, rawPeer, sha, testConduit } from './helpers.js';

// The Link's behaviour in depth, through its public API only (Link, Channel, LocalDevice), so these tests hold
// across a restructuring of link.ts/channel.ts. Raw peers speak the wire protocol (PROTOCOL.md) byte by byte where
// a test needs a peer that does what a colink Link never would.

/** Resolves with the channel's close reason. */
const closedWith = (ch: Channel) => firstValueFrom(ch.closed$);

const open = openFrame;
const resetsIn = (frames: Frame[]) => frames.filter((f) => f.type === FrameType.RESET);

describe('channel reset', () => {
  it('reset by the opener: its queued sends reject with ERR_CLOSED, the peer sees the reason, the Link lives on', async () => {
    // A small window and send buffer so sends queue quickly.
    const [a, b] = await linkPair({}, { channelWindow: 64 * 1024, sendBufferBytes: 64 * 1024 });
    const incoming = firstValueFrom(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'reset' });
    const rx = await incoming;
    rx.pause();
    const results = Array.from({ length: 16 }, () =>
      ch.send(bytes(16 * 1024)).then(
        () => 'sent',
        (e: { code?: string }) => e.code,
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(ch.bufferedAmount).toBeGreaterThan(0);
    const remote = closedWith(rx);
    ch.reset(closeReason('refused', 'changed my mind'));
    const outcome = await Promise.all(results);
    expect(outcome).toContain('ERR_CLOSED');
    expect(outcome.every((o) => o === 'sent' || o === 'ERR_CLOSED')).toBe(true);
    expect(ch.state).toBe('closed');
    expect(ch.bufferedAmount).toBe(0);
    expect(await remote).toMatchObject({ code: 'refused', message: 'changed my mind', remote: true });
    expect(rx.state).toBe('closed');
    await expect(ch.send(new Uint8Array(1))).rejects.toMatchObject({
      code: 'ERR_CLOSED',
      reason: { code: 'refused' },
    });
    // the Link and its default channel are untouched
    expect(a.state).toBe('open');
    const got = firstValueFrom(b.messages$);
    await a.send(Uint8Array.of(7));
    expect([...(await got)]).toEqual([7]);
    await expect.poll(() => b.openChannels.length).toBe(1);
    expect(a.openChannels.length).toBe(1);
  });

  it('reset by the receiver: the sender’s queued sends reject with ERR_CLOSED and the reason', async () => {
    const [a, b] = await linkPair({}, { channelWindow: 64 * 1024, sendBufferBytes: 64 * 1024 });
    const incoming = firstValueFrom(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'reset' });
    const rx = await incoming;
    rx.pause();
    const sends = Array.from({ length: 16 }, () => ch.send(bytes(16 * 1024)));
    const settled = Promise.allSettled(sends);
    await new Promise((r) => setTimeout(r, 20));
    rx.reset(closeReason('normal', 'enough'));
    const outcome = await settled;
    const rejected = outcome.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected)
      expect(r.reason).toMatchObject({ code: 'ERR_CLOSED', reason: { code: 'normal', remote: true } });
    expect(await closedWith(ch)).toMatchObject({ code: 'normal', message: 'enough', remote: true });
    expect(rx.closeReason).toMatchObject({ code: 'normal', message: 'enough' });
  });

  it('a reset channel still delivers what had arrived before the RESET to a paused reader, then completes', async () => {
    const [a, b] = await linkPair();
    const incoming = firstValueFrom(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'reset' });
    const rx = await incoming;
    const seen: number[] = [];
    const done = new Promise<void>((resolve) =>
      rx.messages$.subscribe({ next: (m) => seen.push(m[0]!), complete: resolve }),
    );
    await ch.send(Uint8Array.of(1));
    await expect.poll(() => seen.length).toBe(1);
    rx.pause(); // messages 2..4 arrive and wait in the receiver
    const framesBefore = b.stats().framesReceived;
    await Promise.all([2, 3, 4].map((i) => ch.send(Uint8Array.of(i))));
    await expect.poll(() => b.stats().framesReceived).toBeGreaterThanOrEqual(framesBefore + 3);
    ch.reset();
    await expect.poll(() => rx.closeReason).toBeDefined();
    expect(seen).toEqual([1]);
    await expect(ch.send(Uint8Array.of(5))).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    rx.resume(); // received bytes belong to the app: a RESET discards only what the sender still had queued
    await done;
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(rx.closeReason).toMatchObject({ code: 'normal', remote: true });
  });
});

describe('reading a channel with for await', () => {
  it('yields every message in order and ends when the peer closes the channel', async () => {
    const [a, b] = await linkPair({ mtu: 244 }, { channelWindow: 16 * 1024 });
    const incoming = firstValueFrom(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'iter' });
    const rx = await incoming;
    const sent = Array.from({ length: 200 }, (_, i) => bytes(100 + i * 7));
    const writer = (async () => {
      for (const m of sent) await ch.send(m);
      return ch.close(closeReason('normal', 'all sent'));
    })();
    const got: Uint8Array[] = [];
    for await (const m of rx) {
      got.push(m);
      // a slow reader: credit goes back only as it reads, the writer waits meanwhile
      if (got.length % 20 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(got.length).toBe(sent.length);
    expect(got.map(sha)).toEqual(sent.map(sha));
    expect((await writer).code).toBe('normal');
    expect(rx.state).toBe('closed');
  });

  it('ends the loop when the Link closes, and a second iterator after the end is done at once', async () => {
    const [a, b] = await linkPair();
    const incoming = firstValueFrom(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'iter' });
    const rx = await incoming;
    await ch.send(Uint8Array.of(1));
    await ch.send(Uint8Array.of(2));
    const reading = (async () => {
      const got: number[] = [];
      for await (const m of rx) got.push(m[0]!);
      return got;
    })();
    await new Promise((r) => setTimeout(r, 10));
    await a.close(closeReason('going-away'));
    expect(await reading).toEqual([1, 2]);
    const again = rx[Symbol.asyncIterator]();
    expect(await again.next()).toEqual({ value: undefined, done: true });
  });

  it('messages that arrived before iteration starts are yielded first', async () => {
    const [a, b] = await linkPair();
    await Promise.all([1, 2, 3].map((n) => a.send(Uint8Array.of(n))));
    await new Promise((r) => setTimeout(r, 10));
    const it = b.channel[Symbol.asyncIterator]();
    const first3 = [await it.next(), await it.next(), await it.next()].map((r) => r.value?.[0]);
    expect(first3).toEqual([1, 2, 3]);
    const pending = it.next();
    await a.send(Uint8Array.of(4));
    expect((await pending).value?.[0]).toBe(4);
  });
});

describe('channel limits and ids', () => {
  it(`refuses an OPEN past ${MAX_CHANNELS_PER_LINK} channels with RESET refused; the Link stays open`, async () => {
    const { link, frames, send } = await rawPeer('responder');
    const accepted: Channel[] = [];
    link.incomingChannels$.subscribe((ch) => accepted.push(ch));
    // The raw peer is the initiator: odd ids from 3. The default channel counts towards the limit.
    const extra = 5;
    const ids = Array.from({ length: MAX_CHANNELS_PER_LINK - 1 + extra }, (_, i) => 3 + 2 * i);
    for (let i = 0; i < ids.length; i += 256) send(...ids.slice(i, i + 256).map((id) => open(id)));
    await expect.poll(() => resetsIn(frames).length).toBe(extra);
    expect(accepted.length).toBe(MAX_CHANNELS_PER_LINK - 1);
    expect(link.openChannels.length).toBe(MAX_CHANNELS_PER_LINK);
    const refused = resetsIn(frames);
    expect(refused.map((f) => f.channel)).toEqual(ids.slice(-extra));
    expect(refused.every((f) => CLOSE_CODES[f.payload[0]!] === 'refused')).toBe(true);
    // and our own side may not open one either
    expect(() => link.openChannel({ proto: 'one-more' })).toThrow(
      expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }),
    );
    expect(link.state).toBe('open');
    // closing one makes room again
    accepted[0]!.reset();
    send(open(ids.at(-1)! + 2));
    await expect.poll(() => accepted.length).toBe(MAX_CHANNELS_PER_LINK);
    expect(link.openChannels.length).toBe(MAX_CHANNELS_PER_LINK);
  });

  it('two colink peers opening the last channel at once both get RESET refused', async () => {
    const [a, b] = await linkPair();
    b.incomingChannels$.subscribe();
    a.incomingChannels$.subscribe();
    for (let i = 0; i < MAX_CHANNELS_PER_LINK - 2; i++) a.openChannel({ proto: 'fill' });
    await expect.poll(() => b.openChannels.length).toBe(MAX_CHANNELS_PER_LINK - 1);
    const fromA = a.openChannel({ proto: 'last' });
    const fromB = b.openChannel({ proto: 'last' });
    expect(await closedWith(fromA)).toMatchObject({ code: 'refused', remote: true });
    expect(await closedWith(fromB)).toMatchObject({ code: 'refused', remote: true });
    await expect.poll(() => a.openChannels.length).toBe(MAX_CHANNELS_PER_LINK - 1);
    await expect.poll(() => b.openChannels.length).toBe(MAX_CHANNELS_PER_LINK - 1);
    a.openChannel({ proto: 'fits' });
    expect(() => a.openChannel({ proto: 'does not' })).toThrow(
      expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }),
    );
  });

  it('v1: channel ids wrap at 65 535 and skip ids still in use', async () => {
    const [a, b] = await linkPair({}, { maxProtocolVersion: 1 });
    // b's app closes the churned channels it gets and a closes them gracefully: OPEN + RESET tens of thousands of
    // times with nothing sent on them is the rapid-reset pattern, which closes the Link (RAPID_RESET_BURST,
    // rapid-reset.test.ts).
    b.incomingChannels$.subscribe((ch) => {
      if (ch.metadata.proto === 'churn') void ch.close();
    });
    const keep3 = a.openChannel({ proto: 'kept' });
    const keep5 = a.openChannel({ proto: 'kept' });
    expect([keep3.id, keep5.id]).toEqual([3, 5]);
    let last = 0;
    for (let id = 7; id <= 0xffff; id += 2) {
      const ch = a.openChannel({ proto: 'churn' });
      last = ch.id;
      void ch.close();
      // let the OPEN/RESET pairs flow now and then rather than queueing 65 534 control frames at once
      if (id % 1024 === 1) await new Promise((r) => setImmediate(r));
    }
    expect(last).toBe(0xffff);
    const wrapped = a.openChannel({ proto: 'wrapped' });
    expect(wrapped.id).toBe(7); // 3 and 5 are still open
    const nine = a.openChannel({ proto: 'wrapped' });
    expect(nine.id).toBe(9);
    // the responder allocates even ids, from 2
    const r2 = b.openChannel({ proto: 'even' });
    expect(r2.id).toBe(2);
    // the wrapped channel works end to end
    const got = next(b.incomingChannels$, (ch) => ch.metadata.proto === 'after-wrap');
    const again = a.openChannel({ proto: 'after-wrap' });
    const rx = await got;
    const m = firstValueFrom(rx.messages$);
    await again.send(Uint8Array.of(42));
    expect([...(await m)]).toEqual([42]);
    expect(rx.id).toBe(again.id);
    expect(a.state).toBe('open');
    expect(b.state).toBe('open');
  }, 60_000);

  it('v2: Link channel ids stay below the connection channels (0x8000), parity by networkId, and wrap there', async () => {
    const [x, y] = await linkPair();
    // the device with the smaller networkId opens odd ids, whoever dialled (PROTOCOL.md §4.3)
    const [odd, even] = advert('a').networkId < advert('b').networkId ? [x, y] : [y, x];
    even.incomingChannels$.subscribe((ch) => {
      if (ch.metadata.proto === 'churn') void ch.close(); // answered, then closed: not a rapid reset (see above)
    });
    odd.incomingChannels$.subscribe();
    const kept = odd.openChannel({ proto: 'kept' });
    expect(kept.id).toBe(3);
    expect(even.openChannel({ proto: 'even' }).id).toBe(2);
    let last = 0;
    for (let id = 5; id < 0x8000; id += 2) {
      const ch = odd.openChannel({ proto: 'churn' });
      last = ch.id;
      void ch.close();
      if (id % 1024 === 1) await new Promise((r) => setImmediate(r));
    }
    expect(last).toBe(0x7fff);
    expect(odd.openChannel({ proto: 'wrapped' }).id).toBe(5); // 3 is still open
    expect(x.state).toBe('open');
    expect(y.state).toBe('open');
  }, 60_000);

  it('refuses a peer that opens a channel id that is not its own as a protocol error', async () => {
    const { link, send } = await rawPeer('responder');
    link.incomingChannels$.subscribe();
    send(open(4)); // even ids belong to the responder: us
    expect(await link.closed).toMatchObject({ code: 'protocol-error' });
  });
});

describe('a channel nobody handles', () => {
  it('is refused when nothing subscribes to incomingChannels$', async () => {
    const [a] = await linkPair();
    const ch = a.openChannel({ proto: 'nobody-home' });
    const sent = ch.send(Uint8Array.of(1)); // may or may not be written before the RESET arrives
    expect(await closedWith(ch)).toMatchObject({ code: 'refused', remote: true });
    await sent.catch(() => undefined);
    await expect(ch.send(Uint8Array.of(2))).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(a.state).toBe('open');
  });

  it('is refused with a reason naming the protocol when LocalDevice has no handler for it', async () => {
    const { LocalDevice } = await import('../src/device.js');
    const { MemoryNetwork } = await import('../src/memory/memory-transport.js');
    const net = new MemoryNetwork();
    const ta = net.createTransport();
    const tb = net.createTransport();
    const x = new LocalDevice({ advert: advert('x'), transports: [ta] });
    const y = new LocalDevice({ advert: advert('y'), transports: [tb] });
    await x.start();
    await y.start();
    try {
      const unhandle = y.handle('known', (ch) => ch.messages$.subscribe((m) => void ch.send(m)));
      const link = await x.connectAddress('memory', tb.address);
      const unknown = link.openChannel({ proto: 'unknown' });
      expect(await closedWith(unknown)).toMatchObject({
        code: 'refused',
        message: 'no handler for unknown',
        remote: true,
      });
      const known = link.openChannel({ proto: 'known' });
      const echo = firstValueFrom(known.messages$);
      await known.send(Uint8Array.of(9));
      expect([...(await echo)]).toEqual([9]);
      // a handler that throws refuses its channel with its message
      unhandle();
      y.handle('known', () => {
        throw new Error('handler broke');
      });
      const broken = link.openChannel({ proto: 'known' });
      expect(await closedWith(broken)).toMatchObject({ code: 'refused', message: 'handler broke' });
    } finally {
      await x.stop();
      await y.stop();
    }
  });
});

describe('GOAWAY', () => {
  const codes = CLOSE_CODES.filter((c) => c !== 'lost');
  it.each(codes)('carries close code %s and its message to the peer', async (code: CloseCode) => {
    const [a, b] = await linkPair();
    b.incomingChannels$.subscribe();
    const ch = a.openChannel({ proto: 'goaway' });
    const got = await a.close(closeReason(code, `because ${code}`));
    expect(got).toMatchObject({ code, message: `because ${code}` });
    expect(await b.closed).toEqual({ code, message: `because ${code}`, remote: true });
    expect(ch.closeReason?.code).toBe(code);
  });

  it('abort() also sends GOAWAY with its reason', async () => {
    const [a, b] = await linkPair();
    a.abort(closeReason('protocol-error', 'bad peer'));
    expect(await b.closed).toMatchObject({ code: 'protocol-error', message: 'bad peer', remote: true });
    expect(await a.closed).toMatchObject({ code: 'protocol-error', message: 'bad peer' });
  });

  it('truncates a long message to 512 characters and maps an unknown wire code to normal', async () => {
    const [a, b] = await linkPair();
    await a.close(closeReason('going-away', 'x'.repeat(5000)));
    expect((await b.closed).message).toBe('x'.repeat(512));

    const { link, send } = await rawPeer();
    send(encodeFrame(FrameType.GOAWAY, 0, 0, 0, encodeClosePayload(200, 'from the future')));
    expect(await link.closed).toEqual({ code: 'normal', message: 'from the future', remote: true });
  });

  it('after GOAWAY arrives no channel can be opened and pending sends fail with the reason', async () => {
    const { link, send } = await rawPeer();
    const ch = link.openChannel({ proto: 'x' });
    send(encodeFrame(FrameType.GOAWAY, 0, 0, 0, encodeClosePayload(1, 'bye')));
    await link.closed;
    expect(ch.closeReason).toMatchObject({ code: 'going-away', remote: true });
    expect(() => link.openChannel({ proto: 'y' })).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    await expect(link.send(Uint8Array.of(1))).rejects.toMatchObject({
      code: 'ERR_CLOSED',
      reason: { code: 'going-away' },
    });
  });

  it('a medium that ends without GOAWAY is reported as lost, not normal', async () => {
    const { link, conduit } = await rawPeer();
    conduit.end(closeReason('normal'));
    expect(await link.closed).toMatchObject({ code: 'lost', remote: true });
  });
});

describe('floods of frames that want an answer', () => {
  it('a PING whose payload is not 8 bytes is a protocol error', async () => {
    const { link, send } = await rawPeer();
    send(encodeFrame(FrameType.PING, 0, 0, 7, new Uint8Array(64 * 1024 - 12)));
    expect(await link.closed).toMatchObject({
      code: 'protocol-error',
      message: expect.stringContaining('PING'),
    });
  });

  it('answers PINGs while the peer reads; closes the Link once it sends them without reading (PONGs piling up)', async () => {
    const { link, send, conduit, frames } = await rawPeer();
    const ping = (seq: number) => encodeFrame(FrameType.PING, 0, 0, seq, new Uint8Array(8));
    for (let i = 0; i < 100; i++) send(ping(i));
    await new Promise((r) => setImmediate(r));
    expect(frames.filter((f) => f.type === FrameType.PONG).map((f) => f.seq)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    // The peer stops reading: the Link's writes stay in flight (past the pipe's high-water mark it stops writing), its
    // answers queue. PINGs as fast as the pipe takes them, at most twice the bound.
    conduit.pause!();
    const batch = Array.from({ length: 4096 }, (_, i) => ping(1000 + i));
    for (let sent = 0; sent <= 2 * MAX_QUEUED_ANSWERS && link.state === 'open'; sent += batch.length) {
      send(...batch);
      await new Promise((r) => setImmediate(r));
    }
    expect(await link.closed).toMatchObject({
      code: 'protocol-error',
      message: expect.stringContaining('flood'),
    });
  });
});

describe('keep-alive in virtual time', () => {
  it('measures the RTT of a medium with 50 ms one-way latency as 100 ms', async () => {
    const clock = new VirtualClock();
    const [ca, cb] = createConduitPair({ model: { latencyMs: 50 }, scheduler: clock });
    const opts = { scheduler: clock, keepAliveIntervalMs: 1_000, idleTimeoutMs: 3_000 };
    const a = new Link(ca, { ...opts, role: 'initiator', local: advert('a') });
    const b = new Link(cb, { ...opts, role: 'responder', local: advert('b') });
    await clock.advance(200);
    await Promise.all([a.opened, b.opened]);
    await clock.advance(1_000);
    expect(a.stats().rttMs).toBe(100);
    await clock.advance(60_000);
    expect(a.stats().srttMs).toBe(100);
    expect(a.state).toBe('open');
    await a.close();
  });

  it('both ends time out when the medium goes silent both ways, each after its own idle timeout', async () => {
    const clock = new VirtualClock();
    const [ca, cb] = createConduitPair({ scheduler: clock });
    let hole = false;
    // Once the medium is a hole nothing gets through, not even the close of the other end.
    const silence = (c: Conduit): Conduit => ({
      ...c,
      data$: c.data$,
      drain$: c.drain$,
      closed$: c.closed$,
      write: (chunks: readonly Uint8Array[]) => (hole ? true : c.write(chunks)),
      end: (r) => (hole ? undefined : c.end(r)),
      destroy: (r) => (hole ? undefined : c.destroy(r)),
    });
    const a = new Link(silence(ca), {
      scheduler: clock,
      keepAliveIntervalMs: 5_000,
      idleTimeoutMs: 15_000,
      role: 'initiator',
      local: advert('a'),
    });
    const b = new Link(silence(cb), {
      scheduler: clock,
      keepAliveIntervalMs: 2_000,
      idleTimeoutMs: 40_000,
      role: 'responder',
      local: advert('b'),
    });
    await clock.advance(0);
    await Promise.all([a.opened, b.opened]);
    hole = true;
    await clock.advance(14_000);
    expect(a.state).toBe('open');
    await clock.advance(6_000); // a checks every 5 s: closes at the first check past 15 s of silence
    expect(a.state).toBe('closed');
    expect((await a.closed).code).toBe('timeout');
    expect(b.state).toBe('open'); // a's close never reached b
    await clock.advance(20_000); // b checks every 2 s: closes at the first check past 40 s of silence
    expect(b.state).toBe('closed');
    expect((await b.closed).code).toBe('timeout');
  });

  it('keeps a busy Link open even if PONGs are lost: any frame counts as life', async () => {
    const clock = new VirtualClock();
    const [ca, cb] = createConduitPair({ scheduler: clock });
    const opts = { scheduler: clock, keepAliveIntervalMs: 10_000, idleTimeoutMs: 30_000 };
    // b's PINGs and PONGs never reach a (20-byte control frames of type 0x06 / 0x07): only its DATA does.
    const keepAlive = (c: Uint8Array) => c.length === 20 && (c[4] === 0x06 || c[4] === 0x07);
    let dropping = false;
    const lossy: Conduit = {
      ...cb,
      write: (chunks) => cb.write(dropping ? chunks.filter((c) => !keepAlive(c)) : chunks),
    };
    const a = new Link(ca, { ...opts, role: 'initiator', local: advert('a') });
    const b = new Link(lossy, { ...opts, role: 'responder', local: advert('b') });
    await clock.advance(0);
    await Promise.all([a.opened, b.opened]);
    dropping = true;
    const got = firstValueFrom(a.messages$.pipe(take(12), toArray()));
    for (let i = 0; i < 12; i++) {
      await clock.advance(9_000);
      await b.send(Uint8Array.of(i));
    }
    await clock.advance(0);
    expect((await got).length).toBe(12);
    expect(a.state).toBe('open');
    await clock.advance(40_000); // with b silent apart from keep-alives that are dropped, a times out
    expect((await a.closed).code).toBe('timeout');
  });
});

describe('a conduit that answers on subscribe', () => {
  /** A conduit that replays `held` (and then its end, if `ended`) synchronously to its first subscriber. */
  function replaying(held: Uint8Array[], ended?: CloseCode): Conduit {
    const inbound = new ConduitInbound();
    for (const c of held) inbound.push(c);
    const closed = new ReplaySubject<ReturnType<typeof closeReason>>(1);
    if (ended) {
      inbound.complete();
      closed.next(closeReason(ended, 'gone before the Link'));
    }
    return testConduit({ data$: inbound.data$, closed$: closed.asObservable() });
  }

  it('a responder whose conduit replays a wrong preamble at once closes with protocol-error (no throw from the constructor)', async () => {
    const link = new Link(replaying([new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')]), {
      role: 'responder',
      local: advert('b'),
      keepAliveIntervalMs: 0,
    });
    expect((await link.closed).code).toBe('protocol-error');
    await expect(link.opened).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('a Link over a conduit that closed before it was built closes with that reason', async () => {
    const link = new Link(replaying([], 'lost'), {
      role: 'initiator',
      local: advert('a'),
      keepAliveIntervalMs: 0,
    });
    expect((await link.closed).code).toBe('lost');
    await expect(link.opened).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});
