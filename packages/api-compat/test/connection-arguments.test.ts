// @ohos.net.connection argument, permission and error-code checks (harmony-api.md §3.1, §3.5, §6.5), in process.
// As root the net service watches a namespace this test creates (one Ethernet network, then none); without root it
// watches the host and every check that needs a known network or DNS traffic is skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as connection from '../src/connection.js';
import { connection as kitConnection } from '../src/kits/NetworkKit.js';
// NetHandle is an interface in the SDK; tests build handles with the class behind it.
import { NetHandle } from '../src/net-connection/net-handle.js';
import { NetService, setNetworkBlocked, shutdownNetService } from '../src/net-connection/service.js';
import connectionDefault from '../src/ohos/net.connection.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { setRuntime } from '../src/runtime/runtime.js';
import { ip, isRoot, Lab, spawnLines } from './fixtures/net/lab.js';
import { cleanupDirs, memoryRuntime } from './helpers.js';

const lab = new Lab('a');
let granted: DeviceRuntime;
let denied: DeviceRuntime;
let system: DeviceRuntime;
let live = 0;
const rootIt = isRoot ? it : it.skip;
/** A tun device with carrier needs a process holding it open: a python3 one-liner does (Node has no ioctl). */
const hasPython3 = spawnSync('python3', ['-c', 'pass']).status === 0;

/** The code of a synchronous throw; it must be a plain `{ code: number, message }` object (harmony-api.md §0.2). */
function thrown(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    expect(e).not.toBeInstanceOf(Error);
    expect(typeof (e as { message: unknown }).message).toBe('string');
    return (e as { code: number }).code;
  }
  throw new Error('expected a throw');
}

/** The code a promise rejects with (plain object). */
async function rejected(p: Promise<unknown> | undefined): Promise<number> {
  try {
    await p;
  } catch (e) {
    expect(e).not.toBeInstanceOf(Error);
    return (e as { code: number }).code;
  }
  throw new Error('expected a rejection');
}

/** The code an AsyncCallback receives (undefined on success) and its data. */
function called<T>(
  start: (cb: (err: { code: number } | undefined, data: T) => void) => void,
): Promise<[number | undefined, T]> {
  return new Promise((resolve) => start((err, data) => resolve([err?.code, data])));
}

beforeAll(async () => {
  if (isRoot) {
    lab.create();
    lab.veth('a0', '10.62.1.2', 'a1', '10.62.1.1');
    ip('-n', lab.m, 'link', 'set', 'a0', 'up');
    ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.62.1.1', 'dev', 'a0');
    process.env.COLINK_NET_NETNS = lab.m;
  }
  denied = memoryRuntime('net-denied', { COLINK_PERMISSIONS: 'ohos.permission.DISTRIBUTED_DATASYNC' }, false);
  system = memoryRuntime('net-system', { COLINK_SYSTEM_APP: '1' }, false);
  granted = memoryRuntime('net-granted');
  if (isRoot) {
    // The veth reaches carrier a moment after `up`: wait for the network like an app would.
    const conn = connection.createNetConnection();
    await new Promise<void>((resolve) => {
      conn.on('netAvailable', (h) => {
        live = h.netId;
        resolve();
      });
      conn.register(() => undefined);
    });
    conn.unregister(() => undefined);
  }
}, 60_000);

afterAll(async () => {
  try {
    await shutdownNetService();
  } finally {
    if (isRoot) lab.destroy();
    delete process.env.COLINK_NET_NETNS;
    setRuntime(undefined);
    cleanupDirs();
  }
});

describe('connection module shape and enums (harmony-api.md §3.3)', () => {
  it('is the same namespace from the kit, the @ohos default export and the module', () => {
    expect(kitConnection.getDefaultNetSync).toBe(connection.getDefaultNetSync);
    expect(connectionDefault.createNetConnection).toBe(connection.createNetConnection);
  });

  it('NetBearType, NetCap, FamilyType and the other enums have the exact values', () => {
    expect(connection.NetBearType).toEqual({
      BEARER_CELLULAR: 0,
      BEARER_WIFI: 1,
      BEARER_BLUETOOTH: 2,
      BEARER_ETHERNET: 3,
      BEARER_VPN: 4,
    });
    expect(connection.NetCap).toEqual({
      NET_CAPABILITY_MMS: 0,
      NET_CAPABILITY_NOT_METERED: 11,
      NET_CAPABILITY_INTERNET: 12,
      NET_CAPABILITY_NOT_VPN: 15,
      NET_CAPABILITY_VALIDATED: 16,
      NET_CAPABILITY_PORTAL: 17,
      NET_CAPABILITY_CHECKING_CONNECTIVITY: 31,
    });
    expect(connection.FamilyType).toEqual({ FAMILY_TYPE_ALL: 0, FAMILY_TYPE_IPV4: 1, FAMILY_TYPE_IPV6: 2 });
    expect(connection.ProxyMode).toEqual({ PROXY_MODE_OFF: 0, PROXY_MODE_AUTO: 1 });
    expect(connection.ProtocolType).toEqual({ PROTO_TYPE_TCP: 6, PROTO_TYPE_UDP: 17 });
    expect(connection.ConversionProcess).toEqual({
      NO_CONFIGURATION: 0,
      ALLOW_UNASSIGNED: 1,
      USE_STD3_ASCII_RULES: 2,
    });
    expect(connection.TcpState.TCP_ESTABLISHED).toBe(1);
    expect(connection.TcpState.TCP_CLOSING).toBe(11);
  });
});

