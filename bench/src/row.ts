import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Spread } from './stats.js';

/** Where and on what a figure was measured. */
export interface BenchEnv {
  /** `process.version`, e.g. `v20.20.2`. */
  readonly node: string;
  /** `os.availableParallelism()`. */
  readonly cpus: number;
  /** `os.cpus()[0].model`. */
  readonly cpuModel: string;
  /** `process.platform-process.arch`. */
  readonly platform: string;
}

/**
 * One figure of the report (`bench/results/latest.json` holds an array of these). `value` is the median of the
 * repeats, `min`/`max` their extremes; `ratio` = value / baseline, both in `unit`.
 */
export interface BenchRow {
  /** Stable dotted id, e.g. `tcp.throughput.colink`. */
  readonly id: string;
  /** What was measured, for humans. */
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  /** Number of repeats behind min/median/max. */
  readonly n?: number;
  /** The figure this one is compared with, measured in the same run. */
  readonly baseline?: number;
  /** What the baseline is, e.g. `raw node:net`. */
  readonly baselineLabel?: string;
  readonly ratio?: number;
  /** The target, e.g. `ratio ≥ 0.8`. */
  readonly target?: string;
  /** Whether the target is met (absent when the row has no target). */
  readonly met?: boolean;
  /** Why there is no figure (`value` is NaN), e.g. `not measured yet`. */
  readonly note?: string;
  readonly env: BenchEnv;
}

/** The environment of this process. */
export function benchEnv(): BenchEnv {
  return {
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Whether this run is the `--quick` smoke run (flag, or `COLINK_BENCH_QUICK=1` from the aggregator). */
export function isQuick(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--quick') || process.env.COLINK_BENCH_QUICK === '1';
}

/**
 * Hands rows to the aggregator: writes them as JSON to the file named by `COLINK_BENCH_JSON` (the convention of
 * packages/core/bench/run.mjs). Without that variable nothing is written (the bench's printed table stands alone).
 */
export function emitRows(rows: readonly BenchRow[]): void {
  const file = process.env.COLINK_BENCH_JSON;
  if (file) writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
}

/** A baseline measured in the same run, and optionally the target for the ratio value / baseline. */
export interface RowBaseline {
  readonly value: number;
  readonly label: string;
  /** Printed target, e.g. `ratio ≥ 0.8`. */
  readonly target?: string;
  /** Whether the ratio meets the target (required with `target`). */
  readonly met?: (ratio: number) => boolean;
  /**
   * The ratio to report instead of value / baseline, when the bench has a better estimate of it: tcp-compare's round
   * trips give the median of per-round ratios of rounds run side by side. The row's note should say so.
   */
  readonly ratio?: number;
}

/** A report row from the {@link Spread} of a bench's repeats: median as the value, min/max/n, ratio to `base`. */
export function spreadRow(
  id: string,
  label: string,
  unit: string,
  s: Spread,
  env: BenchEnv,
  base?: RowBaseline,
): BenchRow {
  const ratio = base ? (base.ratio ?? s.median / base.value) : undefined;
  return {
    id,
    label,
    value: s.median,
    unit,
    min: s.min,
    max: s.max,
    n: s.n,
    ...(base ? { baseline: base.value, baselineLabel: base.label, ratio } : {}),
    ...(base?.target && ratio !== undefined ? { target: base.target, met: base.met?.(ratio) ?? false } : {}),
    env,
  };
}
