import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { decodeClosePayload, encodeClosePayload, fromUtf8 } from '../src/codec.js';
import { ColinkError, ErrorCode } from '../src/errors.js';

// Review of fromUtf8's two decoders (session 11): mostly non-ASCII text of 64 bytes or more goes through isUtf8 +
// ICU's transcode, the rest through TextDecoder. Both must give exactly what the strict WHATWG decoder gives (a leading
// U+FEFF kept) on every input, wherever the bytes sit.

const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** 120 bytes of CJK: enough, and non-ASCII enough, for the ICU path. */
const cjk = Buffer.from('你好'.repeat(20));

/** fromUtf8's answer: the text, or the error's code (anything not a ColinkError fails the test). */
function decode(b: Uint8Array): string | { error: string } {
  try {
    return fromUtf8(b);
  } catch (e) {
    expect(e).toBeInstanceOf(ColinkError);
    return { error: (e as ColinkError).code };
  }
}
function expected(b: Uint8Array): string | { error: string } {
  try {
    return reference.decode(b);
  } catch {
    return { error: ErrorCode.PROTOCOL };
  }
}

const pieces: Record<string, number[]> = {
  'noncharacters U+FFFE U+FFFF U+FDD0': [...Buffer.from('\uFFFE\uFFFF\uFDD0\uFDEF')],
  'U+10FFFF': [0xf4, 0x8f, 0xbf, 0xbf],
  'CESU-8 (a surrogate pair encoded as two 3-byte surrogates)': [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80],
  'a 5-byte form': [0xf8, 0x88, 0x80, 0x80, 0x80],
  'a 6-byte form': [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80],
  'overlong 2-byte': [0xc1, 0xbf],
  'overlong 3-byte': [0xe0, 0x80, 0xaf],
  'overlong 4-byte': [0xf0, 0x80, 0x80, 0xaf],
  'past U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
  'F5 lead byte': [0xf5, 0x80, 0x80, 0x80],
  'a lone continuation byte': [0x80],
  'U+FEFF': [0xef, 0xbb, 0xbf],
  NUL: [0x00],
};

describe('fromUtf8 equals the strict WHATWG decoder on both paths (review11)', () => {
  for (const [name, bytes] of Object.entries(pieces)) {
    it(`${name}: alone, after ASCII, at the start, middle and end of CJK text`, () => {
      const p = Buffer.from(bytes);
      for (const b of [
        p,
        Buffer.concat([Buffer.from('ab'), p]),
        Buffer.concat([p, cjk]),
        Buffer.concat([cjk, p, cjk]),
        Buffer.concat([cjk, p]),
      ])
        expect(decode(b)).toEqual(expected(b));
    });
  }

  it('views at odd offsets into a larger ArrayBuffer, and SharedArrayBuffer-backed views', () => {
    const text = Buffer.concat([Buffer.from('a'), cjk, Buffer.from('\uFEFF'), cjk, Buffer.from('😀b')]);
    const ab = new ArrayBuffer(text.length + 8);
    new Uint8Array(ab).set(text, 3);
    const sab = new SharedArrayBuffer(text.length + 8);
    new Uint8Array(sab).set(text, 3);
    for (const buffer of [ab, sab]) {
      for (const [from, to] of [
        [3, text.length],
        [4, text.length - 1], // starts at the first CJK byte
        [5, text.length - 2], // starts inside a character: invalid
      ] as const) {
        const view = new Uint8Array(buffer, from, to);
        expect(decode(view)).toEqual(expected(view));
      }
    }
    expect(decode(new Uint8Array(ab, 4, text.length - 1))).toBe(
      `${'你好'.repeat(20)}\uFEFF${'你好'.repeat(20)}😀b`,
    );
  });

  it('a view whose buffer was detached (transferred) decodes as empty, like TextDecoder', () => {
    const view = new Uint8Array(cjk);
    structuredClone(view.buffer, { transfer: [view.buffer] });
    expect(view.length).toBe(0);
    expect(decode(view)).toBe('');
  });

  it('every scalar value, 40 times over (the ICU path), decodes to itself', () => {
    let wrong = 0;
    for (let cp = 0x80; cp <= 0x10ffff; cp += cp < 0x10000 ? 1 : 61) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = String.fromCodePoint(cp).repeat(40);
      if (fromUtf8(Buffer.from(s)) !== s) wrong++;
    }
    expect(wrong).toBe(0);
  });
});

describe('encodeClosePayload (review11): at most 512 bytes of UTF-8, cut at a character boundary (PROTOCOL.md §5)', () => {
  it('a long CJK message is cut to 512 bytes, not 512 characters (1,536 bytes)', () => {
    const p = encodeClosePayload(1, '你'.repeat(400));
    expect(p.length - 1).toBeLessThanOrEqual(512);
    expect(decodeClosePayload(p)).toEqual({ code: 1, message: '你'.repeat(170) });
  });

  it('an emoji across the cut is left out whole, not sent as U+FFFD', () => {
    for (const n of [509, 510, 511]) {
      const p = encodeClosePayload(2, `${'a'.repeat(n)}😀`);
      // What goes on the wire itself, not only what colink's decoder (which cuts at 512 bytes) makes of it.
      expect(Buffer.from(p.subarray(1)).toString('utf8')).toBe(
        n <= 508 ? `${'a'.repeat(n)}😀` : 'a'.repeat(n),
      );
    }
    expect(Buffer.from(encodeClosePayload(2, `${'a'.repeat(508)}😀`).subarray(1)).toString('utf8')).toBe(
      `${'a'.repeat(508)}😀`,
    );
  });
});
