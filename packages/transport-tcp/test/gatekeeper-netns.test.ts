import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDevice } from '@colink/core';
import { createDeviceSecurity } from '@colink/core/security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { PeerProcess, until } from './helpers.js';
import { sh } from './hostile-helpers.js';

// The gatekeeper process (TcpTransport option `gatekeeper`) across a network namespace: the device listens through it
// on the host end of a veth pair; a trusted device in its own process inside the namespace dials in over the veth and
// exchanges messages, and a hostile process in the same namespace opens a slowloris storm (one byte of the preamble,
// then nothing) from many source addresses. The gatekeeper resets the storm in its child process — none of it reaches
// the device — while the trusted session keeps answering. Needs root (CI runs as root): the namespace, veth and
// addresses carry this process's pid and are removed afterwards.

const isRoot = process.getuid?.() === 0;
const tag = process.pid % 100_000;
const ACCOUNT = 'gatekeeper-netns-test-account';
const hostileScript = new URL('./fixtures/hostile.mts', import.meta.url).pathname;
const trustedScript = new URL('./fixtures/trusted-rtt.mts', import.meta.url).pathname;

/** The gatekeeper's preamble deadline here, ms (short, so the storm ends quickly; no timing is asserted). */
const PREAMBLE_TIMEOUT_MS = 500;
/** Storm size: connections and distinct source addresses (scaled down from hostile-peers.test.ts's 500 / 100). */
const STORM_CONNS = 200;
const STORM_SOURCES = 40;

const net = {
  ns: `clgk${tag}`,
  host: `clgkh${tag}`,
  far: `clgkn${tag}`,
  // 10.200–249.x: apart from hostile-peers.test.ts's 10.150–199.x.
  prefix: `10.${200 + (tag % 50)}.${Math.floor(tag / 50) % 250}`,
};

function teardownNetns(): void {
  for (const cmd of [
    ['ip', 'netns', 'del', net.ns],
    ['ip', 'link', 'del', net.host],
  ]) {
    try {
      sh(...cmd);
    } catch {
      // already gone (deleting the namespace removes the veth pair)
    }
  }
}

if (!isRoot)
  console.info('[gatekeeper-netns] skipped: needs root to create a network namespace and a veth pair');

