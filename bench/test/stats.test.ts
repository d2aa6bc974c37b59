import { describe, expect, it } from 'vitest';
import { spreadRow } from '../src/row.js';
import { aggregateRate, percentile, sorted, spread } from '../src/stats.js';

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

  it('aggregateRate puts all the work over all the time in median, and keeps the slowest and fastest round', () => {
    // Two rounds of the same bytes at 1,000 and 2,000 MB/s took 1 and 0.5 units of time: 2 units of work in 1.5.
    const a = aggregateRate([1000, 2000]);
    expect(a.median).toBeCloseTo((2 / 1.5) * 1000, 9);
    expect(a).toMatchObject({ min: 1000, max: 2000, n: 2 });
    // A level switch that a median follows moves the aggregate less: the median jumps from 1,000 to 1,700.
    expect(spread([1000, 1000, 1700, 1700, 1700]).median).toBe(1700);
    expect(aggregateRate([1000, 1000, 1700, 1700, 1700]).median).toBeCloseTo(1328.125, 6);
    expect(aggregateRate([]).median).toBeNaN();
  });

  it('a row takes the ratio its baseline gives instead of value / baseline', () => {
    const env = { node: 'v20', cpus: 2, cpuModel: 'x', platform: 'linux', arch: 'x64' } as never;
    const s = spread([60, 70, 61]);
    expect(spreadRow('a', 'a', 'µs', s, env, { value: 50, label: 'b' }).ratio).toBeCloseTo(61 / 50, 9);
    const row = spreadRow('a', 'a', 'µs', s, env, {
      value: 50,
      label: 'b',
      ratio: 1.01,
      target: 'ratio ≤ 1.05',
      met: (r) => r <= 1.05,
    });
    expect(row.ratio).toBe(1.01);
    expect(row.met).toBe(true);
    expect(row.baseline).toBe(50);
  });
});
