import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, fromUtf8, truncateUtf8 } from '../src/codec.js';
import { ColinkError, ErrorCode } from '../src/errors.js';

describe('truncateUtf8', () => {
  it('keeps whole characters: multibyte letters and surrogate pairs are never split', () => {
    expect(truncateUtf8('hello', 10)).toBe('hello');
    expect(truncateUtf8('héllo', 2)).toBe('h'); // é is 2 bytes and does not fit after h
    expect(truncateUtf8('a😀b', 4)).toBe('a'); // the emoji is 4 bytes (a surrogate pair in JS)
    expect(truncateUtf8('a😀b', 5)).toBe('a😀');
    expect(truncateUtf8('😀😀', 7)).not.toContain('\uFFFD');
    expect(Buffer.byteLength(truncateUtf8('手机手机手机', 10))).toBeLessThanOrEqual(10);
  });
});

describe('fromUtf8', () => {
  const texts = {
    ascii: 'm'.repeat(1000),
    cjk: '你好世界'.repeat(85), // 1,020 bytes, decoded by ICU
    emoji: '😀ab'.repeat(250), // surrogate pairs through ICU
    mixed: `${'m'.repeat(997)}好`, // mostly ASCII: V8's decoder
    short: 'héllo 世界',
    empty: '',
  };
  it.each(Object.entries(texts))('decodes %s text exactly', (_, text) => {
    expect(fromUtf8(Buffer.from(text))).toBe(text);
  });

  it('keeps a leading U+FEFF (it is text, not a byte-order mark), on both decoders', () => {
    expect(fromUtf8(Buffer.from('\uFEFFhello'))).toBe('\uFEFFhello');
    const cjk = `\uFEFF${'你好'.repeat(40)}`;
    expect(fromUtf8(Buffer.from(cjk))).toBe(cjk);
  });

  it('decodes any byte view a caller hands it, a Uint8ClampedArray of CJK text too (ICU takes Uint8Arrays only)', () => {
    const text = '你好世界'.repeat(20);
    const b = Buffer.from(text);
    expect(fromUtf8(new Uint8ClampedArray(b.buffer, b.byteOffset, b.length) as unknown as Uint8Array)).toBe(
      text,
    );
  });

  it('rejects invalid UTF-8 with ERR_PROTOCOL on both decoders', () => {
    const cjk = Buffer.from('你好'.repeat(40));
    const bad = [
      Buffer.from([0x61, 0xff]), // short: V8's decoder
      Buffer.concat([cjk, Buffer.from([0xc0, 0x80])]), // an overlong NUL after CJK text (ICU path)
      Buffer.concat([cjk, Buffer.from([0xed, 0xa0, 0x80])]), // an encoded surrogate
      Buffer.concat([cjk, Buffer.from([0xf4, 0x90, 0x80, 0x80])]), // past U+10FFFF
      cjk.subarray(0, cjk.length - 1), // cut inside the last character
    ];
    for (const b of bad) {
      let error: unknown;
      try {
        fromUtf8(b);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ColinkError);
      expect((error as ColinkError).code).toBe(ErrorCode.PROTOCOL);
    }
  });
});

describe('FrameDecoder', () => {
  it('decodes frames split at every byte boundary', () => {
    const frame = encodeFrame(1, 1, 3, 7, new TextEncoder().encode('payload'));
    const got: string[] = [];
    const d = new FrameDecoder();
    for (const b of frame) d.push(Uint8Array.of(b), (f) => got.push(new TextDecoder().decode(f.payload)));
    expect(got).toEqual(['payload']);
    expect(d.pending).toBe(0);
  });

  it('tells how many bytes of the frame being received are missing: 0 at a boundary, -1 inside the header', () => {
    const a = encodeFrame(1, 1, 3, 7, new Uint8Array(100));
    const b = encodeFrame(1, 1, 3, 8, new Uint8Array(5));
    const d = new FrameDecoder();
    const seen: number[] = [];
    expect(d.bytesToFrameEnd()).toBe(0);
    // Byte by byte over two frames: inside a header the length is unknown, then it counts down to the boundary.
    const stream = Buffer.concat([a, b]);
    for (let i = 0; i < stream.length; i++) {
      d.push(stream.subarray(i, i + 1), (f) => seen.push(f.payload.length));
      const inFrame = i < a.length ? i + 1 : i + 1 - a.length;
      const total = i < a.length ? a.length : b.length;
      const want = inFrame === total ? 0 : inFrame < 12 ? -1 : total - inFrame;
      expect(d.bytesToFrameEnd()).toBe(want);
    }
    expect(seen).toEqual([100, 5]);
  });

  it('rejects a frame larger than its maximum with ERR_PROTOCOL', () => {
    const d = new FrameDecoder(16);
    expect(() => d.push(encodeFrame(1, 1, 3, 0, new Uint8Array(17)), () => undefined)).toThrow(
      /outside 0\.\.16/,
    );
  });

  it('hands out a frame spread over consecutive chunks of one buffer as a view, and copies it otherwise', () => {
    const payload = new Uint8Array(70_000).map((_, i) => (i * 13) & 0xff);
    const frame = encodeFrame(1, 1, 3, 0, payload);
    // One slab, read in 16 KiB pieces: consecutive views of the same ArrayBuffer.
    const slab = new Uint8Array(frame.length + 100);
    slab.set(frame, 0);
    const d = new FrameDecoder(100_000);
    const got: Uint8Array[] = [];
    for (let at = 0; at < frame.length; at += 16_384)
      d.push(slab.subarray(at, Math.min(at + 16_384, frame.length)), (f) => got.push(f.payload));
    expect(got).toHaveLength(1);
    expect(got[0]!.buffer).toBe(slab.buffer); // no copy
    expect(Buffer.compare(Buffer.from(got[0]!), Buffer.from(payload))).toBe(0);
    // The same bytes in separate buffers: one copy, byte-exact.
    const copied: Uint8Array[] = [];
    for (let at = 0; at < frame.length; at += 16_384)
      d.push(Uint8Array.prototype.slice.call(frame, at, at + 16_384), (f) => copied.push(f.payload));
    expect(copied[0]!.buffer).not.toBe(frame.buffer);
    expect(Buffer.compare(Buffer.from(copied[0]!), Buffer.from(payload))).toBe(0);
  });

  it('copies a small payload out of a buffer much larger than a frame, so keeping it does not keep the buffer', () => {
    const slab = new Uint8Array(256 * 1024);
    const small = encodeFrame(1, 1, 3, 0, Uint8Array.of(1, 2, 3));
    const large = encodeFrame(1, 1, 3, 1, new Uint8Array(40_000).fill(9));
    slab.set(small, 0);
    slab.set(large, small.length);
    const got: Uint8Array[] = [];
    new FrameDecoder(100_000).push(slab.subarray(0, small.length + large.length), (f) => got.push(f.payload));
    expect([...got[0]!]).toEqual([1, 2, 3]);
    expect(got[0]!.buffer).not.toBe(slab.buffer);
    expect(got[1]!.length).toBe(40_000);
    expect(got[1]!.buffer).toBe(slab.buffer); // an eighth of the buffer or more: a view
  });
});