describe.skipIf(!isRoot)('TcpTransport gatekeeper across a network namespace (veth)', () => {
  let dir: string;
  let tcp: TcpTransport;
  let device: LocalDevice;
  let trusted: PeerProcess | undefined;
  let hostile: PeerProcess | undefined;
  const sources = Array.from({ length: STORM_SOURCES }, (_, i) => `${net.prefix}.${10 + i}`);

  beforeAll(async () => {
    teardownNetns(); // a leftover of a killed run with the same pid
    sh('ip', 'netns', 'add', net.ns);
    sh('ip', '-n', net.ns, 'link', 'set', 'lo', 'up');
    sh('ip', 'link', 'add', net.host, 'type', 'veth', 'peer', 'name', net.far, 'netns', net.ns);
    sh('ip', 'addr', 'add', `${net.prefix}.1/24`, 'dev', net.host);
    sh('ip', 'link', 'set', net.host, 'up');
    sh('ip', '-n', net.ns, 'addr', 'add', `${net.prefix}.2/24`, 'dev', net.far);
    for (const a of sources) sh('ip', '-n', net.ns, 'addr', 'add', `${a}/24`, 'dev', net.far);
    sh('ip', '-n', net.ns, 'link', 'set', net.far, 'up');

    dir = await mkdtemp(join(tmpdir(), 'cltcp-gk-netns-'));
    const security = await createDeviceSecurity({ stateDir: dir, account: ACCOUNT });
    tcp = new TcpTransport({
      host: `${net.prefix}.1`,
      discovery: false,
      gatekeeper: { preambleTimeoutMs: PREAMBLE_TIMEOUT_MS },
    });
    device = new LocalDevice({
      advert: { networkId: security.networkId, deviceName: 'target', deviceType: 'pc' },
      transports: [tcp],
      security,
      admission: { preAuthTimeoutMs: 5_000 },
    });
    device.handle('echo', (ch) => {
      ch.messages$.subscribe((m) => void ch.send(m).catch(() => undefined));
    });
    await device.start();
  }, 60_000);

  afterAll(async () => {
    try {
      await hostile?.close();
      await trusted?.close();
      await device?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    } finally {
      teardownNetns();
    }
  }, 60_000);

  it('a trusted device in the namespace exchanges messages through the gatekeeper while a slowloris storm from 40 sources is reset in the child', {
    timeout: 60_000,
  }, async () => {
    expect(tcp.localAddress).toBe(`${net.prefix}.1:${tcp.port}`);
    const gk0 = tcp.gatekeeperStats!;
    expect(gk0.pid).toBeGreaterThan(0);
    expect(gk0.pid).not.toBe(process.pid);

    // The trusted device dials in over the veth (its process runs in the namespace), through the gatekeeper.
    trusted = new PeerProcess({ address: tcp.localAddress, account: ACCOUNT }, net.ns, trustedScript);
    await trusted.next((m) => m.ev === 'ready', 30_000);
    await until(
      () => tcp.gatekeeperStats!.handed === gk0.handed + 1,
      20_000,
      20,
      'the trusted connection handed over',
    );
    const link = device.links()[0]!;
    expect(link.remoteAddress.startsWith(`${net.prefix}.2:`)).toBe(true); // it came over the veth
    let rttId = 0;
    const trips = async (n: number): Promise<number[]> => {
      const id = `t${++rttId}`;
      trusted!.send({ cmd: 'rtt', id, n, bytes: 64 });
      const m = await trusted!.next((x) => (x.ev === 'rtt' || x.ev === 'error') && x.id === id, 30_000);
      if (m.ev === 'error') throw new Error(`trusted process: ${String(m.message)}`);
      return m.times as number[];
    };
    expect(await trips(10)).toHaveLength(10);

    // The storm, from a hostile process in the namespace.
    const gk1 = tcp.gatekeeperStats!;
    let pendingMax = 0;
    let inboundMax = 0;
    let waitingMax = 0;
    const sampler = setInterval(() => {
      pendingMax = Math.max(pendingMax, device.admissionStats().pending);
      // inboundConnections counts those waiting in the gatekeeper too: the device's own conduits are the rest.
      const waiting = tcp.gatekeeperStats!.waiting;
      waitingMax = Math.max(waitingMax, waiting);
      inboundMax = Math.max(inboundMax, tcp.inboundConnections - waiting);
    }, 5);
    try {
      hostile = new PeerProcess({ nice: 0 }, net.ns, hostileScript);
      await hostile.next((m) => m.ev === 'ready', 30_000);
      const [host, port] = [`${net.prefix}.1`, tcp.port!];
      hostile.send({
        cmd: 'attack',
        id: 'storm',
        kind: 'slow-preamble',
        host,
        port,
        conns: STORM_CONNS,
        holdMs: 15_000,
        sources,
      });
      const engaged = await hostile.next((m) => m.ev === 'engaged' && m.id === 'storm', 30_000);
      // While the storm's sockets are open: the trusted session answers every message.
      const underStorm = await trips(20);
      expect(underStorm).toHaveLength(20);
      const result = (await hostile.next(
        (m) => m.ev === 'result' && m.id === 'storm',
        40_000,
      )) as unknown as {
        connected: number;
        closedByServer: number;
        held: number;
        errors: Record<string, number>;
      };
      const connected = result.connected;
      expect(connected).toBeGreaterThan(0);
      expect(engaged.connected).toBe(connected);
      // Every storm socket was reset by the gatekeeper (RST: ECONNRESET; those evicted before the hostile process
      // handled their connect fail that connect with it), none held to the hostile's 15 s end.
      expect(result.held).toBe(0);
      expect(result.closedByServer).toBe(connected);
      expect(result.errors).toEqual({ ECONNRESET: STORM_CONNS });
      // …in the child: its deadline or its waiting cap reset them all, nothing was handed to the device, whose
      // admission control never had a pending stranger and whose transport never held a stranger's connection.
      await until(
        () => {
          const s = tcp.gatekeeperStats!;
          return s.timedOut - gk1.timedOut + (s.evicted - gk1.evicted) >= STORM_CONNS && s.waiting === 0;
        },
        20_000,
        20,
        'the gatekeeper counters',
      );
      const gk2 = tcp.gatekeeperStats!;
      const resetInChild = gk2.timedOut - gk1.timedOut + (gk2.evicted - gk1.evicted);
      console.log(
        `[gatekeeper-netns] storm of ${STORM_CONNS} (${connected} connects completed in the hostile process): ` +
          `${gk2.timedOut - gk1.timedOut} reset at the preamble deadline, ` +
          `${gk2.evicted - gk1.evicted} evicted, ${gk2.handed - gk1.handed} handed over; device pending max ${pendingMax}, ` +
          `conduits in the device max ${inboundMax}, waiting in the gatekeeper max ${waitingMax}; trusted RTT under the storm median ` +
          `${[...underStorm].sort((a, b) => a - b)[10]!.toFixed(3)} ms`,
      );
      expect(resetInChild).toBe(STORM_CONNS);
      expect(gk2.accepted - gk1.accepted).toBe(STORM_CONNS);
      expect(gk2.handed).toBe(gk1.handed);
      expect(pendingMax).toBe(0);
      expect(inboundMax).toBe(1); // the trusted Link's conduit only
      expect(waitingMax).toBeGreaterThan(0); // the storm reached the gatekeeper
      expect(device.admissionStats().pending).toBe(0);
    } finally {
      clearInterval(sampler);
    }
    // The session still works after the storm, on the same Link.
    expect(await trips(5)).toHaveLength(5);
    expect(device.links()).toEqual([link]);
  });
});
