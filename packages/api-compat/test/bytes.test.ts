import { describe, expect, it } from 'vitest';
import { toArrayBuffer } from '../src/bytes.js';

describe('toArrayBuffer', () => {
  it('copies exactly the viewed bytes out of a larger (pooled) buffer', () => {
    const pool = Buffer.from('xxhello worldyy');
    const view = pool.subarray(2, 13);
    const ab = toArrayBuffer(view);
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect(ab.byteLength).toBe(11);
    expect(Buffer.from(ab).toString()).toBe('hello world');
    pool.fill(0); // the copy is independent of the source
    expect(Buffer.from(ab).toString()).toBe('hello world');
  });

  it('returns a plain ArrayBuffer for a view over a SharedArrayBuffer', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(8));
    shared.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const ab = toArrayBuffer(shared.subarray(3, 6));
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(ab)]).toEqual([4, 5, 6]);
  });

  it('handles an empty view', () => {
    expect(toArrayBuffer(new Uint8Array(0)).byteLength).toBe(0);
  });
});
