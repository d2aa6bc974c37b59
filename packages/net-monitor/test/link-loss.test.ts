// dropLinksOnNetworkLoss in a namespace the test builds: which local addresses it reports gone, and why, as addresses
// are removed and interfaces go down. (The whole path — a live session moving off the dropped Link between two device
// processes — is api-compat's network-change-netns test.)
import type { CloseReason } from '@colink/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropLinksOnNetworkLoss, NetMonitor, type NetworkLossDrop } from '../src/index.js';
import { isRoot, Lab } from './helpers/lab.js';

/** What the wiring asked the device to drop: the device side is core's LocalDevice.dropLinksFrom. */
class DropRecorder {
  readonly calls: Array<{ hosts: string[]; reason: CloseReason | undefined }> = [];
  dropLinksFrom(hosts: Iterable<string>, reason?: CloseReason): never[] {
    this.calls.push({ hosts: [...hosts], reason });
    return [];
  }
}

function until<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = get();
      if (v !== undefined) resolve(v);
      else if (Date.now() - start > ms) reject(new Error(`nothing in ${ms} ms`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe.skipIf(!isRoot)('dropLinksOnNetworkLoss in a namespace', () => {
  let lab: Lab;
  let monitor: NetMonitor;

  beforeAll(async () => {
    lab = await Lab.create('d');
    monitor = await NetMonitor.start({ netns: lab.ns, source: 'netlink' });
  });
  afterAll(async () => {
    await monitor?.close();
    await lab?.destroy();
  });

  it('an address removed → address-removed for it alone; the interface down → network-lost for the rest', async () => {
    await lab.veth('nmll', 31);
    await until(() => monitor.networks.find((n) => n.interfaceName === 'nmll'));
    const device = new DropRecorder();
    const drops: NetworkLossDrop[] = [];
    const added: string[] = [];
    const sub = dropLinksOnNetworkLoss(monitor, device, {
      onDrop: (d) => drops.push(d),
      onAddresses: (a) => added.push(...a),
    });
    await lab.inNs('addr', 'add', '10.31.0.5/24', 'dev', 'nmll');
    await until(() => (added.includes('10.31.0.5') ? true : undefined));
    expect(drops).toEqual([]);

    const t0 = Date.now();
    await lab.inNs('addr', 'del', '10.31.0.5/24', 'dev', 'nmll');
    const removed = await until(() => drops[0]);
    console.info(`address removed → drop in ${Date.now() - t0} ms`);
    expect(removed).toMatchObject({
      cause: 'address-removed',
      addresses: ['10.31.0.5'],
      interfaceName: 'nmll',
    });
    expect(device.calls[0]!.hosts).toEqual(['10.31.0.5']);
    expect(device.calls[0]!.reason).toMatchObject({
      code: 'lost',
      detail: { cause: 'network-change', change: 'address-removed', address: '10.31.0.5', interface: 'nmll' },
    });

    await lab.inNs('link', 'set', 'nmll', 'down');
    const lost = await until(() => drops[1]);
    expect(lost.cause).toBe('network-lost');
    expect(lost.addresses).toContain('10.31.0.2');
    expect(lost.addresses).not.toContain('10.31.0.5');
    sub.unsubscribe();
    // after unsubscribe nothing more is dropped
    await lab.inNs('link', 'set', 'nmll', 'up');
    await until(() => monitor.networks.find((n) => n.interfaceName === 'nmll'));
    await lab.inNs('link', 'set', 'nmll', 'down');
    await until(() => (monitor.networks.some((n) => n.interfaceName === 'nmll') ? undefined : true));
    expect(drops).toHaveLength(2);
  }, 60_000);

  it('dropOnDefaultSwitch: the Links of the network that stopped being the default are dropped while it stays up', async () => {
    await lab.veth('nmda', 32);
    await lab.veth('nmdb', 33);
    await lab.inNs('route', 'add', 'default', 'via', '10.32.0.1', 'dev', 'nmda', 'metric', '10');
    await until(() => (monitor.defaultNetwork?.interfaceName === 'nmda' ? true : undefined));
    const device = new DropRecorder();
    const drops: NetworkLossDrop[] = [];
    const sub = dropLinksOnNetworkLoss(monitor, device, {
      dropOnDefaultSwitch: true,
      onDrop: (d) => drops.push(d),
    });
    await lab.inNs('route', 'add', 'default', 'via', '10.33.0.1', 'dev', 'nmdb', 'metric', '5');
    const d = await until(() => drops.find((x) => x.cause === 'default-switched'));
    expect(d).toMatchObject({ interfaceName: 'nmda' });
    expect(d.addresses).toContain('10.32.0.2');
    expect(monitor.networks.some((n) => n.interfaceName === 'nmda')).toBe(true);
    sub.unsubscribe();
  }, 60_000);
});
