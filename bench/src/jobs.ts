import type { BenchEnv, BenchRow } from './row.js';

/**
 * One bench as `pnpm bench` runs it: `node <args>` in `cwd` (relative to the repository root), with
 * `COLINK_BENCH_JSON` naming the file it writes its rows to (an array of {@link BenchRow} without `env`).
 */
export interface Job {
  /** Short id, also the prefix of its failure row. */
  readonly id: string;
  readonly cwd: string;
  args(quick: boolean): string[];
  /** Extra environment (sizes for the quick run of benches that read them). */
  env?(quick: boolean): Record<string, string>;
  readonly timeoutMs: number;
  /**
   * Ids of the rows the bench always writes: the report's contract with it. A missing one becomes a row that says
   * so (and fails the run) instead of silently vanishing from the report. Undefined: whatever the bench writes.
   */
  readonly ids?: readonly string[];
  /** Why the job cannot run here (it then contributes {@link Job.placeholder} rows), or undefined. */
  unavailable?(root: string): string | undefined;
  /** Rows to show when the job cannot run. */
  placeholder?(note: string, env: BenchEnv): BenchRow[];
  /** Adjusts the rows the bench wrote (e.g. labels); default: as written. */
  finish?(rows: BenchRow[]): BenchRow[];
}

const TSX = ['--conditions=@colink/source', '--import', 'tsx'];
const MiB = 1024 * 1024;
const NUMERIC = ['value', 'min', 'max', 'n', 'baseline', 'ratio'] as const;
const TEXT = ['label', 'unit', 'baselineLabel', 'target', 'note'] as const;

/**
 * The rows a bench wrote to `COLINK_BENCH_JSON`, checked and completed with `env` (and `label` = id when absent).
 * Numbers may be `null` (how JSON writes NaN: a row without a figure, whose `note` says why).
 * @throws Error naming the offending row when `json` is not an array of rows with a string `id`, a numeric (or null)
 *   `value`, a string `unit`, numeric optional figures, string optional texts and a boolean `met`.
 */
export function readRows(json: unknown, env: BenchEnv): BenchRow[] {
  if (!Array.isArray(json)) throw new Error('bench JSON is not an array of rows');
  return json.map((r: unknown, i): BenchRow => {
    if (typeof r !== 'object' || r === null) throw new Error(`row ${i} is not an object`);
    const o = r as Record<string, unknown>;
    const where = typeof o.id === 'string' && o.id !== '' ? `row ${o.id}` : `row ${i}`;
    if (typeof o.id !== 'string' || o.id === '') throw new Error(`${where} has no id`);
    if (typeof o.unit !== 'string') throw new Error(`${where} has no unit`);
    if (typeof o.value !== 'number' && o.value !== null) throw new Error(`${where} has no numeric value`);
    const row: Record<string, unknown> = { ...o, label: o.label ?? o.id, env: o.env ?? env };
    for (const k of NUMERIC) {
      if (o[k] === null) row[k] = Number.NaN;
      else if (o[k] !== undefined && typeof o[k] !== 'number')
        throw new Error(`${where}: ${k} is not a number`);
    }
    for (const k of TEXT)
      if (row[k] !== undefined && typeof row[k] !== 'string') throw new Error(`${where}: ${k} is not text`);
    if (o.met !== undefined && typeof o.met !== 'boolean') throw new Error(`${where}: met is not a boolean`);
    return row as unknown as BenchRow;
  });
}

/**
 * The job's rows from what its bench wrote: checked ({@link readRows}), adjusted ({@link Job.finish}) and, for every
 * id of {@link Job.ids} the bench did not write, a row without a figure saying so.
 * @returns `rows`, and `missing`: the expected ids that were absent.
 */
