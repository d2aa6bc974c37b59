import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeCloseFrame,
  encodeFrame,
  encodeJson,
  encodeResumeFrame,
  FrameFlags,
  FrameType,
} from '../src/codec.js';
import { CLOSE_CODES, closeReason } from '../src/errors.js';
import { MAX_CHANNELS_PER_LINK, MAX_CONTROL_PAYLOAD, MAX_QUEUED_ANSWERS } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { PeerConnection } from '../src/peer-connection.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import {
  advert,
  bytes,
  collectIncoming,
  linkPair,
  openFrame,
  rawPeer,
  settle,
  sha,
  virtualLinkPair,
} from './helpers.js';
import { indexOf, numbered, peers } from './peer-helpers.js';
import { cleanup, securedLinks, security, tcpConduitPair } from './security-helpers.js';

// Adversarial review of the Link-wide receive budget (LinkOptions.receiveBudget) and of the bound on queued control
// frames (MAX_QUEUED_ANSWERS). Tests named "KNOWN LIMIT:" / "DESIGN:" are `it.fails`: they state a behaviour the
// budget does not give yet and fail on the current code (so `it.fails` passes; the reason is in each test and in the
// core README); remove `.fails` once it is given, and they guard it. Tests marked "(fixed)" failed before their fix;
// the other tests pin paths of the accounting that were checked and found sound.

const KiB = 1024;
const MiB = 1024 * KiB;

afterEach(cleanup);

const collect = collectIncoming;

/** The most channels `pc` had open at once from now on (reads as a function). */
function peakOpen(pc: PeerConnection): () => number {
  let open = 0;
  let peak = 0;
  pc.incomingChannels$.subscribe((ch) => {
    open++;
    peak = Math.max(peak, open);
    void firstValueFrom(ch.closed$).then(() => open--);
  });
  return () => peak;
}

const open = openFrame;
/** `n` bytes of message `seq` on channel `id` as DATA frames of 60 KiB, the last with FIN when `fin`. */
function fragments(id: number, seq: number, n: number, fin: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < n; off += 60 * KiB) {
    const len = Math.min(60 * KiB, n - off);
    const last = off + len >= n;
    out.push(encodeFrame(FrameType.DATA, last && fin ? FrameFlags.FIN : 0, id, seq, new Uint8Array(len)));
  }
  return out;
}

describe('receive budget: findings', () => {
  it.fails('KNOWN LIMIT: unread messages of channels the peer closed leave the budget, so open-fill-close floods are never held back', async () => {
    // Channel.terminate() takes its inbox out of the Link's budget ("it cannot grow any more"), but the messages stay
    // in memory for the app (messages$ / for-await still deliver them after the close), and the channel's id and
    // MAX_CHANNELS_PER_LINK slot are free again: a peer that opens a channel, fills its window and closes it, over
    // and over, makes the receiver hold any amount while heldBytes says 0 and the Link never pauses.
    const budget = 1 * MiB;
    const [a, b] = await linkPair({}, { receiveBudget: budget, channelWindow: 256 * KiB });
    const incoming = collect(b); // an app that takes channels in and reads them one after another, later
    let accepted = 0;
    for (let c = 0; c < 32; c++) {
      const ch = a.openChannel({ proto: `c-${c}` });
      for (let i = 0; i < 4; i++) void ch.send(bytes(64 * KiB));
      const closed = await Promise.race([ch.close().then(() => true), settle(200).then(() => false)]);
      if (!closed) break;
      accepted += 256 * KiB;
    }
    // What B holds unread, read now: every byte A got rid of is there.
    const unread = (
      await Promise.all(incoming.map((ch) => firstValueFrom(ch.messages$.pipe(toArray()))))
    ).reduce((n, ms) => n + ms.reduce((k, m) => k + m.length, 0), 0);
    expect(unread).toBe(accepted);
    // On the current code: 8 MiB held for a 1 MiB budget, heldBytes 0 throughout, receivePauses 0.
    expect(unread).toBeLessThanOrEqual(budget + 512 * KiB);
    await a.close();
  });

  it('(fixed) one unread 16-byte message does not stall the Link while a message larger than the budget arrives', async () => {
    // "Lets one message larger than the budget through when it is the only one arriving" — before the fix, unless any
    // channel held an unread message, however small: holding() paused reading as soon as heldInbox > 0 and resumed
    // only once held ≤ budget/2 or heldInbox === 0, so the big message could never complete (nor be refused). Now the
    // Link pauses only when most of the budget (over half) is unread messages.
    const budget = 256 * KiB;
    const [a, b] = await linkPair({}, { receiveBudget: budget });
    const incoming = collect(b);
    const small = a.openChannel({ proto: 'later' });
    await small.send(bytes(16)); // B's app reads this channel later
    const big = a.openChannel({ proto: 'big' });
    await settle();
    const read = firstValueFrom(incoming[1]!.messages$);
    const m = bytes(1 * MiB);
    void big.send(m);
    const got = await Promise.race([read, settle(400).then(() => undefined)]);
    // Current code: never arrives; B paused (receivePauses 1) with 16 bytes unread and ~256 KiB of the big message.
    expect(got && sha(got)).toBe(sha(m));
    await a.close();
  });
});

