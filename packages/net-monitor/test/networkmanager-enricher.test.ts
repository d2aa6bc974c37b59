// The optional NetworkManager enricher against a fake NetworkManager on a private D-Bus daemon: Metered and DNS of
// a device reach the monitor's capabilities and properties, PropertiesChanged updates them, no NetworkManager →
// ERR_NOT_STARTED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meteredFromNm, NetCap, NetMonitor, NetworkManagerEnricher } from '../src/index.js';
import { FakeNm } from './helpers/fake-nm.js';
import { hasCommand, isRoot, Lab, Recorder, untilNetworks } from './helpers/lab.js';

describe('NetworkManager Metered values', () => {
  it('maps yes/guess-yes to metered, no/guess-no to unmetered, unknown to undefined', () => {
    expect([0, 1, 2, 3, 4].map(meteredFromNm)).toEqual([undefined, true, false, true, false]);
  });
});

describe.skipIf(!hasCommand('dbus-daemon'))('NetworkManager enricher without NetworkManager', () => {
  it('fails with ERR_NOT_STARTED when the bus has no NetworkManager', async () => {
    const bus = await FakeNm.start('e', false);
    try {
      await expect(NetworkManagerEnricher.connect({ busAddress: bus.address })).rejects.toMatchObject({
        code: 'ERR_NOT_STARTED',
      });
    } finally {
      bus.stop();
    }
  });
});

// Needs root (namespaces) and dbus-daemon (Debian dbus-daemon, apt-packages.txt).
describe.skipIf(!isRoot || !hasCommand('dbus-daemon'))(
  'NetworkManager enricher with a fake NetworkManager',
  () => {
    let lab: Lab;
    let nm: FakeNm;
    let enricher: NetworkManagerEnricher;
    let monitor: NetMonitor;

    beforeAll(async () => {
      lab = await Lab.create('n');
      await lab.veth('nmnm0', 51);
      nm = await FakeNm.start('n');
      nm.addDevice(1, 'nmnm0', 1, ['10.51.0.53'], ['nm.test']);
      enricher = await NetworkManagerEnricher.connect({ busAddress: nm.address });
      monitor = await NetMonitor.start({ netns: lab.ns, linkInfo$: enricher.links$ });
      await untilNetworks(monitor, ['nmnm0']);
    });
    afterAll(async () => {
      await monitor?.close();
      enricher?.close();
      nm?.stop();
      await lab?.destroy();
    });

    it('takes Metered and the IP4Config DNS servers and search domains of the device', () => {
      const n = monitor.networks.find((x) => x.interfaceName === 'nmnm0')!;
      expect(n.capabilities.networkCap).not.toContain(NetCap.NET_CAPABILITY_NOT_METERED);
      expect(n.properties.dnses).toEqual([{ address: '10.51.0.53', family: 1, port: 0 }]);
      expect(n.properties.domains).toBe('nm.test');
    });

    it('follows PropertiesChanged: Metered no → NOT_METERED appears', async () => {
      const rec = new Recorder(monitor);
      nm.setMetered(1, 2);
      const e = await rec.next('capabilitiesChanged', (x) => x.network.interfaceName === 'nmnm0');
      expect(e.capabilities.networkCap).toContain(NetCap.NET_CAPABILITY_NOT_METERED);
    });
  },
);
