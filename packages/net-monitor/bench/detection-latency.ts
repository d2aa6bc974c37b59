// Detection latency: time from starting an `ip` command (address add/del, default route add/del) inside a network
// namespace to the matching NetMonitor event, per event source, beside 1 s polling. The monitor runs with
// `netns`, i.e. in an agent process inside the namespace, so the figures include the agent → parent hop.
// Needs root. Prints a table and writes bench/results/detection-latency.json; with COLINK_BENCH_JSON=<file> also
// report rows for `pnpm bench` (bench/README.md): `net.detect.{netlink,ip-monitor,poll-100-ms,poll-1-s}`, p50 with
// min/max over the iterations. `--quick` (or COLINK_BENCH_QUICK=1): about a third of the iterations;
// BENCH_ITERATIONS=n: n per source (e.g. for a harness test).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filter, firstValueFrom, take } from 'rxjs';
import { NetCap, type NetEvent, NetMonitor, type NetMonitorOptions } from '../src/index.js';
import { isRoot, Lab, untilNetworks } from '../test/helpers/lab.js';

interface Variant {
  readonly label: string;
  readonly options: NetMonitorOptions;
  readonly iterations: number;
}

const quick = process.argv.includes('--quick') || process.env.COLINK_BENCH_QUICK === '1';
// Multiples of 4, so every kind of step (address add/del, default route add/del) counts alike.
const fixed = process.env.BENCH_ITERATIONS ? Number(process.env.BENCH_ITERATIONS) : undefined;
const variants: Variant[] = [
  { label: 'netlink', options: { source: 'netlink' }, iterations: fixed ?? (quick ? 12 : 40) },
  { label: 'ip-monitor', options: { source: 'ip-monitor' }, iterations: fixed ?? (quick ? 12 : 40) },
  {
    label: 'poll 100 ms',
    options: { source: 'poll', pollIntervalMs: 100 },
    iterations: fixed ?? (quick ? 8 : 20),
  },
  {
    label: 'poll 1 s',
    options: { source: 'poll', pollIntervalMs: 1_000 },
    iterations: fixed ?? (quick ? 8 : 16),
  },
];

/** Starts `ip args`, returning when the command started and when it exited (performance.now() ms). */
function timedIp(args: string[]): Promise<{ start: number; exit: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile('ip', args, (err) => (err ? reject(err) : resolve({ start, exit: performance.now() })));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(variant: Variant, index: number): Promise<{ latency: number[]; command: number[] }> {
  const lab = await Lab.create(`b${index}`);
  const latency: number[] = [];
  const command: number[] = [];
  try {
    const { peer } = await lab.veth('nmbench', 60 + index);
    const monitor = await NetMonitor.start({ netns: lab.ns, ...variant.options });
    try {
      const [net] = await untilNetworks(monitor, ['nmbench']);
      const netId = net!.netId;
      const when = (pred: (e: NetEvent) => boolean): Promise<number> =>
        firstValueFrom(monitor.events$.pipe(filter(pred), take(1))).then(() => performance.now());
      const hasAddr = (e: NetEvent, yes: boolean): boolean =>
        e.type === 'propertiesChanged' &&
        e.network.netId === netId &&
        e.properties.linkAddresses.some((a) => a.address.address === '10.250.0.2') === yes;
      const hasInternet = (e: NetEvent, yes: boolean): boolean =>
        e.type === 'capabilitiesChanged' &&
        e.network.netId === netId &&
        e.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_INTERNET) === yes;
      const steps: { args: string[]; pred: (e: NetEvent) => boolean }[] = [
        {
          args: ['-n', lab.ns, 'addr', 'add', '10.250.0.2/24', 'dev', 'nmbench'],
          pred: (e) => hasAddr(e, true),
        },
        {
          args: ['-n', lab.ns, 'addr', 'del', '10.250.0.2/24', 'dev', 'nmbench'],
          pred: (e) => hasAddr(e, false),
        },
        {
          args: ['-n', lab.ns, 'route', 'add', 'default', 'via', peer, 'dev', 'nmbench'],
          pred: (e) => hasInternet(e, true),
        },
        {
          args: ['-n', lab.ns, 'route', 'del', 'default', 'dev', 'nmbench'],
          pred: (e) => hasInternet(e, false),
        },
      ];
      for (let i = 0; i < variant.iterations; i++) {
        const step = steps[i % steps.length]!;
        const seen = when(step.pred);
        const t = await timedIp(step.args);
        const at = await seen;
        latency.push(at - t.start);
        command.push(t.exit - t.start);
        // Desynchronise from the poll timer: the next command lands at a uniformly random point of its period.
        await new Promise((r) => setTimeout(r, 20 + Math.random() * (variant.options.pollIntervalMs ?? 60)));
      }
    } finally {
      await monitor.close();
    }
  } finally {
    await lab.destroy();
  }
  return { latency, command };
}

async function main(): Promise<void> {
  if (!isRoot) {
    console.log('detection-latency bench needs root (network namespaces): skipped');
    return;
  }
  const rows: { source: string; n: number; p50: number; p90: number; min: number; max: number }[] = [];
  const fmt = (n: number): string => n.toFixed(1).padStart(8);
  console.log('source         n   p50 ms   p90 ms   max ms   ip cmd p50 ms');
  for (const [i, v] of variants.entries()) {
    const { latency, command } = await measure(v, i);
    const s = [...latency].sort((a, b) => a - b);
    const c = [...command].sort((a, b) => a - b);
    const row = {
      source: v.label,
      n: s.length,
      p50: percentile(s, 50),
      p90: percentile(s, 90),
      min: s[0] ?? Number.NaN,
      max: s.at(-1) ?? Number.NaN,
      ipCommandP50: percentile(c, 50),
    };
    rows.push(row);
    console.log(
      `${v.label.padEnd(12)} ${String(row.n).padStart(3)} ${fmt(row.p50)} ${fmt(row.p90)} ${fmt(row.max)} ${fmt(row.ipCommandP50)}`,
    );
  }
  const netlink = rows.find((r) => r.source === 'netlink');
  const poll = rows.find((r) => r.source === 'poll 1 s');
  if (netlink && poll) {
    console.log(
      `netlink p50 ${netlink.p50.toFixed(1)} ms (target ≤ 20 ms): ${(poll.p50 / netlink.p50).toFixed(0)}× faster than 1 s polling`,
    );
  }
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'detection-latency.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`,
  );
  if (process.env.COLINK_BENCH_JSON) {
    // Rows of the `pnpm bench` report (bench/src/row.ts): p50 over the iterations, ratio to 1 s polling.
    const report = rows.map((r) => ({
      id: `net.detect.${r.source.replace(/\s+/g, '-')}`,
      label: `net-monitor detection latency p50 (ip command → event, in a netns), ${r.source}; p90 ${r.p90.toFixed(1)} ms`,
      value: r.p50,
      unit: 'ms',
      min: r.min,
      max: r.max,
      n: r.n,
      ...(poll && r !== poll
        ? { baseline: poll.p50, baselineLabel: 'poll 1 s', ratio: r.p50 / poll.p50 }
        : {}),
      ...(r.source === 'netlink' ? { target: '≤ 20 ms', met: r.p50 <= 20 } : {}),
    }));
    writeFileSync(process.env.COLINK_BENCH_JSON, `${JSON.stringify(report, null, 2)}\n`);
  }
}

await main();
