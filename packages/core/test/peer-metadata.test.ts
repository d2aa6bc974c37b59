import { describe, expect, it } from 'vitest';
import {
  decodeCloseReason,
  encodeCloseFrame,
  encodeFrame,
  encodeJson,
  encodeResumeFrame,
  type Frame,
  FrameType,
} from '../src/codec.js';
import { closeReason } from '../src/errors.js';
import { MAX_CONTROL_PAYLOAD, MAX_PEER_METADATA_BYTES } from '../src/limits.js';
import { collectIncoming, rawPeer, settle } from './helpers.js';
import { peers } from './peer-helpers.js';

// Issue 16: each OPEN's (or RESUME's) metadata is at most 16 KiB, but 4,096 channels could hold 64 MiB of it, read
// or not, for their whole life. The peer's channels now hold at most MAX_PEER_METADATA_BYTES (4 MiB) of metadata per
// Link (Link channels) and per peer connection (connection channels); past it their OPEN is refused (RESET refused).

/** Metadata `{ proto, pad }` whose JSON is exactly `size` bytes. */
function bigMeta(size: number, proto = 'big'): { proto: string; pad: string } {
  const pad = size - encodeJson({ proto, pad: '' }).length;
  const meta = { proto, pad: 'x'.repeat(pad) };
  expect(encodeJson(meta).length).toBe(size);
  return meta;
}
const FULL = MAX_PEER_METADATA_BYTES / MAX_CONTROL_PAYLOAD; // 256 channels of the largest metadata
const refusals = (frames: Frame[]) =>
  frames
    .filter((f) => f.type === FrameType.RESET)
    .map((f) => ({ channel: f.channel, ...decodeCloseReason(f.payload) }));

describe('metadata of the peer’s Link channels', () => {
  it(`holds ${FULL} channels of 16 KiB metadata the app never reads; the next are refused, the Link stays`, async () => {
    const { link, send, frames } = await rawPeer('responder');
    const accepted = collectIncoming(link); // the app takes the channels and never reads them
    const meta = encodeJson(bigMeta(MAX_CONTROL_PAYLOAD));
    const open = (id: number, body = meta) => encodeFrame(FrameType.OPEN, 0, id, 0, body);
    const ids = Array.from({ length: FULL + 44 }, (_, k) => 3 + 2 * k);
    send(...ids.map((id) => open(id)));
    await settle();
    expect(accepted).toHaveLength(FULL);
    const refused = refusals(frames);
    expect(refused.map((r) => r.channel)).toEqual(ids.slice(FULL));
    expect(refused[0]).toMatchObject({ code: 'refused', message: expect.stringMatching(/metadata/) });
    expect(link.state).toBe('open');
    // Small metadata does not fit either while the bound is full…
    send(open(9_001, encodeJson({ proto: 'small' })));
    await settle();
    expect(refusals(frames).at(-1)?.channel).toBe(9_001);
    // …and room comes back as the peer's channels close, whoever ends them: for their life, not until read.
    for (const ch of accepted.slice(0, 3)) ch.reset(closeReason('normal', 'done'));
    send(encodeCloseFrame(FrameType.RESET, accepted[3]!.id, closeReason('normal')));
    await settle();
    send(...[9_003, 9_005, 9_007, 9_009].map((id) => open(id)), open(9_011));
    await settle();
    expect(accepted.map((ch) => ch.id).slice(FULL)).toEqual([9_003, 9_005, 9_007, 9_009]);
    expect(refusals(frames).at(-1)?.channel).toBe(9_011);
    link.abort(closeReason('normal'));
  });

  it('channels with ordinary metadata are not limited by it: 4,000 session-sized OPENs are all taken', async () => {
    const { link, send } = await rawPeer('responder');
    const accepted = collectIncoming(link);
    const meta = encodeJson(bigMeta(300, 'colink.session/1')); // a session request's is ~290 bytes
    send(...Array.from({ length: 4_000 }, (_, k) => encodeFrame(FrameType.OPEN, 0, 3 + 2 * k, 0, meta)));
    await settle();
    expect(accepted).toHaveLength(4_000);
    expect(link.state).toBe('open');
    link.abort(closeReason('normal'));
  });
});

describe('metadata of the peer’s connection channels (protocol v2)', () => {
  /** Connection-channel ids of A's parity on the pair's Link. */
  function aIds(a: unknown, n: number): number[] {
    const first = 0x8000 + ((a as { opensOddIds: boolean }).opensOddIds ? 1 : 0);
    return Array.from({ length: n }, (_, k) => first + 2 * k);
  }

  it(`OPENs: ${FULL} channels of 16 KiB metadata nobody takes are held, the rest refused; the Link stays`, async () => {
    const { pb, link } = peers();
    const l = await link('tcp');
    const resets: Frame[] = [];
    l.a.frames$.subscribe((f) => {
      if (f.type === FrameType.RESET) resets.push({ ...f, payload: new Uint8Array(0) });
    });
    const meta = encodeJson(bigMeta(MAX_CONTROL_PAYLOAD));
    // The peer's app sends the OPENs by hand; on B nobody subscribes to incomingChannels$ (they wait for the app).
    for (const id of aIds(l.a, FULL + 20)) l.a.sendFrame(encodeFrame(FrameType.OPEN, 0, id, 0, meta));
    await settle(50);
    expect(pb.channels).toHaveLength(FULL);
    expect(resets).toHaveLength(20);
    expect(l.b.state).toBe('open');
    await pb.close(closeReason('normal'), 100);
  });

  it(`RESUMEs that would open channels stop at the same bound (was: ${FULL * 16} possible, 64 MiB)`, async () => {
    const { pb, link } = peers();
    const l = await link('tcp');
    const opened = collectIncoming(l.b); // Link channels: none expected
    let incoming = 0;
    pb.incomingChannels$.subscribe(() => incoming++);
    const refused: string[] = [];
    l.a.frames$.subscribe((f) => {
      if (f.type === FrameType.RESET) refused.push(`${f.channel}`);
    });
    const metadata = bigMeta(MAX_CONTROL_PAYLOAD);
    for (const id of aIds(l.a, FULL + 10))
      l.a.sendFrame(encodeResumeFrame({ channel: id, received: 0, credit: 65_536, epoch: 1_000, metadata }));
    await settle(50);
    expect(incoming).toBe(FULL);
    expect(opened).toHaveLength(0);
    // The 10 over the bound are refused (RESET refused); B holds the others (A, whose app never opened them, resets
    // them once B resumes them on its carrier: that frees their metadata again).
    expect(refused).toHaveLength(10);
    expect(l.b.state).toBe('open');
    await pb.close(closeReason('normal'), 100);
  });
});