export function collect(job: Job, json: unknown, env: BenchEnv): { rows: BenchRow[]; missing: string[] } {
  const got = readRows(json, env);
  const rows = job.finish ? job.finish(got) : got;
  const missing = (job.ids ?? []).filter((id) => !rows.some((r) => r.id === id));
  for (const id of missing)
    rows.push({
      id,
      label: `${job.id} bench`,
      value: Number.NaN,
      unit: '',
      note: 'the bench wrote no row with this id',
      env,
    });
  return { rows, missing };
}

export const coreFraming: Job = {
  id: 'core.framing',
  cwd: 'packages/core',
  args: (quick) => ['bench/run.mjs', ...(quick ? ['--quick'] : [])],
  timeoutMs: 120_000,
  ids: ['core.framing.throughput'],
  finish: (rows) =>
    rows.map((r) => {
      const row: BenchRow = {
        ...r,
        label: 'core framing + channels over an in-memory conduit pair, 64 KiB messages',
        baselineLabel: 'same bytes through the bare conduit pair',
      };
      return r.id === 'core.framing.throughput' ? { ...row, target: '≥ 1.5 GB/s', met: r.value >= 1.5 } : row;
    }),
};

/** Issue 15: a PeerConnection channel against a bare Link channel without a medium (packages/core/bench/peer.mjs). */
export const corePeer: Job = {
  id: 'core.peer',
  cwd: 'packages/core',
  args: (quick) => ['bench/peer.mjs', ...(quick ? ['--quick'] : [])],
  timeoutMs: 180_000,
  ids: ['core.peer.throughput', 'core.peer.throughput.wall'],
};

export const coreSecure: Job = {
  id: 'core.secure',
  cwd: 'packages/core',
  args: (quick) => ['bench/secure.mjs', ...(quick ? ['--quick'] : [])],
  timeoutMs: 180_000,
  ids: ['core.secure.throughput', 'core.secure.plain'],
};

export const transportTcp: Job = {
  id: 'transport-tcp',
  cwd: 'packages/transport-tcp',
  args: () => [...TSX, 'bench/run.ts'],
  env: (quick) =>
    quick
      ? {
          BENCH_BYTES: String(64 * MiB),
          BENCH_ROUNDS: '3',
          BENCH_RTT_ROUNDS: '1000',
          BENCH_RTT_REPEATS: '3',
          BENCH_MDNS_ROUNDS: '2',
        }
      : {
          BENCH_BYTES: String(512 * MiB),
          BENCH_ROUNDS: '3',
          BENCH_RTT_ROUNDS: '5000',
          BENCH_RTT_REPEATS: '3',
          BENCH_MDNS_ROUNDS: '5',
        },
  timeoutMs: 240_000,
  ids: [
    ...['raw', 'conduit', 'link', 'link-4mib'].map((p) => `transport-tcp.throughput.${p}`),
    ...['p50', 'p99'].flatMap((pct) =>
      ['raw', 'conduit', 'link'].map((p) => `transport-tcp.rtt1k.${pct}.${p}`),
    ),
    'mdns.found',
    'mdns.lost',
  ],
};

/** The attacks of the `hostile` bench, as its row ids name them. */
export const HOSTILE_ATTACKS: readonly string[] = [
  'random',
  'slow-preamble',
  'slow-tls-one-source',
  'slow-tls',
  'silent-1000',
  'sustained',
];
/**
 * Issue 16: a trusted session's 1 KiB round trip under each hostile-peer storm against its idle value in the same run
 * (packages/transport-tcp/bench/hostile.ts; loopback, no root), and the device's CPU per hostile connection. Loads
 * dist (no source condition), like the device an app runs.
 */
export const hostile: Job = {
  id: 'hostile',
  cwd: 'packages/transport-tcp',
  args: (quick) => ['--import', 'tsx', 'bench/hostile.ts', ...(quick ? ['--quick'] : [])],
  timeoutMs: 300_000,
  ids: HOSTILE_ATTACKS.flatMap((a) => [`hostile.rtt1k.p50.${a}`, `hostile.cpu.${a}`]),
};