describe('receive budget: design consequence (fails on the current code)', () => {
  it.fails('DESIGN: an app reading two channels in lockstep deadlocks once the other channel fills the budget', async () => {
    // Per-channel windows used to keep channels independent: a channel's data always had its own credit. With the
    // Link-wide pause, unread messages of one channel stop every other channel (TSDoc: "every channel of the Link
    // waits"), so an app that consumes channels in lockstep (audio + video, a merge, a reply awaited on one channel
    // before reading another) waits forever for data behind the pause. HTTP/2's connection window has the same
    // property; with the default 256 MiB it takes ~256 MiB unread. Said here so that the README can warn apps.
    const [a, b] = await linkPair({}, { receiveBudget: 256 * KiB });
    const incoming = collect(b);
    const video = a.openChannel({ proto: 'video' });
    const audio = a.openChannel({ proto: 'audio' });
    await settle();
    for (let i = 0; i < 8; i++) void video.send(bytes(64 * KiB));
    await settle();
    for (let i = 0; i < 8; i++) void audio.send(bytes(1 * KiB));
    const [v, au] = [incoming[0]![Symbol.asyncIterator](), incoming[1]![Symbol.asyncIterator]()];
    const lockstep = (async () => {
      for (let i = 0; i < 8; i++) {
        await au.next(); // the audio frame first, then the video frame that goes with it
        await v.next();
      }
      return true;
    })();
    expect(await Promise.race([lockstep, settle(300).then(() => false)])).toBe(true);
    await a.close(closeReason('normal'), 100);
  });
});

describe('receive budget: refusal of legitimate messages (fails on the current code)', () => {
  it.fails('DESIGN: concurrent messages that together pass the budget are refused although every app reads', async () => {
    // Only messages in assembly filling the budget makes the Link reset the smallest of them (`refused`), even when
    // every app reads at once: three concurrent 400 KiB messages against 1 MiB lose one. With the defaults, three
    // concurrent messages of ≥ 86 MiB (DEFAULT_MAX_MESSAGE_BYTES is 100 MiB, the budget 256 MiB) lose one — a
    // transfer that worked before the budget. Withholding the credit of partial messages past the budget (the
    // sender of the smallest waits at its window while the others complete) would bound memory without a reset.
    const [a, b] = await linkPair({}, { receiveBudget: 1 * MiB, channelWindow: 256 * KiB });
    const incoming = collect(b);
    const ends = [0, 1, 2].map((c) => a.openChannel({ proto: `m-${c}` }));
    await settle();
    const reads = incoming.map((ch) =>
      firstValueFrom(ch.messages$).then(
        (m) => m.length,
        () => -1,
      ),
    );
    const sent = ends.map(() => bytes(400 * KiB));
    for (const [i, ch] of ends.entries()) void ch.send(sent[i]!).catch(() => undefined);
    const lengths = await Promise.race([Promise.all(reads), settle(300).then(() => [])]);
    expect(lengths).toEqual([400 * KiB, 400 * KiB, 400 * KiB]); // current code: one is -1 (refused)
    await a.close(closeReason('normal'), 100);
  });
});

