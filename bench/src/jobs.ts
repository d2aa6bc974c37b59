import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseBle, parseDetection, parseSecure, parseTcpPackage } from './parse.js';
import type { BenchEnv, BenchRow } from './row.js';
import { spread } from './stats.js';

/** What one run of a bench left behind. */
export interface RunOutput {
  readonly stdout: string;
  /** Rows the bench wrote to `COLINK_BENCH_JSON`, if it did. */
  readonly json: ReadonlyArray<Partial<BenchRow>> | undefined;
}

/** One package bench as `pnpm bench` runs it: `node <args>` in `cwd` (relative to the repository root). */
export interface Job {
  /** Short id, also the prefix of its failure row. */
  readonly id: string;
  readonly cwd: string;
  args(quick: boolean): string[];
  /** Extra environment (sizes for the quick run of benches that read them). */
  env?(quick: boolean): Record<string, string>;
  /** Separate runs, for benches that print one figure per run (min/median/max come from the runs). Default 1. */
  runs?(quick: boolean): number;
  readonly timeoutMs: number;
  /** Why the job cannot run here (it then contributes {@link Job.placeholder} rows), or undefined. */
  unavailable?(root: string): string | undefined;
  /** Rows to show when the job cannot run. */
  placeholder?(note: string, env: BenchEnv): BenchRow[];
  collect(outputs: readonly RunOutput[], env: BenchEnv, root: string): BenchRow[];
}

const TSX = ['--conditions=@colink/source', '--import', 'tsx'];
const MiB = 1024 * 1024;

/** Adds `target`/`met` to a row that has a ratio. */
function withTarget(row: BenchRow, target: string, met: (ratio: number) => boolean): BenchRow {
  return row.ratio === undefined || Number.isNaN(row.ratio)
    ? { ...row, target }
    : { ...row, target, met: met(row.ratio) };
}

/** Rows a bench wrote as JSON, completed with label and env. */
function jsonRows(outputs: readonly RunOutput[], env: BenchEnv): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const o of outputs)
    for (const r of o.json ?? [])
      rows.push({ label: r.label ?? String(r.id), ...r, env: r.env ?? env } as BenchRow);
  return rows;
}

export const coreFraming: Job = {
  id: 'core.framing',
  cwd: 'packages/core',
  args: (quick) => ['bench/run.mjs', ...(quick ? ['--quick'] : [])],
  timeoutMs: 120_000,
  collect: (outputs, env) =>
    jsonRows(outputs, env).map((r) => {
      const row: BenchRow = {
        ...r,
        label: 'core framing + channels over an in-memory conduit pair, 64 KiB messages',
        baselineLabel: 'same bytes through the bare conduit pair',
      };
      return r.id === 'core.framing.throughput' ? { ...row, target: '≥ 1.5 GB/s', met: r.value >= 1.5 } : row;
    }),
};

const SECURE_ROW = 'core.secure.throughput';
export const coreSecure: Job = {
  id: 'core.secure',
  cwd: 'packages/core',
  args: (quick) => ['bench/secure.mjs', ...(quick ? ['--quick'] : [])],
  timeoutMs: 180_000,
  unavailable: (root) =>
    existsSync(path.join(root, 'packages/core/bench/secure.mjs'))
      ? undefined
      : 'not measured yet (packages/core/bench/secure.mjs does not exist)',
  placeholder: (note, env) => [
    {
      id: SECURE_ROW,
      label: 'TCP throughput, colink Link encrypted vs raw node:net',
      value: Number.NaN,
      unit: 'MB/s',
      target: 'ratio ≥ 0.6',
      note,
      env,
    },
  ],
  collect: (outputs, env) => {
    const rows = jsonRows(outputs, env);
    if (rows.length > 0)
      // Encrypted throughput rows (a ratio to a baseline in a throughput unit) carry the target.
      return rows.map((r) =>
        /B\/s$/.test(r.unit) && r.ratio !== undefined ? withTarget(r, 'ratio ≥ 0.6', (x) => x >= 0.6) : r,
      );
    const runs = parseSecure(outputs[0]?.stdout ?? '');
    if (runs.secure.length === 0) return [];
    const raw = spread(runs.raw).median;
    const row = (id: string, label: string, xs: number[]): BenchRow => {
      const s = spread(xs);
      return {
        id,
        label,
        value: s.median,
        unit: 'MB/s',
        min: s.min,
        max: s.max,
        n: s.n,
        baseline: raw,
        baselineLabel: 'raw node:net, same process',
        ratio: s.median / raw,
        env,
      };
    };
    return [
      withTarget(
        row(
          SECURE_ROW,
          'core secure bench: Link + TLS 1.3 over loopback TCP, one process, 64 KiB messages',
          runs.secure,
        ),
        'ratio ≥ 0.6',
        (x) => x >= 0.6,
      ),
      row(
        'core.secure.plain',
        'core secure bench: plain Link over loopback TCP, one process (reference)',
        runs.plain,
      ),
    ];
  },
};

