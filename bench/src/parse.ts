import type { Spread } from './stats.js';
import { spread } from './stats.js';

/** Figures printed by packages/transport-tcp/bench/run.ts. Throughput in MB/s, RTT in µs, mDNS in ms. */
export interface TcpPackageFigures {
  /** Per path (`raw node:net`, `TCP conduit`, `colink Link`, `Link, 4 MiB`): the MB/s of every round. */
  readonly throughput: ReadonlyMap<string, Spread>;
  /** Per path (`raw node:net`, `TCP conduit`, `colink Link`): p50 and p99 in µs. */
  readonly rtt: ReadonlyMap<string, { p50: number; p99: number }>;
  /** Advertise → found and unadvertise → lost: median and max in ms. */
  readonly mdns:
    | { found: { median: number; max: number }; lost: { median: number; max: number } }
    | undefined;
}

const THROUGHPUT_PATHS = ['raw node:net', 'TCP conduit', 'colink Link', 'Link, 4 MiB'] as const;
const RTT_PATHS = ['raw node:net', 'TCP conduit', 'colink Link'] as const;
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NUM = '(-?[\\d.]+)';

/** Reads the text report of the transport-tcp bench (see {@link TcpPackageFigures}); missing lines are left out. */
export function parseTcpPackage(text: string): TcpPackageFigures {
  const [bulk = '', rest = ''] = text.split(/\n1 KiB round trip/);
  const [rttPart = '', mdnsPart = ''] = rest.split(/\nmDNS on loopback/);
  const throughput = new Map<string, Spread>();
  for (const p of THROUGHPUT_PATHS) {
    const m = new RegExp(`^\\s+${escapeRegExp(p)}\\s+\\d+\\s+rounds: ([\\d, ]+)`, 'm').exec(bulk);
    if (m) throughput.set(p, spread(m[1]!.split(',').map(Number)));
  }
  const rtt = new Map<string, { p50: number; p99: number }>();
  for (const p of RTT_PATHS) {
    const m = new RegExp(`^\\s+${escapeRegExp(p)}\\s+${NUM}\\s+${NUM}\\s*$`, 'm').exec(rttPart);
    if (m) rtt.set(p, { p50: Number(m[1]), p99: Number(m[2]) });
  }
  const found = new RegExp(`advertise → found\\s+${NUM}\\s+${NUM}`).exec(mdnsPart);
  const lost = new RegExp(`unadvertise → lost\\s+${NUM}\\s+${NUM}`).exec(mdnsPart);
  return {
    throughput,
    rtt,
    mdns:
      found && lost
        ? {
            found: { median: Number(found[1]), max: Number(found[2]) },
            lost: { median: Number(lost[1]), max: Number(lost[2]) },
          }
        : undefined,
  };
}

/** Figures printed by packages/transport-ble/bench/goodput.ts, in Mbit/s. */
export interface BleFigures {
  readonly ceiling: number;
  readonly colink: number;
  readonly naive: number;
}

/** Reads the text report of the transport-ble goodput bench; undefined when a figure is missing. */
export function parseBle(text: string): BleFigures | undefined {
  const ceiling = /model ceiling \(\d+ B per PDU\):\s+([\d.]+) Mbit\/s/.exec(text);
  const colink = /colink conduit:\s+([\d.]+) Mbit\/s/.exec(text);
  const naive = /naive 20 B writes with response:\s+([\d.]+) Mbit\/s/.exec(text);
  if (!ceiling || !colink || !naive) return undefined;
  return { ceiling: Number(ceiling[1]), colink: Number(colink[1]), naive: Number(naive[1]) };
}

/** One row of packages/net-monitor/bench/results/detection-latency.json (ms). */
export interface DetectionRow {
  readonly source: string;
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly max: number;
}

/** Reads the net-monitor bench's JSON results (`{ date, node, rows }`); throws on another shape. */
export function parseDetection(json: string): DetectionRow[] {
  const doc = JSON.parse(json) as { rows?: unknown };
  if (!Array.isArray(doc.rows)) throw new Error('detection-latency.json has no rows');
  return doc.rows.map((r: Record<string, unknown>) => {
    if (typeof r.source !== 'string' || typeof r.p50 !== 'number') throw new Error('malformed detection row');
    return { source: r.source, n: Number(r.n), p50: r.p50, p90: Number(r.p90), max: Number(r.max) };
  });
}

/** MB/s of each run printed by packages/core/bench/secure.mjs (`run i: raw … secure Link … plain Link …`). */
export interface SecureRuns {
  readonly raw: number[];
  readonly secure: number[];
  readonly plain: number[];
}

/** Reads the per-run lines of the secure-link bench; empty arrays when there are none. */
export function parseSecure(text: string): SecureRuns {
  const runs: SecureRuns = { raw: [], secure: [], plain: [] };
  const re = /^run \d+: raw\s+([\d.]+) MB\/s\s+secure Link\s+([\d.]+) MB\/s\s+plain Link\s+([\d.]+) MB\/s/gm;
  for (const m of text.matchAll(re)) {
    runs.raw.push(Number(m[1]));
    runs.secure.push(Number(m[2]));
    runs.plain.push(Number(m[3]));
  }
  return runs;
}
