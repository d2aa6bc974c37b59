import { describe, expect, it } from 'vitest';
import { assertValidAdvert, MAX_ADVERT_JSON_BYTES } from '../src/advert.js';
import { encodeFrame, encodeHeader, encodeJson, encodePreamble, FrameType } from '../src/codec.js';
import { FRAME_HEADER_BYTES, MAX_CONTROL_PAYLOAD } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { advert } from './helpers.js';

// Issue 16: the peer's HELLO is a control payload (≤ MAX_CONTROL_PAYLOAD, 16 KiB, PROTOCOL.md §4.1). Before, a HELLO
// up to a whole frame (64 KiB) was buffered and JSON-parsed.

/** A responder Link on a memory pipe and the hand-driven initiator's end, its preamble (v1, no security) sent. */
function responderWithRawInitiator() {
  const [ca, cb] = createConduitPair();
  const link = new Link(ca, { role: 'responder', local: advert('link') });
  const written: Uint8Array[] = [];
  cb.data$.subscribe((c) => written.push(c));
  cb.write([encodePreamble({ minVersion: 1, maxVersion: 1, flags: 0 })]);
  return { link, peer: cb, written };
}

/** A HELLO payload of exactly `size` bytes: a valid HELLO padded with an unknown field. */
function helloPayload(size: number): Uint8Array {
  const base = { v: 1, advert: advert('raw'), window: 1 << 20, maxFrame: 65_548, pad: '' };
  const pad = size - encodeJson(base).length;
  expect(pad).toBeGreaterThanOrEqual(0);
  const payload = encodeJson({ ...base, pad: 'x'.repeat(pad) });
  expect(payload.length).toBe(size);
  return payload;
}

describe('HELLO payload bound', () => {
  it('accepts a HELLO of exactly MAX_CONTROL_PAYLOAD bytes', async () => {
    const { link, peer } = responderWithRawInitiator();
    peer.write([encodeFrame(FrameType.HELLO, 0, 0, 0, helloPayload(MAX_CONTROL_PAYLOAD))]);
    await link.opened;
    expect(link.remote?.deviceName).toBe('raw');
    link.abort({ code: 'normal' });
  });

  it('refuses a HELLO one byte over it as protocol-error', async () => {
    const { link, peer } = responderWithRawInitiator();
    peer.write([encodeFrame(FrameType.HELLO, 0, 0, 0, helloPayload(MAX_CONTROL_PAYLOAD + 1))]);
    await expect(link.opened).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    const reason = await link.closed;
    expect(reason.code).toBe('protocol-error');
    expect(reason.message).toMatch(/HELLO/);
    expect(reason.message).toContain(`${MAX_CONTROL_PAYLOAD + 1}`);
  });

  it('refuses it from the 12-byte header alone, before any payload byte is buffered or parsed', async () => {
    const { link, peer } = responderWithRawInitiator();
    // A header announcing a 60 KiB HELLO (under the 64 KiB frame limit) and no payload at all: the Link does not
    // wait for the rest.
    const header = encodeHeader(FrameType.HELLO, 0, 0, 0, 60 * 1024);
    expect(header.length).toBe(FRAME_HEADER_BYTES);
    peer.write([header]);
    const reason = await link.closed;
    expect(reason).toMatchObject({ code: 'protocol-error' });
    expect(reason.message).toMatch(/HELLO.*61440/);
  });

  it('refuses a large frame of another type before HELLO the same way (a GOAWAY is a control payload too)', async () => {
    const { link, peer } = responderWithRawInitiator();
    peer.write([encodeHeader(FrameType.GOAWAY, 0, 0, 0, MAX_CONTROL_PAYLOAD + 1)]);
    expect((await link.closed).code).toBe('protocol-error');
  });

  it('a device whose advert would not fit a HELLO is refused at construction, and a Link never sends one', async () => {
    const services = Array.from({ length: 64 }, (_, i) => `${i}`.padStart(255, 's'));
    const big = { ...advert('big'), services };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(MAX_ADVERT_JSON_BYTES);
    expect(() => assertValidAdvert(big)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/JSON/) }),
    );
    // 60 such services fit.
    expect(() => assertValidAdvert({ ...big, services: services.slice(0, 60) })).not.toThrow();
    // A Link given such an advert anyway fails its handshake on this side with a clear error instead of sending a
    // HELLO its peer would refuse.
    const [ca, cb] = createConduitPair();
    const a = new Link(ca, { role: 'initiator', local: big });
    const b = new Link(cb, { role: 'responder', local: advert('b') });
    await expect(a.opened).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/HELLO is \d+ bytes, over 16384/),
    });
    expect((await a.closed).code).toBe('handshake-failed');
    expect((await b.closed).code).not.toBe('normal');
  });
});
