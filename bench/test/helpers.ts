import { type BenchRow, benchEnv } from '../src/row.js';

/** This machine's bench environment, as every row carries it. */
export const env = benchEnv();

/** A row `x` of value 1 µs on {@link env}, with `over` laid over it. */
export const row = (over: Partial<BenchRow>): BenchRow => ({
  id: 'x',
  label: 'x',
  value: 1,
  unit: 'µs',
  env,
  ...over,
});
