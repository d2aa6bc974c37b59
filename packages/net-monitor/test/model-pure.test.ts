// Pure parts of the model: resolv.conf parsing, bearer classification, netId allocation, network derivation from a
// snapshot, probe status classification, address byte conversion. No root, no namespaces.
import { describe, expect, it } from 'vitest';
import { bytesToIp, ipToBytes } from '../src/host/ip-bytes.js';
import { linkInfoKind } from '../src/host/netlink.js';
import {
  classifyBearer,
  classifyProbeStatus,
  type DeriveConfig,
  deriveNetworks,
  envHttpProxy,
  type HostSnapshot,
  type LinkFacts,
  MAX_NET_ID,
  MIN_NET_ID,
  matchesNetSpecifier,
  NetBearType,
  NetCap,
  NetIdAllocator,
  type Network,
  parseResolvConf,
  type RawRoute,
} from '../src/index.js';

const facts = (over: Partial<LinkFacts> = {}): LinkFacts => ({
  arpType: 1,
  devtype: undefined,
  wireless: false,
  tunFlags: undefined,
  driver: undefined,
  hasDevice: false,
  speedMbps: undefined,
  ...over,
});

describe('resolv.conf parsing', () => {
  it('keeps IP name servers (max 3, zone ids dropped) and the last search/domain line', () => {
    const conf = parseResolvConf(
      '# comment\nnameserver 10.0.0.1\nnameserver fe80::1%eth0 ; trailing\nnameserver bogus\ndomain a.test\nsearch b.test c.test\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n',
    );
    expect(conf).toEqual({ nameservers: ['10.0.0.1', 'fe80::1', '10.0.0.2'], search: ['b.test', 'c.test'] });
  });
});

describe('bearer classification from sysfs facts', () => {
  it('maps wireless, wwan, bluetooth, tun, wireguard, ppp, physical and virtual Ethernet', () => {
    expect(classifyBearer('wlan0', undefined, facts({ wireless: true, hasDevice: true }))).toEqual({
      type: NetBearType.BEARER_WIFI,
      virtual: false,
    });
    expect(classifyBearer('wlp2s0', undefined, facts({ devtype: 'wlan', hasDevice: true })).type).toBe(
      NetBearType.BEARER_WIFI,
    );
    expect(classifyBearer('wwan0', undefined, facts({ devtype: 'wwan', hasDevice: true })).type).toBe(
      NetBearType.BEARER_CELLULAR,
    );
    expect(classifyBearer('wwp0', undefined, facts({ driver: 'qmi_wwan', hasDevice: true })).type).toBe(
      NetBearType.BEARER_CELLULAR,
    );
    expect(classifyBearer('bnep0', undefined, facts({ devtype: 'bluetooth' })).type).toBe(
      NetBearType.BEARER_BLUETOOTH,
    );
    expect(classifyBearer('tun0', 'tun', facts({ arpType: 65534, tunFlags: 0x1001 }))).toEqual({
      type: NetBearType.BEARER_VPN,
      virtual: true,
    });
    expect(classifyBearer('tap0', 'tun', facts({ tunFlags: 0x1002 }))).toEqual({
      type: NetBearType.BEARER_ETHERNET,
      virtual: true,
    });
    expect(classifyBearer('wg0', 'wireguard', facts({ arpType: 65534 })).type).toBe(NetBearType.BEARER_VPN);
    expect(classifyBearer('ppp0', undefined, facts({ arpType: 512 })).type).toBe(NetBearType.BEARER_VPN);
    expect(classifyBearer('eth0', undefined, facts({ hasDevice: true, driver: 'virtio_net' }))).toEqual({
      type: NetBearType.BEARER_ETHERNET,
      virtual: false,
    });
    expect(classifyBearer('veth0', 'veth', facts())).toEqual({
      type: NetBearType.BEARER_ETHERNET,
      virtual: true,
    });
  });
});

describe('netId allocation', () => {
  it('starts at 100, never reuses a released id before wrapping, skips live ids after wrapping', () => {
    const ids = new NetIdAllocator(MIN_NET_ID, MIN_NET_ID + 2);
    expect([ids.allocate(), ids.allocate()]).toEqual([100, 101]);
    ids.release(100);
    expect(ids.allocate()).toBe(102);
    expect(ids.allocate()).toBe(100); // wrapped; 101 and 102 are alive
    expect(() => ids.allocate()).toThrow(expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }));
    expect(MAX_NET_ID).toBe(0xffff - 0x400);
  });
});

