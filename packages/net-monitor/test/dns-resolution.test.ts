// Name resolution on the default network (system resolver, namespace resolv.conf) and per network (that network's
// DNS servers, bound to its source address) against dnsmasq running in the peer namespace.
import { isColinkError } from '@colink/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetMonitor, type SourceKind } from '../src/index.js';
import { hasCommand, isRoot, Lab, untilNetworks } from './helpers/lab.js';

const sources: SourceKind[] = ['netlink', 'ip-monitor'];

// Needs root (namespaces) and dnsmasq (Debian dnsmasq-base, apt-packages.txt).
describe.skipIf(!isRoot || !hasCommand('dnsmasq')).each(sources)(
  'DNS through dnsmasq in a namespace (source %s)',
  (source) => {
    let lab: Lab;
    let monitor: NetMonitor;

    beforeAll(async () => {
      lab = await Lab.create(source === 'netlink' ? 'd' : 'e');
      const one = await lab.veth('nmdns1', 21);
      const two = await lab.veth('nmdns2', 22);
      await lab.inNs('route', 'add', 'default', 'via', one.peer, 'dev', 'nmdns1');
      await lab.dnsmasq(one.peer, { 'svc.colink.test': '10.99.0.7' });
      await lab.dnsmasq(two.peer, { 'svc.colink.test': '10.99.0.8' });
      // `ip netns exec` bind-mounts this file over /etc/resolv.conf for the monitor's agent.
      lab.resolvConf(`nameserver ${one.peer}\nsearch colink.test\n`);
      monitor = await NetMonitor.start({
        netns: lab.ns,
        source,
        dns: { nmdns2: { servers: [two.peer], domains: ['two.colink.test'] } },
        dnsTimeoutMs: 2_000,
      });
      // veth carrier comes up through the kernel's linkwatch, up to a second after `link set up`.
      await untilNetworks(monitor, ['nmdns1', 'nmdns2']);
    });
    afterAll(async () => {
      await monitor?.close();
      await lab?.destroy();
    });

    const net = (name: string) => monitor.networks.find((n) => n.interfaceName === name)!;

    it('takes dnses and domains from the namespace resolv.conf, or from the per-network override', () => {
      expect(net('nmdns1').properties.dnses).toEqual([{ address: '10.21.0.1', family: 1, port: 0 }]);
      expect(net('nmdns1').properties.domains).toBe('colink.test');
      expect(net('nmdns2').properties.dnses).toEqual([{ address: '10.22.0.1', family: 1, port: 0 }]);
      expect(net('nmdns2').properties.domains).toBe('two.colink.test');
    });

    it('resolves on the default network through the system resolver', async () => {
      expect(monitor.defaultNetwork?.interfaceName).toBe('nmdns1');
      expect(await monitor.getAddressesByName('svc.colink.test')).toEqual([
        { address: '10.99.0.7', family: 1, port: 0 },
      ]);
      // The search domain applies too.
      expect(await monitor.getAddressesByName('svc')).toEqual([{ address: '10.99.0.7', family: 1, port: 0 }]);
    });

    it('resolves per network through that network’s own server', async () => {
      expect(
        await monitor.getAddressesByName('svc.colink.test', { netId: net('nmdns1').netId, family: 1 }),
      ).toEqual([{ address: '10.99.0.7', family: 1, port: 0 }]);
      expect(await monitor.getAddressesByName('svc.colink.test', { netId: net('nmdns2').netId })).toEqual([
        { address: '10.99.0.8', family: 1, port: 0 },
      ]);
    });

    it('fails with typed errors: unknown name, empty host, unknown netId; IP literals resolve to themselves', async () => {
      const unknown = await monitor
        .getAddressesByName('nope.colink.test', { netId: net('nmdns2').netId })
        .catch((e: unknown) => e);
      expect(isColinkError(unknown, 'ERR_UNREACHABLE')).toBe(true);
      const unknownSystem = await monitor.getAddressesByName('nope.colink.test').catch((e: unknown) => e);
      expect(isColinkError(unknownSystem, 'ERR_UNREACHABLE')).toBe(true);
      await expect(monitor.getAddressesByName('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(monitor.getAddressesByName('svc.colink.test', { netId: 99 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      expect(await monitor.getAddressesByName('10.1.2.3', { netId: 99 })).toEqual([
        { address: '10.1.2.3', family: 1, port: 0 },
      ]);
      expect(await monitor.getAddressesByName('fd00::1')).toEqual([
        { address: 'fd00::1', family: 2, port: 0 },
      ]);
    });
  },
);
