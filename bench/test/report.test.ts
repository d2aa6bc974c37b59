import { describe, expect, it } from 'vitest';
import { fmt, markdownTable } from '../src/report.js';
import { type BenchRow, benchEnv } from '../src/row.js';

const env = benchEnv();

describe('report table', () => {
  it('prints every row with median/min/max, baseline, ratio and the target beside it', () => {
    const rows: BenchRow[] = [
      {
        id: 'a.b',
        label: 'throughput | with a pipe',
        value: 812.4,
        min: 700,
        max: 900,
        unit: 'MB/s',
        baseline: 1000,
        baselineLabel: 'raw',
        ratio: 0.8124,
        target: 'ratio ≥ 0.8',
        met: true,
        env,
      },
      {
        id: 'c',
        label: 'missing',
        value: Number.NaN,
        unit: 'ms',
        target: '≤ 20 ms',
        note: 'not measured yet',
        env,
      },
    ];
    const md = markdownTable(rows, env, 'T');
    const lines = md.split('\n');
    expect(lines[0]).toBe('## T');
    expect(md).toContain(`Node ${env.node}, ${env.cpus} CPUs`);
    expect(md).toContain(
      '| a.b | throughput \\| with a pipe | 812 | 700 | 900 | MB/s | 1000 (raw) | 0.812× | ratio ≥ 0.8 ✅ met |',
    );
    expect(md).toContain('| c | missing — **not measured yet** | n/a | – | – | ms |  |  | ≤ 20 ms (?) |');
    expect(md).toContain('Targets: 1 of 2 met.');
  });

  it('fmt keeps three significant digits below 100', () => {
    expect(fmt(1234.56)).toBe('1235');
    expect(fmt(12.345)).toBe('12.3');
    expect(fmt(1.2345)).toBe('1.23');
    expect(fmt(0.012345)).toBe('0.0123');
    expect(fmt(undefined)).toBe('–');
  });
});
