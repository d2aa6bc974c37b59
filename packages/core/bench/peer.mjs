#!/usr/bin/env node
// Peer-connection overhead without a medium: the same 64 KiB messages through a bare Link's channel and through a
// PeerConnection's resumable connection channel (sequence numbers, ACKs, retention for retransmission), each over
// its own in-memory conduit pair (medium 'tcp', no copies, microtask delivery), in one process. Issue #15's target:
// the peer connection costs at most 5 % (ratio ≥ 0.95).
//
// Why the earlier version of this bench swung between 0.49 and 1.23 from run to run:
// - each figure was the wall-clock time of one 128–512 MiB push that takes 15–100 ms (the pair copies nothing, so it
//   runs at 5–30 GB/s): on a shared machine (load average 12–18 on 2 cores while this was measured) one push gets a
//   CPU for a few ms at a time, so wall-clock samples of the same code spread 1.4–35 GB/s (25×);
// - the first runs of each side were still being optimised by V8 (5× slower than the later ones) and counted;
// - bare always ran before peer, and a fresh pair of Links was built inside every run (the old ones left to GC).
// Now: both pairs are built once and warmed up (WARMUP samples each, not counted), samples alternate in ABBA order
// and the figure is **GB per CPU-second** (user + system time of this process, which runs both ends: time the
// process does not get the CPU is not counted), median of SAMPLES samples a side; wall-clock GB/s is printed
// beside it. No GC is forced between samples: the first sample after a forced GC runs ~30 % slower, an order effect
// that ABBA cancels only on average.
// A sample of one side is 5–20 ms of CPU, so one sample that a GC or a preemption lands in moves its pair's ratio by
// ±10–50 %: 40 samples a side (16 in --quick, of 512 MiB; was 20 and 10 of 256 MiB) keep the median ratio within
// ±2–3 % from run to run on the shared 2-core machine. The paired ratios (each sample against the other side's
// sample next to it) are printed too.
//
// --quick: fewer, smaller samples. With COLINK_BENCH_JSON=<file> it writes the rows `core.peer.throughput` (CPU
// time, with issue 15's target) and `core.peer.throughput.wall` for `pnpm bench`.
import os from 'node:os';
import { Link, PeerConnection } from '../dist/index.js';
import { createConduitPair } from '../dist/testing/index.js';
import { pumpLink } from './link-pump.mjs';

const quick = process.argv.includes('--quick') || process.env.COLINK_BENCH_QUICK === '1';
const MSG = 64 * 1024;
const SAMPLE_BYTES = Number(process.env.BENCH_BYTES ?? (quick ? 512 : 1024) * 1024 * 1024);
const N = Math.max(1, Math.floor(SAMPLE_BYTES / MSG));
const SAMPLES = Number(process.env.BENCH_RUNS ?? (quick ? 16 : 40));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 4);
const payload = new Uint8Array(MSG).fill(7);
const local = (n) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });

async function linkPair(pa, pb) {
  const [x, y] = createConduitPair({ medium: 'tcp' });
  const opts = (n, role, pc) => ({
    role,
    local: local(n),
    keepAliveIntervalMs: 0,
    ...(pc ? { connectionOwner: (l) => pc.adopt(l) } : {}),
  });
  const a = new Link(x, opts('a', 'initiator', pa));
  const b = new Link(y, opts('b', 'responder', pb));
  await Promise.all([a.opened, b.opened]);
  return [a, b];
}

// Bare: the default channel of a Link pair that belongs to no peer connection.
const [bareA, bareB] = await linkPair(undefined, undefined);
// Peer: a connection channel of a PeerConnection pair carried by its own Link pair.
const pa = new PeerConnection({ local: 'a'.repeat(64), peer: 'b'.repeat(64) });
const pb = new PeerConnection({ local: 'b'.repeat(64), peer: 'a'.repeat(64) });
const [peerA] = await linkPair(pa, pb);
const incoming = new Promise((r) => pb.incomingChannels$.subscribe(r));
const peerTx = pa.openChannel({ proto: 'bench' });
const peerRx = await incoming;

