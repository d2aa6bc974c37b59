// Issue 15's handover rows: one peer connection (core PeerConnection) between devices A and B in this process, over
// a real TCP Link on loopback and a BLE Link on the virtual radio (real noble/bleno stacks, real-time link model:
// LE 2M, DLE 251, 15 ms interval), as transport-ble's and transport-tcp's handover tests build it.
//   - stall: a numbered 256-byte message every PACE_MS on a connection channel carried by TCP, with BLE standing by;
//     the TCP path is then cut three ways, in turn, on the same channel:
//       keepalive    the relay between A and B drops every byte both ways (a pulled cable): only the keep-alive
//                    notices, after its idle timeout;
//       conduit-end  B's TCP conduit is destroyed (the socket closes under TLS-less Link: the medium ends);
//       goaway       B's Link closes with GOAWAY `lost` (a medium withdrawn on purpose);
//     the row is the longest gap between two delivered messages (ms), next to the keep-alive detection time of the
//     same run (cut → A's TCP Link reported closed). Every message must arrive exactly once, in order.
//   - upgrade: the channel runs flat out on BLE, then a TCP Link appears (dial → open is a row of its own): upgrade
//     time = TCP Link open on both sides → first message B receives with TCP carrying; baseline: what the
//     make-before-break drain has to wait for, the bytes in flight on BLE at that moment at the BLE throughput just
//     measured. Throughput before (BLE) and after (TCP).
// Prints a table; with COLINK_BENCH_JSON=<file> writes the rows for `pnpm bench`. --quick (or COLINK_BENCH_QUICK=1):
// fewer repeats.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { type Channel, type Conduit, closeReason, Link, type LinkRole, PeerConnection } from '@colink/core';
import { BleTransport } from '@colink/transport-ble';
import { VirtualRadio, virtualTransportOptions } from '@colink/transport-ble/virtual';
import { TcpTransport } from '@colink/transport-tcp';
import { firstValueFrom } from 'rxjs';
import { type BenchRow, benchEnv, emitRows, isQuick, spreadRow } from '../src/row.js';
import { type Spread, spread } from '../src/stats.js';
import { applyTargets } from '../src/targets.js';

const quick = isQuick();
const REPEATS = Number(process.env.BENCH_REPEATS ?? (quick ? 2 : 5));
/** Keep-alive of every Link here (ms): short, so a silent cut is found in about half a second, not 30 s. */
const KEEPALIVE_MS = 100;
const IDLE_TIMEOUT_MS = 500;
/** One numbered message every PACE_MS during the stall runs: a rate BLE carries easily (64 KB/s). */
const PACE_MS = 4;
const PACED_BYTES = 256;
/** Traffic before each cut, and after the move until the run ends (ms). */
const STEADY_MS = 400;
const AFTER_MS = 600;
/** Upgrade runs: messages of UPGRADE_MSG bytes flat out, BLE_MS on BLE before TCP appears, then TCP_BYTES on TCP. */
const UPGRADE_MSG = 16 * 1024;
const BLE_MS = Number(process.env.BENCH_BLE_MS ?? (quick ? 1_000 : 1_500));
const TCP_BYTES = Number(process.env.BENCH_TCP_BYTES ?? (quick ? 32 : 128) * 1024 * 1024);
const CUTS = ['keepalive', 'conduit-end', 'goaway'] as const;
type Cut = (typeof CUTS)[number];

const advert = (name: string) => ({
  networkId: createHash('sha256').update(`handover-bench-${name}`).digest('hex'),
  deviceName: name,
  deviceType: 'pc',
});
// A must lead (the smaller networkId chooses the carrier, PROTOCOL.md §8.1): it is the sender here.
const [A, B] = [advert('a'), advert('b')].sort((x, y) => (x.networkId < y.networkId ? -1 : 1)) as [
  ReturnType<typeof advert>,
  ReturnType<typeof advert>,
];

