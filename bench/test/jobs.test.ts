import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  collect,
  coreFraming,
  corePeer,
  coreSecure,
  handover,
  hostile,
  type Job,
  netMonitor,
  peerCost,
  readRows,
  transportBle,
  transportTcp,
} from '../src/jobs.js';
import { type BenchRow, benchEnv } from '../src/row.js';
import { runJob } from '../src/run.js';

// The report machinery between a bench and the table: the rows a bench writes to COLINK_BENCH_JSON are checked,
// completed and matched against the ids the report expects. Benchmark figures are never asserted here.
const env = benchEnv();
const root = path.resolve(import.meta.dirname, '..', '..');
const quietly = { root, quick: true, env, echo: () => undefined };

/** A job running `node -e <code>` in bench/ (a real process writing real files). */
const scriptJob = (code: string, ids?: string[]): Job => ({
  id: 'probe',
  cwd: 'bench',
  args: () => ['-e', code],
  timeoutMs: 20_000,
  ...(ids ? { ids } : {}),
});
const writeRows = (rows: unknown): string =>
  `require('node:fs').writeFileSync(process.env.COLINK_BENCH_JSON, ${JSON.stringify(JSON.stringify(rows))})`;

describe('readRows: the COLINK_BENCH_JSON contract', () => {
  it('completes rows with env and label, and reads null figures as NaN (JSON has no NaN)', () => {
    const [a, b] = readRows(
      [
        { id: 'x.y', value: 3, unit: 'ms', min: 1, max: 9, n: 5, target: '≤ 4 ms', met: true },
        { id: 'x.z', label: 'none', value: null, unit: 'MB/s', ratio: null, note: 'not measured' },
      ],
      env,
    );
    expect(a).toEqual({
      id: 'x.y',
      label: 'x.y',
      value: 3,
      unit: 'ms',
      min: 1,
      max: 9,
      n: 5,
      target: '≤ 4 ms',
      met: true,
      env,
    });
    expect(b!.value).toBeNaN();
    expect(b!.ratio).toBeNaN();
    expect(b).toMatchObject({ label: 'none', note: 'not measured', env });
  });

  it('names what is wrong with a malformed row', () => {
    expect(() => readRows({ rows: [] }, env)).toThrow(/not an array/);
    expect(() => readRows([7], env)).toThrow(/row 0 is not an object/);
    expect(() => readRows([{ value: 1, unit: 'ms' }], env)).toThrow(/row 0 has no id/);
    expect(() => readRows([{ id: 'a', value: 1 }], env)).toThrow(/row a has no unit/);
    expect(() => readRows([{ id: 'a', value: '1', unit: 'ms' }], env)).toThrow(/row a has no numeric value/);
    expect(() => readRows([{ id: 'a', value: 1, unit: 'ms', max: '9' }], env)).toThrow(
      /a: max is not a number/,
    );
    expect(() => readRows([{ id: 'a', value: 1, unit: 'ms', label: 2 }], env)).toThrow(
      /a: label is not text/,
    );
    expect(() => readRows([{ id: 'a', value: 1, unit: 'ms', met: 'yes' }], env)).toThrow(
      /met is not a boolean/,
    );
  });
});

describe('collect: expected ids and adjustments', () => {
  it('an expected id the bench did not write becomes a row saying so', () => {
    const { rows, missing } = collect(
      { ...transportBle },
      [{ id: 'ble.goodput.colink', value: 1.2, unit: 'Mbit/s' }],
      env,
    );
    expect(missing).toEqual(['ble.goodput.colink-vs-naive', 'ble.goodput.naive']);
    expect(rows.map((r) => r.id)).toEqual(['ble.goodput.colink', ...missing]);
    expect(rows[1]!.value).toBeNaN();
    expect(rows[1]!.note).toMatch(/wrote no row with this id/);
  });

  it('core.framing gets its label and the 1.5 GB/s target beside the figure', () => {
    const { rows } = collect(coreFraming, [{ id: 'core.framing.throughput', value: 1.6, unit: 'GB/s' }], env);
    expect(rows[0]).toMatchObject({ target: '≥ 1.5 GB/s', met: true });
    expect(rows[0]!.label).toMatch(/in-memory conduit pair/);
  });
});

