import { describe, expect, it } from 'vitest';
import {
  decodePreamble,
  decodeResumeFrame,
  encodeAckFrame,
  encodePreamble,
  encodeResumeFrame,
  FrameDecoder,
  FrameType,
  PREAMBLE_FLAG_SECURE,
} from '../src/codec.js';
import { ColinkError, ErrorCode } from '../src/errors.js';
import { PREAMBLE_BYTES, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import type { Conduit } from '../src/transport.js';
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

/** Lets the memory pipe deliver what is in flight (it delivers on the asap scheduler). */
const settle = () => new Promise((r) => setTimeout(r, 20));

/** A responder Link on one end of a memory pipe; the test plays the initiator on the other end, byte by byte. */
function responderFacingRaw() {
  const [ca, cb] = createConduitPair();
  const link = new Link(cb, { role: 'responder', local: advert('b'), keepAliveIntervalMs: 0 });
  const got: Uint8Array[] = [];
  ca.data$.subscribe((c) => got.push(c.slice()));
  const received = () => Buffer.concat(got);
  return { link, raw: ca, received };
}

describe('preamble timing (PROTOCOL.md §1): the responder speaks only after the initiator', () => {
  it('writes nothing to a silent or slow stranger, and its preamble once the 8th byte arrives', async () => {
    const { link, raw, received } = responderFacingRaw();
    await settle();
    expect(received().length).toBe(0); // silent: nothing
    const theirs = encodePreamble({ minVersion: 1, maxVersion: 1, flags: 0 });
    for (let i = 0; i < PREAMBLE_BYTES - 1; i++) raw.write([theirs.subarray(i, i + 1)]);
    await settle();
    expect(received().length).toBe(0); // 7 of 8 bytes: still nothing
    raw.write([theirs.subarray(PREAMBLE_BYTES - 1)]);
    await settle();
    const out = received();
    expect(decodePreamble(out.subarray(0, PREAMBLE_BYTES))).toEqual({
      minVersion: PROTOCOL_VERSION_MIN,
      maxVersion: PROTOCOL_VERSION_MAX,
      flags: 0,
    });
    // Then its HELLO (plain Link): the same bytes as before, only later.
    const frames: number[] = [];
    new FrameDecoder(1 << 16).push(out.subarray(PREAMBLE_BYTES), (f) => {
      frames.push(f.type);
      return true;
    });
    expect(frames).toEqual([FrameType.HELLO]);
    link.abort({ code: 'normal' });
  });

  it('writes nothing to a stranger that sends garbage: protocol-error', async () => {
    const { link, raw, received } = responderFacingRaw();
    raw.write([new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')]);
    expect((await link.closed).code).toBe('protocol-error');
    await settle();
    expect(received().length).toBe(0);
  });

  it('ends a stranger at its first byte that is not the magic, with a typed error on `opened`', async () => {
    const { link, raw, received } = responderFacingRaw();
    const theirs = encodePreamble({ minVersion: 1, maxVersion: 1, flags: 0 });
    raw.write([theirs.subarray(0, 2)]); // "CL": so far so good
    await settle();
    expect(link.state).toBe('connecting');
    raw.write([new Uint8Array([0x00])]); // the 3rd byte is wrong: no need to wait for all 8
    expect(await link.closed).toMatchObject({
      code: 'protocol-error',
      message: expect.stringContaining('bad magic'),
    });
    const err = await link.opened.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ColinkError);
    expect(err).toMatchObject({ code: ErrorCode.CLOSED, reason: { code: 'protocol-error' } });
    await settle();
    expect(received().length).toBe(0);
  });

  it('answers a well-formed preamble with no common version with its own, so the peer learns why too', async () => {
    const [raw, end] = createConduitPair();
    const written: Uint8Array[] = [];
    const logged: Conduit = {
      ...end,
      write: (chunks) => {
        written.push(...chunks);
        return end.write(chunks);
      },
    };
    const link = new Link(logged, { role: 'responder', local: advert('b'), keepAliveIntervalMs: 0 });
    raw.write([encodePreamble({ minVersion: 7, maxVersion: 9, flags: 0 })]);
    expect((await link.closed).code).toBe('version-mismatch');
    // Its preamble, then nothing (no GOAWAY: no common language). The memory pipe drops in-flight bytes on destroy,
    // so this looks at what the Link wrote; over TCP the bytes arrive before the FIN.
    expect(written.map((c) => decodePreamble(c))).toEqual([
      { minVersion: PROTOCOL_VERSION_MIN, maxVersion: PROTOCOL_VERSION_MAX, flags: 0 },
    ]);
    // A current initiator against a responder with the other security setting: both close with handshake-failed.
    const [ca, cb] = createConduitPair();
    const secure = {
      name: 'test',
      upgrade: async (conduit: Conduit) => ({ conduit, peer: { networkId: advert('b').networkId } }),
    };
    const a = new Link(ca, { role: 'initiator', local: advert('a'), security: secure });
    const b = new Link(cb, { role: 'responder', local: advert('b') });
    expect((await a.closed).code).toBe('handshake-failed');
    expect((await b.closed).code).toBe('handshake-failed');
  });

  it('writes its preamble before the security stage starts (the stage may read and write at once)', async () => {
    const [ca, cb] = createConduitPair();
    const events: string[] = [];
    const logged: Conduit = {
      ...cb,
      write: (chunks) => {
        events.push(`write ${chunks.reduce((n, c) => n + c.length, 0)}`);
        return cb.write(chunks);
      },
    };
    const upgrade = async (conduit: Conduit) => {
      events.push('upgrade');
      return { conduit, peer: { networkId: advert('a').networkId } };
    };
    const b = new Link(logged, {
      role: 'responder',
      local: advert('b'),
      security: { name: 'test', upgrade },
      keepAliveIntervalMs: 0,
    });
    expect(events).toEqual([]);
    ca.write([encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE })]);
    await settle();
    expect(events.slice(0, 2)).toEqual([`write ${PREAMBLE_BYTES}`, 'upgrade']);
    b.abort({ code: 'normal' });
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
