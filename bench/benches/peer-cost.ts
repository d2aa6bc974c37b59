// What a session on a peer connection costs against a bare Link (issue 15: at most 5 % throughput). Two colink
// LocalDevices in this process, one plain TCP Link between them on loopback (protocol v2, no security stage, so
// nothing hides the cost). On that same Link, in the same run:
//   - session: a core Session (A requests, B accepts); its data channel is a connection channel of the PeerConnection
//     (sequence numbers, ACKs, every message kept until acknowledged), sent with Session.sendData;
//   - link: a plain channel opened on the Link itself (Link.openChannel), sent with Channel.send.
// Measurements alternate (ABBA order, one unmeasured warm-up of each first; no GC is forced: the first run after a
// forced GC is slower, an order effect):
//   - throughput: per round BYTES a side of 64 KiB messages (up to 8 sends in flight), in slices of SLICE_BYTES with
//     the sides alternating slice by slice (ABBA; odd rounds BAAB), each slice timed until the far end received it:
//     MB/s of wall-clock time, and MB per CPU-second (user + system of this process, which runs both ends): the cost
//     itself, which other load on the machine does not inflate;
//   - 1 KiB round trip: RTT_N echoes per round after a warm-up, p50/p99 per round (µs); the p99 of all rounds'
//     samples pooled is printed too (one round's p99 is its 20th slowest echo of 2,000: a single preemption moves it).
// Steadiness: a 16 MiB slice is 15–30 ms of CPU, and on the shared machine one slice's MB per CPU-second moves by
// ±30 % (preemption, GC, and the kernel charging loopback TCP work to whichever process runs): 20 rounds (10 in
// --quick; were 10 and 6), ABBA inside each round. Printed beside the rows: the per-round ratios, and all measured
// slices summed per side, in CPU time and in user time alone (colink's own work: the kernel's TCP work is the same on
// both paths, so the user-time ratio is the stricter one).
// Prints a table and the per-round ratios; with COLINK_BENCH_JSON=<file> writes the rows for `pnpm bench`. --quick
// (or COLINK_BENCH_QUICK=1) shrinks the sizes.
import { type Channel, LocalDevice, type Session } from '@colink/core';
import { TcpTransport } from '@colink/transport-tcp';
import { type BenchRow, benchEnv, emitRows, isQuick, spreadRow } from '../src/row.js';
import { percentile, type Spread, sorted, spread } from '../src/stats.js';
import { applyTargets } from '../src/targets.js';

const quick = isQuick();
const MiB = 1024 * 1024;
const BYTES = Number(process.env.BENCH_BYTES ?? (quick ? 64 : 128) * MiB);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 10 : 20));
const RTT_N = Number(process.env.BENCH_RTT_ROUNDS ?? (quick ? 500 : 2_000));
const RTT_WARMUP = 200;
const CHUNK = 64 * 1024;
const PAYLOAD = new Uint8Array(CHUNK).fill(7);
/** Bytes per slice: the sides alternate every slice (see throughputRound). */
const SLICE_BYTES = Number(process.env.BENCH_SLICE_BYTES ?? 16 * MiB);
const IN_FLIGHT = 8;
const app = { bundleName: 'com.colink.bench', moduleName: 'entry', abilityName: 'PeerCostAbility' };

function device(name: string): LocalDevice {
  return new LocalDevice({
    advert: { networkId: name.repeat(64).slice(0, 64), deviceName: name, deviceType: 'pc' },
    transports: [new TcpTransport({ host: '127.0.0.1', discovery: false })],
  });
}

/** One way of carrying bytes from A to B and back: what the loops below drive. */
interface Path {
  send(m: Uint8Array): Promise<void>;
  /** Called by B for every message it receives (set by the loops). */
  onReceive: (m: Uint8Array) => void;
}

const a = device('a');
const b = device('b');
await Promise.all([a.start(), b.start()]);
const link = await a.connectAddress('tcp', b.transports[0]!.localAddress!);
if (!link.resumable || !a.peer(b.advert.networkId))
  throw new Error('the Link is not a protocol v2 peer Link');

// Bare Link channels: B routes them by proto; `sink` counts, `echo` answers on the same channel.
function bareRoute(proto: string, onB: (ch: Channel) => void): void {
  b.handle(proto, (ch) => onB(ch));
}
const bareSink: Path = { send: () => Promise.resolve(), onReceive: () => undefined };
bareRoute('bench.sink', (ch) => ch.messages$.subscribe((m) => bareSink.onReceive(m)));
bareRoute('bench.echo', (ch) => ch.messages$.subscribe((m) => void ch.send(m)));
const sinkCh = link.openChannel({ proto: 'bench.sink' });
bareSink.send = (m) => sinkCh.send(m);
const echoCh = link.openChannel({ proto: 'bench.echo' });

// Sessions: B accepts; the `sink` session counts, the `echo` session answers with sendData.
const sessionSink: Path = { send: () => Promise.resolve(), onReceive: () => undefined };
b.sessions.requests$.subscribe((req) => {
  void req.accept().then((s) => {
    if (req.service === 'sink') s.data$.subscribe((m) => sessionSink.onReceive(m));
    else s.data$.subscribe((m) => void s.sendData(m));
  });
});
const request = (service: string): Promise<Session> =>
  a.sessions.request({ peer: b.advert.networkId, service, local: app, remote: app });