describe('runJob: a bench process to report rows', () => {
  it('takes the rows a process wrote, and fails clearly on exit status, bad JSON, no file or a missing id', async () => {
    const good = await runJob(scriptJob(writeRows([{ id: 'p.q', value: 2, unit: 'ms' }])), quietly);
    expect(good.error).toBeUndefined();
    expect(good.rows).toMatchObject([{ id: 'p.q', value: 2, unit: 'ms', env }]);

    const exit = await runJob(scriptJob('process.exit(3)'), quietly);
    expect(exit.error).toBe('exited with 3');
    expect(exit.rows).toMatchObject([{ id: 'probe.failed', note: 'failed: exited with 3' }]);

    const bad = await runJob(scriptJob(writeRows([{ id: 'p.q', value: 2 }])), quietly);
    expect(bad.error).toBe('output not understood: row p.q has no unit');

    const none = await runJob(scriptJob('0'), quietly);
    expect(none.error).toBe('output not understood: wrote no COLINK_BENCH_JSON file');

    const short = await runJob(
      scriptJob(writeRows([{ id: 'p.q', value: 2, unit: 'ms' }]), ['p.q', 'p.r']),
      quietly,
    );
    expect(short.error).toBe('wrote no row p.r');
    expect(short.rows.map((r) => r.id)).toEqual(['probe.failed', 'p.q', 'p.r']);
  });

  it('kills a bench that outlives its timeout, with everything it started', async () => {
    const job = {
      ...scriptJob(
        "require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' }); setTimeout(() => {}, 60000)",
      ),
      timeoutMs: 1_000,
    };
    const r = await runJob(job, quietly);
    expect(r.error).toBe('no result within 1000 ms');
  });
});

/** Every row: a figure, and min ≤ median ≤ max over n ≥ 1 repeats (the report's min/median/max columns). */
function expectSpreads(rows: readonly BenchRow[]): void {
  for (const r of rows) {
    expect(r.n, r.id).toBeGreaterThanOrEqual(1);
    expect(r.min!, r.id).toBeLessThanOrEqual(r.value);
    expect(r.max!, r.id).toBeGreaterThanOrEqual(r.value);
  }
}