describe('networks (harmony-api.md §3.1)', () => {
  rootIt(
    'default network, all networks, capabilities and properties agree across sync, promise and callback forms',
    async () => {
      setRuntime(granted);
      const h = connection.getDefaultNetSync();
      expect(h.netId).toBe(live);
      expect(live).toBeGreaterThanOrEqual(100);
      expect(JSON.stringify(h)).toBe(`{"netId":${live}}`);
      expect((await connection.getDefaultNet()).netId).toBe(live);
      expect(
        (await called<connection.NetHandle>((cb) => connection.getDefaultNet(cb as never)))[1].netId,
      ).toBe(live);
      expect(connection.getAllNetsSync().map((n) => n.netId)).toEqual([live]);
      expect((await connection.getAllNets()).map((n) => n.netId)).toEqual([live]);
      expect(connection.hasDefaultNetSync()).toBe(true);
      expect(await connection.hasDefaultNet()).toBe(true);
      expect(connection.isDefaultNetMeteredSync()).toBe(false);
      expect(await called<boolean>((cb) => connection.isDefaultNetMetered(cb as never))).toEqual([
        undefined,
        false,
      ]);
      const caps = connection.getNetCapabilitiesSync(h);
      expect(caps.bearerTypes).toEqual([connection.NetBearType.BEARER_ETHERNET]);
      expect(caps.networkCap).toEqual([11, 12, 15]);
      expect(await connection.getNetCapabilities(h)).toEqual(caps);
      const props = connection.getConnectionPropertiesSync(h);
      expect(props).toMatchObject({ interfaceName: 'a0', isIPv4LinkValid: true });
      expect(props.dnses).toEqual([{ address: '127.0.0.1', family: 1, port: 0 }]);
      expect(await called((cb) => connection.getConnectionProperties(h, cb as never))).toEqual([
        undefined,
        props,
      ]);
      // Returned objects are copies: changing one does not change the next answer.
      caps.networkCap?.push(connection.NetCap.NET_CAPABILITY_MMS);
      expect(connection.getNetCapabilitiesSync(h).networkCap).toEqual([11, 12, 15]);
    },
  );

  it('null / undefined NetHandle → 401: thrown by sync forms, through callback and rejection by async forms', async () => {
    setRuntime(granted);
    for (const bad of [null, undefined, 42, {}]) {
      expect(thrown(() => connection.getNetCapabilitiesSync(bad as never))).toBe(401);
      expect(thrown(() => connection.getConnectionPropertiesSync(bad as never))).toBe(401);
      expect(await rejected(connection.getNetCapabilities(bad as never))).toBe(401);
      expect(await rejected(connection.getConnectionProperties(bad as never))).toBe(401);
      expect((await called((cb) => connection.getNetCapabilities(bad as never, cb as never)))[0]).toBe(401);
      expect((await called((cb) => connection.getConnectionProperties(bad as never, cb as never)))[0]).toBe(
        401,
      );
      expect(await rejected(connection.reportNetConnected(bad as never))).toBe(401);
      expect((await called((cb) => connection.reportNetDisconnected(bad as never, cb as never)))[0]).toBe(
        401,
      );
      // setAppNet throws synchronously even in callback form (XTS).
      expect(thrown(() => connection.setAppNet(bad as never, () => undefined))).toBe(401);
      expect(thrown(() => connection.setAppNet(bad as never))).toBe(401);
    }
  });

  it('netId 0, 23, 200, 9999999 → 2100001 for capabilities and properties', async () => {
    setRuntime(granted);
    for (const netId of [0, 23, 200, 9_999_999]) {
      expect(thrown(() => connection.getNetCapabilitiesSync({ netId } as never))).toBe(2100001);
      expect(thrown(() => connection.getConnectionPropertiesSync({ netId } as never))).toBe(2100001);
      expect(await rejected(connection.getNetCapabilities({ netId } as never))).toBe(2100001);
      expect(
        (await called((cb) => connection.getConnectionProperties({ netId } as never, cb as never)))[0],
      ).toBe(2100001);
    }
  });

  it('reportNetConnected / reportNetDisconnected: 2101006 for netId 0, 50, 9999; a live network is accepted', async () => {
    setRuntime(granted);
    for (const netId of [0, 50, 9999]) {
      expect(await rejected(connection.reportNetConnected({ netId } as never))).toBe(2101006);
      expect(
        (await called((cb) => connection.reportNetDisconnected({ netId } as never, cb as never)))[0],
      ).toBe(2101006);
    }
    if (isRoot) {
      await expect(connection.reportNetConnected({ netId: live } as never)).resolves.toBeUndefined();
      expect(
        await called((cb) => connection.reportNetDisconnected({ netId: live } as never, cb as never)),
      ).toEqual([undefined, undefined]);
    }
  });

  it('201 without the permissions (GET_NETWORK_INFO, INTERNET, SET_PAC_URL)', async () => {
    setRuntime(denied);
    try {
      const h = { netId: live || 100 } as connection.NetHandle;
      expect(thrown(() => connection.getDefaultNetSync())).toBe(201);
      expect(thrown(() => connection.getAllNetsSync())).toBe(201);
      expect(thrown(() => connection.hasDefaultNetSync())).toBe(201);
      expect(thrown(() => connection.isDefaultNetMeteredSync())).toBe(201);
      expect(thrown(() => connection.getNetCapabilitiesSync(h))).toBe(201);
      expect(thrown(() => connection.getConnectionPropertiesSync(h))).toBe(201);
      expect(thrown(() => connection.setPacUrl('http://127.0.0.1:9/proxy.pac'))).toBe(201);
      expect(await rejected(connection.getDefaultNet())).toBe(201);
      expect((await called((cb) => connection.getAllNets(cb as never)))[0]).toBe(201);
      expect(await rejected(connection.hasDefaultNet())).toBe(201);
      expect(await rejected(connection.isDefaultNetMetered())).toBe(201);
      expect(await rejected(connection.getNetCapabilities(h))).toBe(201);
      expect(await rejected(connection.getConnectionProperties(h))).toBe(201);
      expect(await rejected(connection.getAddressesByName('localhost'))).toBe(201);
      expect(await rejected(new NetHandle(100).getAddressesByName('localhost'))).toBe(201);
      expect(await rejected(connection.addCustomDnsRule('a.test', ['10.0.0.1']))).toBe(201);
      expect((await called((cb) => connection.removeCustomDnsRule('a.test', cb as never)))[0]).toBe(201);
      expect(await rejected(connection.clearCustomDnsRules())).toBe(201);
      expect(await rejected(connection.setAppNet(h))).toBe(201);
      expect(await rejected(connection.reportNetConnected(h))).toBe(201);
      const conn = connection.createNetConnection();
      expect((await called((cb) => conn.register(cb as never)))[0]).toBe(201);
      expect((await called((cb) => conn.unregister(cb as never)))[0]).toBe(201);
      // No permission needed.
      expect(connection.getAppNetSync().netId).toBe(0);
      expect((await connection.getDefaultHttpProxy()).exclusionList).toBeInstanceOf(Array);
    } finally {
      setRuntime(granted);
    }
  });

  it('queryTraceRoute needs INTERNET, ACCESS_NET_TRACE_INFO, LOCATION and APPROXIMATELY_LOCATION (201), queryProbeResult INTERNET', async () => {
    const internetOnly = memoryRuntime(
      'net-internet-only',
      { COLINK_PERMISSIONS: 'ohos.permission.INTERNET' },
      false,
    );
    setRuntime(internetOnly);
    try {
      expect(await rejected(connection.queryTraceRoute('127.0.0.1'))).toBe(201);
      // Not available on Node: 801 once the permissions are there.
      expect(await rejected(connection.queryProbeResult('127.0.0.1', 1))).toBe(801);
    } finally {
      setRuntime(granted);
    }
    expect(await rejected(connection.queryTraceRoute('127.0.0.1'))).toBe(801);
    setRuntime(denied);
    try {
      expect(await rejected(connection.queryProbeResult('127.0.0.1', 1))).toBe(201);
    } finally {
      setRuntime(granted);
    }
  });

  it('system APIs throw 202 (801 in a system app)', () => {
    setRuntime(granted);
    const calls: Array<() => unknown> = [
      () => connection.enableAirplaneMode(),
      () => connection.disableAirplaneMode(),
      () => connection.setInterfaceUp('eth0'),
      () => connection.getGlobalHttpProxy(),
      () => connection.setGlobalHttpProxy({ host: 'p', port: 1, exclusionList: [] }),
      () => connection.setProxyMode(connection.ProxyMode.PROXY_MODE_OFF),
      () => connection.getProxyMode(),
      () => connection.factoryReset(),
      () => connection.createVlanInterface('eth0', 1),
      () => connection.destroyVlanInterface('eth0', 1),
      () => connection.addVlanIp('eth0', 1, { address: { address: '10.0.0.1' }, prefixLength: 24 }),
      () => connection.deleteVlanIp('eth0', 1, { address: { address: '10.0.0.1' }, prefixLength: 24 }),
    ];
    for (const c of calls) expect(thrown(c)).toBe(202);
    setRuntime(system);
    try {
      for (const c of calls) expect(thrown(c)).toBe(801);
    } finally {
      setRuntime(granted);
    }
  });

  rootIt("getIpNeighTable: the namespace's neighbour entries with a link-layer address", async () => {
    setRuntime(granted);
    ip(
      '-n',
      lab.m,
      'neigh',
      'replace',
      '10.62.1.9',
      'lladdr',
      '02:00:00:00:00:09',
      'dev',
      'a0',
      'nud',
      'permanent',
    );
    ip(
      '-n',
      lab.m,
      'neigh',
      'replace',
      'fd62::9',
      'lladdr',
      '02:00:00:00:00:0a',
      'dev',
      'a0',
      'nud',
      'permanent',
    );
    const table = await connection.getIpNeighTable();
    expect(table).toContainEqual({
      ipAddress: { address: '10.62.1.9', family: 1, port: 0 },
      iface: 'a0',
      macAddress: '02:00:00:00:00:09',
    });
    expect(table).toContainEqual({
      ipAddress: { address: 'fd62::9', family: 2, port: 0 },
      iface: 'a0',
      macAddress: '02:00:00:00:00:0a',
    });
    setRuntime(denied);
    try {
      expect(await rejected(connection.getIpNeighTable())).toBe(201);
    } finally {
      setRuntime(granted);
    }
  });

  rootIt('getSystemNetPortStates: TCP and UDP sockets of the namespace with their owner', async () => {
    setRuntime(granted);
    const script =
      "const s=require('net').createServer().listen(7301,'10.62.1.2',()=>require('dgram').createSocket('udp4')" +
      '.bind(7302,()=>console.log(JSON.stringify({pid:process.pid}))))';
    const owner = spawnLines('ip', ['netns', 'exec', lab.m, process.execPath, '-e', script]);
    try {
      const { pid } = await owner.waitFor((l) => typeof l.pid === 'number');
      const states = await connection.getSystemNetPortStates();
      expect(states.tcpPortStatesInfo).toContainEqual({
        tcpLocalIp: '10.62.1.2',
        tcpLocalPort: 7301,
        tcpRemoteIp: '0.0.0.0',
        tcpRemotePort: 0,
        tcpUid: 0,
        tcpPid: pid,
        tcpState: connection.TcpState.TCP_LISTEN,
      });
      expect(states.udpPortStatesInfo).toContainEqual({
        udpLocalIp: '0.0.0.0',
        udpLocalPort: 7302,
        udpUid: 0,
        udpPid: pid,
      });
      setRuntime(denied);
      expect(await rejected(connection.getSystemNetPortStates())).toBe(201);
    } finally {
      setRuntime(granted);
      await owner.kill();
    }
  });

  it('getConnectOwnerUid: 2100301 (not a VPN app)', async () => {
    setRuntime(granted);
    const a = { address: '127.0.0.1', port: 1 };
    expect(
      thrown(() => connection.getConnectOwnerUidSync(connection.ProtocolType.PROTO_TYPE_TCP, a, a)),
    ).toBe(2100301);
    expect(await rejected(connection.getConnectOwnerUid(connection.ProtocolType.PROTO_TYPE_UDP, a, a))).toBe(
      2100301,
    );
  });
});