describe('control-frame bound: findings', () => {
  it('(fixed) a Link whose peer is slow is not closed as a "flood" by its own app opening and resetting channels', async () => {
    // Open + reset (a request cancelled) queues an OPEN and a RESET, and frees the channel slot at once, so
    // MAX_CHANNELS_PER_LINK does not bound them. While the peer does not read (here: its receive budget is full of
    // messages its app has not taken — a state the budget itself creates), 32,768 such cycles filled the bound and the
    // Link aborted with `protocol-error` "peer does not read … (flood)": it counted frames this side originates. Now
    // only answers to the peer's frames count (MAX_QUEUED_ANSWERS).
    const [a, b] = await linkPair({}, { receiveBudget: 256 * KiB, channelWindow: 512 * KiB });
    collect(b); // nobody reads on B: its budget fills and it stops reading
    const flood = a.openChannel({ proto: 'unread' });
    for (let i = 0; i < 16; i++) void flood.send(bytes(64 * KiB)).catch(() => undefined);
    await settle(50);
    expect(b.stats().receivePauses).toBe(1);
    // Whatever A writes now stays in flight: B does not read.
    for (let i = 0; i < MAX_QUEUED_ANSWERS && a.state === 'open'; i++) {
      const ch = a.openChannel({ proto: 'rpc' });
      ch.reset(closeReason('normal', 'cancelled'));
      if (i % 4096 === 0) await settle(1);
    }
    await settle();
    const reason = a.state === 'closed' ? await a.closed : undefined;
    expect(reason).toBeUndefined(); // current code: protocol-error "peer does not read: 65536 control frames … (flood)"
    await a.close(closeReason('normal'), 100);
  });
});

