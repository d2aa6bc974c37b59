// Networks appear, change and disappear as links, carrier, addresses and default routes change inside a network
// namespace created by the test; run once per event source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_NET_ID, NetBearType, NetCap, NetMonitor, type SourceKind } from '../src/index.js';
import { isRoot, Lab, Recorder } from './helpers/lab.js';

const sources: SourceKind[] = ['netlink', 'ip-monitor'];

describe.skipIf(!isRoot).each(sources)('network lifecycle in a namespace (source %s)', (source) => {
  let lab: Lab;
  let monitor: NetMonitor;

  beforeAll(async () => {
    lab = await Lab.create(source === 'netlink' ? 'l' : 'i');
    monitor = await NetMonitor.start({ netns: lab.ns, source });
  });
  afterAll(async () => {
    await monitor?.close();
    await lab?.destroy();
  });

  it('reports the requested source and starts with no network (default netId 0 in HarmonyOS terms)', () => {
    expect(monitor.source).toBe(source);
    expect(monitor.reader).toBe(source === 'netlink' ? 'netlink' : 'ip');
    expect(monitor.networks).toEqual([]);
    expect(monitor.defaultNetwork).toBeUndefined();
  });

  it('veth up → available (with capabilities and properties), down → lost, up again → a new netId', async () => {
    let rec = new Recorder(monitor);
    await lab.veth('nmup', 11, { up: false });
    await lab.inNs('link', 'set', 'nmup', 'up');
    const available = await rec.next('available', (e) => e.network.interfaceName === 'nmup');
    const n = available.network;
    expect(n.netId).toBeGreaterThanOrEqual(MIN_NET_ID);
    expect(n.linkKind).toBe('veth');
    expect(n.virtual).toBe(true);
    expect(n.capabilities.bearerTypes).toEqual([NetBearType.BEARER_ETHERNET]);
    expect(n.capabilities.networkCap).toEqual([
      NetCap.NET_CAPABILITY_NOT_METERED,
      NetCap.NET_CAPABILITY_NOT_VPN,
    ]);
    expect(n.capabilities.linkDownBandwidthKbps).toBe(10_000_000); // veth reports 10000 Mbit/s
    expect(n.properties.interfaceName).toBe('nmup');
    expect(n.properties.mtu).toBe(1500);
    expect(n.properties.linkAddresses).toContainEqual({
      address: { address: '10.11.0.2', family: 1, port: 0 },
      prefixLength: 24,
    });
    expect(n.properties.routes).toContainEqual(
      expect.objectContaining({
        interface: 'nmup',
        destination: { address: { address: '10.11.0.0', family: 1, port: 0 }, prefixLength: 24 },
        hasGateway: false,
        isDefaultRoute: false,
      }),
    );
    expect(n.localAddresses.ipv4).toBe('10.11.0.2');
    // HarmonyOS order on appearance: available, capabilities, properties — for this netId, back to back.
    const mine = rec.events.filter((e) => 'network' in e && e.network.netId === n.netId).map((e) => e.type);
    expect(mine.slice(0, 3)).toEqual(['available', 'capabilitiesChanged', 'propertiesChanged']);
    expect(monitor.getNetwork(n.netId)?.interfaceName).toBe('nmup');

    rec = new Recorder(monitor);
    await lab.inNs('link', 'set', 'nmup', 'down');
    const lost = await rec.next('lost', (e) => e.network.interfaceName === 'nmup');
    expect(lost.network.netId).toBe(n.netId);
    expect(monitor.getNetwork(n.netId)).toBeUndefined();

    rec = new Recorder(monitor);
    await lab.inNs('link', 'set', 'nmup', 'up');
    const again = await rec.next('available', (e) => e.network.interfaceName === 'nmup');
    expect(again.network.netId).toBeGreaterThan(n.netId);
  });

  it('carrier loss through the peer → lost; carrier back → available with a new netId', async () => {
    let rec = new Recorder(monitor);
    await lab.veth('nmcar', 12);
    const first = (await rec.next('available', (e) => e.network.interfaceName === 'nmcar')).network;

    rec = new Recorder(monitor);
    await lab.inPeer('link', 'set', 'pnmcar', 'down');
    expect((await rec.next('lost', (e) => e.network.interfaceName === 'nmcar')).network.netId).toBe(
      first.netId,
    );

    rec = new Recorder(monitor);
    await lab.inPeer('link', 'set', 'pnmcar', 'up');
    const second = (await rec.next('available', (e) => e.network.interfaceName === 'nmcar')).network;
    expect(second.netId).toBeGreaterThan(first.netId);
  });

  it('address add → available, second address → propertiesChanged, removals → propertiesChanged then lost', async () => {
    let rec = new Recorder(monitor);
    await lab.veth('nmad', 13, { address: false });
    // Up with carrier but no usable address: not a network (IPv6 link-local does not count).
    await lab.inNs('addr', 'add', '10.13.0.2/24', 'dev', 'nmad');
    const n = (await rec.next('available', (e) => e.network.interfaceName === 'nmad')).network;
    expect(
      rec.events.filter((e) => e.type === 'available' && e.network.interfaceName === 'nmad'),
    ).toHaveLength(1);

    rec = new Recorder(monitor);
    await lab.inNs('addr', 'add', '10.13.1.2/16', 'dev', 'nmad');
    const changed = await rec.next(
      'propertiesChanged',
      (e) => e.network.netId === n.netId && e.properties.linkAddresses.length >= 2,
    );
    expect(changed.properties.linkAddresses.filter((a) => a.address.family === 1)).toEqual([
      { address: { address: '10.13.0.2', family: 1, port: 0 }, prefixLength: 24 },
      { address: { address: '10.13.1.2', family: 1, port: 0 }, prefixLength: 16 },
    ]);

    rec = new Recorder(monitor);
    await lab.inNs('addr', 'del', '10.13.0.2/24', 'dev', 'nmad');
    const fewer = await rec.next('propertiesChanged', (e) => e.network.netId === n.netId);
    expect(
      fewer.properties.linkAddresses.filter((a) => a.address.family === 1).map((a) => a.address.address),
    ).toEqual(['10.13.1.2']);

    rec = new Recorder(monitor);
    await lab.inNs('addr', 'del', '10.13.1.2/16', 'dev', 'nmad');
    expect((await rec.next('lost', (e) => e.network.interfaceName === 'nmad')).network.netId).toBe(n.netId);
  });

  it('default route switch between two networks (metric swap) → defaultChanged, INTERNET on both', async () => {
    const a = await lab.veth('nmdefa', 14);
    const b = await lab.veth('nmdefb', 15);
    await monitor.refresh();
    let rec = new Recorder(monitor);
    await lab.inNs('route', 'add', 'default', 'via', a.peer, 'dev', 'nmdefa', 'metric', '100');
    await lab.inNs('route', 'add', 'default', 'via', b.peer, 'dev', 'nmdefb', 'metric', '200');
    const first = await rec.next('defaultChanged', (e) => e.current?.interfaceName === 'nmdefa');
    expect(first.previous).toBeUndefined();
    await rec.next(
      'capabilitiesChanged',
      (e) =>
        e.network.interfaceName === 'nmdefb' &&
        e.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_INTERNET),
    );
    const netA = monitor.networks.find((x) => x.interfaceName === 'nmdefa')!;
    const netB = monitor.networks.find((x) => x.interfaceName === 'nmdefb')!;
    expect(netA.capabilities.networkCap).toEqual([
      NetCap.NET_CAPABILITY_NOT_METERED,
      NetCap.NET_CAPABILITY_INTERNET,
      NetCap.NET_CAPABILITY_NOT_VPN,
    ]);
    expect(netA.properties.isIPv4LinkValid).toBe(true);
    expect(netA.properties.routes).toContainEqual(
      expect.objectContaining({
        isDefaultRoute: true,
        hasGateway: true,
        gateway: { address: a.peer, family: 1, port: 0 },
        metric: 100,
      }),
    );
    expect(monitor.defaultNetwork?.netId).toBe(netA.netId);

    rec = new Recorder(monitor);
    // Add the worse route first so A never loses its default route (and INTERNET) during the swap.
    await lab.inNs('route', 'add', 'default', 'via', a.peer, 'dev', 'nmdefa', 'metric', '300');
    await lab.inNs('route', 'del', 'default', 'dev', 'nmdefa', 'metric', '100');
    const switched = await rec.next('defaultChanged', (e) => e.current?.interfaceName === 'nmdefb');
    expect(switched.previous?.netId).toBe(netA.netId);
    expect(switched.current?.netId).toBe(netB.netId);
    expect(monitor.defaultNetwork?.netId).toBe(netB.netId);
    // Both networks stay, with their netIds.
    expect(monitor.getNetwork(netA.netId)?.capabilities.networkCap).toContain(NetCap.NET_CAPABILITY_INTERNET);

    // Handover: the default network goes down → lost(B) first, then defaultChanged B → A (HarmonyOS order).
    rec = new Recorder(monitor);
    await lab.inNs('link', 'set', 'nmdefb', 'down');
    const back = await rec.next('defaultChanged', (e) => e.current?.netId === netA.netId);
    expect(back.previous?.netId).toBe(netB.netId);
    const order = rec.events.map((e) => e.type);
    expect(order.indexOf('lost')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('lost')).toBeLessThan(order.indexOf('defaultChanged'));
  });
  it('IPv6-only network: global address (nodad) → available; v6 default route → INTERNET and isIPv6LinkValid', async () => {
    let rec = new Recorder(monitor);
    await lab.veth('nmsix', 16, { address: false });
    await lab.inPeer('addr', 'add', 'fd00:16::1/64', 'dev', 'pnmsix', 'nodad');
    await lab.inNs('addr', 'add', 'fd00:16::2/64', 'dev', 'nmsix', 'nodad');
    const n = (await rec.next('available', (e) => e.network.interfaceName === 'nmsix')).network;
    expect(n.localAddresses).toEqual({ ipv4: undefined, ipv6: 'fd00:16::2' });
    expect(n.properties.linkAddresses).toContainEqual({
      address: { address: 'fd00:16::2', family: 2, port: 0 },
      prefixLength: 64,
    });

    rec = new Recorder(monitor);
    await lab.inNs('-6', 'route', 'add', 'default', 'via', 'fd00:16::1', 'dev', 'nmsix', 'metric', '50');
    const caps = await rec.next(
      'capabilitiesChanged',
      (e) =>
        e.network.netId === n.netId && e.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_INTERNET),
    );
    const props = monitor.getNetwork(caps.network.netId)!.properties;
    expect(props.isIPv6LinkValid).toBe(true);
    expect(props.isIPv4LinkValid).toBe(false);
    expect(props.routes).toContainEqual(
      expect.objectContaining({
        isDefaultRoute: true,
        destination: { address: { address: '::', family: 2, port: 0 }, prefixLength: 0 },
        gateway: { address: 'fd00:16::1', family: 2, port: 0 },
      }),
    );
    await lab.inNs('link', 'del', 'nmsix');
    await rec.next('lost', (e) => e.network.netId === n.netId);
  });
});
