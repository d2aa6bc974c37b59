#!/usr/bin/env node
// CPU per 1 KiB round trip: the secure Link against bare node:tls, both ends in ONE process over real loopback TCP.
//
// On loopback a ping-pong round trip between two processes costs almost exactly the CPU both ends spend per trip
// (kernel + libuv + JS), so this measures that CPU directly: `process.cpuUsage()` (user + system) over blocks of echoes,
// divided by the trips, in µs per trip (both ends together). All variants' connections are open at once and take
// turns: ROUNDS rounds of BLOCK trips per variant (order rotated every round), so load from other processes that
// changes over seconds hits every variant alike. Variants:
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
//           `plain − raw` is the Link's cost without TLS;
//   peer    `secure`'s Links each owned by a PeerConnection, the echo on a resumable connection channel (sequence
//           numbers, ACKs, every message kept until acknowledged — what sessions run on): `peer − secure` is the
//           peer connection's cost.
// The client sends the next 1 KiB message as soon as the previous one is back (no promise per trip in the driver).
// Prints CPU and wall µs per trip of every variant over all its blocks, and per variant the median over the rounds
// of its CPU per trip / tls's in the same round. Needs `pnpm build` (imports dist/).
//
//   node bench/tls-rtt.mjs [--quick] [--only=tls,secure,slab,raw,plain,peer]
//   (ROUNDS=20 BLOCK=1000 WARMUP=2000 DIST=dist override; --quick: ROUNDS=5)
import { connect, createServer } from 'node:net';
import { createSecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';

// DIST=<dir> (relative to the package, default `dist`) loads another build, e.g. a copy of the previous one, to
// compare old and new code in alternating runs.
const dist = new URL(`../${process.env.DIST ?? 'dist'}/`, import.meta.url);
const { Link, PeerConnection, socketConduit } = await import(new URL('index.js', dist).href);
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
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 5 : 20));
const BLOCK = Number(process.env.BLOCK ?? 1_000);
const WARMUP = Number(process.env.WARMUP ?? 2_000);
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
 * An echo pipe: `send()` writes one ping; `onBack(cb)` is called once with the function the pipe calls with the
 * number of bytes that came back. Returns `run(n)`: n round trips, one after the other, resolving when done.
 */
function pipe(send, onBack) {
  let pending = 0;
  let left = 0;
  let done = () => undefined;
  onBack((n) => {
    pending -= n;
    if (pending > 0) return;
    if (--left > 0) {
      pending = ping.length;
      send();
    } else done();
  });
  return (n) =>
    new Promise((resolve) => {
      left = n;
      done = resolve;
      pending = ping.length;
      send();
    });
}

/** A bare node:tls 1.3 pair on a fresh socket pair, as colink's security stage sets it up; resolves once the client is up. */
async function tlsPair(sec) {
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
  return { client, server };
}

/** `run` over `client` ↔ `server`, and `close` destroying both. */
function streams(client, server, run) {
  const close = async () => {
    client.destroy();
    server.destroy();
  };
  return { run, close };
}

/** An echo read through core's receive slabs on both ends: `server` writes back what it reads. */
function slabEcho(client, server) {
  server.pause();
  client.pause();
  readIntoSlabs(server, (chunk) => server.write(chunk));
  let back;
  readIntoSlabs(client, (chunk) => back(chunk.length));
  const run = pipe(
    () => client.write(ping),
    (cb) => {
      back = cb;
    },
  );
  return streams(client, server, run);
}

async function tlsRun(sec) {
  const { client, server } = await tlsPair(sec);
  server.on('data', (chunk) => server.write(chunk));
  await new Promise((r) => client.once('secureConnect', r));
  const run = pipe(
    () => client.write(ping),
    (cb) => client.on('data', (chunk) => cb(chunk.length)),
  );
  return streams(client, server, run);
}

async function slabRun(sec) {
  const { client, server } = await tlsPair(sec);
  await new Promise((r) => client.once('secureConnect', r));
  // The server side finishes its handshake once the client's Finished arrives: let that be read first.
  await new Promise((r) => setTimeout(r, 20));
  return slabEcho(client, server);
}