describe('receive budget: paths checked and found sound', () => {
  it('a channel reset by the peer mid-message gives its fragments back (heldBytes 0, the Link reads on)', async () => {
    const { link, send } = await rawPeer('responder', { receiveBudget: 256 * KiB });
    const got = collect(link);
    send(open(3), open(5));
    await settle();
    for (const ch of got) ch.messages$.subscribe();
    send(...fragments(3, 0, 200 * KiB, false));
    await settle();
    expect(link.stats().heldBytes).toBe(200 * KiB);
    send(encodeCloseFrame(FrameType.RESET, 3, closeReason('normal', 'gone')));
    await settle();
    expect(link.stats().heldBytes).toBe(0);
    // A message near the budget on the other channel completes: nothing stale was left counted.
    const m = firstValueFrom(got[1]!.messages$);
    send(...fragments(5, 0, 250 * KiB, true));
    expect((await m).length).toBe(250 * KiB);
    expect(link.stats().heldBytes).toBe(0);
    expect(link.stats().receivePauses).toBe(0);
  });

  it('equal messages in assembly: exactly one is refused, the others complete', async () => {
    const budget = 1 * MiB;
    const { link, send, frames } = await rawPeer('responder', { receiveBudget: budget });
    const got = collect(link);
    send(open(3), open(5), open(7));
    await settle();
    const reads = got.map((ch) =>
      firstValueFrom(ch.messages$).then(
        (m) => m.length,
        () => -1,
      ),
    );
    // 420 KiB of each message arrives (1,260 KiB > 1 MiB), then the rest of each.
    send(
      ...fragments(3, 0, 420 * KiB, false),
      ...fragments(5, 0, 420 * KiB, false),
      ...fragments(7, 0, 420 * KiB, false),
    );
    await settle();
    const refused = frames.filter((f) => f.type === FrameType.RESET).map((f) => f.channel);
    expect(refused).toHaveLength(1);
    for (const id of [3, 5, 7]) send(...fragments(id, 0, 60 * KiB, true));
    const lengths = await Promise.race([Promise.all(reads), settle(200).then(() => undefined)]);
    expect(lengths?.filter((n) => n === 480 * KiB)).toHaveLength(2);
    expect(link.stats().heldBytes).toBe(0);
    expect(link.state).toBe('open');
  });

  it('an app that closes the Link from the refused channel’s closed$ (mid-refusal) leaves nothing counted, no throw', async () => {
    const budget = 1 * MiB;
    const { link, send } = await rawPeer('responder', { receiveBudget: budget });
    const got = collect(link);
    send(open(3), open(5), open(7));
    await settle();
    const closes: string[] = [];
    for (const ch of got) {
      ch.messages$.subscribe({ error: () => undefined });
      // The first channel refused makes the app give up on the whole Link, synchronously.
      ch.closed$.subscribe((r) => {
        closes.push(r.code);
        if (r.code === 'refused') link.abort(closeReason('normal', 'app gives up'));
      });
    }
    send(
      ...fragments(3, 0, 300 * KiB, false),
      ...fragments(5, 0, 400 * KiB, false),
      ...fragments(7, 0, 500 * KiB, false),
    );
    const reason = await link.closed;
    expect(reason.message).toBe('app gives up');
    // Exactly one refusal ran (channel 3, the smallest) before the app's abort ended the Link.
    expect(closes).toEqual(['refused', 'normal', 'normal']);
    expect(link.stats().heldBytes).toBe(0);
    expect(got.every((ch) => ch.state === 'closed')).toBe(true);
  });

  it('an async-iterator reader, and an app pause() / resume(), take the Link down to 0 held and reading again', async () => {
    const budget = 256 * KiB;
    const [a, b] = await linkPair({}, { receiveBudget: budget });
    const incoming = collect(b);
    const ch1 = a.openChannel({ proto: 'iter' });
    const ch2 = a.openChannel({ proto: 'paused' });
    await settle();
    incoming[1]!.pause();
    const sent1 = Array.from({ length: 12 }, () => bytes(32 * KiB));
    const sent2 = Array.from({ length: 12 }, () => bytes(32 * KiB));
    for (const m of sent1) void ch1.send(m);
    for (const m of sent2) void ch2.send(m);
    await settle(50);
    expect(b.stats().receivePauses).toBeGreaterThanOrEqual(1);
    const got1: Uint8Array[] = [];
    const it1 = (async () => {
      for await (const m of incoming[0]!) {
        got1.push(m);
        if (got1.length === sent1.length) break;
        await settle(1);
      }
    })();
    const got2: Uint8Array[] = [];
    incoming[1]!.messages$.subscribe((m) => got2.push(m));
    await settle(20);
    incoming[1]!.resume();
    await it1;
    await settle(50);
    expect(got1.map(sha)).toEqual(sent1.map(sha));
    expect(got2.map(sha)).toEqual(sent2.map(sha));
    expect(b.stats().heldBytes).toBe(0);
    await a.close();
  });

  it('a Link that closes while paused ends with heldBytes 0; its unread messages are still readable', async () => {
    const [a, b] = await linkPair({}, { receiveBudget: 128 * KiB });
    const incoming = collect(b);
    const ch = a.openChannel({ proto: 'unread' });
    for (let i = 0; i < 8; i++) void ch.send(bytes(32 * KiB)).catch(() => undefined);
    await settle(50);
    expect(b.stats().receivePauses).toBe(1);
    const last = firstValueFrom(b.stats$.pipe(toArray()));
    await b.close(closeReason('normal'), 200);
    expect((await last).at(-1)!.heldBytes).toBe(0);
    const read = await firstValueFrom(incoming[0]!.messages$.pipe(toArray()));
    expect(read.length).toBeGreaterThan(0);
  });

  it('after a pause and resume the idle timeout works again (virtual time)', async () => {
    const clock = new VirtualClock();
    const [ca, cb] = createConduitPair({ scheduler: clock });
    const opts = {
      scheduler: clock,
      keepAliveIntervalMs: 1_000,
      idleTimeoutMs: 3_000,
      receiveBudget: 128 * KiB,
    };
    const a = new Link(ca, { ...opts, role: 'initiator', local: advert('a') });
    const b = new Link(cb, { ...opts, role: 'responder', local: advert('b') });
    await clock.advance(0);
    await Promise.all([a.opened, b.opened]);
    const incoming = collect(b);
    const ch = a.openChannel({ proto: 'x' });
    for (let i = 0; i < 8; i++) void ch.send(bytes(32 * KiB));
    await clock.advance(10);
    expect(b.stats().receivePauses).toBe(1);
    await clock.advance(10_000);
    expect(b.state).toBe('open');
    incoming[0]!.messages$.subscribe();
    await clock.advance(10);
    expect(b.stats().heldBytes).toBe(0);
    // A goes silent (its medium stops delivering to B): B's idle timeout fires again.
    cb.pause!();
    await clock.advance(5_000);
    expect(b.state).toBe('closed');
    a.abort(closeReason('normal'));
    await clock.advance(1_000);
  });
});

