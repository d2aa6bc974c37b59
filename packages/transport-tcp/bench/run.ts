// Benchmarks of @colink/transport-tcp, all on loopback, colink against raw node:net in the same run:
//   - bulk throughput, 64 KiB messages, BENCH_BYTES (default 1 GiB) per run, BENCH_ROUNDS rounds (default 2), for
//     raw node:net, a bare TCP conduit, a colink Link with core's defaults (8 sends in flight) and one with a 4 MiB
//     channel window and send buffer set explicitly (32 sends in flight) — core's defaults on TCP are 4 MiB as well;
//   - 1 KiB round-trip latency p50 / p99: BENCH_RTT_REPEATS repeats (default 3) of BENCH_RTT_ROUNDS round trips
//     (default 5000) after 500 warm-ups; the text shows the median over repeats;
//   - mDNS (loopback mode, private port) time from advertise to `found` and from unadvertise to `lost`
//     (BENCH_MDNS_ROUNDS rounds, default 5).
// Targets (issue 3): throughput ≥ 0.8× raw; RTT p50 ≤ raw p50 + 20 µs; found ≤ 1.5 s; lost ≤ 1.5 s.
// With COLINK_BENCH_JSON=<file> it also writes its figures there as report rows for `pnpm bench` (bench/README.md):
// min/median/max over the rounds, ids `transport-tcp.throughput.*`, `transport-tcp.rtt1k.{p50,p99}.*`, `mdns.*`.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { Link } from '@colink/core';
import { TcpTransport } from '@colink/transport-tcp';
import { filter, firstValueFrom } from 'rxjs';

const BYTES = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const RTT_ROUNDS = Number(process.env.BENCH_RTT_ROUNDS ?? 5_000);
const RTT_REPEATS = Number(process.env.BENCH_RTT_REPEATS ?? 3);
const MDNS_ROUNDS = Number(process.env.BENCH_MDNS_ROUNDS ?? 5);
const CHUNK = 64 * 1024;
const advert = { networkId: 'e'.repeat(64), deviceName: 'bench', deviceType: 'pc' };

const peer = spawn(
  process.execPath,
  [
    // BENCH_PROFILE_DIR=dir writes a CPU profile of the peer there (run the parent with --cpu-prof too).
    ...(process.env.BENCH_PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
      : []),
    '--conditions=@colink/source',
    '--import',
    'tsx',
    new URL('./peer.ts', import.meta.url).pathname,
  ],
  { stdio: ['pipe', 'pipe', 'inherit'], cwd: new URL('..', import.meta.url).pathname },
);
const ports = JSON.parse(
  await new Promise<string>((resolve) => createInterface({ input: peer.stdout! }).once('line', resolve)),
) as {
  rawSink: number;
  rawEcho: number;
  linkSink: string;
  wideLinkSink: string;
  linkEcho: string;
  conduitSink: string;
  conduitEcho: string;
};

const payload = new Uint8Array(CHUNK).map((_, i) => i & 0xff);
const header = Buffer.alloc(8);
header.writeBigUInt64BE(BigInt(BYTES));

async function rawSocket(port: number): Promise<Socket> {
  const s = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => s.once('connect', r));
  return s;
}

const tcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
await tcp.start();
/** Link options of the "wide window" variant (same as bench/peer.ts). */
const WIDE = { channelWindow: 4 * 1024 * 1024, sendBufferBytes: 4 * 1024 * 1024 };

async function link(address: string, wide = false): Promise<Link> {
  const l = new Link(await tcp.dial(address), { role: 'initiator', local: advert, ...(wide ? WIDE : {}) });
  await l.opened;
  return l;
}

async function rawThroughput(): Promise<number> {
  const s = await rawSocket(ports.rawSink);
  const ack = new Promise((r) => s.once('data', r));
  const t0 = performance.now();
  s.write(header);
  for (let sent = 0; sent < BYTES; sent += CHUNK) {
    if (!s.write(payload)) await new Promise((r) => s.once('drain', r));
  }
  await ack;
  const ms = performance.now() - t0;
  s.destroy();
  return BYTES / ms / 1e3;
}

async function linkThroughput(wide = false): Promise<number> {
  const l = await link(wide ? ports.wideLinkSink : ports.linkSink, wide);
  const ack = firstValueFrom(l.messages$);
  const t0 = performance.now();
  await l.send(header);
  const inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < BYTES; sent += CHUNK) {
    inFlight.push(l.send(payload));
    if (inFlight.length >= (wide ? 32 : 8)) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await ack;
  const ms = performance.now() - t0;
  await l.close();
  return BYTES / ms / 1e3;
}