describe('network derivation from a snapshot', () => {
  const config: DeriveConfig = {
    accept: () => true,
    metered: (_n, b) => b === NetBearType.BEARER_CELLULAR,
    dns: () => undefined,
  };
  const route = (over: Partial<RawRoute>): RawRoute => ({
    family: 4,
    table: 254,
    type: 'unicast',
    dst: '0.0.0.0',
    dstLength: 0,
    gateway: undefined,
    oif: undefined,
    metric: 0,
    prefsrc: undefined,
    linkDown: false,
    ...over,
  });
  const snap: HostSnapshot = {
    links: [
      {
        index: 1,
        name: 'lo',
        up: true,
        lowerUp: true,
        loopback: true,
        operstate: 'unknown',
        mtu: 65536,
        kind: undefined,
      },
      {
        index: 2,
        name: 'eth0',
        up: true,
        lowerUp: true,
        loopback: false,
        operstate: 'up',
        mtu: 1500,
        kind: undefined,
      },
      {
        index: 3,
        name: 'eth1',
        up: true,
        lowerUp: false,
        loopback: false,
        operstate: 'down',
        mtu: 1500,
        kind: undefined,
      },
      {
        index: 4,
        name: 'wwan0',
        up: true,
        lowerUp: true,
        loopback: false,
        operstate: 'unknown',
        mtu: 1430,
        kind: undefined,
      },
      {
        index: 5,
        name: 'eth2',
        up: true,
        lowerUp: true,
        loopback: false,
        operstate: 'up',
        mtu: 1500,
        kind: undefined,
      },
    ],
    addresses: [
      {
        index: 1,
        family: 4,
        address: '127.0.0.1',
        prefixLength: 8,
        scope: 'host',
        tentative: false,
        dadFailed: false,
        deprecated: false,
      },
      {
        index: 2,
        family: 4,
        address: '192.0.2.10',
        prefixLength: 24,
        scope: 'global',
        tentative: false,
        dadFailed: false,
        deprecated: false,
      },
      {
        index: 2,
        family: 6,
        address: 'fe80::1',
        prefixLength: 64,
        scope: 'link',
        tentative: false,
        dadFailed: false,
        deprecated: false,
      },
      {
        index: 3,
        family: 4,
        address: '198.51.100.1',
        prefixLength: 24,
        scope: 'global',
        tentative: false,
        dadFailed: false,
        deprecated: false,
      },
      {
        index: 4,
        family: 6,
        address: '2001:db8::5',
        prefixLength: 64,
        scope: 'global',
        tentative: false,
        dadFailed: false,
        deprecated: false,
      },
      {
        index: 5,
        family: 6,
        address: '2001:db8:1::5',
        prefixLength: 64,
        scope: 'global',
        tentative: true,
        dadFailed: false,
        deprecated: false,
      },
      {
        index: 5,
        family: 6,
        address: 'fe80::5',
        prefixLength: 64,
        scope: 'link',
        tentative: false,
        dadFailed: false,
        deprecated: false,
      },
    ],
    routes: [
      route({ gateway: '192.0.2.1', oif: 2, metric: 100 }),
      route({ family: 6, dst: '::', gateway: 'fe80::9', oif: 4, metric: 50 }),
      route({ table: 255, type: 'local', dst: '192.0.2.10', dstLength: 32, oif: 2 }),
    ],
    lookups: [{ family: 6, oif: 4, prefsrc: '2001:db8::5', gateway: 'fe80::9' }],
    facts: {
      '2': facts({ hasDevice: true, speedMbps: 1000 }),
      '4': facts({ devtype: 'wwan', hasDevice: true, arpType: 519 }),
    },
    resolvConf: { nameservers: ['192.0.2.53'], search: ['example.test'] },
  };

  it('keeps up + carrier + usable address; builds capabilities, properties and picks the lookup default', () => {
    const { candidates, defaultKey } = deriveNetworks(snap, config);
    // lo: loopback; eth1: no carrier; eth2: only a tentative global and a link-local address.
    expect([...candidates.values()].map((c) => c.name)).toEqual(['eth0', 'wwan0']);
    const eth0 = candidates.get('2:eth0')!;
    expect(eth0.caps).toEqual([
      NetCap.NET_CAPABILITY_NOT_METERED,
      NetCap.NET_CAPABILITY_INTERNET,
      NetCap.NET_CAPABILITY_NOT_VPN,
    ]);
    expect(eth0.bandwidthKbps).toBe(1_000_000);
    expect(eth0.properties.linkAddresses).toEqual([
      { address: { address: '192.0.2.10', family: 1, port: 0 }, prefixLength: 24 },
      { address: { address: 'fe80::1', family: 2, port: 0 }, prefixLength: 64 },
    ]);
    expect(eth0.properties.routes).toEqual([
      {
        interface: 'eth0',
        destination: { address: { address: '0.0.0.0', family: 1, port: 0 }, prefixLength: 0 },
        gateway: { address: '192.0.2.1', family: 1, port: 0 },
        hasGateway: true,
        isDefaultRoute: true,
        isExcludedRoute: false,
        metric: 100,
        table: 254,
      },
    ]);
    expect(eth0.properties).toMatchObject({
      domains: 'example.test',
      dnses: [{ address: '192.0.2.53', family: 1, port: 0 }],
      isIPv4LinkValid: true,
      isIPv6LinkValid: false,
    });
    const wwan = candidates.get('4:wwan0')!;
    expect(wwan.bearer).toBe(NetBearType.BEARER_CELLULAR);
    expect(wwan.caps).toEqual([NetCap.NET_CAPABILITY_INTERNET, NetCap.NET_CAPABILITY_NOT_VPN]); // metered
    expect(wwan.properties.isIPv6LinkValid).toBe(true);
    // No IPv4 lookup result, the IPv6 lookup names wwan0.
    expect(defaultKey).toBe('4:wwan0');
  });

  it('falls back to the lowest-metric default route when the lookup names no network', () => {
    const { defaultKey } = deriveNetworks({ ...snap, lookups: [] }, config);
    expect(defaultKey).toBe('2:eth0');
    const none = deriveNetworks({ ...snap, lookups: [], routes: [] }, config);
    expect(none.defaultKey).toBeUndefined();
  });
});

