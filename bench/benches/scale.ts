// Many sessions in one process: two colink LocalDevices (A requests, B accepts) joined by one Link over TCP
// loopback, N concurrent collaboration sessions (core Session: control channel per session), for N = 100 and 1,000.
//   - open: N concurrent requests → accepted, sessions per second;
//   - idle memory: (heapUsed + external) after GC with N sessions open minus before, / N — both ends of each session
//     live in this process, so this counts both (KB per session);
//   - messages per second: every session sends MSGS 64-byte text messages at once, timed until B has them all.
// Needs --expose-gc. --quick (or COLINK_BENCH_QUICK=1) shrinks the counts.
import { LocalDevice, type Session } from '@colink/core';
import { TcpTransport } from '@colink/transport-tcp';
import { type BenchRow, benchEnv, emitRows, isQuick, spreadRow } from '../src/row.js';
import { spread } from '../src/stats.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const quick = isQuick();
const SIZES = [100, 1_000] as const;
const ROUNDS = quick ? 2 : 5;
const MSGS = quick ? 20 : 100;
const app = { bundleName: 'com.colink.bench', moduleName: 'entry', abilityName: 'ScaleAbility' };
const text = 't'.repeat(64);

function device(name: string): LocalDevice {
  return new LocalDevice({
    advert: { networkId: name.repeat(64).slice(0, 64), deviceName: name, deviceType: 'pc' },
    transports: [new TcpTransport({ host: '127.0.0.1', discovery: false })],
  });
}

const a = device('a');
const b = device('b');
await Promise.all([a.start(), b.start()]);
let received = 0;
let onCount: () => void = () => undefined;
b.sessions.requests$.subscribe((req) => {
  void req.accept().then((s) =>
    s.messages$.subscribe(() => {
      received++;
      onCount();
    }),
  );
});
await a.connectAddress('tcp', b.transports[0]!.localAddress!);
const peer = b.advert.networkId;

/** (heapUsed + external) in bytes after two full GCs. */
async function settledMemory(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

interface Round {
  openPerSec: number;
  bytesPerSession: number;
  msgsPerSec: number;
}

async function round(n: number): Promise<Round> {
  const before = await settledMemory();
  const t0 = performance.now();
  const sessions: Session[] = await Promise.all(
    Array.from({ length: n }, () => a.sessions.request({ peer, service: 'scale', local: app, remote: app })),
  );
  const openMs = performance.now() - t0;
  const after = await settledMemory();
  received = 0;
  const total = n * MSGS;
  const all = new Promise<void>((resolve) => {
    onCount = () => {
      if (received === total) resolve();
    };
  });
  const t1 = performance.now();
  await Promise.all(
    sessions.map(async (s) => {
      for (let i = 0; i < MSGS; i++) await s.sendMessage(text);
    }),
  );
  await all;
  const sendMs = performance.now() - t1;
  await Promise.all(sessions.map((s) => s.close()));
  return {
    openPerSec: (n / openMs) * 1e3,
    bytesPerSession: (after - before) / n,
    msgsPerSec: (total / sendMs) * 1e3,
  };
}

const env = benchEnv();
const rows: BenchRow[] = [];
for (const n of SIZES) {
  await round(n); // warm-up: JIT and pools
  const rs: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) rs.push(await round(n));
  const kb = spread(rs.map((r) => r.bytesPerSession / 1024));
  const mps = spread(rs.map((r) => r.msgsPerSec));
  const ops = spread(rs.map((r) => r.openPerSec));
  rows.push(
    spreadRow(
      `scale.${n}.memory`,
      `${n} concurrent sessions, idle memory per session (both ends, heap + external)`,
      'KB',
      kb,
      env,
      n === 1_000 ? { value: 64, label: 'target 64 KB', target: '≤ 64 KB', met: (r) => r <= 1 } : undefined,
    ),
    spreadRow(
      `scale.${n}.messages`,
      `${n} concurrent sessions, ${MSGS} × 64 B messages each, one way`,
      'msg/s',
      mps,
      env,
    ),
    spreadRow(`scale.${n}.open`, `${n} concurrent session requests → accepted`, 'sessions/s', ops, env),
  );
}
await Promise.all([a.stop(), b.stop()]);

// Ratios between the two sizes: how per-session cost and throughput hold up from 100 to 1,000 sessions.
const byId = new Map(rows.map((r) => [r.id, r]));
for (const what of ['memory', 'messages', 'open'] as const) {
  const small = byId.get(`scale.100.${what}`)!;
  const big = byId.get(`scale.1000.${what}`)!;
  if (big.baseline === undefined)
    rows[rows.indexOf(big)] = {
      ...big,
      baseline: small.value,
      baselineLabel: '100 sessions',
      ratio: big.value / small.value,
    };
}

const f = (x: number | undefined, d = 1) => (x === undefined ? '' : x.toFixed(d));
console.log(`# Sessions at scale, one process, TCP loopback — ${ROUNDS} rounds per size`);
console.log('| id | median | min | max | unit | ratio |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.id} | ${f(r.value)} | ${f(r.min)} | ${f(r.max)} | ${r.unit} | ${f(r.ratio, 2)} |`);
emitRows(rows);
process.exit(0);