async function rawRun() {
  const [c, s] = await socketPair();
  const echo = slabEcho(c, s);
  s.resume();
  c.resume();
  return echo;
}

/** An echo between two Links `a` → `b` (b sends every message back). */
async function linkEcho(a, b) {
  await Promise.all([a.opened, b.opened]);
  b.messages$.subscribe((m) => void b.send(m));
  const run = pipe(
    () => void a.send(ping),
    (cb) => a.messages$.subscribe((m) => cb(m.length)),
  );
  const close = async () => {
    await a.close();
    await b.closed;
  };
  return { run, close };
}

async function plainRun() {
  const [c, s] = await socketPair();
  const advert = (n) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });
  const a = new Link(socketConduit(c), { role: 'initiator', local: advert('a') });
  const b = new Link(socketConduit(s), { role: 'responder', local: advert('b') });
  return linkEcho(a, b);
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
  return linkEcho(a, b);
}

async function peerRun(sec) {
  const [c, s] = await socketPair();
  const advert = (security, name) => ({ networkId: security.networkId, deviceName: name, deviceType: 'pc' });
  const pa = new PeerConnection({ local: sec.a.networkId, peer: sec.b.networkId });
  const pb = new PeerConnection({ local: sec.b.networkId, peer: sec.a.networkId });
  const options = (security, name, role, pc) => ({
    role,
    local: advert(security, name),
    security,
    connectionOwner: (l) => pc.adopt(l),
  });
  const a = new Link(socketConduit(c), options(sec.a, 'a', 'initiator', pa));
  const b = new Link(socketConduit(s), options(sec.b, 'b', 'responder', pb));
  await Promise.all([a.opened, b.opened]);
  const incoming = new Promise((r) => pb.incomingChannels$.subscribe(r));
  const tx = pa.openChannel({ proto: 'bench' });
  const echo = await linkEcho(tx, await incoming);
  return {
    run: echo.run,
    close: async () => {
      tx.reset();
      await a.close();
    },
  };
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

const variants = {
  tls: tlsRun,
  secure: secureRun,
  slab: slabRun,
  raw: rawRun,
  plain: plainRun,
  peer: peerRun,
};
const names = only ? only.split(',') : ['tls', 'secure'];
for (const n of names) {
  if (!Object.hasOwn(variants, n))
    throw new Error(`unknown variant ${n} (known: ${Object.keys(variants).join(', ')})`);
}
const pipes = {};
for (const n of names) {
  pipes[n] = await variants[n](sec);
  await pipes[n].run(WARMUP);
}
const cpu = Object.fromEntries(names.map((n) => [n, []]));
const wall = Object.fromEntries(names.map((n) => [n, 0]));
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < names.length; k++) {
    const n = names[(r + k) % names.length];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await pipes[n].run(BLOCK);
    wall[n] += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu[n].push((c.user + c.system) / BLOCK);
  }
}
for (const n of names) await pipes[n].close();

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x) => x.toFixed(1).padStart(6);
console.log(`1 KiB echo, one process, ${ROUNDS} rounds × ${BLOCK} trips per variant (+${WARMUP} warm-up)`);
for (const n of names) {
  const w = (wall[n] * 1e3) / (ROUNDS * BLOCK);
  console.log(
    `${n.padEnd(7)} cpu ${f(mean(cpu[n]))} µs/trip (median of rounds ${f(median(cpu[n]))})   wall ${f(w)} µs/trip`,
  );
}
if (cpu.tls) {
  for (const n of names) {
    if (n === 'tls') continue;
    const ratio = median(cpu[n].map((x, i) => x / cpu.tls[i]));
    const diff = median(cpu[n].map((x, i) => x - cpu.tls[i]));
    console.log(
      `${n} / tls, median of rounds: cpu ${ratio.toFixed(3)} (${diff >= 0 ? '+' : ''}${diff.toFixed(1)} µs)`,
    );
  }
}
