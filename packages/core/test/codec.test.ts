import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, truncateUtf8 } from '../src/codec.js';

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

describe('FrameDecoder', () => {
  it('decodes frames split at every byte boundary', () => {
    const frame = encodeFrame(1, 1, 3, 7, new TextEncoder().encode('payload'));
    const got: string[] = [];
    const d = new FrameDecoder();
    for (const b of frame) d.push(Uint8Array.of(b), (f) => got.push(new TextDecoder().decode(f.payload)));
    expect(got).toEqual(['payload']);
    expect(d.pending).toBe(0);
  });

  it('rejects a frame larger than its maximum with ERR_PROTOCOL', () => {
    const d = new FrameDecoder(16);
    expect(() => d.push(encodeFrame(1, 1, 3, 0, new Uint8Array(17)), () => undefined)).toThrow(
      /outside 0\.\.16/,
    );
  });
});