/** A TCP relay on loopback between A and B whose `cut()` drops every byte both ways without closing anything. */
class Relay {
  private readonly server: net.Server;
  private dropping = false;
  private readonly sockets = new Set<net.Socket>();
  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((inbound) => {
      const outbound = net.connect(this.target);
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.setNoDelay(true);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      const pipe = (from: net.Socket, to: net.Socket): void => {
        from.on('data', (d) => {
          if (!this.dropping && !to.write(d)) {
            from.pause();
            to.once('drain', () => from.resume());
          }
        });
        from.on('end', () => to.end());
        from.on('close', () => to.destroy());
      };
      pipe(inbound, outbound);
      pipe(outbound, inbound);
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }
  /** From now on every byte is dropped (the sockets stay open: only a keep-alive can tell). */
  cut(): void {
    this.dropping = true;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }
}

interface World {
  pa: PeerConnection;
  pb: PeerConnection;
  ta: TcpTransport;
  tb: TcpTransport;
  bleLinks: [Link, Link];
  close(): Promise<void>;
}

function link(c: Conduit, role: LinkRole, local: typeof A, pc: PeerConnection): Link {
  return new Link(c, {
    role,
    local,
    keepAliveIntervalMs: KEEPALIVE_MS,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    connectionOwner: (l) => pc.adopt(l),
  });
}

async function world(): Promise<World> {
  const radio = new VirtualRadio({
    model: { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: 15 },
    advertisingIntervalMs: 20,
  });
  const ba = new BleTransport(virtualTransportOptions(radio, 'AA:00:00:00:00:01'));
  const bb = new BleTransport(virtualTransportOptions(radio, 'BB:00:00:00:00:02'));
  const ta = new TcpTransport({ host: '127.0.0.1', discovery: false });
  const tb = new TcpTransport({ host: '127.0.0.1', discovery: false });
  await Promise.all([ba.start(), bb.start(), ta.start(), tb.start()]);
  await bb.advertise(B);
  const pa = new PeerConnection({ local: A.networkId, peer: B.networkId, graceMs: 30_000 });
  const pb = new PeerConnection({ local: B.networkId, peer: A.networkId, graceMs: 30_000 });
  const incoming = firstValueFrom(bb.incoming$);
  const ca = await ba.dial('BB:00:00:00:00:02');
  const cb = await incoming;
  const bleLinks: [Link, Link] = [link(ca, 'initiator', A, pa), link(cb, 'responder', B, pb)];
  await Promise.all(bleLinks.map((l) => l.opened));
  return {
    pa,
    pb,
    ta,
    tb,
    bleLinks,
    async close() {
      await Promise.all([pa.close(undefined, 1_000), pb.close(undefined, 1_000)]);
      for (const l of bleLinks) l.abort({ code: 'normal' });
      await Promise.all([ba.stop(), bb.stop(), ta.stop(), tb.stop()]);
      radio.close();
    },
  };
}

interface TcpPair {
  la: Link;
  lb: Link;
  cb: Conduit;
  relay: Relay;
  /** When both Links were open (performance.now()). */
  openedAt: number;
  /** When the dial started (performance.now()). */
  dialAt: number;
}

/**
 * A TCP Link pair from A to B, both ends adopted by the peer connections: through a fresh relay (which can cut it
 * silently) or, `direct`, straight to B's listener (the upgrade runs: no relay hop in the TCP throughput).
 */
async function tcpLinks(w: World, direct = false): Promise<TcpPair> {
  const [host, port] = w.tb.localAddress!.split(':') as [string, string];
  const relay = new Relay({ host, port: Number(port) });
  const address = direct ? w.tb.localAddress! : await relay.listen();
  const accepted = firstValueFrom(w.tb.incoming$);
  const dialAt = performance.now();
  const ca = await w.ta.dial(address);
  const cb = await accepted;
  const la = link(ca, 'initiator', A, w.pa);
  const lb = link(cb, 'responder', B, w.pb);
  await Promise.all([la.opened, lb.opened]);
  return { la, lb, cb, relay, openedAt: performance.now(), dialAt };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The receiving end: checks numbering (exactly once, in order) and records arrival times. */
class Receiver {
  expected = 0;
  bytes = 0;
  arrivals: number[] = [];
  /** performance.now() of the first message received while B's carrier is TCP (after `watchTcp()`). */
  firstOnTcp: number | undefined;
  private watching = false;
  error: string | undefined;
  constructor(
    ch: Channel,
    private readonly pb: PeerConnection,
  ) {
    ch.messages$.subscribe((m) => {
      const i = new DataView(m.buffer, m.byteOffset).getUint32(0);
      if (i !== this.expected) this.error ??= `message ${i} arrived, expected ${this.expected}`;
      this.expected = i + 1;
      this.bytes += m.length;
      const now = performance.now();
      this.arrivals.push(now);
      if (this.watching && this.firstOnTcp === undefined && this.pb.carrier?.medium === 'tcp')
        this.firstOnTcp = now;
    });
  }
  watchTcp(): void {
    this.watching = true;
    this.firstOnTcp = undefined;
  }
  /** Longest gap between consecutive arrivals at or after `from` (ms). */
  maxGap(from: number): number {
    let gap = 0;
    for (let i = 1; i < this.arrivals.length; i++)
      if (this.arrivals[i]! >= from) gap = Math.max(gap, this.arrivals[i]! - this.arrivals[i - 1]!);
    return gap;
  }
}

/** Sends numbered messages: paced (every PACE_MS) or flat out, until stopped. */
/** Messages sent so far on this repeat's channel (the numbering goes on across its runs). */
let sentTotal = 0;

class Sender {
  private running = true;
  readonly done: Promise<void>;
  constructor(ch: Channel, size: number, paceMs: number) {
    this.done = (async () => {
      while (this.running) {
        const m = new Uint8Array(size);
        new DataView(m.buffer).setUint32(0, sentTotal++);
        if (paceMs > 0) {
          await ch.send(m);
          await sleep(paceMs);
        } else {
          const p = ch.send(m);
          if (sentTotal % 8 === 0) await p;
        }
      }
    })();
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

interface StallSample {
  gap: number;
  detect: number;
  steadyGap: number;
}

async function stallRun(w: World, rx: Receiver, ch: Channel, cut: Cut): Promise<StallSample> {
  const tcp = await tcpLinks(w);
  await until('the move to TCP', () => w.pa.carrier === tcp.la && w.pb.carrier === tcp.lb);
  const sender = new Sender(ch, PACED_BYTES, PACE_MS);
  await sleep(STEADY_MS);
  const cutAt = performance.now();
  const steadyGap = rx.maxGap(cutAt - STEADY_MS / 2);
  let detectedAt = Number.NaN;
  void tcp.la.closed.then(() => (detectedAt = performance.now()));
  if (cut === 'keepalive') tcp.relay.cut();
  else if (cut === 'conduit-end') tcp.cb.destroy({ code: 'lost', message: 'bench: medium cut' });
  else void tcp.lb.close(closeReason('lost', 'bench: medium withdrawn'));
  await until('A to notice the cut', () => !Number.isNaN(detectedAt), 10 * IDLE_TIMEOUT_MS);
  await until('the move to BLE', () => w.pa.carrier?.medium === 'ble' && w.pb.carrier?.medium === 'ble');
  const moved = rx.arrivals.length;
  await until('delivery on BLE', () => rx.arrivals.length > moved + 10);
  await sleep(AFTER_MS);
  await sender.stop();
  await until('every message', () => rx.expected === sentTotal, 30_000);
  if (rx.error) throw new Error(`${cut}: ${rx.error}`);
  const gap = rx.maxGap(cutAt);
  tcp.la.abort({ code: 'normal' });
  tcp.lb.abort({ code: 'normal' });
  await tcp.relay.close();
  return { gap, detect: detectedAt - cutAt, steadyGap };
}

interface UpgradeSample {
  time: number;
  dial: number;
  drain: number;
  ble: number;
  tcp: number;
  bleRtt: number;
}

async function upgradeRun(w: World, rx: Receiver, ch: Channel): Promise<UpgradeSample> {
  await until('BLE carrying', () => w.pa.carrier?.medium === 'ble');
  const bleRtt = w.pa.carrier!.stats().srttMs ?? Number.NaN;
  const sender = new Sender(ch, UPGRADE_MSG, 0);
  await sleep(BLE_MS / 3); // the window fills, the BLE pipe runs at its pace
  const b0 = rx.bytes;
  const t0 = performance.now();
  await sleep(BLE_MS);
  const ble = (rx.bytes - b0) / ((performance.now() - t0) / 1000);
  rx.watchTcp();
  const inFlight = ch.unacknowledgedBytes;
  const tcp = await tcpLinks(w, true);
  const drain = ((ch.unacknowledgedBytes || inFlight) / ble) * 1000;
  await until('the first message over TCP', () => rx.firstOnTcp !== undefined, 30_000);
  const time = rx.firstOnTcp! - tcp.openedAt;
  const dial = tcp.openedAt - tcp.dialAt;
  const b1 = rx.bytes;
  const t1 = performance.now();
  await until('the TCP transfer', () => rx.bytes - b1 >= TCP_BYTES, 60_000);
  const tcpRate = (rx.bytes - b1) / ((performance.now() - t1) / 1000);
  await sender.stop();
  await until('every message', () => rx.expected === sentTotal, 30_000);
  if (rx.error) throw new Error(`upgrade: ${rx.error}`);
  // Back to BLE for the next run: a graceful close of the TCP Links moves the channel there.
  await Promise.all([tcp.la.close(closeReason('lost', 'bench: next run')), tcp.lb.closed]);
  await tcp.relay.close();
  return { time, dial, drain, ble: ble / 1e6, tcp: tcpRate / 1e6, bleRtt };
}

const stalls = new Map<Cut, StallSample[]>(CUTS.map((c) => [c, []]));
const upgrades: UpgradeSample[] = [];
for (let r = 0; r < REPEATS; r++) {
  const w = await world();
  const incoming = firstValueFrom(w.pb.incomingChannels$);
  const ch = w.pa.openChannel({ proto: 'bench.handover' });
  sentTotal = 0; // a new channel: numbering starts again
  const rx = new Receiver(await incoming, w.pb);
  // Warm-up: one unmeasured move each way.
  await stallRun(w, rx, ch, 'conduit-end');
  for (const cut of CUTS) stalls.get(cut)!.push(await stallRun(w, rx, ch, cut));
  upgrades.push(await upgradeRun(w, rx, ch));
  await w.close();
  process.stderr.write(`handover: repeat ${r + 1}/${REPEATS} done\n`);
}

const env = benchEnv();
const s = (xs: number[]): Spread => spread(xs);
const detect = s(stalls.get('keepalive')!.map((x) => x.detect));
const detectLabel = `keep-alive detection (PING every ${KEEPALIVE_MS} ms, idle timeout ${IDLE_TIMEOUT_MS} ms)`;
const cutLabel: Record<Cut, string> = {
  keepalive: 'silent TCP cut (relay drops every byte): keep-alive finds it',
  'conduit-end': 'TCP conduit destroyed (medium ends)',
  goaway: 'TCP Link closed with GOAWAY lost',
};
const rows: BenchRow[] = [];
for (const cut of CUTS) {
  rows.push(
    spreadRow(
      `handover.stall.${cut}`,
      `max gap between delivered messages, ${cutLabel[cut]}, BLE standing by (${PACED_BYTES} B every ${PACE_MS} ms)`,
      'ms',
      s(stalls.get(cut)!.map((x) => x.gap)),
      env,
      { value: detect.median, label: detectLabel },
    ),
  );
}
rows.push(
  spreadRow('handover.detect.keepalive', detectLabel, 'ms', detect, env, {
    value: IDLE_TIMEOUT_MS,
    label: 'configured idle timeout',
  }),
  spreadRow(
    'handover.gap.steady',
    `max gap between delivered messages on TCP before the cut (${PACE_MS} ms pacing)`,
    'ms',
    s(CUTS.flatMap((c) => stalls.get(c)!.map((x) => x.steadyGap))),
    env,
  ),
);
const up = {
  time: s(upgrades.map((u) => u.time)),
  dial: s(upgrades.map((u) => u.dial)),
  drain: s(upgrades.map((u) => u.drain)),
  ble: s(upgrades.map((u) => u.ble)),
  tcp: s(upgrades.map((u) => u.tcp)),
  rtt: s(upgrades.map((u) => u.bleRtt)),
};
rows.push(
  spreadRow(
    'handover.upgrade.time',
    `BLE → TCP upgrade: TCP Link open → first message carried by TCP (${UPGRADE_MSG / 1024} KiB messages flat out)`,
    'ms',
    up.time,
    env,
    { value: up.drain.median, label: 'bytes in flight on BLE at that moment ÷ BLE throughput' },
  ),
  spreadRow(
    'handover.upgrade.dial',
    'the TCP Link coming up while BLE carries: dial → both Links open (TCP connect + HELLO, plain)',
    'ms',
    up.dial,
    env,
  ),
  spreadRow(
    'handover.upgrade.throughput.ble',
    'connection channel throughput on BLE before the upgrade',
    'MB/s',
    up.ble,
    env,
  ),
  spreadRow(
    'handover.upgrade.throughput.tcp',
    'connection channel throughput on TCP after the upgrade (same channel)',
    'MB/s',
    up.tcp,
    env,
    { value: up.ble.median, label: 'on BLE before' },
  ),
);
const result = applyTargets(rows);
emitRows(result);

const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3));
console.log(
  `# handover — ${REPEATS} repeats, node ${process.version}; BLE: virtual radio, real-time LE 2M, 15 ms interval; TCP: loopback`,
);
console.log('| row | median | min | max | unit | baseline | ratio |');
console.log('|---|---:|---:|---:|---|---:|---:|');
for (const r of result)
  console.log(
    `| ${r.id} | ${f(r.value)} | ${f(r.min!)} | ${f(r.max!)} | ${r.unit} | ${r.baseline === undefined ? '' : f(r.baseline)} | ${
      r.ratio === undefined ? '' : `${f(r.ratio)}×`
    } |`,
  );
console.log(`BLE keep-alive RTT before the upgrade: ${f(up.rtt.median)} ms (median)`);
process.exit(0);
