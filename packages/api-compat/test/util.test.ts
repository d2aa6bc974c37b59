// @ohos.util TextEncoder / TextDecoder (SDK shapes, 401 errors) and the @kit.ArkTS / @ohos.util entry points.
import { describe, expect, it } from 'vitest';
import { util as kitUtil } from '../src/kits/ArkTS.js';
import utilDefault from '../src/ohos/util.js';
import { SPECIFIERS } from '../src/specifiers.js';
import * as util from '../src/util.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return (e as { code?: unknown }).code;
  }
  throw new Error('did not throw');
}

describe('util.TextEncoder', () => {
  it('encodes UTF-8 by default: create, encodeInto (both overloads), encodeIntoUint8Array, encode', () => {
    const enc = util.TextEncoder.create('utf-8');
    expect(enc.encoding).toBe('utf-8');
    expect([...enc.encodeInto('hé€')]).toEqual([0x68, 0xc3, 0xa9, 0xe2, 0x82, 0xac]);
    expect(enc.encodeInto()).toEqual(new Uint8Array(0));
    const dest = new Uint8Array(4);
    // Whole characters only: 'h' (1) + 'é' (2) fit, '€' (3) does not.
    expect(enc.encodeIntoUint8Array('hé€', dest)).toEqual({ read: 2, written: 3 });
    expect([...dest]).toEqual([0x68, 0xc3, 0xa9, 0]);
    expect(enc.encodeInto('ab', new Uint8Array(8))).toEqual({ read: 2, written: 2 });
    expect([...new util.TextEncoder().encode('a')]).toEqual([0x61]);
    // The seed's use: the bytes' buffer is an ArrayBuffer.
    expect(enc.encodeInto('x').buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('utf-16le / utf-16be / iso-8859-1; 401 for wrong types and encodings it cannot code', () => {
    expect([...util.TextEncoder.create('utf-16be').encodeInto('hé')]).toEqual([0, 0x68, 0, 0xe9]);
    expect([...util.TextEncoder.create('UTF-16LE').encodeInto('h')]).toEqual([0x68, 0]);
    expect([...util.TextEncoder.create('iso-8859-1').encodeInto('é')]).toEqual([0xe9]);
    expect(thrown(() => util.TextEncoder.create(5 as never))).toBe(401);
    expect(thrown(() => util.TextEncoder.create('ebcdic'))).toBe(401);
    expect(thrown(() => new util.TextEncoder().encodeInto(5 as never))).toBe(401);
    expect(thrown(() => new util.TextEncoder().encodeIntoUint8Array('a', [] as never))).toBe(401);
  });
});

describe('util.TextDecoder', () => {
  it('decodes: create, decodeToString, decodeWithStream (split sequences), fatal, ignoreBOM, other encodings', () => {
    const dec = util.TextDecoder.create('utf-8', { ignoreBOM: false });
    expect(dec.encoding).toBe('utf-8');
    expect(dec.fatal).toBe(false);
    expect(dec.decodeToString(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9]))).toBe('hé');
    expect(
      util.TextDecoder.create('utf-8', { ignoreBOM: true }).decodeToString(
        new Uint8Array([0xef, 0xbb, 0xbf, 0x68]),
      ),
    ).toBe('\ufeffh');
    const s = util.TextDecoder.create();
    expect(s.decodeWithStream(new Uint8Array([0xe2, 0x82]), { stream: true })).toBe('');
    expect(s.decodeWithStream(new Uint8Array([0xac]))).toBe('€');
    expect(s.decodeToString(new Uint8Array([0xc3]), { stream: true })).toBe('');
    expect(s.decodeToString(new Uint8Array([0xa9]))).toBe('é');
    expect(util.TextDecoder.create().decodeToString(new Uint8Array([0xff]))).toBe('\ufffd');
    expect(
      thrown(() => util.TextDecoder.create('utf-8', { fatal: true }).decodeToString(new Uint8Array([0xff]))),
    ).toBe(401);
    expect(util.TextDecoder.create('utf-16be').decodeToString(new Uint8Array([0, 0x68]))).toBe('h');
    expect(util.TextDecoder.create('gbk').decodeToString(new Uint8Array([0xc4, 0xe3]))).toBe('你');
    expect(new util.TextDecoder().decode(new Uint8Array([0x61]))).toBe('a');
    expect(thrown(() => util.TextDecoder.create('no-such-encoding'))).toBe(401);
    expect(thrown(() => util.TextDecoder.create().decodeToString('abc' as never))).toBe(401);
  });
});

describe('entry points', () => {
  it('util of @kit.ArkTS is the default export of @ohos.util; both specifiers resolve', () => {
    expect(kitUtil.TextEncoder).toBe(util.TextEncoder);
    expect(utilDefault.TextDecoder).toBe(util.TextDecoder);
    expect(SPECIFIERS['@kit.ArkTS']).toBe('@colink/api-compat/kit.ArkTS');
    expect(SPECIFIERS['@ohos.util']).toBe('@colink/api-compat/ohos/util');
  });
});
