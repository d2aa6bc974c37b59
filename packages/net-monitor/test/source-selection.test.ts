// Source choice and reporting: automatic selection, the netlink addon on this Node, polling as last resort,
// start-up failures with typed errors.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadNetlink } from '../src/host/netlink.js';
import { NetMonitor } from '../src/index.js';
import { isRoot, Lab, Recorder, untilNetworks } from './helpers/lab.js';

describe('source selection', () => {
  it('loads the netlink 0.3.0 prebuilt addon on this Node and picks it automatically', async () => {
    const loaded = loadNetlink();
    expect('error' in loaded ? loaded.error.message : 'loaded').toBe('loaded');
    const monitor = await NetMonitor.start();
    try {
      expect(monitor.source).toBe('netlink');
      expect(monitor.reader).toBe('netlink');
      expect(monitor.netns).toBeUndefined();
      for (const n of monitor.networks) expect(n.netId).toBeGreaterThanOrEqual(100);
    } finally {
      await monitor.close();
    }
  });

  it('falls back to polling (and says so) when its ip monitor process dies', async () => {
    const monitor = await NetMonitor.start({ source: 'ip-monitor', pollIntervalMs: 200 });
    try {
      expect(monitor.source).toBe('ip-monitor');
      // Our own child `ip -o monitor …`, found through /proc and killed by pid.
      const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/);
      const ipMonitor = children.find(
        (pid) => pid !== '' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('monitor'),
      );
      expect(ipMonitor).toBeDefined();
      process.kill(Number(ipMonitor), 'SIGKILL');
      await vi.waitFor(() => expect(monitor.source).toBe('poll'), { timeout: 5_000 });
    } finally {
      await monitor.close();
    }
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT', async () => {
    await expect(NetMonitor.start({ debounceMs: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(NetMonitor.start({ validation: { url: 'ftp://x' } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(NetMonitor.start({ netns: '../etc' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(NetMonitor.start({ dns: { eth0: { servers: ['not-an-ip'] } } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it.skipIf(!isRoot)('fails with ERR_NOT_STARTED for a namespace that does not exist', async () => {
    await expect(NetMonitor.start({ netns: `clnm${process.pid % 100000}none` })).rejects.toMatchObject({
      code: 'ERR_NOT_STARTED',
    });
  });
});

describe.skipIf(!isRoot)('polling source in a namespace', () => {
  let lab: Lab;
  let monitor: NetMonitor;
  beforeAll(async () => {
    lab = await Lab.create('q');
    monitor = await NetMonitor.start({ netns: lab.ns, source: 'poll', pollIntervalMs: 200 });
  });
  afterAll(async () => {
    await monitor?.close();
    await lab?.destroy();
  });

  it('reports poll and still sees a network come and go', async () => {
    expect(monitor.source).toBe('poll');
    await lab.veth('nmpoll', 41);
    const [n] = await untilNetworks(monitor, ['nmpoll']);
    const rec = new Recorder(monitor);
    await lab.inNs('addr', 'flush', 'dev', 'nmpoll');
    expect((await rec.next('lost')).network.netId).toBe(n!.netId);
  });

  it('setBlocked emits blockStatusChanged once per change', async () => {
    await lab.inNs('addr', 'add', '10.41.0.2/24', 'dev', 'nmpoll');
    const [n] = await untilNetworks(monitor, ['nmpoll']);
    const rec = new Recorder(monitor);
    monitor.setBlocked(n!.netId, true);
    monitor.setBlocked(n!.netId, true);
    monitor.setBlocked(n!.netId, false);
    const changes = rec.events.filter((e) => e.type === 'blockStatusChanged');
    expect(changes.map((e) => e.network.netId === n!.netId && e.blocked)).toEqual([true, false]);
    expect(() => monitor.setBlocked(1, true)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
