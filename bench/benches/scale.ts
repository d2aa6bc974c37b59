// Many sessions in one process: colink LocalDevices over TCP loopback — device A requests, far devices B accept —
// with N concurrent collaboration sessions (core Session: one control channel each), for N = 100, 1,000 and 10,000.
// One Link carries at most MAX_CHANNELS_PER_LINK (4,096) channels, so A spreads the sessions over one far device per
// SESSIONS_PER_LINK sessions (one B for 100 and 1,000; four for 10,000), all in this process.
//   - open: N concurrent requests → accepted, sessions per second;
//   - idle memory: (heapUsed + external) after GC with N sessions open minus before, / N — both ends of each session
//     live in this process, so this counts both (KB per session);
//   - messages per second: every session sends MSGS 64-byte text messages at once, timed until the B devices have
//     them all.
// Needs --expose-gc. --quick (or COLINK_BENCH_QUICK=1) shrinks the counts.
import { LocalDevice, type Session } from '@colink/core';
import { MAX_CHANNELS_PER_LINK } from '@colink/core/wire';
import { TcpTransport } from '@colink/transport-tcp';
import { type BenchRow, benchEnv, emitRows, isQuick, spreadRow } from '../src/row.js';
import { spread } from '../src/stats.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const quick = isQuick();
const SIZES = [100, 1_000, 10_000] as const;
const ROUNDS = quick ? 2 : 5;
/** Rounds at 10,000 sessions (each opens and closes 10,000 sessions). */
const BIG_ROUNDS = quick ? 1 : 3;
const MSGS = quick ? 20 : 100;
/** Sessions per Link: well under MAX_CHANNELS_PER_LINK (one control channel per session, room for data channels). */
const SESSIONS_PER_LINK = 2_500;
if (SESSIONS_PER_LINK > MAX_CHANNELS_PER_LINK)
  throw new Error('SESSIONS_PER_LINK exceeds MAX_CHANNELS_PER_LINK');
/** Issue 19's targets at 10,000 sessions. */
const TARGET_KB_PER_SESSION = 10;
const TARGET_MSGS_PER_SEC = 250_000;
const app = { bundleName: 'com.colink.bench', moduleName: 'entry', abilityName: 'ScaleAbility' };
const text = 't'.repeat(64);

function device(name: string): LocalDevice {
  return new LocalDevice({
    advert: { networkId: name.repeat(64).slice(0, 64), deviceName: name, deviceType: 'pc' },
    transports: [new TcpTransport({ host: '127.0.0.1', discovery: false })],
  });
}

const a = device('a');
const farCount = Math.ceil(Math.max(...SIZES) / SESSIONS_PER_LINK);
const far = Array.from({ length: farCount }, (_, i) => device(`b${i}`));
await Promise.all([a.start(), ...far.map((b) => b.start())]);
let received = 0;
let onCount: () => void = () => undefined;
const count = (): void => {
  received++;
  onCount();
};
for (const b of far)
  b.sessions.requests$.subscribe((req) => {
    void req.accept().then((s) => s.messages$.subscribe(count));
  });
for (const b of far) await a.connectAddress('tcp', b.transports[0]!.localAddress!);

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
    Array.from({ length: n }, (_, i) =>
      a.sessions.request({
        peer: far[Math.floor(i / SESSIONS_PER_LINK)]!.advert.networkId,
        service: 'scale',
        local: app,
        remote: app,
      }),
    ),
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
  for (let r = 0; r < (n >= 10_000 ? BIG_ROUNDS : ROUNDS); r++) rs.push(await round(n));
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
      n === 10_000
        ? {
            value: TARGET_KB_PER_SESSION,
            label: `target ${TARGET_KB_PER_SESSION} KB`,
            target: `≤ ${TARGET_KB_PER_SESSION} KB`,
            met: (r) => r <= 1,
          }
        : undefined,
    ),
    spreadRow(
      `scale.${n}.messages`,
      `${n} concurrent sessions${n > SESSIONS_PER_LINK ? ` over ${Math.ceil(n / SESSIONS_PER_LINK)} Links` : ''}, ${MSGS} × 64 B messages each, one way`,
      'msg/s',
      mps,
      env,
      n === 10_000
        ? {
            value: TARGET_MSGS_PER_SEC,
            label: `target ${TARGET_MSGS_PER_SEC / 1e3}k msg/s`,
            target: `≥ ${TARGET_MSGS_PER_SEC / 1e3}k msg/s`,
            met: (r) => r >= 1,
          }
        : undefined,
    ),
    spreadRow(`scale.${n}.open`, `${n} concurrent session requests → accepted`, 'sessions/s', ops, env),
  );
}
await Promise.all([a.stop(), ...far.map((b) => b.stop())]);

// Ratios between the sizes: how per-session cost and throughput hold up from 100 to 1,000 sessions (and, for rows
// without a target, to 10,000).
const byId = new Map(rows.map((r) => [r.id, r]));
for (const what of ['memory', 'messages', 'open'] as const) {
  const small = byId.get(`scale.100.${what}`)!;
  for (const n of [1_000, 10_000]) {
    const big = byId.get(`scale.${n}.${what}`)!;
    if (big.baseline === undefined)
      rows[rows.indexOf(big)] = {
        ...big,
        baseline: small.value,
        baselineLabel: '100 sessions',
        ratio: big.value / small.value,
      };
  }
}

const f = (x: number | undefined, d = 1) => (x === undefined ? '' : x.toFixed(d));
console.log(`# Sessions at scale, one process, TCP loopback — ${ROUNDS} rounds per size`);
console.log('| id | median | min | max | unit | ratio |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.id} | ${f(r.value)} | ${f(r.min)} | ${f(r.max)} | ${r.unit} | ${f(r.ratio, 2)} |`);
emitRows(rows);
process.exit(0);