describe('receive budget: a resumable channel moved while its inbox holds messages', () => {
  it('its unread messages leave the lost Link and count on the one it moves to; once read, both hold 0', async () => {
    const A = advert('a');
    const B = advert('b');
    const pa = new PeerConnection({ local: A.networkId, peer: B.networkId, graceMs: 60_000 });
    const pb = new PeerConnection({ local: B.networkId, peer: A.networkId, graceMs: 60_000 });
    const budget = 256 * KiB;
    const link = async (medium: string) => {
      const [ca, cb] = createConduitPair({ medium, addresses: [`${medium}:a`, `${medium}:b`] });
      const a = new Link(ca, { role: 'initiator', local: A, connectionOwner: (l) => pa.adopt(l) });
      const b = new Link(cb, {
        role: 'responder',
        local: B,
        connectionOwner: (l) => pb.adopt(l),
        receiveBudget: budget,
      });
      await Promise.all([a.opened, b.opened]);
      return { a, b, ca, cb };
    };
    const first = await link('tcp');
    const incoming = firstValueFrom(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'unread' });
    const rx = await incoming;
    const sent = Array.from({ length: 6 }, (_, i) => numbered(i, 32 * KiB));
    for (const m of sent) await ch.send(m);
    await settle(50);
    expect(first.b.stats().heldBytes).toBe(6 * 32 * KiB);
    first.ca.sever();
    await first.b.closed;
    const second = await link('ble');
    await settle(50);
    expect(pb.carrier).toBe(second.b);
    // The inbox (nothing was lost with the Link: it had arrived) counts on the new carrier.
    expect(second.b.stats().heldBytes).toBe(6 * 32 * KiB);
    const got: number[] = [];
    rx.messages$.subscribe((m) => got.push(indexOf(m)));
    const more = Array.from({ length: 4 }, (_, i) => numbered(6 + i, 32 * KiB));
    for (const m of more) await ch.send(m);
    for (let i = 0; i < 50 && got.length < 10; i++) await settle(5);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(second.b.stats().heldBytes).toBe(0);
    await pa.close();
    await pb.close();
  });
});

describe('other ways a peer grows memory (fixed here)', () => {
  it('RESUMEs with metadata open no connection channels past MAX_CHANNELS_PER_LINK; the rest are refused (was: every id of the peer’s parity)', async () => {
    // Link.onOpen refuses an OPEN past MAX_CHANNELS_PER_LINK (4,096), and PeerConnection.openChannel checks it, but
    // PeerConnection.onResume makes a channel for every RESUME with metadata (an opener's RESUME whose OPEN was lost)
    // without a limit: 16,384 channels at once (0x8000–0xffff, one parity), each with up to 16 KiB of metadata and
    // its own receive window. Here the peer is a real Link whose app sends the RESUMEs by hand (sendFrame).
    // Fixed: onResume refuses them like an OPEN at the limit (PROTOCOL.md §4.4, §4.10), with RESET `refused`.
    const { pb, link } = peers();
    const l = await link('tcp');
    const peak = peakOpen(pb);
    for (let id = 0x8000; id <= 0xffff; id++)
      l.a.sendFrame(
        encodeResumeFrame({
          channel: id,
          received: 0,
          credit: 64 * KiB,
          epoch: 1_000,
          metadata: { proto: 'r' },
        }),
      );
    await settle(50);
    expect(peak()).toBe(MAX_CHANNELS_PER_LINK); // before the fix: 16,384
    // (A's peer connection never opened those channels and resets the 4,096 B made: churn, but within one Link's
    // worth, RAPID_RESET_BURST — rapid-reset.test.ts.)
    expect(l.b.state).toBe('open');
  });
  it('OPENs of connection channels on several Links stop at MAX_CHANNELS_PER_LINK for the connection (was: 4,096 per Link)', async () => {
    // Link.onOpen bounds each Link's channels; a peer with two Links could open 4,096 connection channels on each
    // (8,191 at once measured: the leader then puts them all on its carrier). PeerConnection.onIncoming refuses past
    // the limit now.
    const { pb, link } = peers();
    const l1 = await link('tcp');
    const l2 = await link('ble');
    const peak = peakOpen(pb);
    // The connection-channel ids of A's parity (the follower's, here: odd), 4,096 on each Link.
    let id = 0x8000 + ((l1.a as unknown as { localOdd: boolean }).localOdd ? 1 : 0);
    for (const l of [l1, l2])
      for (let i = 0; i < MAX_CHANNELS_PER_LINK; i++, id += 2)
        l.a.sendFrame(encodeFrame(FrameType.OPEN, 0, id, 0, encodeJson({ proto: 'o' })));
    await settle(100);
    expect(peak()).toBeLessThanOrEqual(MAX_CHANNELS_PER_LINK); // before the fix: 8,191
    expect(l1.b.state).toBe('open');
    expect(l2.b.state).toBe('open');
  });
});