// The package benches themselves, at tiny sizes: they must write every row id the report expects, with a spread.
// Each is its own process tree (namespaces named by pid), so they run side by side (`concurrent`): the figures are
// not checked here, only that every row is written.
describe('package benches write the rows the report expects (tiny sizes)', { concurrent: true }, () => {
  it('transport-tcp', { timeout: 120_000 }, async () => {
    const r = await runJob(transportTcp, {
      ...quietly,
      extraEnv: {
        BENCH_BYTES: String(1024 * 1024),
        BENCH_ROUNDS: '2',
        BENCH_RTT_ROUNDS: '20',
        BENCH_RTT_REPEATS: '2',
        BENCH_MDNS_ROUNDS: '1',
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.rows.map((x) => x.id)).toEqual(transportTcp.ids);
    expectSpreads(r.rows);
    expect(r.rows.find((x) => x.id === 'transport-tcp.throughput.link')).toMatchObject({
      baselineLabel: 'raw node:net',
      target: 'ratio ≥ 0.8',
      n: 2,
    });
  });

  it('hostile (issue 16: trusted RTT under hostile-peer storms)', { timeout: 180_000 }, async () => {
    const r = await runJob(hostile, {
      ...quietly,
      extraEnv: { BENCH_HOSTILE_REPEATS: '1', BENCH_HOSTILE_SCALE: '0.1', BENCH_HOSTILE_SUSTAIN_MS: '500' },
    });
    expect(r.error).toBeUndefined();
    expect(r.rows.map((x) => x.id)).toEqual(hostile.ids);
    const rtt = r.rows[0]!;
    expect(rtt).toMatchObject({ unit: 'ms', n: 1, target: 'ratio ≤ 2' });
    expect(rtt.ratio).toBeCloseTo(rtt.value / rtt.baseline!, 1);
    expect(r.rows[1]).toMatchObject({ unit: 'µs', n: 1 });
    expect(r.rows[1]!.value).toBeGreaterThan(0);
  });

  it('transport-ble', { timeout: 120_000 }, async () => {
    const r = await runJob(transportBle, {
      ...quietly,
      extraEnv: { BENCH_BYTES: String(16 * 1024), BENCH_RUNS: '2', BENCH_NAIVE_MS: '200' },
    });
    expect(r.error).toBeUndefined();
    expect(r.rows.map((x) => x.id)).toEqual(transportBle.ids);
    expectSpreads(r.rows);
    expect(r.rows[0]).toMatchObject({ n: 2, unit: 'Mbit/s', target: 'ratio ≥ 0.9' });
  });

  it('peer-cost (issue 15: session on a peer connection vs bare Link)', { timeout: 120_000 }, async () => {
    const r = await runJob(peerCost, {
      ...quietly,
      extraEnv: { BENCH_BYTES: String(1024 * 1024), BENCH_ROUNDS: '2', BENCH_RTT_ROUNDS: '20' },
    });
    expect(r.error).toBeUndefined();
    expect(r.rows.map((x) => x.id)).toEqual(peerCost.ids);
    expectSpreads(r.rows);
    expect(r.rows[0]).toMatchObject({ n: 2, unit: 'MB/s', baselineLabel: 'bare Link channel, same Link' });
    expect(r.rows[2]).toMatchObject({ n: 2, unit: 'MB/cpu-s', target: 'ratio ≥ 0.95' });
    expect(r.rows[0]!.ratio).toBeCloseTo(r.rows[0]!.value / r.rows[0]!.baseline!, 9);
    expect(r.rows[0]!.baseline).toBe(r.rows[1]!.value); // the bare row is the baseline
    expect(r.rows[2]!.baseline).toBe(r.rows[3]!.value);
  });

  it('handover (issue 15: stall during a cut with BLE standing by, BLE → TCP upgrade)', {
    timeout: 120_000,
  }, async () => {
    // Two repeats: each builds a new world and channel, whose numbering starts again.
    const r = await runJob(handover, {
      ...quietly,
      extraEnv: { BENCH_REPEATS: '2', BENCH_BLE_MS: '300', BENCH_TCP_BYTES: String(1024 * 1024) },
    });
    expect(r.error).toBeUndefined();
    expect(r.rows.map((x) => x.id)).toEqual(handover.ids);
    expectSpreads(r.rows);
    const byId = new Map(r.rows.map((x) => [x.id, x]));
    const detect = byId.get('handover.detect.keepalive')!;
    // The keep-alive finds a silent cut once nothing arrived for its idle timeout (500 ms, the baseline), counted
    // from the last frame before the cut — at most one PING interval (100 ms) and its PONG earlier.
    expect(detect).toMatchObject({ unit: 'ms', baseline: 500 });
    expect(detect.value).toBeGreaterThanOrEqual(400);
    for (const cut of ['keepalive', 'conduit-end', 'goaway'])
      expect(byId.get(`handover.stall.${cut}`)).toMatchObject({ unit: 'ms', baseline: detect.value });
    // A silent cut stalls delivery for at least as long as it takes to notice it.
    expect(byId.get('handover.stall.keepalive')!.value).toBeGreaterThanOrEqual(400);
    expect(byId.get('handover.upgrade.throughput.tcp')!.baseline).toBe(
      byId.get('handover.upgrade.throughput.ble')!.value,
    );
  });

  const coreDist = existsSync(path.join(root, 'packages/core/dist/security/index.js'));
  it.skipIf(!coreDist)('core peer (needs packages/core built)', { timeout: 120_000 }, async () => {
    const r = await runJob(corePeer, {
      ...quietly,
      extraEnv: { BENCH_BYTES: String(1024 * 1024), BENCH_RUNS: '2', BENCH_WARMUP: '1' },
    });
    expect(r.error).toBeUndefined();
    expect(r.rows.map((x) => x.id)).toEqual(corePeer.ids);
    expectSpreads(r.rows);
    expect(r.rows[0]).toMatchObject({ n: 2, unit: 'GB/cpu-s', target: 'ratio ≥ 0.95' });
    expect(r.rows[1]).toMatchObject({ n: 2, unit: 'GB/s' });
    expect(r.rows[1]!.target).toBeUndefined();
  });

  it.skipIf(!coreDist)('core secure (needs packages/core built)', { timeout: 120_000 }, async () => {
    const r = await runJob(coreSecure, {
      ...quietly,
      extraEnv: { BENCH_BYTES: String(1024 * 1024), BENCH_RUNS: '2' },
    });
    expect(r.error).toBeUndefined();
    expect(r.rows.map((x) => x.id)).toEqual(coreSecure.ids);
    expectSpreads(r.rows);
    expect(r.rows[0]).toMatchObject({ target: 'ratio ≥ 0.6', n: 2 });
  });

  it.skipIf(process.getuid?.() !== 0)(
    'net-monitor (root: network namespaces)',
    { timeout: 120_000 },
    async () => {
      const r = await runJob(netMonitor, { ...quietly, extraEnv: { BENCH_ITERATIONS: '2' } });
      expect(r.error).toBeUndefined();
      expect(r.rows.map((x) => x.id)).toEqual(netMonitor.ids);
      expectSpreads(r.rows);
      expect(r.rows[0]).toMatchObject({ target: '≤ 20 ms', n: 2, baselineLabel: 'poll 1 s' });
    },
  );
});
