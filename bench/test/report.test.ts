import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreSecure, transportBle, transportTcp } from '../src/jobs.js';
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

describe('jobs turn the package benches’ output into rows', () => {
  it('transport-tcp: Link row carries the 0.8× target; mDNS rows the 1.5 s target', async () => {
    const { readFileSync } = await import('node:fs');
    const stdout = readFileSync(new URL('./fixtures/transport-tcp.txt', import.meta.url), 'utf8');
    const rows = transportTcp.collect([{ stdout, json: undefined }], env, '/');
    const link = rows.find((r) => r.id === 'transport-tcp.throughput.link')!;
    expect(link.value).toBe(663);
    expect(link.baseline).toBe(806);
    expect(link.ratio).toBeCloseTo(663 / 806);
    expect(link.target).toBe('ratio ≥ 0.8');
    expect(link.met).toBe(true); // 663 / 806 = 0.82
    expect(rows.find((r) => r.id === 'mdns.lost')).toMatchObject({ value: 1074, met: true });
  });

  it('transport-ble: min/median/max over runs, ratio to the ceiling and to naive chunking', async () => {
    const { readFileSync } = await import('node:fs');
    const stdout = readFileSync(new URL('./fixtures/transport-ble.txt', import.meta.url), 'utf8');
    const rows = transportBle.collect([{ stdout, json: undefined }], env, '/');
    expect(rows.find((r) => r.id === 'ble.goodput.colink')).toMatchObject({
      value: 1.269,
      baseline: 1.301,
      n: 1,
    });
    expect(rows.find((r) => r.id === 'ble.goodput.colink-vs-naive')?.ratio).toBeCloseTo(1.269 / 0.005);
  });

  it('encrypted throughput: a clearly marked "not measured yet" row while secure.mjs is absent', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'colink-bench-test-'));
    try {
      const why = coreSecure.unavailable!(root);
      expect(why).toMatch(/^not measured yet/);
      const [row] = coreSecure.placeholder!(why!, env);
      expect(row).toMatchObject({ id: 'core.secure.throughput', target: 'ratio ≥ 0.6', note: why });
      expect(row!.value).toBeNaN();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