describe('control payloads past their documented size (fixed here)', () => {
  it('an OPEN whose metadata is over 16 KiB is a protocol error (was: taken, up to 64 KiB a channel)', async () => {
    const { link, send } = await rawPeer('responder', { receiveBudget: 1 * MiB });
    collect(link);
    send(encodeFrame(FrameType.OPEN, 0, 3, 0, encodeJson({ proto: 'x'.repeat(MAX_CONTROL_PAYLOAD + 1) })));
    expect(await Promise.race([link.closed, settle(200)])).toMatchObject({
      code: 'protocol-error',
      message: expect.stringContaining('metadata'),
    });
  });

  it('a close message is kept to 512 bytes, cut at a character boundary (was: up to 64 KiB, remembered per channel)', async () => {
    // PeerConnection remembers the reasons of CLOSED_CHANNEL_MEMORY (4,096) ended channels: 64 KiB each was 256 MiB.
    const { link, send } = await rawPeer('responder', { receiveBudget: 1 * MiB });
    const got = collect(link);
    send(open(3));
    await settle();
    const closed = firstValueFrom(got[0]!.closed$);
    const long = Buffer.from(`x${'é'.repeat(30_000)}`); // 1 + 60,000 bytes: 'é' is 2 bytes of UTF-8
    send(
      encodeFrame(
        FrameType.RESET,
        0,
        3,
        0,
        Buffer.concat([Buffer.from([CLOSE_CODES.indexOf('cancelled')]), long]),
      ),
    );
    const reason = await closed;
    expect(reason.code).toBe('cancelled');
    expect(Buffer.byteLength(reason.message ?? '')).toBe(511);
    expect(reason.message).toBe(`x${'é'.repeat(255)}`);
    expect(link.state).toBe('open');
  });

  it('a RESUME whose metadata is over 16 KiB is a protocol error', async () => {
    const { link } = peers();
    const l = await link('tcp');
    l.a.sendFrame(
      encodeResumeFrame({
        channel: 0x8001,
        received: 0,
        credit: 64 * KiB,
        epoch: 1_000,
        metadata: { proto: 'x'.repeat(MAX_CONTROL_PAYLOAD + 1) },
      }),
    );
    expect(await Promise.race([l.b.closed, settle(200)])).toMatchObject({
      code: 'protocol-error',
      message: expect.stringContaining('RESUME'),
    });
  });
});

describe('receive budget: cost on the hot path (fixed here)', () => {
  it('never hands the Link a negative zero (–0 turned the held-byte counters into heap doubles mid-run)', async () => {
    // `-assembled` / `-m.length` of 0 is -0, a heap number, not a small integer: passed to countHeld and holding it
    // changes the representation of the Channel's and the Link's counter fields once optimized code runs, and every
    // message on the inbox path then cost ~50% more CPU (measured: 64-byte messages read by for-await over TCP, both
    // Links in one process, process.cpuUsage over 200,000 messages: d6b30f7 0.82, this branch before the fix 1.23,
    // with `0 - n` 0.82 µs per message, alternated 4-7×). The call sites now pass +0.
    const [a, b] = await linkPair();
    const negativeZeros: string[] = [];
    const host = b as unknown as { holding(i: number, f: number): void };
    const holding = host.holding.bind(b);
    host.holding = (i, f) => {
      if (Object.is(i, -0) || Object.is(f, -0))
        negativeZeros.push(`holding(${Object.is(i, -0) ? '-0' : i}, ${Object.is(f, -0) ? '-0' : f})`);
      holding(i, f);
    };
    const incoming = collect(b);
    const ch = a.openChannel({ proto: 'iter' });
    // Whole messages into the inbox (no reader yet), an empty one, then read by for-await; then closes both ways.
    for (const n of [64, 0, 64]) await ch.send(new Uint8Array(n));
    await settle();
    const got: number[] = [];
    for await (const m of incoming[0]!) {
      got.push(m.length);
      if (got.length === 3) break;
    }
    expect(got).toEqual([64, 0, 64]);
    await ch.close();
    const other = a.openChannel({ proto: 'reset' });
    await settle();
    other.reset();
    await settle();
    expect(negativeZeros).toEqual([]);
    await a.close();
  });
});