const sink = await request('sink');
sessionSink.send = (m) => sink.sendData(m);
const echo = await request('echo');

/** Wall-clock and CPU time (user + system of this process, which runs both ends) of moving some bytes. */
interface Cost {
  bytes: number;
  wallMs: number;
  cpuMs: number;
  /** The user-mode part of cpuMs: colink's own work (the kernel's TCP work is the same on both paths). */
  userMs: number;
}

/** Pushes `bytes` of 64 KiB messages through `path` (up to 8 in flight) until the far end received them all. */
async function slice(path: Path, bytes: number): Promise<Cost> {
  const n = Math.max(1, Math.floor(bytes / CHUNK));
  let got = 0;
  const done = new Promise<void>((resolve) => {
    path.onReceive = (m) => {
      got += m.length;
      if (got === n * CHUNK) resolve();
    };
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let last: Promise<void> | undefined;
  for (let i = 0; i < n; i++) {
    last = path.send(PAYLOAD);
    if (i % IN_FLIGHT === IN_FLIGHT - 1) await last;
  }
  await last;
  await done;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { bytes: n * CHUNK, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, userMs: cpu.user / 1000 };
}

/** Bytes, wall and CPU time of every measured slice, per side, summed over all rounds. */
const totals = {
  link: { bytes: 0, wallMs: 0, cpuMs: 0, userMs: 0 },
  session: { bytes: 0, wallMs: 0, cpuMs: 0, userMs: 0 },
};
/**
 * One throughput round: BYTES per side in slices of SLICE_BYTES, the sides interleaved slice by slice in ABBA order
 * starting with `first`, so load that comes and goes during the round falls on both alike. MB/s and MB per
 * CPU-second per side.
 */
async function throughputRound(
  first: 'link' | 'session' = 'link',
): Promise<Record<'link' | 'session', { mbps: number; cpu: number }>> {
  const sum = {
    link: { bytes: 0, wallMs: 0, cpuMs: 0, userMs: 0 },
    session: { bytes: 0, wallMs: 0, cpuMs: 0, userMs: 0 },
  };
  const slices = Math.max(1, Math.round(BYTES / SLICE_BYTES));
  for (let k = 0; k < 2 * slices; k++) {
    const second = first === 'link' ? 'session' : 'link';
    const side = k % 4 === 0 || k % 4 === 3 ? first : second;
    const c = await slice(side === 'link' ? bareSink : sessionSink, Math.min(SLICE_BYTES, BYTES));
    sum[side].bytes += c.bytes;
    sum[side].wallMs += c.wallMs;
    sum[side].cpuMs += c.cpuMs;
    sum[side].userMs += c.userMs;
  }
  const rate = (x: Cost) => ({ mbps: x.bytes / x.wallMs / 1e3, cpu: x.bytes / x.cpuMs / 1e3 });
  for (const side of ['link', 'session'] as const) {
    totals[side].bytes += sum[side].bytes;
    totals[side].wallMs += sum[side].wallMs;
    totals[side].cpuMs += sum[side].cpuMs;
    totals[side].userMs += sum[side].userMs;
  }
  return { link: rate(sum.link), session: rate(sum.session) };
}

/** Round trips of 1 KiB: `send` puts one out, `replies` hands each echo to the callback. */
async function rtt(send: (m: Uint8Array) => Promise<void>, setReply: (f: () => void) => void, count: number) {
  const m = new Uint8Array(1024).fill(3);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const back = new Promise<void>((r) => setReply(r));
    const t0 = performance.now();
    await send(m);
    await back;
    samples.push((performance.now() - t0) * 1000);
  }
  return sorted(samples);
}
let bareReply: () => void = () => undefined;
echoCh.messages$.subscribe(() => bareReply());
let sessionReply: () => void = () => undefined;
echo.data$.subscribe(() => sessionReply());
const bareRtt = (n: number) =>
  rtt(
    (m) => echoCh.send(m),
    (f) => (bareReply = f),
    n,
  );
const sessionRtt = (n: number) =>
  rtt(
    (m) => echo.sendData(m),
    (f) => (sessionReply = f),
    n,
  );

// Warm-up of both paths (JIT, buffers), unmeasured.
await throughputRound();
for (const t of Object.values(totals)) Object.assign(t, { bytes: 0, wallMs: 0, cpuMs: 0, userMs: 0 });
await bareRtt(RTT_WARMUP);
await sessionRtt(RTT_WARMUP);

const tp = { link: [] as number[], session: [] as number[], pairs: [] as number[] };
const cpu = { link: [] as number[], session: [] as number[], pairs: [] as number[] };
const p50 = { link: [] as number[], session: [] as number[], pairs: [] as number[] };
const p99 = { link: [] as number[], session: [] as number[] };
/** Every RTT sample of every round, per side (for the pooled p99). */
const pooled = { link: [] as number[], session: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  // ABBA: who goes first alternates, so a drift in background load hits both sides alike.
  const order = r % 2 === 0 ? (['link', 'session'] as const) : (['session', 'link'] as const);
  // The round's first slice follows the RTT phase and meets fewer of V8's mark-compacts (0.22–0.28 a slice against
  // ~0.5): it too alternates between the sides (it was always the link's: 1–2 % in the link's favour).
  const t = await throughputRound(order[0]);
  for (const side of order) {
    tp[side].push(t[side].mbps);
    cpu[side].push(t[side].cpu);
  }
  tp.pairs.push(t.session.mbps / t.link.mbps);
  cpu.pairs.push(t.session.cpu / t.link.cpu);
  for (const side of order) {
    const s = side === 'link' ? await bareRtt(RTT_N) : await sessionRtt(RTT_N);
    p50[side].push(percentile(s, 50));
    p99[side].push(percentile(s, 99));
    pooled[side].push(...s);
  }
  p50.pairs.push(p50.session.at(-1)! / p50.link.at(-1)!);
}

const env = benchEnv();
const S = (xs: number[]): Spread => spread(xs);
const rows: BenchRow[] = [
  spreadRow(
    'peer.throughput.session',
    'session on a peer connection (Session.sendData, connection channel: ACKs + retention), plain TCP Link, 64 KiB',
    'MB/s',
    S(tp.session),
    env,
    { value: S(tp.link).median, label: 'bare Link channel, same Link' },
  ),
  spreadRow(
    'peer.throughput.link',
    'bare Link channel (Link.openChannel) on the same Link, 64 KiB',
    'MB/s',
    S(tp.link),
    env,
  ),
  spreadRow(
    'peer.cpu.session',
    'session on a peer connection: MB moved per CPU-second (user + system, both ends in this process)',
    'MB/cpu-s',
    S(cpu.session),
    env,
    { value: S(cpu.link).median, label: 'bare Link channel, same Link' },
  ),
  spreadRow('peer.cpu.link', 'bare Link channel: MB moved per CPU-second', 'MB/cpu-s', S(cpu.link), env),
  spreadRow('peer.rtt1k.p50.session', 'session 1 KiB sendData echo, p50', 'µs', S(p50.session), env, {
    value: S(p50.link).median,
    label: 'bare Link channel echo',
  }),
  spreadRow('peer.rtt1k.p50.link', 'bare Link channel 1 KiB echo, p50', 'µs', S(p50.link), env),
  spreadRow('peer.rtt1k.p99.session', 'session 1 KiB sendData echo, p99', 'µs', S(p99.session), env, {
    value: S(p99.link).median,
    label: 'bare Link channel echo',
  }),
  spreadRow('peer.rtt1k.p99.link', 'bare Link channel 1 KiB echo, p99', 'µs', S(p99.link), env),
];
const result = applyTargets(rows);
emitRows(result);

const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3));
console.log(
  `# session on a peer connection vs bare Link — plain TCP loopback, one process, ${ROUNDS} rounds (ABBA), ${BYTES / MiB} MiB / ${RTT_N} round trips per round, node ${process.version}`,
);
console.log('| row | median | min | max | unit | baseline | ratio | target |');
console.log('|---|---:|---:|---:|---|---:|---:|---|');
for (const r of result)
  console.log(
    `| ${r.id} | ${f(r.value)} | ${f(r.min!)} | ${f(r.max!)} | ${r.unit} | ${r.baseline === undefined ? '' : f(r.baseline)} | ${
      r.ratio === undefined ? '' : `${f(r.ratio)}×`
    } | ${r.target ?? ''}${r.met === undefined ? '' : r.met ? ' met' : ' NOT met'} |`,
  );