const TCP_PKG_NAMES: Record<string, string> = {
  'raw node:net': 'raw',
  'TCP conduit': 'conduit',
  'colink Link': 'link',
  'Link, 4 MiB': 'link-4mib',
};
export const transportTcp: Job = {
  id: 'transport-tcp',
  cwd: 'packages/transport-tcp',
  args: () => [...TSX, 'bench/run.ts'],
  env: (quick) =>
    quick
      ? { BENCH_BYTES: String(64 * MiB), BENCH_ROUNDS: '3', BENCH_RTT_ROUNDS: '1000', BENCH_MDNS_ROUNDS: '2' }
      : {
          BENCH_BYTES: String(512 * MiB),
          BENCH_ROUNDS: '3',
          BENCH_RTT_ROUNDS: '5000',
          BENCH_MDNS_ROUNDS: '5',
        },
  timeoutMs: 240_000,
  collect: (outputs, env) => {
    const f = parseTcpPackage(outputs[0]?.stdout ?? '');
    const rows: BenchRow[] = [];
    const raw = f.throughput.get('raw node:net');
    for (const [path_, s] of f.throughput) {
      const isRaw = path_ === 'raw node:net';
      const row: BenchRow = {
        id: `transport-tcp.throughput.${TCP_PKG_NAMES[path_]}`,
        label: `transport-tcp bench: throughput, ${path_}${path_.startsWith('Link,') ? ' channel window + send buffer' : ''}`,
        value: s.median,
        unit: 'MB/s',
        min: s.min,
        max: s.max,
        n: s.n,
        ...(raw && !isRaw
          ? { baseline: raw.median, baselineLabel: 'raw node:net', ratio: s.median / raw.median }
          : {}),
        env,
      };
      rows.push(path_ === 'colink Link' ? withTarget(row, 'ratio ≥ 0.8', (x) => x >= 0.8) : row);
    }
    const rawRtt = f.rtt.get('raw node:net');
    for (const [path_, r] of f.rtt) {
      for (const pct of ['p50', 'p99'] as const) {
        rows.push({
          id: `transport-tcp.rtt1k.${pct}.${TCP_PKG_NAMES[path_]}`,
          label: `transport-tcp bench: 1 KiB RTT ${pct}, ${path_}`,
          value: r[pct],
          unit: 'µs',
          ...(rawRtt && path_ !== 'raw node:net'
            ? { baseline: rawRtt[pct], baselineLabel: 'raw node:net', ratio: r[pct] / rawRtt[pct] }
            : {}),
          env,
        });
      }
    }
    if (f.mdns) {
      for (const kind of ['found', 'lost'] as const) {
        const m = f.mdns[kind];
        rows.push({
          id: `mdns.${kind}`,
          label:
            kind === 'found' ? 'mDNS on loopback: advertise → found' : 'mDNS on loopback: unadvertise → lost',
          value: m.median,
          max: m.max,
          unit: 'ms',
          baseline: 1500,
          baselineLabel: 'target 1500 ms',
          ratio: m.median / 1500,
          target: '≤ 1500 ms',
          met: m.median <= 1500,
          env,
        });
      }
    }
    return rows;
  },
};