/**
 * Issue 16, the same storms against a device whose TCP listener runs behind transport-tcp's gatekeeper process
 * (`TcpTransport({ gatekeeper: true })`, opt-in): rows `hostile.rtt1k.p50.<attack>.gatekeeper`, the device's CPU per
 * hostile connection `hostile.cpu.<attack>.gatekeeper` and the gatekeeper child's `….gatekeeper-child`.
 */
export const hostileGatekeeper: Job = {
  id: 'hostile-gatekeeper',
  cwd: 'packages/transport-tcp',
  args: (quick) => ['--import', 'tsx', 'bench/hostile.ts', ...(quick ? ['--quick'] : [])],
  env: () => ({ BENCH_HOSTILE_GATEKEEPER: '1' }),
  timeoutMs: 300_000,
  ids: HOSTILE_ATTACKS.flatMap((a) => [
    `hostile.rtt1k.p50.${a}.gatekeeper`,
    `hostile.cpu.${a}.gatekeeper`,
    `hostile.cpu.${a}.gatekeeper-child`,
  ]),
};

export const transportBle: Job = {
  id: 'transport-ble',
  cwd: 'packages/transport-ble',
  args: (quick) => [...TSX, 'bench/goodput.ts', ...(quick ? ['--quick'] : [])],
  timeoutMs: 120_000,
  ids: ['ble.goodput.colink', 'ble.goodput.colink-vs-naive', 'ble.goodput.naive'],
};

export const netMonitor: Job = {
  id: 'net-monitor',
  cwd: 'packages/net-monitor',
  args: (quick) => [...TSX, 'bench/detection-latency.ts', ...(quick ? ['--quick'] : [])],
  timeoutMs: 180_000,
  ids: ['netlink', 'ip-monitor', 'poll-100-ms', 'poll-1-s'].map((s) => `net.detect.${s}`),
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
};

/** A bench of this package (its rows carry their targets already); `ids`: the rows it must write, if listed. */
function own(
  id: string,
  file: string,
  timeoutMs: number,
  extra: string[] = [],
  ids?: readonly string[],
): Job {
  return {
    id,
    cwd: 'bench',
    args: (quick) => [...extra, ...TSX, `benches/${file}`, ...(quick ? ['--quick'] : [])],
    timeoutMs,
    ...(ids ? { ids } : {}),
  };
}

export const tcpCompare = own('tcp-compare', 'tcp-compare.ts', 240_000);
export const apiCompat = own('api-compat', 'api-compat.ts', 240_000);
export const scale = own('scale', 'scale.ts', 240_000, ['--expose-gc']);

/** Issue 15: delivery stall during a cut with BLE standing by, BLE → TCP upgrade (benches/handover.ts). */
export const handover = own(
  'handover',
  'handover.ts',
  240_000,
  [],
  [
    'handover.stall.keepalive',
    'handover.stall.conduit-end',
    'handover.stall.goaway',
    'handover.detect.keepalive',
    'handover.gap.steady',
    'handover.upgrade.time',
    'handover.upgrade.dial',
    'handover.upgrade.throughput.ble',
    'handover.upgrade.throughput.tcp',
  ],
);

/** Issue 15: a session on a peer connection against a bare Link on the same Link (benches/peer-cost.ts). */
export const peerCost = own(
  'peer-cost',
  'peer-cost.ts',
  180_000,
  [],
  [
    'peer.throughput.session',
    'peer.throughput.link',
    'peer.cpu.session',
    'peer.cpu.link',
    ...['p50', 'p99'].flatMap((p) => [`peer.rtt1k.${p}.session`, `peer.rtt1k.${p}.link`]),
  ],
);

/** Every bench, in the order `pnpm bench` runs them. */
export const JOBS: readonly Job[] = [
  coreFraming,
  corePeer,
  coreSecure,
  tcpCompare,
  transportTcp,
  hostile,
  hostileGatekeeper,
  apiCompat,
  scale,
  peerCost,
  handover,
  transportBle,
  netMonitor,
];
