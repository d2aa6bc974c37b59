// Not a `pnpm bench` job: a paired A/B of the secure Link against bare node:tls in tcp-compare's own setup
// (benches/tcp-peer.ts as the far end, src/pipes.ts's pipes, 64 KiB writes until the sink's one-byte answer, 1 KiB
// echoes). The two stacks run in pairs, in alternating order (node:tls first, then the secure Link first), so load
// that changes over seconds hits both sides of a pair alike. Per pair it prints MB/s and the CPU time per MiB of the
// sending process (process.cpuUsage) and of the receiving one (/proc/<pid>/stat, Linux), then the medians of the
// per-pair ratios (secure / node:tls); then RTT p50 pairs the same way.
//   node --conditions=@colink/source --import tsx benches/secure-vs-tls.ts
//   BENCH_BYTES=<MiB per round, 128> BENCH_PAIRS=<6> BENCH_RTT_ROUNDS=<2000 echoes per round>
import { readFileSync } from 'node:fs';
import { TcpTransport } from '@colink/transport-tcp';
import { colinkPipe, echoRoundTrips, type Pipe, tlsPipe } from '../src/pipes.js';
import { benchSecurity } from '../src/secure.js';
import { percentile, sorted } from '../src/stats.js';
import { startTcpPeer } from '../src/tcp-peer-process.js';

const MiB = 1024 * 1024;
const BYTES = Number(process.env.BENCH_BYTES ?? 128) * MiB;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 6);
const RTT_N = Number(process.env.BENCH_RTT_ROUNDS ?? 2_000);
const RTT_WARMUP = 200;
const CHUNK = 64 * 1024;
/** Linux reports process CPU time in clock ticks of USER_HZ, 100 per second on every architecture (times(2)). */
const USER_HZ = 100;

const { peer, addr } = await startTcpPeer<{
  secure: { sink: string; echo: string } | { unavailable: string };
  tls: { sink: number; echo: number };
}>(BYTES);
const sec = await benchSecurity();
if (!('security' in sec) || !('sink' in addr.secure))
  throw new Error('@colink/core/security is not available');
const secureAddr = addr.secure;
const tcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
await tcp.start();

type Stack = 'secure' | 'tls';
const open = (s: Stack, kind: 'sink' | 'echo'): Promise<Pipe> =>
  s === 'secure' ? colinkPipe(tcp, secureAddr[kind], sec.security) : tlsPipe(addr.tls[kind], sec.tls);
/** CPU time (user + system) of this process and of the far end, µs. */
const ownCpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const peerCpu = (): number => {
  const fields = readFileSync(`/proc/${peer.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / USER_HZ; // utime + stime
};

const payload = new Uint8Array(CHUNK).map((_, i) => i & 0xff);
async function throughput(s: Stack): Promise<{ mbs: number; sender: number; receiver: number }> {
  const pipe = await open(s, 'sink');
  const acked = new Promise<void>((resolve) => pipe.onBytes(() => resolve()));
  const [c0, p0, t0] = [ownCpu(), peerCpu(), performance.now()];
  for (let sent = 0; sent < BYTES; sent += CHUNK) {
    const wait = pipe.write(payload);
    if (wait) await wait;
  }
  await acked;
  const ms = performance.now() - t0;
  const mib = BYTES / MiB;
  const r = { mbs: BYTES / ms / 1e3, sender: (ownCpu() - c0) / mib, receiver: (peerCpu() - p0) / mib };
  await pipe.close();
  return r;
}

const ping = new Uint8Array(1024).fill(7);
async function rttP50(s: Stack): Promise<number> {
  return percentile(await echoRoundTrips(await open(s, 'echo'), ping, RTT_N, RTT_WARMUP), 50);
}

const median = (xs: number[]): number => percentile(sorted(xs), 50);
const f = (x: number, d = 0): string => x.toFixed(d);
const ratios = { mbs: [] as number[], sender: [] as number[], receiver: [] as number[], rtt: [] as number[] };
await throughput('tls');
await throughput('secure'); // warm-up of both stacks in both processes
for (let i = 0; i < PAIRS; i++) {
  const order: Stack[] = i % 2 === 0 ? ['tls', 'secure'] : ['secure', 'tls'];
  const r = {} as Record<Stack, Awaited<ReturnType<typeof throughput>>>;
  for (const s of order) r[s] = await throughput(s);
  ratios.mbs.push(r.secure.mbs / r.tls.mbs);
  ratios.sender.push(r.secure.sender / r.tls.sender);
  ratios.receiver.push(r.secure.receiver / r.tls.receiver);
  console.log(
    `pair ${i} (${order[0]} first): secure ${f(r.secure.mbs)} MB/s, CPU µs/MiB sender ${f(r.secure.sender)} ` +
      `receiver ${f(r.secure.receiver)} | node:tls ${f(r.tls.mbs)} MB/s, ${f(r.tls.sender)} / ${f(r.tls.receiver)}`,
  );
}
for (let i = 0; i < PAIRS; i++) {
  const order: Stack[] = i % 2 === 0 ? ['tls', 'secure'] : ['secure', 'tls'];
  const p = {} as Record<Stack, number>;
  for (const s of order) p[s] = await rttP50(s);
  ratios.rtt.push(p.secure / p.tls);
  console.log(`rtt pair ${i}: p50 secure ${f(p.secure, 1)} µs, node:tls ${f(p.tls, 1)} µs`);
}
console.log(
  `medians of ${PAIRS} pairs, secure / node:tls: throughput ${f(median(ratios.mbs), 2)}, CPU per MiB sender ` +
    `${f(median(ratios.sender), 2)} receiver ${f(median(ratios.receiver), 2)}, 1 KiB RTT p50 ${f(median(ratios.rtt), 3)}`,
);
await tcp.stop();
peer.stdin!.end();
process.exit(0);
