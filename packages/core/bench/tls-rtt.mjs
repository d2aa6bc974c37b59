#!/usr/bin/env node
// CPU per 1 KiB round trip: the secure Link against bare node:tls, both ends in ONE process over real loopback TCP.
//
// On loopback a ping-pong round trip between two processes costs almost exactly the CPU both ends spend per trip
// (kernel + libuv + JS), so this measures that CPU directly: `process.cpuUsage()` (user + system) over TRIPS echoes,
// divided by TRIPS, in µs per trip (both ends together). Variants, alternated PAIRS times (A/B/A/B…) so that noise
// from other processes hits both alike:
//   tls     bare node:tls 1.3: a `tls.connect` client and a server-side `TLSSocket` (requestCert) with the settings
//           of colink's security stage (TLS_VERSION, TLS_CIPHER_SUITES, TLS_ALPN, TLS_SOCKET_HIGH_WATER_MARK),
//           the server writing back every chunk it reads (`s.on('data', c => s.write(c))`);
//   secure  two core Links (defaults, as bench/benches/tcp-compare.ts sets them up) over `socketConduit`s with the
//           TLS 1.3 security stage of @colink/core/security (same account, fresh identities); the responder
//           echoes every message of its default channel (`messages$` → `send`).
// Rungs of the ladder between them, to split the gap (`--only=…` picks them):
//   slab    bare node:tls as `tls`, but both ends read through core's receive slabs (`readIntoSlabs`, as the secure
//           conduit does) and echo the views: `secure − slab` is the Link's own cost over its TLS reading;
//   raw     node:net with slab reads, echoing; `plain` two Links without security over `socketConduit`s:
//           `plain − raw` is the Link's cost without TLS.
// The client sends the next 1 KiB message as soon as the previous one is back (no promise per trip in the driver).
// Prints µs CPU and µs wall per trip for every run, then medians, and the median over the alternations of each
// variant's CPU per trip / tls's in the same alternation. Needs `pnpm build` (imports dist/).
//
//   node bench/tls-rtt.mjs [--quick] [--only=tls,secure,slab,raw,plain]  (TRIPS=20000 PAIRS=3 WARMUP=2000 DIST=dist)
import { connect, createServer } from 'node:net';
import { createSecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';

// DIST=<dir> (relative to the package, default `dist`) loads another build, e.g. a copy of the previous one, to
// compare old and new code in alternating runs.
const dist = new URL(`../${process.env.DIST ?? 'dist'}/`, import.meta.url);
const { Link, socketConduit } = await import(new URL('index.js', dist).href);
const {
  createIdentity,
  deriveAccountKey,
  TLS_ALPN,
  TLS_CIPHER_SUITES,
  TLS_SOCKET_HIGH_WATER_MARK,
  TLS_VERSION,
  TlsSecurity,
} = await import(new URL('security/index.js', dist).href);
const { readIntoSlabs } = await import(new URL('node/slab-reader.js', dist).href);

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const TRIPS = Number(process.env.TRIPS ?? (quick ? 5_000 : 20_000));
const WARMUP = Number(process.env.WARMUP ?? (quick ? 500 : 2_000));
const PAIRS = Number(process.env.PAIRS ?? 3);
const ping = new Uint8Array(1024).fill(0x5a);

/** A loopback TCP connection (noDelay): [dialer socket, accepted socket]; the server is closed at once. */
async function socketPair() {
  const server = createServer({ noDelay: true });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise((r) => server.once('connection', r));
  const c = connect({ port: server.address().port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => c.once('connect', r));
  const s = await accepted;
  server.close();
  return [c, s];
}

/**
 * Runs `warmup + trips` echoes: `send()` writes one ping, the pipe calls `back(bytes)` for what comes back.
 * Resolves with { cpu, wall } in µs per measured trip.
 */
function trips(send, onBack, trips, warmup) {
  return new Promise((resolve) => {
    let left = warmup + trips;
    let pending = 0;
    let cpu0;
    let t0;
    const start = () => {
      pending = ping.length;
      send();
    };
    onBack((n) => {
      pending -= n;
      if (pending > 0) return;
      if (--left === trips) {
        cpu0 = process.cpuUsage();
        t0 = performance.now();
      }
      if (left > 0) {
        start();
        return;
      }
      const cpu = process.cpuUsage(cpu0);
      const wall = (performance.now() - t0) * 1e3;
      resolve({ cpu: (cpu.user + cpu.system) / trips, wall: wall / trips });
    });
    start();
  });
}

async function tlsRun(sec) {
  const [c, s] = await socketPair();
  const server = new TLSSocket(s, {
    isServer: true,
    requestCert: true,
    rejectUnauthorized: false,
    secureContext: createSecureContext(sec.serverTls),
    ALPNProtocols: [TLS_ALPN],
    highWaterMark: TLS_SOCKET_HIGH_WATER_MARK,
  });
  server.on('error', () => undefined);
  server.on('data', (chunk) => server.write(chunk));
  const client = tlsConnect({
    ...sec.clientTls,
    socket: c,
    ALPNProtocols: [TLS_ALPN],
    highWaterMark: TLS_SOCKET_HIGH_WATER_MARK,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  client.on('error', () => undefined);
  await new Promise((r) => client.once('secureConnect', r));
  const r = await trips(
    () => client.write(ping),
    (cb) => client.on('data', (chunk) => cb(chunk.length)),
    TRIPS,
    WARMUP,
  );
  client.destroy();
  server.destroy();
  return r;
}

async function slabRun(sec) {
  const [c, s] = await socketPair();
  const server = new TLSSocket(s, {
    isServer: true,
    requestCert: true,
    rejectUnauthorized: false,
    secureContext: createSecureContext(sec.serverTls),
    ALPNProtocols: [TLS_ALPN],
    highWaterMark: TLS_SOCKET_HIGH_WATER_MARK,
  });
  server.on('error', () => undefined);
  const client = tlsConnect({
    ...sec.clientTls,
    socket: c,
    ALPNProtocols: [TLS_ALPN],
    highWaterMark: TLS_SOCKET_HIGH_WATER_MARK,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  client.on('error', () => undefined);
  await new Promise((r) => client.once('secureConnect', r));
  // The server side finishes its handshake once the client's Finished arrives: let that be read first.
  await new Promise((r) => setTimeout(r, 20));
  server.pause();
  client.pause();
  readIntoSlabs(server, (chunk) => server.write(chunk));
  let back;
  readIntoSlabs(client, (chunk) => back(chunk.length));
  const r = await trips(
    () => client.write(ping),
    (cb) => {
      back = cb;
    },
    TRIPS,
    WARMUP,
  );
  client.destroy();
  server.destroy();
  return r;
}

async function rawRun() {
  const [c, s] = await socketPair();
  s.pause();
  c.pause();
  readIntoSlabs(s, (chunk) => s.write(chunk));
  let back;
  readIntoSlabs(c, (chunk) => back(chunk.length));
  s.resume();
  c.resume();
  const r = await trips(
    () => c.write(ping),
    (cb) => {
      back = cb;
    },
    TRIPS,
    WARMUP,
  );
  c.destroy();
  s.destroy();
  return r;
}

async function plainRun() {
  const [c, s] = await socketPair();
  const advert = (n) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });
  const a = new Link(socketConduit(c), { role: 'initiator', local: advert('a') });
  const b = new Link(socketConduit(s), { role: 'responder', local: advert('b') });
  await Promise.all([a.opened, b.opened]);
  b.messages$.subscribe((m) => void b.send(m));
  const r = await trips(
    () => void a.send(ping),
    (cb) => a.messages$.subscribe((m) => cb(m.length)),
    TRIPS,
    WARMUP,
  );
  await a.close();
  await b.closed;
  return r;
}

async function secureRun(sec) {
  const [c, s] = await socketPair();
  const advert = (security, name) => ({ networkId: security.networkId, deviceName: name, deviceType: 'pc' });
  const a = new Link(socketConduit(c), {
    role: 'initiator',
    local: advert(sec.a, 'a'),
    security: sec.a,
  });
  const b = new Link(socketConduit(s), {
    role: 'responder',
    local: advert(sec.b, 'b'),
    security: sec.b,
  });
  await Promise.all([a.opened, b.opened]);
  b.messages$.subscribe((m) => void b.send(m));
  const r = await trips(
    () => void a.send(ping),
    (cb) => a.messages$.subscribe((m) => cb(m.length)),
    TRIPS,
    WARMUP,
  );
  await a.close();
  await b.closed;
  return r;
}

function tlsOptions(identity) {
  return {
    key: identity.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    cert: identity.certificatePem,
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
    ciphers: TLS_CIPHER_SUITES,
  };
}

const [idA, idB, account] = await Promise.all([
  createIdentity(),
  createIdentity(),
  deriveAccountKey('colink-tls-rtt-bench'),
]);
const sec = {
  a: new TlsSecurity({ identity: idA, account }),
  b: new TlsSecurity({ identity: idB, account }),
  clientTls: tlsOptions(idA),
  serverTls: tlsOptions(idB),
};

const variants = { tls: tlsRun, secure: secureRun, slab: slabRun, raw: rawRun, plain: plainRun };
const names = only ? only.split(',') : ['tls', 'secure'];
const results = Object.fromEntries(names.map((n) => [n, []]));
const f = (x) => x.toFixed(1).padStart(6);
console.log(`1 KiB echo, one process, ${TRIPS} trips per run (+${WARMUP} warm-up), ${PAIRS} alternations`);
for (let p = 0; p < PAIRS; p++) {
  for (const n of names) {
    const r = await variants[n](sec);
    results[n].push(r);
    console.log(`${n.padEnd(7)} run ${p + 1}: cpu ${f(r.cpu)} µs/trip   wall ${f(r.wall)} µs/trip`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = {};
for (const n of names) {
  med[n] = { cpu: median(results[n].map((r) => r.cpu)), wall: median(results[n].map((r) => r.wall)) };
  console.log(`median ${n.padEnd(7)} cpu ${f(med[n].cpu)} µs/trip   wall ${f(med[n].wall)} µs/trip`);
}
if (med.tls) {
  for (const n of names) {
    if (n === 'tls') continue;
    const ratio = median(results[n].map((r, i) => r.cpu / results.tls[i].cpu));
    const diff = median(results[n].map((r, i) => r.cpu - results.tls[i].cpu));
    console.log(
      `${n} / tls per alternation (median): cpu ${ratio.toFixed(3)} (${diff >= 0 ? '+' : ''}${diff.toFixed(1)} µs)`,
    );
  }
}