const pr = (xs: number[]): string => {
  const s = S(xs);
  return `median ${s.median.toFixed(3)}, min ${s.min.toFixed(3)}, max ${s.max.toFixed(3)}`;
};
console.log(`per-round throughput ratios session/link: ${pr(tp.pairs)}`);
console.log(`per-round CPU-cost ratios session/link (MB per CPU-second): ${pr(cpu.pairs)}`);
const perCpu = (t: Cost): number => t.bytes / t.cpuMs / 1e3;
const perUser = (t: Cost): number => t.bytes / t.userMs / 1e3;
console.log(
  `all rounds summed: session ${f(perCpu(totals.session))}, link ${f(perCpu(totals.link))} MB per CPU-second, ratio ${(perCpu(totals.session) / perCpu(totals.link)).toFixed(3)}; user time only: session ${f(perUser(totals.session))}, link ${f(perUser(totals.link))} MB per user-CPU-second, ratio ${(perUser(totals.session) / perUser(totals.link)).toFixed(3)}`,
);
console.log(`per-round RTT p50 ratios session/link: ${pr(p50.pairs)}`);
const p99All = (xs: number[]): number => percentile(sorted(xs), 99);
console.log(
  `RTT p99 of all rounds pooled (${pooled.link.length} echoes a side): session ${f(p99All(pooled.session))} µs, link ${f(p99All(pooled.link))} µs`,
);
await Promise.all([sink, echo].map((s) => s.close()));
await Promise.all([a.stop(), b.stop()]);
process.exit(0);
