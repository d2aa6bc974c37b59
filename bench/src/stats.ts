/** Min, median and max of a set of samples (same unit as the samples). */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** Number of samples. */
  readonly n: number;
}

/**
 * The sample at percentile `p` (0–100) of an ascending array: nearest-rank, `sorted[floor(p/100 · n)]` clamped to
 * the last sample — the same definition the package benches use. NaN for an empty array.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Ascending copy of `xs`. */
export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** {@link Spread} of `xs` (median = the upper middle sample for even counts); NaNs for no samples. */
export function spread(xs: readonly number[]): Spread {
  const s = sorted(xs);
  return { min: s[0] ?? Number.NaN, median: percentile(s, 50), max: s.at(-1) ?? Number.NaN, n: s.length };
}