export const transportBle: Job = {
  id: 'transport-ble',
  cwd: 'packages/transport-ble',
  args: () => [...TSX, 'bench/goodput.ts'],
  env: (quick): Record<string, string> => (quick ? { BENCH_BYTES: String(128 * 1024) } : {}),
  runs: (quick) => (quick ? 1 : 3),
  timeoutMs: 120_000,
  collect: (outputs, env) => {
    const figs = outputs.map((o) => parseBle(o.stdout)).filter((x) => x !== undefined);
    if (figs.length === 0) return [];
    const colink = spread(figs.map((x) => x.colink));
    const naive = spread(figs.map((x) => x.naive));
    const ceiling = figs[0]!.ceiling;
    const base = { unit: 'Mbit/s', n: figs.length, env };
    return [
      {
        ...base,
        id: 'ble.goodput.colink',
        label:
          'BLE goodput, colink conduit on the virtual radio (LE 2M, DLE 251, MTU 247, 15 ms) vs model ceiling',
        value: colink.median,
        min: colink.min,
        max: colink.max,
        baseline: ceiling,
        baselineLabel: 'link model ceiling',
        ratio: colink.median / ceiling,
        target: 'ratio ≥ 0.9',
        met: colink.median / ceiling >= 0.9,
      },
      {
        ...base,
        id: 'ble.goodput.colink-vs-naive',
        label: 'BLE goodput, colink conduit vs naive 20 B writes with response',
        value: colink.median,
        min: colink.min,
        max: colink.max,
        baseline: naive.median,
        baselineLabel: 'naive chunking',
        ratio: colink.median / naive.median,
        target: 'ratio ≥ 5',
        met: colink.median / naive.median >= 5,
      },
      {
        ...base,
        id: 'ble.goodput.naive',
        label: 'BLE goodput, naive 20 B writes with response',
        value: naive.median,
        min: naive.min,
        max: naive.max,
        baseline: ceiling,
        baselineLabel: 'link model ceiling',
        ratio: naive.median / ceiling,
      },
    ];
  },
};

const DETECTION_JSON = 'packages/net-monitor/bench/results/detection-latency.json';
export const netMonitor: Job = {
  id: 'net-monitor',
  cwd: 'packages/net-monitor',
  args: () => [...TSX, 'bench/detection-latency.ts'],
  timeoutMs: 180_000,
  unavailable: () => (process.getuid?.() === 0 ? undefined : 'not measured: needs root (network namespaces)'),
  placeholder: (note, env) => [
    {
      id: 'net.detect.netlink',
      label: 'net-monitor detection latency p50, netlink',
      value: Number.NaN,
      unit: 'ms',
      target: '≤ 20 ms',
      note,
      env,
    },
  ],
  collect: (_outputs, env, root) => {
    const rows = parseDetection(readFileSync(path.join(root, DETECTION_JSON), 'utf8'));
    const poll = rows.find((r) => r.source === 'poll 1 s');
    return rows.map((r): BenchRow => {
      const id = `net.detect.${r.source.replace(/\s+/g, '-')}`;
      const row: BenchRow = {
        id,
        label: `net-monitor detection latency p50 (ip command → event, in a netns), ${r.source}; n=${r.n}, p90 ${r.p90.toFixed(1)} ms`,
        value: r.p50,
        max: r.max,
        n: r.n,
        unit: 'ms',
        ...(poll && r !== poll
          ? { baseline: poll.p50, baselineLabel: 'poll 1 s', ratio: r.p50 / poll.p50 }
          : {}),
        env,
      };
      return r.source === 'netlink' ? { ...row, target: '≤ 20 ms', met: r.p50 <= 20 } : row;
    });
  },
};

/** The benches of this package (they write COLINK_BENCH_JSON rows with their targets already set). */
function own(id: string, file: string, timeoutMs: number, extra: string[] = []): Job {
  return {
    id,
    cwd: 'bench',
    args: (quick) => [...extra, ...TSX, `benches/${file}`, ...(quick ? ['--quick'] : [])],
    timeoutMs,
    collect: jsonRows,
  };
}

export const tcpCompare = own('tcp-compare', 'tcp-compare.ts', 240_000);
export const apiCompat = own('api-compat', 'api-compat.ts', 240_000);
export const scale = own('scale', 'scale.ts', 240_000, ['--expose-gc']);

/** Every bench, in the order `pnpm bench` runs them. */
export const JOBS: readonly Job[] = [
  coreFraming,
  coreSecure,
  tcpCompare,
  transportTcp,
  apiCompat,
  scale,
  transportBle,
  netMonitor,
];
