import { describe, expect, it } from 'vitest';
import {
  decodeResumeFrame,
  encodeAckFrame,
  encodeResumeFrame,
  FrameDecoder,
  FrameType,
} from '../src/codec.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { advert, next } from './helpers.js';

async function pair(maxA?: number, maxB?: number): Promise<[Link, Link]> {
  const [ca, cb] = createConduitPair();
  const a = new Link(ca, {
    role: 'initiator',
    local: advert('a'),
    ...(maxA !== undefined ? { maxProtocolVersion: maxA } : {}),
  });
  const b = new Link(cb, {
    role: 'responder',
    local: advert('b'),
    ...(maxB !== undefined ? { maxProtocolVersion: maxB } : {}),
  });
  await Promise.all([a.opened, b.opened]);
  return [a, b];
}

describe('protocol v2 negotiation', () => {
  it('speaks v2 between two current builds and gives channel parity by networkId, whoever dialled', async () => {
    const [a, b] = await pair();
    expect(a.version).toBe(2);
    expect(b.resumable).toBe(true);
    const aSmaller = advert('a').networkId < advert('b').networkId;
    expect(a.opensOddIds).toBe(aSmaller);
    expect(b.opensOddIds).toBe(!aSmaller);
    const incoming = next(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'x' });
    expect(ch.id % 2 === 1).toBe(aSmaller);
    expect(ch.id).toBeLessThan(0x8000);
    const got = await incoming;
    expect(got.id).toBe(ch.id);
    await a.close();
  });

  it('falls back to v1 with a v1 peer: role parity, no resumable channels', async () => {
    const [a, b] = await pair(undefined, 1);
    expect(a.version).toBe(1);
    expect(b.version).toBe(1);
    expect(a.resumable).toBe(false);
    expect(a.opensOddIds).toBe(true); // the initiator, as in v1
    const incoming = next(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'x' });
    expect(ch.id).toBe(3);
    const got = await incoming;
    const msg = next(got.messages$);
    await ch.send(new Uint8Array([1, 2, 3]));
    expect([...(await msg)]).toEqual([1, 2, 3]);
    await a.close();
  });

  it('refuses to open a channel before the Link is open', () => {
    const [ca] = createConduitPair();
    const a = new Link(ca, { role: 'initiator', local: advert('a') });
    expect(() => a.openChannel({ proto: 'x' })).toThrow(
      expect.objectContaining({ code: 'ERR_NOT_CONNECTED' }),
    );
    a.abort({ code: 'normal' });
  });
});

describe('RESUME and ACK frames', () => {
  it('encode byte by byte as PROTOCOL.md §4.10/§4.11 says and decode back', () => {
    const r = encodeResumeFrame({
      channel: 0x8003,
      received: 7,
      credit: 65_536,
      epoch: 0x01020304,
      metadata: { proto: 'p' },
    });
    // length = 8 + credit 4 + epoch 4 + 13 bytes of {"proto":"p"}; flags OPENER; seq = received
    const head = [0, 0, 0, 8 + 4 + 4 + 13, FrameType.RESUME, 1, 0x80, 0x03, 0, 0, 0, 7];
    expect([...r.subarray(0, 20)]).toEqual([...head, 0, 1, 0, 0, 1, 2, 3, 4]);
    expect(new TextDecoder().decode(r.subarray(20))).toBe('{"proto":"p"}');
    const frames: Parameters<typeof decodeResumeFrame>[0][] = [];
    new FrameDecoder().push(r, (f) => frames.push(f));
    expect(decodeResumeFrame(frames[0]!)).toEqual({
      channel: 0x8003,
      received: 7,
      credit: 65_536,
      epoch: 0x01020304,
      metadata: { proto: 'p' },
    });
    const a = encodeAckFrame(0x8002, 0xffffffff);
    expect([...a]).toEqual([0, 0, 0, 8, FrameType.ACK, 0, 0x80, 0x02, 0xff, 0xff, 0xff, 0xff]);
  });

  it('rejects a RESUME whose payload is short or whose metadata lacks proto', () => {
    const bad = { type: FrameType.RESUME, flags: 0, channel: 0x8000, seq: 0, payload: new Uint8Array(7) };
    expect(() => decodeResumeFrame(bad)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }));
    const noProto = encodeResumeFrame({
      channel: 0x8000,
      received: 0,
      credit: 1,
      epoch: 1,
      metadata: { x: 1 } as never,
    });
    const frames: Parameters<typeof decodeResumeFrame>[0][] = [];
    new FrameDecoder().push(noProto, (f) => frames.push(f));
    expect(() => decodeResumeFrame(frames[0]!)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }));
  });
});
