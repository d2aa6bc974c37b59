import { describe, expect, it } from 'vitest';
import { percentile, sorted, spread } from '../src/stats.js';

describe('stats', () => {
  it('percentile is nearest-rank on an ascending array, clamped to the last sample', () => {
    const xs = sorted([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    expect(xs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(percentile(xs, 50)).toBe(6);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 100)).toBe(10);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('spread gives min, median, max and the count, without reordering the input', () => {
    const xs = [3, 1, 2];
    expect(spread(xs)).toEqual({ min: 1, median: 2, max: 3, n: 3 });
    expect(xs).toEqual([3, 1, 2]);
    const empty = spread([]);
    expect(empty.n).toBe(0);
    expect(empty.median).toBeNaN();
  });
});
