#!/usr/bin/env node
// Core benchmark: framing + channels over an in-memory conduit pair (no medium cost), 64 KiB messages, compared in
// the same run with the same bytes pushed through the bare conduit pair. Prints GB/s, ratio and the 1.5 GB/s target.
import os from 'node:os';
import { Link } from '../dist/index.js';
import { createConduitPair } from '../dist/testing/index.js';
import { pumpLink } from './link-pump.mjs';

const quick = process.argv.includes('--quick');
const MSG = 64 * 1024;
const TOTAL = (quick ? 256 : 1024) * 1024 * 1024;
const N = TOTAL / MSG;
const RUNS = quick ? 3 : 5;
const payload = new Uint8Array(MSG).fill(7);
const local = (n) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });

async function colinkRun() {
  const [x, y] = createConduitPair();
  const a = new Link(x, { role: 'initiator', local: local('a'), keepAliveIntervalMs: 0 });
  const b = new Link(y, { role: 'responder', local: local('b'), keepAliveIntervalMs: 0 });
  await Promise.all([a.opened, b.opened]);
  const s = await pumpLink(a, b, payload, N);
  await a.close();
  return TOTAL / s / 1e9;
}

async function rawRun() {
  const [x, y] = createConduitPair();
  let got = 0;
  const done = new Promise((resolve) =>
    y.data$.subscribe((m) => {
      got += m.length;
      if (got === TOTAL) resolve();
    }),
  );
  let waiting;
  x.drain$.subscribe(() => waiting?.());
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    if (!x.write([payload])) await new Promise((r) => (waiting = r));
  }
  await done;
  return TOTAL / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e9;
}

const stats = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const colink = [];
const raw = [];
for (let r = 0; r < RUNS; r++) {
  raw.push(await rawRun());
  colink.push(await colinkRun());
}
const c = stats(colink);
const w = stats(raw);
const f = (v) => v.toFixed(2);
console.log(
  `# @colink/core bench — ${TOTAL / 2 ** 20} MiB of 64 KiB messages, ${RUNS} runs, node ${process.version}, ${os.cpus().length} CPUs`,
);
console.log('| path | GB/s min | median | max |');
console.log('|---|---|---|---|');
console.log(`| in-memory conduit pair, raw writes (baseline) | ${f(w.min)} | ${f(w.median)} | ${f(w.max)} |`);
console.log(`| colink framing + channels over it | ${f(c.min)} | ${f(c.median)} | ${f(c.max)} |`);
console.log(`\nratio colink / raw (medians): ${(c.median / w.median).toFixed(2)}`);
console.log(`target ≥ 1.5 GB/s: ${f(c.median)} GB/s → ${c.median >= 1.5 ? 'met' : 'NOT met'}`);
const result = [
  {
    id: 'core.framing.throughput',
    value: c.median,
    unit: 'GB/s',
    baseline: w.median,
    ratio: c.median / w.median,
    min: c.min,
    max: c.max,
  },
];
if (process.env.COLINK_BENCH_JSON) {
  const fs = await import('node:fs');
  fs.writeFileSync(process.env.COLINK_BENCH_JSON, JSON.stringify(result));
}
