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

/**
 * {@link Spread} of rates measured over equal amounts of work (MB/s of rounds that each move the same bytes), with
 * the **aggregate rate** in `median`: the work of all rounds over their total time (the harmonic mean of the rates),
 * what one transfer of all the rounds' bytes would have shown. For throughput that swings between levels from round
 * to round (tcp-compare's TLS stacks: ~1,000 or ~1,700 MB/s, round by round), the median lands in whichever level
 * holds half the rounds and two stacks' medians can come from different levels (their ratio went 0.6–1.6 per round
 * and 0.88–1.30 per run); the aggregate weighs every round by its time and moves far less (0.975 and 1.02 where
 * the medians gave 0.953 and 1.16). min and max stay the slowest and fastest round.
 */
export function aggregateRate(rates: readonly number[]): Spread {
  const s = spread(rates);
  let inverse = 0;
  for (const r of rates) inverse += 1 / r;
  return { ...s, median: rates.length === 0 ? Number.NaN : rates.length / inverse };
}