describe('probe status and address bytes', () => {
  it('classifies 204 as validated, redirects as portal, anything else as failed', () => {
    expect(classifyProbeStatus(204)).toBe('validated');
    expect([301, 302, 303, 307, 308].map(classifyProbeStatus)).toEqual(Array(5).fill('portal'));
    expect([200, 404, 500].map(classifyProbeStatus)).toEqual(['failed', 'failed', 'failed']);
  });

  it('round-trips IPv4/IPv6 bytes in canonical form and reads IFLA_INFO_KIND', () => {
    expect(bytesToIp(ipToBytes('10.1.2.3'))).toBe('10.1.2.3');
    expect(bytesToIp(ipToBytes('2001:4860:4860::8888'))).toBe('2001:4860:4860::8888');
    expect(bytesToIp(ipToBytes('fe80:0:0:0:0:0:0:1'))).toBe('fe80::1');
    expect(linkInfoKind(Buffer.from([8, 0, 1, 0, 0x69, 0x66, 0x62, 0]))).toBe('ifb');
  });
});

describe('NetSpecifier matching and the environment HTTP proxy', () => {
  const wifi = {
    interfaceName: 'wlan0',
    capabilities: {
      bearerTypes: [NetBearType.BEARER_WIFI],
      networkCap: [NetCap.NET_CAPABILITY_INTERNET, NetCap.NET_CAPABILITY_NOT_VPN],
    },
  } as unknown as Network;

  it('matches on any listed bearer and every listed capability', () => {
    expect(matchesNetSpecifier(wifi, { netCapabilities: {} })).toBe(true);
    expect(
      matchesNetSpecifier(wifi, {
        netCapabilities: { bearerTypes: [NetBearType.BEARER_CELLULAR, NetBearType.BEARER_WIFI] },
      }),
    ).toBe(true);
    expect(
      matchesNetSpecifier(wifi, { netCapabilities: { bearerTypes: [NetBearType.BEARER_ETHERNET] } }),
    ).toBe(false);
    expect(
      matchesNetSpecifier(wifi, { netCapabilities: { networkCap: [NetCap.NET_CAPABILITY_INTERNET] } }),
    ).toBe(true);
    expect(
      matchesNetSpecifier(wifi, { netCapabilities: { networkCap: [NetCap.NET_CAPABILITY_VALIDATED] } }),
    ).toBe(false);
    expect(matchesNetSpecifier(wifi, { netCapabilities: {}, bearerPrivateIdentifier: 'wlan1' })).toBe(false);
  });

  it('reads https_proxy/http_proxy/no_proxy into the HttpProxy shape', () => {
    expect(envHttpProxy({})).toEqual({ host: '', port: 0, exclusionList: [] });
    expect(
      envHttpProxy({ HTTP_PROXY: 'http://user:p%40ss@proxy.test:3128', no_proxy: 'localhost, .corp.test' }),
    ).toEqual({
      host: 'proxy.test',
      port: 3128,
      username: 'user',
      password: 'p@ss',
      exclusionList: ['localhost', '.corp.test'],
    });
    expect(envHttpProxy({ https_proxy: '[fd00::1]:8080' })).toMatchObject({ host: 'fd00::1', port: 8080 });
  });
});