describe('receive budget over a memory pipe with latency and bandwidth, in virtual time', () => {
  it('pauses and resumes many times; every byte of every channel arrives once, in order', async () => {
    const clock = new VirtualClock();
    const [a, b] = await virtualLinkPair(
      clock,
      { receiveBudget: 96 * KiB, channelWindow: 64 * KiB },
      { latencyMs: 20, bandwidthBytesPerSec: 4 * MiB, mtu: 16 * KiB },
      100,
    );
    const incoming = collect(b);
    const sent: Uint8Array[][] = [];
    for (let c = 0; c < 6; c++) {
      const ch = a.openChannel({ proto: `v-${c}` });
      const msgs = Array.from({ length: 24 }, (_, i) => bytes(1 + ((i * 7919 + c * 104729) % (20 * KiB))));
      sent.push(msgs);
      for (const m of msgs) void ch.send(m);
    }
    await clock.advance(2_000);
    expect(b.stats().receivePauses).toBe(1);
    // Each app reads slowly on its own: after every message it pauses its channel for 5 ms of virtual time.
    const got: Uint8Array[][] = incoming.map(() => []);
    for (const [i, ch] of incoming.entries())
      ch.messages$.subscribe((m) => {
        got[i]!.push(m);
        ch.pause();
        clock.schedule(() => ch.resume(), 5);
      });
    for (let t = 0; t < 2_000 && got.some((g) => g.length < 24); t++) await clock.advance(5);
    expect(b.stats().receivePauses).toBeGreaterThan(1);
    for (const [i, ch] of incoming.entries()) {
      const c = Number(ch.metadata.proto.slice(2));
      expect(got[i]!.map(sha)).toEqual(sent[c]!.map(sha));
    }
    expect(b.stats().heldBytes).toBe(0);
    a.abort(closeReason('normal'));
    await clock.advance(1_000);
  });
});

describe('receive budget over real TCP with TLS (natively on the socket, and over a JS stream)', () => {
  for (const path of ['native', 'stream'] as const) {
    it(`${path}: pauses and resumes many times; every byte of every channel arrives once, in order`, async () => {
      const [sa, sb] = await Promise.all([security({ account: 'review' }), security({ account: 'review' })]);
      const [a, b] = securedLinks(sa, sb, {
        conduits: await tcpConduitPair(path),
        link: { receiveBudget: 128 * KiB, channelWindow: 64 * KiB },
      });
      await Promise.all([a.opened, b.opened]);
      const incoming = collect(b);
      const sent: Uint8Array[][] = [];
      for (let c = 0; c < 6; c++) {
        const ch = a.openChannel({ proto: `t-${c}` });
        // ≤ 16 KiB: six messages in assembly (a message is cut where its credit ends) stay under the budget, so
        // nothing is refused (see the DESIGN test on refusals).
        const msgs = Array.from({ length: 24 }, (_, i) => bytes(1 + ((i * 7919 + c * 104729) % (16 * KiB))));
        sent.push(msgs);
        for (const m of msgs) void ch.send(m);
      }
      for (let i = 0; i < 100 && (incoming.length < 6 || b.stats().receivePauses === 0); i++)
        await new Promise((r) => setTimeout(r, 10));
      // Each app reads slowly on its own: after every message it pauses its channel for 2 ms.
      const got: Uint8Array[][] = incoming.map(() => []);
      for (const [i, ch] of incoming.entries())
        ch.messages$.subscribe((m) => {
          got[i]!.push(m);
          ch.pause();
          setTimeout(() => ch.resume(), 2);
        });
      for (let i = 0; i < 1_000 && got.some((g) => g.length < 24); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(b.stats().receivePauses).toBeGreaterThan(1);
      for (const [i, ch] of incoming.entries())
        expect(got[i]!.map(sha)).toEqual(sent[Number(ch.metadata.proto.slice(2))]!.map(sha));
      expect(b.stats().heldBytes).toBe(0);
    }, 60_000);
  }
});
