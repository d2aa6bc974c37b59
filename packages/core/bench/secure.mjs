#!/usr/bin/env node
// Secure-link benchmark: a colink Link with the TLS 1.3 security stage (@colink/core/security) over real loopback TCP,
// 64 KiB messages, compared in the same run with raw node:net moving the same bytes in 64 KiB writes (and with a plain
// Link, for reference). One process, sender and receiver on one event loop, like the transport-tcp bench. Prints MB/s
// per run, medians and the ratio secure / raw (goal ≥ 0.6×). Needs `pnpm build` first (imports dist/). With
// COLINK_BENCH_JSON=<file> it also writes its figures there as report rows for `pnpm bench` (bench/README.md):
// `core.secure.throughput` and `core.secure.plain`, min/median/max over the runs.
//
//   node bench/secure.mjs [--quick]
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import { AsyncSubject, Subject } from 'rxjs';
import { ConduitInbound, Link } from '../dist/index.js';
import { createIdentity, deriveAccountKey, TlsSecurity } from '../dist/security/index.js';
import { pumpLink } from './link-pump.mjs';

const quick = process.argv.includes('--quick') || process.env.COLINK_BENCH_QUICK === '1';
const MSG = 64 * 1024;
// BENCH_BYTES (a multiple of 64 KiB) and BENCH_RUNS override the sizes, e.g. for a harness test.
const TOTAL = Number(process.env.BENCH_BYTES ?? (quick ? 128 : 512) * 1024 * 1024);
const N = TOTAL / MSG;
const RUNS = Number(process.env.BENCH_RUNS ?? (quick ? 3 : 5));
const payload = new Uint8Array(MSG).fill(7);

/** A loopback TCP connection: resolves [dialer socket, accepted socket]; the server is closed at once. */
async function socketPair() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise((r) => server.once('connection', r));
  const c = connect(server.address().port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const s = await accepted;
  server.close();
  for (const x of [c, s]) x.setNoDelay(true);
  return [c, s];
}

/** Minimal socket → Conduit adapter (transport-tcp's socketConduit does the same with more care). */
function conduit(socket) {
  const inbound = new ConduitInbound();
  const drain = new Subject();
  const closed = new AsyncSubject();
  let reason;
  const onData = (c) => inbound.push(c);
  socket.on('data', onData);
  socket.on('drain', () => drain.next());
  socket.on('error', () => undefined);
  socket.on('close', () => {
    inbound.complete();
    closed.next(reason ?? { code: 'normal' });
    closed.complete();
  });
  return {
    medium: 'tcp',
    localAddress: 'local',
    remoteAddress: 'remote',
    maxFrameSize: 65_548,
    data$: inbound.data$,
    drain$: drain,
    closed$: closed,
    write(chunks) {
      if (chunks.length === 1) return socket.write(chunks[0]);
      socket.cork();
      let ok = true;
      for (const c of chunks) ok = socket.write(c);
      socket.uncork();
      return ok;
    },
    end(r) {
      reason ??= r;
      socket.end();
    },
    destroy(r) {
      reason ??= r;
      socket.destroy();
    },
    // Lets the security stage run node:tls natively on the socket (Conduit.detachSocket).
    detachSocket() {
      socket.pause();
      socket.off('data', onData);
      return socket;
    },
  };
}

async function rawRun() {
  const [c, s] = await socketPair();
  let got = 0;
  const done = new Promise((resolve) =>
    s.on('data', (chunk) => {
      got += chunk.length;
      if (got === TOTAL) resolve();
    }),
  );
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    if (!c.write(payload)) await new Promise((r) => c.once('drain', r));
  }
  await done;
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  c.destroy();
  s.destroy();
  return TOTAL / sec / 1e6;
}

async function linkRun(secA, secB) {
  const [c, s] = await socketPair();
  const local = (sec, n) => ({
    networkId: sec ? sec.networkId : n.repeat(64),
    deviceName: n,
    deviceType: 'pc',
  });
  const opts = (role, sec, n) => ({
    role,
    local: local(sec, n),
    keepAliveIntervalMs: 0,
    ...(sec ? { security: sec } : {}),
  });
  const a = new Link(conduit(c), opts('initiator', secA, 'a'));
  const b = new Link(conduit(s), opts('responder', secB, 'b'));
  await Promise.all([a.opened, b.opened]);
  const sec = await pumpLink(a, b, payload, N);
  await a.close();
  await b.closed;
  return TOTAL / sec / 1e6;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const fmt = (x) => x.toFixed(0).padStart(6);

const account = await deriveAccountKey('bench-account');
const [ia, ib] = await Promise.all([createIdentity(), createIdentity()]);
const secA = new TlsSecurity({ identity: ia, account });
const secB = new TlsSecurity({ identity: ib, account });

console.log(
  `secure Link (TLS 1.3) vs raw node:net over loopback TCP, ${MSG / 1024} KiB messages, ${TOTAL / 1024 / 1024} MiB per run, ${RUNS} runs`,
);
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}`);
const raw = [];
const secure = [];
const plain = [];
await rawRun(); // warm-up
await linkRun(secA, secB);
for (let i = 0; i < RUNS; i++) {
  raw.push(await rawRun());
  secure.push(await linkRun(secA, secB));
  plain.push(await linkRun(undefined, undefined));
  console.log(
    `run ${i + 1}: raw ${fmt(raw[i])} MB/s   secure Link ${fmt(secure[i])} MB/s   plain Link ${fmt(plain[i])} MB/s`,
  );
}
const r = median(raw);
const s = median(secure);
const p = median(plain);
console.log(`median: raw ${fmt(r)} MB/s   secure Link ${fmt(s)} MB/s   plain Link ${fmt(p)} MB/s`);
console.log(
  `ratio secure / raw: ${(s / r).toFixed(2)}x (goal >= 0.60x); secure / plain Link: ${(s / p).toFixed(2)}x`,
);

if (process.env.COLINK_BENCH_JSON) {
  // Rows of the `pnpm bench` report (bench/src/row.ts): value = median of the runs, ratio to raw's median.
  const row = (id, label, xs, target) => {
    const v = median(xs);
    return {
      id,
      label,
      value: v,
      unit: 'MB/s',
      min: Math.min(...xs),
      max: Math.max(...xs),
      n: xs.length,
      baseline: r,
      baselineLabel: 'raw node:net, same process',
      ratio: v / r,
      ...(target ? { target: target.text, met: target.met(v / r) } : {}),
    };
  };
  const rows = [
    row(
      'core.secure.throughput',
      'core secure bench: Link + TLS 1.3 over loopback TCP, one process, 64 KiB messages',
      secure,
      { text: 'ratio ≥ 0.6', met: (x) => x >= 0.6 },
    ),
    row(
      'core.secure.plain',
      'core secure bench: plain Link over loopback TCP, one process (reference)',
      plain,
    ),
  ];
  writeFileSync(process.env.COLINK_BENCH_JSON, `${JSON.stringify(rows, null, 2)}\n`);
}