async function conduitThroughput(): Promise<number> {
  const c = await tcp.dial(ports.conduitSink);
  const ack = firstValueFrom(c.data$);
  const t0 = performance.now();
  c.write([header]);
  for (let sent = 0; sent < BYTES; sent += CHUNK) {
    if (!c.write([payload])) await firstValueFrom(c.drain$);
  }
  await ack;
  const ms = performance.now() - t0;
  c.destroy({ code: 'normal' });
  return BYTES / ms / 1e3;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function rawRtt(): Promise<number[]> {
  const s = await rawSocket(ports.rawEcho);
  const msg = new Uint8Array(1024).fill(7);
  const times: number[] = [];
  let pending = 0;
  let done: () => void = () => undefined;
  s.on('data', (c: Buffer) => {
    pending -= c.length;
    if (pending <= 0) done();
  });
  for (let i = 0; i < RTT_ROUNDS + 500; i++) {
    const t0 = performance.now();
    pending = msg.length;
    const back = new Promise<void>((r) => {
      done = r;
    });
    s.write(msg);
    await back;
    if (i >= 500) times.push((performance.now() - t0) * 1000);
  }
  s.destroy();
  return times.sort((a, b) => a - b);
}

async function conduitRtt(): Promise<number[]> {
  const c = await tcp.dial(ports.conduitEcho);
  const msg = new Uint8Array(1024).fill(7);
  const times: number[] = [];
  let pending = 0;
  let done: () => void = () => undefined;
  c.data$.subscribe((chunk) => {
    pending -= chunk.byteLength;
    if (pending <= 0) done();
  });
  for (let i = 0; i < RTT_ROUNDS + 500; i++) {
    const t0 = performance.now();
    pending = msg.length;
    const back = new Promise<void>((r) => {
      done = r;
    });
    c.write([msg]);
    await back;
    if (i >= 500) times.push((performance.now() - t0) * 1000);
  }
  c.destroy({ code: 'normal' });
  return times.sort((a, b) => a - b);
}

async function linkRtt(): Promise<number[]> {
  const l = await link(ports.linkEcho);
  const msg = new Uint8Array(1024).fill(7);
  const times: number[] = [];
  let done: () => void = () => undefined;
  l.messages$.subscribe(() => done());
  for (let i = 0; i < RTT_ROUNDS + 500; i++) {
    const t0 = performance.now();
    const back = new Promise<void>((r) => {
      done = r;
    });
    void l.send(msg);
    await back;
    if (i >= 500) times.push((performance.now() - t0) * 1000);
  }
  await l.close();
  return times.sort((a, b) => a - b);
}

async function mdnsTimes(): Promise<{ found: number[]; lost: number[] }> {
  const discovery = {
    interface: '127.0.0.1',
    bind: '0.0.0.0',
    port: 20_000 + Math.floor(Math.random() * 30_000),
  };
  const observer = new TcpTransport({ host: '127.0.0.1', discovery });
  const subject = new TcpTransport({ host: '127.0.0.1', discovery });
  await observer.start();
  await subject.start();
  const found: number[] = [];
  const lost: number[] = [];
  for (let i = 0; i < MDNS_ROUNDS; i++) {
    const isFound = firstValueFrom(observer.discover().pipe(filter((e) => e.type === 'found')));
    let t0 = performance.now();
    await subject.advertise({ ...advert, deviceName: `bench-${i}` });
    await isFound;
    found.push(performance.now() - t0);
    const isLost = firstValueFrom(observer.discover().pipe(filter((e) => e.type === 'lost')));
    t0 = performance.now();
    await subject.unadvertise();
    await isLost;
    lost.push(performance.now() - t0);
  }
  await observer.stop();
  await subject.stop();
  return { found, lost };
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(8);
console.log(
  `@colink/transport-tcp bench — loopback, ${(BYTES / 1024 ** 3).toFixed(2)} GiB × ${ROUNDS} rounds, Node ${process.version}`,
);

const raw: number[] = [];
const col: number[] = [];
const bare: number[] = [];
const wide: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  raw.push(await rawThroughput());
  bare.push(await conduitThroughput());
  col.push(await linkThroughput());
  wide.push(await linkThroughput(true));
}
const bestWide = Math.max(...wide);
const bestBare = Math.max(...bare);
const bestRaw = Math.max(...raw);
const bestLink = Math.max(...col);
console.log('\nbulk throughput, 64 KiB messages (MB/s, best of rounds)');
console.log(`  raw node:net   ${fmt(bestRaw)}   rounds: ${raw.map((x) => x.toFixed(0)).join(', ')}`);
console.log(
  `  TCP conduit    ${fmt(bestBare)}   rounds: ${bare.map((x) => x.toFixed(0)).join(', ')}   (socketConduit, no Link)`,
);
console.log(`  colink Link    ${fmt(bestLink)}   rounds: ${col.map((x) => x.toFixed(0)).join(', ')}`);
console.log(
  `  Link, 4 MiB    ${fmt(bestWide)}   rounds: ${wide.map((x) => x.toFixed(0)).join(', ')}   (channel window + send buffer 4 MiB)`,
);
console.log(`  ratio conduit / raw        ${fmt(bestBare / bestRaw, 2)}`);
console.log(`  ratio Link / raw           ${fmt(bestLink / bestRaw, 2)}   (target ≥ 0.80)`);
console.log(`  ratio Link 4 MiB / raw     ${fmt(bestWide / bestRaw, 2)}`);

/** p50 and p99 (µs) of every repeat of an RTT loop. */
async function rttRepeats(loop: () => Promise<number[]>): Promise<{ p50: number[]; p99: number[] }> {
  const out = { p50: [] as number[], p99: [] as number[] };
  for (let i = 0; i < RTT_REPEATS; i++) {
    const t = await loop();
    out.p50.push(percentile(t, 50));
    out.p99.push(percentile(t, 99));
  }
  return out;
}
const med = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

const rr = await rttRepeats(rawRtt);
const cr = await rttRepeats(conduitRtt);
const lr = await rttRepeats(linkRtt);
const [rp50, rp99, cp50, cp99, lp50, lp99] = [rr.p50, rr.p99, cr.p50, cr.p99, lr.p50, lr.p99].map(med) as [
  number,
  number,
  number,
  number,
  number,
  number,
];
console.log(`\n1 KiB round trip (µs, ${RTT_ROUNDS} rounds × ${RTT_REPEATS})    p50      p99`);
console.log(`  raw node:net             ${fmt(rp50, 1)} ${fmt(rp99, 1)}`);
console.log(`  TCP conduit              ${fmt(cp50, 1)} ${fmt(cp99, 1)}`);
console.log(`  colink Link              ${fmt(lp50, 1)} ${fmt(lp99, 1)}`);
console.log(`  conduit − raw            ${fmt(cp50 - rp50, 1)} ${fmt(cp99 - rp99, 1)}`);
console.log(
  `  Link − raw               ${fmt(lp50 - rp50, 1)} ${fmt(lp99 - rp99, 1)}   (target p50 ≤ +20 µs)`,
);

const m = await mdnsTimes();
console.log(`\nmDNS on loopback (ms, ${MDNS_ROUNDS} rounds)   median      max`);
console.log(`  advertise → found        ${fmt(med(m.found))} ${fmt(Math.max(...m.found))}   (target ≤ 1500)`);
console.log(`  unadvertise → lost       ${fmt(med(m.lost))} ${fmt(Math.max(...m.lost))}   (target ≤ 1500)`);

/** One row of the `pnpm bench` report (bench/src/row.ts): value = median over the repeats. */
interface Row {
  id: string;
  label: string;
  value: number;
  unit: string;
  min: number;
  max: number;
  n: number;
  baseline?: number;
  baselineLabel?: string;
  ratio?: number;
  target?: string;
  met?: boolean;
}
function row(
  id: string,
  label: string,
  unit: string,
  xs: number[],
  base?: { value: number; label: string },
  target?: { text: string; met: (value: number, ratio: number | undefined) => boolean },
): Row {
  const value = med(xs);
  const ratio = base ? value / base.value : undefined;
  return {
    id,
    label,
    value,
    unit,
    min: Math.min(...xs),
    max: Math.max(...xs),
    n: xs.length,
    ...(base ? { baseline: base.value, baselineLabel: base.label, ratio } : {}),
    ...(target ? { target: target.text, met: target.met(value, ratio) } : {}),
  };
}
if (process.env.COLINK_BENCH_JSON) {
  const rawBase = { value: med(raw), label: 'raw node:net' };
  const throughput = (name: string, path: string, xs: number[], extra = '') =>
    row(
      `transport-tcp.throughput.${name}`,
      `transport-tcp bench: throughput, ${path}${extra}`,
      'MB/s',
      xs,
      name === 'raw' ? undefined : rawBase,
      name === 'link' ? { text: 'ratio ≥ 0.8', met: (_v, r) => r! >= 0.8 } : undefined,
    );
  const rows: Row[] = [
    throughput('raw', 'raw node:net', raw),
    throughput('conduit', 'TCP conduit', bare),
    throughput('link', 'colink Link', col),
    throughput('link-4mib', 'Link, 4 MiB', wide, ' channel window + send buffer'),
  ];
  const rtt = { raw: rr, conduit: cr, link: lr };
  const names = { raw: 'raw node:net', conduit: 'TCP conduit', link: 'colink Link' };
  for (const pct of ['p50', 'p99'] as const)
    for (const name of ['raw', 'conduit', 'link'] as const)
      rows.push(
        row(
          `transport-tcp.rtt1k.${pct}.${name}`,
          `transport-tcp bench: 1 KiB RTT ${pct}, ${names[name]}`,
          'µs',
          rtt[name][pct],
          name === 'raw' ? undefined : { value: med(rtt.raw[pct]), label: 'raw node:net' },
        ),
      );
  for (const kind of ['found', 'lost'] as const)
    rows.push(
      row(
        `mdns.${kind}`,
        kind === 'found' ? 'mDNS on loopback: advertise → found' : 'mDNS on loopback: unadvertise → lost',
        'ms',
        m[kind],
        { value: 1500, label: 'target 1500 ms' },
        { text: '≤ 1500 ms', met: (v) => v <= 1500 },
      ),
    );
  writeFileSync(process.env.COLINK_BENCH_JSON, `${JSON.stringify(rows, null, 2)}\n`);
}

await tcp.stop();
peer.stdin!.end();