async function sample(peer) {
  const cpu0 = process.cpuUsage();
  const s = peer ? await pumpLink(peerTx, peerRx, payload, N) : await pumpLink(bareA, bareB, payload, N);
  const cpu = process.cpuUsage(cpu0);
  const bytes = N * MSG;
  return { gbps: bytes / s / 1e9, cpuGbps: bytes / ((cpu.user + cpu.system) / 1e6) / 1e9 };
}

for (let i = 0; i < WARMUP; i++) {
  await sample(false);
  await sample(true);
}
const bare = [];
const peer = [];
for (let r = 0; r < SAMPLES; r++) {
  // ABBA: who goes first alternates, so drifting background load falls on both sides alike.
  if (r % 2 === 0) {
    bare.push(await sample(false));
    peer.push(await sample(true));
  } else {
    peer.push(await sample(true));
    bare.push(await sample(false));
  }
}
await pa.close();
await pb.close();
await peerA.close();
await bareA.close();

const stats = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1], n: s.length };
};
const b = stats(bare.map((x) => x.gbps));
const p = stats(peer.map((x) => x.gbps));
const bc = stats(bare.map((x) => x.cpuGbps));
const pc = stats(peer.map((x) => x.cpuGbps));
const pairs = stats(peer.map((x, i) => x.cpuGbps / bare[i].cpuGbps));
const f = (v) => v.toFixed(2);
console.log(
  `# peer connection overhead — ${SAMPLES} samples of ${(N * MSG) / 2 ** 20} MiB (64 KiB messages) a side after ${WARMUP} warm-ups, ABBA, node ${process.version}, ${os.cpus().length} CPUs`,
);
console.log('| path | GB per CPU-second min | median | max | wall-clock GB/s median (min–max) |');
console.log('|---|---|---|---|---|');
console.log(
  `| bare Link channel (baseline) | ${f(bc.min)} | ${f(bc.median)} | ${f(bc.max)} | ${f(b.median)} (${f(b.min)}–${f(b.max)}) |`,
);
console.log(
  `| PeerConnection channel | ${f(pc.min)} | ${f(pc.median)} | ${f(pc.max)} | ${f(p.median)} (${f(p.min)}–${f(p.max)}) |`,
);
const ratio = pc.median / bc.median;
console.log(`\nratio peer / bare, per CPU-second (medians): ${ratio.toFixed(3)} (target ≥ 0.95)`);
console.log(`ratio peer / bare, wall clock (medians):     ${(p.median / b.median).toFixed(3)}`);
console.log(
  `paired CPU ratios (sample by sample):        median ${pairs.median.toFixed(3)}, min ${pairs.min.toFixed(3)}, max ${pairs.max.toFixed(3)}`,
);
if (process.env.COLINK_BENCH_JSON) {
  const fs = await import('node:fs');
  const label = 'PeerConnection channel (ACKs, retention) over an in-memory conduit pair, 64 KiB messages';
  const baselineLabel = 'bare Link channel over its own pair';
  fs.writeFileSync(
    process.env.COLINK_BENCH_JSON,
    JSON.stringify([
      {
        id: 'core.peer.throughput',
        label: `${label}, per CPU-second`,
        value: pc.median,
        unit: 'GB/cpu-s',
        min: pc.min,
        max: pc.max,
        n: pc.n,
        baseline: bc.median,
        baselineLabel,
        ratio,
        target: 'ratio ≥ 0.95',
        met: ratio >= 0.95,
      },
      {
        id: 'core.peer.throughput.wall',
        label: `${label}, wall clock`,
        value: p.median,
        unit: 'GB/s',
        min: p.min,
        max: p.max,
        n: p.n,
        baseline: b.median,
        baselineLabel,
        ratio: p.median / b.median,
      },
    ]),
  );
}
process.exit(0);
