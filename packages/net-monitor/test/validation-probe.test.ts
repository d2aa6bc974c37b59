// HTTP validation per network against local servers inside the peer namespace: 204 → VALIDATED, 302 → PORTAL,
// CHECKING_CONNECTIVITY while probing; each probe leaves through its network thanks to a source policy rule.
import { type ChildProcess, execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { VirtualClock } from '@colink/core/testing';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_VALIDATION_INTERVAL_MS, NetCap, NetMonitor, type SourceKind } from '../src/index.js';
import { isRoot, Lab, Recorder, untilNetworks } from './helpers/lab.js';

const exec = promisify(execFile);
const sources: SourceKind[] = ['netlink', 'ip-monitor'];
const {
  NET_CAPABILITY_CHECKING_CONNECTIVITY: CHECKING,
  NET_CAPABILITY_VALIDATED: VALIDATED,
  NET_CAPABILITY_PORTAL: PORTAL,
} = NetCap;

/** Answers 204 to clients from 10.31.0.0/16, 302 to everyone else; prints each client address. */
const SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  const from = req.socket.remoteAddress;
  console.log('probe from ' + from);
  if (from.startsWith('10.31.')) res.writeHead(204); else res.writeHead(302, { location: 'http://10.77.0.1:8080/login' });
  res.end();
}).listen(8080, '10.77.0.1', () => console.log('listening'));`;

describe.skipIf(!isRoot).each(sources)('validation probe (source %s)', (source) => {
  let lab: Lab;
  let monitor: NetMonitor;
  let server: ChildProcess;
  let a: { local: string; peer: string };
  let b: { local: string; peer: string };
  /** The server's stdout lines (`probe from <address>` per request). */
  const served: string[] = [];

  beforeAll(async () => {
    lab = await Lab.create(source === 'netlink' ? 'v' : 'w');
    a = await lab.veth('nmval1', 31);
    b = await lab.veth('nmval2', 32);
    // The probe target lives on the peer's loopback, reachable through either network.
    await lab.inPeer('addr', 'add', '10.77.0.1/32', 'dev', 'lo');
    server = lab.spawnInPeer(process.execPath, ['-e', SERVER]);
    createInterface({ input: server.stdout! }).on('line', (l) => served.push(l));
    await new Promise<void>((resolve) =>
      server.stdout!.on('data', (d: Buffer) => d.includes('listening') && resolve()),
    );
    monitor = await NetMonitor.start({
      netns: lab.ns,
      source,
      validation: { url: 'http://10.77.0.1:8080/generate_204', intervalMs: 60_000, timeoutMs: 3_000 },
    });
    await untilNetworks(monitor, ['nmval1', 'nmval2']);
  });
  afterAll(async () => {
    await monitor?.close();
    await lab?.destroy();
  });

  it('no probe without a default route (no INTERNET); with one: CHECKING, then VALIDATED (204) or PORTAL (302)', async () => {
    for (const n of monitor.networks) expect(n.capabilities.networkCap).not.toContain(CHECKING);
    const rec = new Recorder(monitor);
    await lab.inNs('route', 'add', 'default', 'via', a.peer, 'dev', 'nmval1', 'metric', '100');
    await lab.inNs('route', 'add', 'default', 'via', b.peer, 'dev', 'nmval2', 'metric', '200');
    // Source policy routing: traffic from nmval2's address leaves through nmval2, not the lower-metric nmval1.
    await lab.inNs('rule', 'add', 'from', b.local, 'table', '132');
    await lab.inNs('route', 'add', 'default', 'via', b.peer, 'dev', 'nmval2', 'table', '132');
    const validated = await rec.next(
      'capabilitiesChanged',
      (e) => e.network.interfaceName === 'nmval1' && e.capabilities.networkCap.includes(VALIDATED),
    );
    const portal = await rec.next(
      'capabilitiesChanged',
      (e) => e.network.interfaceName === 'nmval2' && e.capabilities.networkCap.includes(PORTAL),
    );
    expect(validated.network.validation).toBe('validated');
    expect(validated.capabilities.networkCap).not.toContain(CHECKING);
    expect(portal.network.validation).toBe('portal');
    expect(portal.capabilities.networkCap).not.toContain(VALIDATED);
    for (const name of ['nmval1', 'nmval2']) {
      const caps = rec.events.filter(
        (e) => e.type === 'capabilitiesChanged' && e.network.interfaceName === name,
      );
      const checking = caps.findIndex(
        (e) => e.type === 'capabilitiesChanged' && e.capabilities.networkCap.includes(CHECKING),
      );
      const done = caps.findIndex(
        (e) =>
          e.type === 'capabilitiesChanged' &&
          !e.capabilities.networkCap.includes(CHECKING) &&
          e.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_INTERNET),
      );
      expect(checking).toBeGreaterThanOrEqual(0);
      expect(done).toBeGreaterThan(checking);
    }
  });

  it('revalidate(netId) sets CHECKING again and ends VALIDATED', async () => {
    const n = monitor.networks.find((x) => x.interfaceName === 'nmval1')!;
    const rec = new Recorder(monitor);
    await monitor.revalidate(n.netId);
    const types = rec.events.filter((e) => e.type === 'capabilitiesChanged' && e.network.netId === n.netId);
    expect(
      types.map((e) => e.type === 'capabilitiesChanged' && e.capabilities.networkCap.includes(CHECKING)),
    ).toEqual([true, false]);
    expect(monitor.getNetwork(n.netId)?.capabilities.networkCap).toContain(VALIDATED);
  });

  it('re-probes every 60 s (the default validation interval), not before: in virtual time', async () => {
    // A change of the links (IPv6 DAD finishing on the veths) re-reads and re-probes, which would count here: wait
    // until no address is tentative, and turn the safety resync off, so only the interval can start a probe.
    await vi.waitFor(
      async () =>
        expect((await exec('ip', ['-n', lab.ns, '-6', 'addr', 'show', 'tentative'])).stdout).toBe(''),
      { timeout: 10_000, interval: 100 },
    );
    const clock = new VirtualClock();
    const m = await NetMonitor.start({
      netns: lab.ns,
      source,
      scheduler: clock,
      resyncIntervalMs: 0,
      validation: { url: 'http://10.77.0.1:8080/generate_204', timeoutMs: 3_000 },
    });
    try {
      // The first probe runs when the network appears (real time: the agent fetches over the veth).
      await firstValueFrom(
        m.networks$.pipe(
          filter((l) => l.some((x) => x.interfaceName === 'nmval1' && x.validation === 'validated')),
          timeout(10_000),
        ),
      );
      const probes = (): number => served.filter((l) => l === `probe from ${a.local}`).length;
      // Any change notified meanwhile is re-read (debounced on the virtual clock) before counting.
      await clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 300));
      const first = probes();
      expect(first).toBeGreaterThan(0);
      await clock.advance(DEFAULT_VALIDATION_INTERVAL_MS - 1_000 - 1);
      // A probe started now would reach the server within this real-time grace.
      await new Promise((r) => setTimeout(r, 300));
      expect(probes()).toBe(first);
      await clock.advance(1);
      await vi.waitFor(() => expect(probes()).toBe(first + 1), { timeout: 10_000 });
      await clock.advance(DEFAULT_VALIDATION_INTERVAL_MS);
      await vi.waitFor(() => expect(probes()).toBe(first + 2), { timeout: 10_000 });
      expect(m.getNetwork(m.networks.find((x) => x.interfaceName === 'nmval1')!.netId)?.validation).toBe(
        'validated',
      );
    } finally {
      await m.close();
    }
  });
});