describe('NetConnection register / unregister (harmony-api.md §3.5)', () => {
  it('2101008 for a second register, 2101007 for unregister without register; register again after unregister', async () => {
    setRuntime(granted);
    const conn = connection.createNetConnection();
    expect((await called((cb) => conn.unregister(cb as never)))[0]).toBe(2101007);
    expect((await called((cb) => conn.register(cb as never)))[0]).toBeUndefined();
    expect((await called((cb) => conn.register(cb as never)))[0]).toBe(2101008);
    expect((await called((cb) => conn.unregister(cb as never)))[0]).toBeUndefined();
    expect((await called((cb) => conn.unregister(cb as never)))[0]).toBe(2101007);
    expect((await called((cb) => conn.register(cb as never)))[0]).toBeUndefined();
    expect((await called((cb) => conn.unregister(cb as never)))[0]).toBeUndefined();
  });

  it('401 thrown for a bad event type, a non-function listener or register callback', () => {
    const conn = connection.createNetConnection();
    expect(thrown(() => conn.on('netGone' as never, () => undefined))).toBe(401);
    expect(thrown(() => conn.on('netAvailable', 'x' as never))).toBe(401);
    expect(thrown(() => conn.register(undefined as never))).toBe(401);
    expect(thrown(() => conn.unregister(null as never))).toBe(401);
  });

  rootIt("netBlockStatusChange when the network's block status changes (setNetworkBlocked)", async () => {
    setRuntime(granted);
    const conn = connection.createNetConnection({
      netCapabilities: { bearerTypes: [connection.NetBearType.BEARER_ETHERNET] },
    });
    const seen: connection.NetBlockStatusInfo[] = [];
    const twice = new Promise<void>((resolve) =>
      conn.on('netBlockStatusChange', (info) => {
        seen.push(info);
        if (seen.length === 2) resolve();
      }),
    );
    await called((cb) => conn.register(cb as never));
    await setNetworkBlocked(live, true);
    expect(connection.getNetCapabilitiesSync({ netId: live } as never).bearerTypes).toEqual([3]);
    await setNetworkBlocked(live, false);
    await twice;
    expect(JSON.parse(JSON.stringify(seen))).toEqual([
      { netHandle: { netId: live }, blocked: true },
      { netHandle: { netId: live }, blocked: false },
    ]);
    expect(await rejected(setNetworkBlocked(9_999_999, true))).toBe(2100001);
    await called((cb) => conn.unregister(cb as never));
  });

  rootIt('listeners added inside the register callback get the replayed state', async () => {
    setRuntime(granted);
    const conn = connection.createNetConnection();
    const got = await new Promise<number>((resolve) =>
      conn.register(() => conn.on('netAvailable', (h) => resolve(h.netId))),
    );
    expect(got).toBe(live);
    await called((cb) => conn.unregister(cb as never));
  });

  it('register then unregister at once: both callbacks run, register first, and nothing is reported after', async () => {
    setRuntime(granted);
    const conn = connection.createNetConnection();
    const order: string[] = [];
    conn.on('netAvailable', () => order.push('netAvailable'));
    conn.register((err) => order.push(`register ${err?.code ?? 'ok'}`));
    conn.register((err) => order.push(`register ${err?.code ?? 'ok'}`));
    conn.unregister((err) => order.push(`unregister ${err?.code ?? 'ok'}`));
    await vi.waitFor(() => expect(order.length).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual(['register ok', 'register 2101008', 'unregister ok']);
  });

  rootIt(
    'a NetSpecifier with wrong-typed fields is not a crash: the fields count as absent (null netCapabilities: the default network)',
    async () => {
      setRuntime(granted);
      for (const spec of [
        { netCapabilities: null },
        { netCapabilities: { bearerTypes: 3, networkCap: null } },
        { netCapabilities: { bearerTypes: [3], networkCap: 'x' }, bearerPrivateIdentifier: 7 },
      ]) {
        const conn = connection.createNetConnection(spec as never);
        const got = new Promise<number>((resolve) => conn.on('netAvailable', (h) => resolve(h.netId)));
        expect((await called((cb) => conn.register(cb as never)))[0]).toBeUndefined();
        expect(await got).toBe(live);
        expect((await called((cb) => conn.unregister(cb as never)))[0]).toBeUndefined();
      }
    },
  );

  rootIt(
    'unregister inside a listener stops that report; registering again reports every matching network',
    async () => {
      setRuntime(granted);
      lab.veth('b0', '10.62.2.2', 'b1', '10.62.2.1');
      ip('-n', lab.m, 'link', 'set', 'b0', 'up');
      try {
        await vi.waitFor(() => expect(connection.getAllNetsSync()).toHaveLength(2), { timeout: 10_000 });
        const conn = connection.createNetConnection({
          netCapabilities: { bearerTypes: [connection.NetBearType.BEARER_ETHERNET] },
        });
        const first: number[] = [];
        conn.on('netAvailable', (h) => {
          first.push(h.netId);
          conn.unregister(() => undefined);
        });
        await called((cb) => conn.register(cb as never));
        expect(first).toEqual([live]);
        const again: number[] = [];
        conn.on('netAvailable', (h) => again.push(h.netId));
        await called((cb) => conn.register(cb as never));
        expect(again).toEqual(connection.getAllNetsSync().map((h) => h.netId));
        expect(again).toHaveLength(2);
        await called((cb) => conn.unregister(cb as never));
      } finally {
        ip('-n', lab.m, 'link', 'del', 'b0');
        await vi.waitFor(() => expect(connection.getAllNetsSync()).toHaveLength(1), { timeout: 10_000 });
      }
    },
  );
});

describe('DNS (harmony-api.md §3.1, §3.5)', () => {
  it('401 for a missing host (callback), 2100001 for "", IP literals resolve to themselves even on a fake netId', async () => {
    setRuntime(granted);
    expect((await called((cb) => connection.getAddressesByName(undefined as never, cb as never)))[0]).toBe(
      401,
    );
    expect(await rejected(connection.getAddressesByName(''))).toBe(2100001);
    const fake = new NetHandle(9_999_999);
    expect(await fake.getAddressesByName('192.0.2.7')).toEqual([
      { address: '192.0.2.7', family: 1, port: 0 },
    ]);
    expect(await fake.getAddressByName('2001:db8::7')).toEqual({
      address: '2001:db8::7',
      family: 2,
      port: 0,
    });
    expect(await rejected(fake.getAddressByName(''))).toBe(2100001);
    expect((await called((cb) => fake.getAddressByName(null as never, cb as never)))[0]).toBe(401);
    expect(await rejected(fake.getAddressesByName(undefined as never))).toBe(401);
    expect(
      await rejected(connection.getAddressesByNameWithOptions('localhost', { family: 7 as never })),
    ).toBe(2100001);
  });

  it('custom DNS rules answer first, per family; null/undefined host throws 401', async () => {
    setRuntime(granted);
    expect(thrown(() => connection.addCustomDnsRule(null as never, ['10.0.0.1']))).toBe(401);
    expect(thrown(() => connection.addCustomDnsRule('a.test', undefined as never))).toBe(401);
    expect(thrown(() => connection.removeCustomDnsRule(undefined as never))).toBe(401);
    expect(await rejected(connection.addCustomDnsRule('a.test', ['not-an-ip']))).toBe(2100001);
    await connection.addCustomDnsRule('Rule.Test', ['10.9.9.9', 'fd00::9']);
    expect(await connection.getAddressesByName('rule.test')).toEqual([
      { address: '10.9.9.9', family: 1, port: 0 },
      { address: 'fd00::9', family: 2, port: 0 },
    ]);
    expect(
      await connection.getAddressesByNameWithOptions('rule.test', {
        family: connection.FamilyType.FAMILY_TYPE_IPV6,
      }),
    ).toEqual([{ address: 'fd00::9', family: 2, port: 0 }]);
    expect(await new NetHandle(0).getAddressByName('RULE.TEST')).toEqual({
      address: '10.9.9.9',
      family: 1,
      port: 0,
    });
    await connection.removeCustomDnsRule('rule.test');
    await connection.addCustomDnsRule('other.test', ['10.9.9.8']);
    await connection.clearCustomDnsRules();
    expect(await called((cb) => connection.clearCustomDnsRules(cb as never))).toEqual([undefined, undefined]);
  });

  rootIt(
    'system resolver of the watched namespace: localhost from /etc/hosts; an unresolvable name → 2100002',
    async () => {
      setRuntime(granted);
      expect(await connection.getAddressesByName('localhost')).toContainEqual({
        address: '127.0.0.1',
        family: 1,
        port: 0,
      });
      expect(await rejected(connection.getAddressesByName('xxxx'))).toBe(2100002);
      expect((await called((cb) => new NetHandle(live).getAddressesByName('xxxx', cb as never)))[0]).toBe(
        2100002,
      );
      expect(await rejected(new NetHandle(live).getAddressByName('xxxx'))).toBe(2100002);
    },
  );

  it('getDnsAscii / getDnsUnicode (node:url IDNA)', () => {
    expect(connection.getDnsAscii('bücher.Example')).toBe('xn--bcher-kva.Example');
    expect(connection.getDnsUnicode('xn--bcher-kva.example')).toBe('bücher.example');
    expect(connection.getDnsAscii('a_b.test')).toBe('a_b.test');
    expect(
      thrown(() => connection.getDnsAscii('a_b.test', connection.ConversionProcess.USE_STD3_ASCII_RULES)),
    ).toBe(2100001);
    expect(thrown(() => connection.getDnsAscii(''))).toBe(2100001);
    expect(thrown(() => connection.getDnsAscii(`${'a'.repeat(64)}.test`))).toBe(2100001);
    expect(thrown(() => connection.getDnsAscii('x.test', 9 as never))).toBe(2100001);
    expect(thrown(() => connection.getDnsUnicode('xn--zz.test'))).toBe(2100001);
  });
});

describe('app network, proxies and PAC (harmony-api.md §3.1 notes, §3.5)', () => {
  it('getAppNet is netId 0 until bound; setAppNet: 0 unbinds, < 100 → 2100001, a live network binds', async () => {
    setRuntime(granted);
    expect(connection.getAppNetSync().netId).toBe(0);
    expect((await connection.getAppNet()).netId).toBe(0);
    await connection.setAppNet({ netId: 0 } as never);
    expect(await rejected(connection.setAppNet({ netId: 50 } as never))).toBe(2100001);
    expect((await called((cb) => connection.setAppNet({ netId: 9_999_999 } as never, cb as never)))[0]).toBe(
      2100001,
    );
    if (isRoot) {
      await connection.setAppNet({ netId: live } as never);
      expect(connection.getAppNetSync().netId).toBe(live);
      // Bound: names go to that network's DNS servers (here 127.0.0.1, nothing listening), not to /etc/hosts.
      expect(await rejected(connection.getAddressesByName('localhost'))).toBe(2100002);
      await connection.setAppNet({ netId: 0 } as never);
      expect((await called<connection.NetHandle>((cb) => connection.getAppNet(cb as never)))[1].netId).toBe(
        0,
      );
    }
  });

  it('setAppHttpProxy round-trips through getDefaultHttpProxy; 401 / 2100001 for bad proxies', async () => {
    setRuntime(granted);
    expect(thrown(() => connection.setAppHttpProxy(null as never))).toBe(401);
    expect(thrown(() => connection.setAppHttpProxy(undefined as never))).toBe(401);
    expect(thrown(() => connection.setAppHttpProxy({ host: 'p.test', port: 70000, exclusionList: [] }))).toBe(
      2100001,
    );
    expect(
      thrown(() => connection.setAppHttpProxy({ host: 'p.test', port: 8080, exclusionList: 'x' as never })),
    ).toBe(2100001);
    const proxy = { host: 'proxy.test', port: 8080, exclusionList: ['ample.com', '10.0.0.1'] };
    connection.setAppHttpProxy(proxy);
    expect(await connection.getDefaultHttpProxy()).toEqual(proxy);
    expect(await called((cb) => connection.getDefaultHttpProxy(cb as never))).toEqual([undefined, proxy]);
    connection.setAppHttpProxy({ host: '', port: 0, exclusionList: [] });
    expect((await connection.getDefaultHttpProxy()).host).toBe(
      process.env.https_proxy || process.env.http_proxy ? expect.any(String) : '',
    );
  });

  it('PAC: getPacUrl 2100003 until set; setPacFileUrl loads and checks the script; findProxyForUrl runs it', async () => {
    setRuntime(granted);
    expect(thrown(() => connection.getPacUrl())).toBe(2100003);
    expect(thrown(() => connection.setPacUrl(42 as never))).toBe(401);
    // A loopback URL nothing listens on (the discard port): setPacUrl fetches at once, and tests reach no other host.
    connection.setPacUrl('http://127.0.0.1:9/proxy.pac');
    expect(connection.getPacUrl()).toBe('http://127.0.0.1:9/proxy.pac');
    expect(connection.getPacFileUrl()).toBe('');
    expect(connection.findProxyForUrl('http://www.example.test/')).toBe('');
    expect(thrown(() => connection.setPacFileUrl('not a url'))).toBe(2100002);
    expect(
      thrown(() => connection.setPacFileUrl(pathToFileURL(path.join(os.tmpdir(), 'missing.pac')).href)),
    ).toBe(2100002);
    expect(thrown(() => connection.setPacFileUrl('data:,function FindProxyForURL(url, host) {'))).toBe(
      2100002,
    );
    expect(thrown(() => connection.findProxyForUrl(undefined as never))).toBe(401);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-pac-'));
    try {
      const file = path.join(dir, 'proxy.pac');
      fs.writeFileSync(
        file,
        `function FindProxyForURL(url, host) {
          if (isPlainHostName(host) || dnsDomainIs(host, '.intra.test')) return 'DIRECT';
          if (isInNet(host, '10.0.0.0', '255.0.0.0')) return 'PROXY inner.test:3128';
          if (isResolvable(host) && isInNet(dnsResolve(host), '192.168.0.0', '255.255.0.0')) return 'PROXY rule.test:1';
          if (shExpMatch(url, 'https://*.example.test/*')) return 'PROXY secure.test:8443; DIRECT';
          if (url.startsWith('http://slow.test/')) { while (true) {} }
          return 'PROXY proxy.test:8080';
        }`,
      );
      connection.setPacFileUrl(pathToFileURL(file).href);
      expect(connection.getPacFileUrl()).toBe(pathToFileURL(file).href);
      expect(connection.findProxyForUrl('http://printer/')).toBe('DIRECT');
      expect(connection.findProxyForUrl('http://wiki.intra.test/x')).toBe('DIRECT');
      expect(connection.findProxyForUrl('http://10.1.2.3/')).toBe('PROXY inner.test:3128');
      expect(connection.findProxyForUrl('https://www.example.test/a')).toBe('PROXY secure.test:8443; DIRECT');
      expect(connection.findProxyForUrl('http://other.test/')).toBe('PROXY proxy.test:8080');
      await connection.addCustomDnsRule('mapped.test', ['192.168.7.7']);
      expect(connection.findProxyForUrl('http://mapped.test/')).toBe('PROXY rule.test:1');
      await connection.clearCustomDnsRules();
      // A script that runs away is stopped after PAC_CALL_TIMEOUT_MS: no answer rather than a hang.
      expect(connection.findProxyForUrl('http://slow.test/')).toBe('');
      connection.setPacFileUrl('');
      expect(connection.findProxyForUrl('http://other.test/')).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PAC over http: fetched in the background from a loopback server, "" until it has arrived', async () => {
    setRuntime(granted);
    const server = http
      .createServer((_req, res) =>
        res.end("function FindProxyForURL(url, host) { return 'PROXY http-pac.test:3128'; }"),
      )
      .listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      connection.setPacFileUrl(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/proxy.pac`);
      await vi.waitFor(
        () => expect(connection.findProxyForUrl('http://a.test/')).toBe('PROXY http-pac.test:3128'),
        {
          timeout: 10_000,
        },
      );
    } finally {
      connection.setPacFileUrl('');
      server.close();
    }
  });
});

describe('NetHandle.bindSocket (harmony-api.md §3.5)', () => {
  it('401 for null / undefined / non-sockets; 2100001 for netId 0 and 53; 200 and 999999 accepted', async () => {
    setRuntime(granted);
    const s = new net.Socket();
    for (const bad of [null, undefined, {}])
      expect(await rejected(new NetHandle(live || 100).bindSocket(bad as never))).toBe(401);
    expect(await rejected(new NetHandle(0).bindSocket(s))).toBe(2100001);
    expect((await called((cb) => new NetHandle(53).bindSocket(s, cb as never)))[0]).toBe(2100001);
    await expect(new NetHandle(200).bindSocket(s)).resolves.toBeUndefined();
    await expect(new NetHandle(999_999).bindSocket(s)).resolves.toBeUndefined();
  });

  rootIt('2100001 for a TCP socket that is already connected', async () => {
    setRuntime(granted);
    const server = net.createServer((c) => c.end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    try {
      expect(await rejected(new NetHandle(live).bindSocket(sock))).toBe(2100001);
    } finally {
      sock.destroy();
      server.close();
    }
  });
});

describe('the default network is never a VPN (harmony-api.md §3.1 notes: INTERNET and not a VPN)', () => {
  it.skipIf(!isRoot || !hasPython3)(
    'a tun VPN the kernel routes everything through: getDefaultNet* stays on the Ethernet network, no default-network events',
    async () => {
      setRuntime(granted);
      const conn = connection.createNetConnection();
      const seen: string[] = [];
      conn.on('netAvailable', (h) => seen.push(`netAvailable ${h.netId}`));
      conn.on('netLost', (h) => seen.push(`netLost ${h.netId}`));
      await called((cb) => conn.register(cb as never));
      expect(seen).toEqual([`netAvailable ${live}`]);
      // IFF_TUN | IFF_NO_PI on /dev/net/tun (TUNSETIFF): the device has carrier while this process lives.
      const holder = spawnLines('ip', [
        'netns',
        'exec',
        lab.m,
        'python3',
        '-c',
        "import fcntl,os,struct,time\nfd=os.open('/dev/net/tun',os.O_RDWR)\n" +
          "fcntl.ioctl(fd,0x400454ca,struct.pack('16sH',b'vpn0',0x1001))\nprint('{\"tun\":1}',flush=True)\ntime.sleep(120)",
      ]);
      try {
        await holder.waitFor((l) => l.tun === 1);
        ip('-n', lab.m, 'addr', 'add', '10.99.0.2/32', 'dev', 'vpn0');
        ip('-n', lab.m, 'link', 'set', 'vpn0', 'up');
        // As VPN clients do: a default route of its own plus two /1 routes that win the kernel's lookup.
        ip('-n', lab.m, 'route', 'add', 'default', 'dev', 'vpn0', 'metric', '50');
        ip('-n', lab.m, 'route', 'add', '0.0.0.0/1', 'dev', 'vpn0');
        ip('-n', lab.m, 'route', 'add', '128.0.0.0/1', 'dev', 'vpn0');
        await vi.waitFor(() => expect(connection.getAllNetsSync()).toHaveLength(2), { timeout: 10_000 });
        const vpn = connection.getAllNetsSync().find((h) => h.netId !== live)!;
        expect(connection.getNetCapabilitiesSync(vpn).bearerTypes).toEqual([
          connection.NetBearType.BEARER_VPN,
        ]);
        expect(connection.getConnectionPropertiesSync(vpn).interfaceName).toBe('vpn0');
        expect(connection.getDefaultNetSync().netId).toBe(live);
        expect((await connection.getDefaultNet()).netId).toBe(live);
        expect(connection.hasDefaultNetSync()).toBe(true);
        expect(connection.isDefaultNetMeteredSync()).toBe(false);
        // A later batch (a change of the VPN network) still leaves the default where it is.
        ip('-n', lab.m, 'addr', 'add', '10.99.0.3/32', 'dev', 'vpn0');
        await vi.waitFor(
          () => expect(connection.getConnectionPropertiesSync(vpn).linkAddresses).toHaveLength(2),
          { timeout: 10_000 },
        );
        expect(connection.getDefaultNetSync().netId).toBe(live);
        expect(seen).toEqual([`netAvailable ${live}`]);
      } finally {
        await holder.kill();
        await vi.waitFor(() => expect(connection.getAllNetsSync()).toHaveLength(1), { timeout: 10_000 });
        await called((cb) => conn.unregister(cb as never));
      }
    },
  );
});

describe('no network at all (harmony-api.md §3.1: netId 0, not an error)', () => {
  rootIt(
    'default handle netId 0, [] networks, no default, metered, 2100001 for the netId 0 handle',
    async () => {
      setRuntime(granted);
      const conn = connection.createNetConnection();
      const lost = new Promise<number>((resolve) => conn.on('netLost', (h) => resolve(h.netId)));
      await called((cb) => conn.register(cb as never));
      ip('-n', lab.m, 'link', 'set', 'a0', 'down');
      expect(await lost).toBe(live);
      await called((cb) => conn.unregister(cb as never));
      const h = connection.getDefaultNetSync();
      expect(h.netId).toBe(0);
      expect((await connection.getDefaultNet()).netId).toBe(0);
      expect(connection.getAllNetsSync()).toEqual([]);
      expect(await connection.getAllNets()).toEqual([]);
      expect(connection.hasDefaultNetSync()).toBe(false);
      expect(connection.isDefaultNetMeteredSync()).toBe(true);
      expect(thrown(() => connection.getNetCapabilitiesSync(h))).toBe(2100001);
      expect(await rejected(connection.getConnectionProperties(h))).toBe(2100001);
    },
  );
});

describe('net service failure', () => {
  rootIt('a service that cannot start answers 2100002 to sync and async calls', async () => {
    const svc = new NetService({ netns: `clac${process.pid % 100000}missing` });
    try {
      const code = await svc.ready().then(
        () => 0,
        (e: { code: number }) => e.code,
      );
      expect(code).toBe(2100002);
      expect(thrown(() => svc.readySync())).toBe(2100002);
      expect(await rejected(svc.request({ type: 'revalidate', netId: 100 }))).toBe(2100002);
    } finally {
      await svc.close();
    }
  });
});
