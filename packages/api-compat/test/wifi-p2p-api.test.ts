import { P2pService, WpaCtrlClient } from '@colink/transport-wifi-p2p';
import type { FakeWpaSupplicant } from '@colink/transport-wifi-p2p/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { wifiManager } from '../src/kits/ConnectivityKit.js';
import ohosWifiManager from '../src/ohos/wifiManager.js';
import { setRuntime } from '../src/runtime/runtime.js';
import { canIUse } from '../src/syscaps.js';
import { configureWifiP2p, p2pBackend } from '../src/wifi/registry.js';
import { wifiP2pSettingsFromEnv } from '../src/wifi/settings.js';
import { cleanupDirs } from './helpers.js';
import { fakeWorld, grant, Recorder, thrown, useDaemon } from './wifi-helpers.js';

// wifiManager's P2P subset against fake wpa_supplicant daemons (real unix control sockets, in-process medium with a
// loopback data path): argument, permission and availability checks with the Wi-Fi error shapes of
// harmony-api.md §0.2, and the behaviours of §4 against a daemon.

const world = fakeWorld();
const CONFIG: wifiManager.WifiP2PConfig = {
  deviceAddress: '00:11:22:33:44:55',
  deviceAddressType: 1,
  netId: -2,
  passphrase: '12345678',
  groupName: 'testGroup',
  goBand: 0,
};
const msg = (code: number, text: string) => `BussinessError ${code}: ${text}`;

afterAll(async () => {
  await world.close();
  setRuntime(undefined);
  cleanupDirs();
});

describe('wifiManager surface', () => {
  it('has the enums with their values, the module as @ohos.wifiManager default export, and the static twins', () => {
    expect(wifiManager.P2pConnectState).toMatchObject({ DISCONNECTED: 0, CONNECTED: 1 });
    expect(wifiManager.P2pDeviceStatus).toMatchObject({
      CONNECTED: 0,
      INVITED: 1,
      FAILED: 2,
      AVAILABLE: 3,
      UNAVAILABLE: 4,
    });
    expect(wifiManager.GroupOwnerBand).toMatchObject({ GO_BAND_AUTO: 0, GO_BAND_2GHZ: 1, GO_BAND_5GHZ: 2 });
    expect(wifiManager.DeviceAddressType).toMatchObject({ RANDOM_DEVICE_ADDRESS: 0, REAL_DEVICE_ADDRESS: 1 });
    expect(ohosWifiManager.createGroup).toBe(wifiManager.createGroup);
    for (const e of [
      'P2pStateChange',
      'P2pConnectionChange',
      'P2pDeviceChange',
      'P2pPeerDeviceChange',
      'P2pPersistentGroupChange',
      'P2pDiscoveryChange',
    ]) {
      expect(typeof (wifiManager as unknown as Record<string, unknown>)[`on${e}`]).toBe('function');
      expect(typeof (wifiManager as unknown as Record<string, unknown>)[`off${e}`]).toBe('function');
    }
  });
});

describe('without a configured wpa_supplicant (no P2P on this device)', () => {
  beforeAll(async () => {
    grant('all');
    await useDaemon(world.medium, undefined);
  });

  it('throws 801 synchronously as an Error with a string code and the BussinessError message', () => {
    for (const call of [
      () => wifiManager.createGroup(CONFIG),
      () => wifiManager.removeGroup(),
      () => wifiManager.startDiscoverDevices(),
      () => wifiManager.stopDiscoverDevices(),
      () => wifiManager.p2pConnect(CONFIG),
      () => wifiManager.p2pCancelConnect(),
      () => wifiManager.on('p2pStateChange', () => undefined),
      () => wifiManager.onP2pDiscoveryChange(() => undefined),
      () => wifiManager.off('p2pConnectionChange'),
    ]) {
      expect(thrown(call)).toEqual({
        code: '801',
        message: msg(801, 'Capability not supported.'),
        isError: true,
      });
    }
  });

  it('isWifiActive() is false and canIUse does not claim Wi-Fi P2P', () => {
    expect(wifiManager.isWifiActive()).toBe(false);
    expect(canIUse('SystemCapability.Communication.WiFi.P2P')).toBe(false);
  });

  it('rejects promises with { code: 801, message, data: null } and calls back with { code: 801, message }', async () => {
    for (const get of [
      wifiManager.getP2pPeerDevices,
      wifiManager.getP2pLinkedInfo,
      wifiManager.getCurrentGroup,
      wifiManager.getP2pLocalDevice,
    ] as Array<() => Promise<unknown>>) {
      const err = await get().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toEqual({ code: 801, message: msg(801, 'Capability not supported.'), data: null });
      expect(err).not.toBeInstanceOf(Error);
    }
    const viaCallback = await new Promise<unknown[]>((resolve) =>
      wifiManager.getP2pLinkedInfo((e, d) => resolve([e, d])),
    );
    expect(viaCallback).toEqual([{ code: 801, message: msg(801, 'Capability not supported.') }, undefined]);
    expect(Object.keys(viaCallback[0] as object)).toEqual(['code', 'message']);
  });
});

describe('with a configured wpa_supplicant that is not running', () => {
  it('2801001 (P2P not open) until it answers, then works', async () => {
    grant('all');
    const d = world.daemon('wlan3', 'late');
    await d.shutdown();
    await useDaemon(world.medium, d);
    const e2801001 = { code: 2801001, message: msg(2801001, "WIFI doesn't open."), data: null };
    await expect(wifiManager.getP2pLinkedInfo()).rejects.toEqual(e2801001);
    expect(thrown(() => wifiManager.startDiscoverDevices())).toEqual({
      code: '2801001',
      message: msg(2801001, "WIFI doesn't open."),
      isError: true,
    });
    expect(wifiManager.isWifiActive()).toBe(false);
    expect(canIUse('SystemCapability.Communication.WiFi.P2P')).toBe(true); // the device has P2P; it is off
    await p2pBackend()
      .service()
      .catch(() => undefined); // the attempt the throw started fails too: the daemon is still down
    d.start();
    expect(await wifiManager.getP2pLinkedInfo()).toMatchObject({ connectState: 0 });
    expect(wifiManager.isWifiActive()).toBe(true);
    expect(() => wifiManager.startDiscoverDevices()).not.toThrow();
    wifiManager.stopDiscoverDevices();
    await p2pBackend().settled();
    // the daemon goes away: Wi-Fi is off again (the control client detaches)
    await d.shutdown();
    await expect.poll(() => wifiManager.isWifiActive(), { timeout: 20_000 }).toBe(false);
  });
});

describe('listening before wpa_supplicant runs (an app that starts first and waits for P2P)', () => {
  it("on('p2pStateChange') while the daemon is not there: 3 (started) once it comes, then the other events flow", async () => {
    grant('all');
    const d = world.daemon('wlan6', 'late-listener');
    await d.shutdown();
    await useDaemon(world.medium, d);
    const state = new Recorder<number>();
    const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    wifiManager.on('p2pStateChange', state.listener);
    wifiManager.on('p2pConnectionChange', conn.listener);
    await p2pBackend()
      .service()
      .catch(() => undefined); // the first attempt to open fails: nobody answers yet
    await new Promise((r) => setTimeout(r, 300));
    expect(state.seen).toEqual([]);
    d.start();
    expect(await state.next((s) => s === 3, 5_000)).toBe(3);
    wifiManager.createGroup({ ...CONFIG, netId: -1 });
    expect((await conn.next((i) => i.connectState === 1, 5_000)).isGroupOwner).toBe(true);
    wifiManager.removeGroup();
    await conn.next((i) => i.connectState === 0, 5_000);
    wifiManager.off('p2pStateChange');
    wifiManager.off('p2pConnectionChange');
  });
});

describe('COLINK_P2P_GO_ADDRESS', () => {
  it('a 127/8 GO address: the group is up with it without any group interface (a GO in a process of its own)', async () => {
    grant('all');
    const d = world.daemon('wlan4', 'own-process-go');
    const go = `127.${16 + (process.pid % 239)}.${((process.pid >> 8) % 254) + 1}.1`;
    // settings from the environment only: no hook into the medium, as in a device process
    await configureWifiP2p(
      wifiP2pSettingsFromEnv({ COLINK_WPA_CTRL: d.ctrlPath, COLINK_P2P_GO_ADDRESS: go }),
    );
    const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    wifiManager.on('p2pConnectionChange', conn.listener);
    wifiManager.createGroup(CONFIG);
    expect(await conn.next()).toEqual({ connectState: 1, isGroupOwner: true, groupOwnerAddr: go });
    expect(await wifiManager.getCurrentGroup()).toMatchObject({ isP2pGo: true, goIpAddress: go });
    wifiManager.removeGroup();
    await conn.next((i) => i.connectState === 0);
    wifiManager.off('p2pConnectionChange', conn.listener);
  });

  it('a malformed address: P2P calls fail with 2801001 (the service refuses the allocation)', async () => {
    grant('all');
    const d = world.daemon('wlan5', 'bad-go-address');
    for (const bad of ['192.168.49', '10.0.0.254', 'localhost']) {
      await configureWifiP2p(
        wifiP2pSettingsFromEnv({ COLINK_WPA_CTRL: d.ctrlPath, COLINK_P2P_GO_ADDRESS: bad }),
      );
      await expect(wifiManager.getP2pLinkedInfo()).rejects.toMatchObject({ code: 2801001 });
    }
  });
});

describe('with a fake wpa_supplicant', () => {
  let a: FakeWpaSupplicant;
  beforeAll(async () => {
    a = world.daemon('wlan0', 'local-device');
    // as `device_name=` in wpa_supplicant.conf (the fake's GET device_name does not reflect its deviceName option)
    const conf = await WpaCtrlClient.open({ ctrlPath: a.ctrlPath, monitor: false, pingIntervalMs: 0 });
    await conf.expectOk('SET device_name local-device');
    await conf.close();
    grant('all');
    await useDaemon(world.medium, a);
  });
  afterEach(async () => {
    grant('all');
    await p2pBackend().settled();
    if (p2pBackend().current?.currentGroups.length) {
      const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
      wifiManager.on('p2pConnectionChange', conn.listener);
      wifiManager.removeGroup();
      await conn.next((i) => i.connectState === 0);
      wifiManager.off('p2pConnectionChange', conn.listener);
    }
  });

  it('isWifiActive(): true with a running daemon, already before the first P2P call (its control socket exists)', async () => {
    await useDaemon(world.medium, a); // a fresh backend that has not opened the daemon yet
    expect(p2pBackend().current).toBeUndefined();
    expect(wifiManager.isWifiActive()).toBe(true);
    expect(canIUse('SystemCapability.Communication.WiFi.P2P')).toBe(true);
    await p2pBackend().service();
    expect(wifiManager.isWifiActive()).toBe(true);
  });

  it('401 synchronously for null configs, bad passphrases, bad event types and callbacks — before 201', () => {
    const e401 = { code: '401', message: msg(401, 'Parameter error.'), isError: true };
    grant('DISTRIBUTED_DATASYNC'); // no GET_WIFI_INFO: argument errors still come first
    expect(thrown(() => wifiManager.createGroup(null as never))).toEqual(e401);
    expect(thrown(() => wifiManager.p2pConnect(null as never))).toEqual(e401);
    grant('all');
    expect(thrown(() => wifiManager.createGroup(undefined as never))).toEqual(e401);
    expect(thrown(() => wifiManager.createGroup({ ...CONFIG, passphrase: '1234567' }))).toEqual(e401);
    expect(thrown(() => wifiManager.createGroup({ ...CONFIG, passphrase: 'x'.repeat(64) }))).toEqual(e401);
    expect(thrown(() => wifiManager.createGroup({ ...CONFIG, netId: -3 }))).toEqual(e401);
    expect(thrown(() => wifiManager.createGroup({ ...CONFIG, goBand: 7 as never }))).toEqual(e401);
    expect(thrown(() => wifiManager.createGroup({ ...CONFIG, groupName: 5 as never }))).toEqual(e401);
    expect(thrown(() => wifiManager.createGroup({ ...CONFIG, goBand: 'GO_BAND_AUTO' as never }))).toEqual(
      e401,
    );
    expect(thrown(() => wifiManager.createGroup({ ...CONFIG, passphrase: 'line\nbreak!' }))).toEqual(e401);
    expect(thrown(() => wifiManager.p2pConnect({ ...CONFIG, deviceAddress: 42 as never }))).toEqual(e401);
    expect(thrown(() => wifiManager.on('bogus' as never, () => undefined))).toEqual(e401);
    expect(thrown(() => wifiManager.on('p2pStateChange', 'x' as never))).toEqual(e401);
    expect(thrown(() => wifiManager.off('p2pStateChange', 5 as never))).toEqual(e401);
    expect(thrown(() => wifiManager.getP2pLinkedInfo('x' as never))).toEqual(e401);
    // a malformed MAC passes the NAPI type check and fails in the service: 2801000
    expect(thrown(() => wifiManager.p2pConnect({ ...CONFIG, deviceAddress: 'nope' }))).toEqual({
      code: '2801000',
      message: msg(2801000, 'Operation failed.'),
      isError: true,
    });
    // STA / hotspot events exist on HarmonyOS but not in this subset
    expect(thrown(() => wifiManager.on('wifiStateChange' as never, () => undefined)).code).toBe('801');
  });

  it('201 everywhere without GET_WIFI_INFO, in each shape; off of the device events needs no permission', async () => {
    grant('DISTRIBUTED_DATASYNC,GET_WIFI_LOCAL_MAC');
    const e201 = { code: '201', message: msg(201, 'Permission denied.'), isError: true };
    for (const call of [
      () => wifiManager.createGroup(CONFIG),
      () => wifiManager.removeGroup(),
      () => wifiManager.startDiscoverDevices(),
      () => wifiManager.stopDiscoverDevices(),
      () => wifiManager.p2pConnect(CONFIG),
      () => wifiManager.p2pCancelConnect(),
      ...['p2pStateChange', 'p2pConnectionChange', 'p2pDeviceChange', 'p2pPeerDeviceChange'].map(
        (t) => () => wifiManager.on(t as 'p2pStateChange', () => undefined),
      ),
      () => wifiManager.on('p2pPersistentGroupChange', () => undefined),
      () => wifiManager.onP2pDiscoveryChange(() => undefined),
      () => wifiManager.off('p2pStateChange'),
      () => wifiManager.offP2pConnectionChange(),
      () => wifiManager.off('p2pPersistentGroupChange'),
      () => wifiManager.off('p2pDiscoveryChange'),
    ]) {
      expect(thrown(call)).toEqual(e201);
    }
    expect(() => wifiManager.off('p2pDeviceChange')).not.toThrow();
    expect(() => wifiManager.offP2pPeerDeviceChange()).not.toThrow();
    for (const get of [
      wifiManager.getP2pPeerDevices,
      wifiManager.getP2pLinkedInfo,
      wifiManager.getCurrentGroup,
      wifiManager.getP2pLocalDevice,
    ] as Array<(cb?: (e: unknown, d: unknown) => void) => Promise<unknown> | undefined>) {
      await expect(get()).rejects.toEqual({ code: 201, message: msg(201, 'Permission denied.'), data: null });
      const [err, data] = await new Promise<unknown[]>((resolve) => get((e, d) => resolve([e, d])));
      expect(err).toEqual({ code: 201, message: msg(201, 'Permission denied.') });
      expect(data).toBeUndefined();
    }
  });

  it('system APIs throw 202 for other apps', async () => {
    expect(thrown(() => wifiManager.deletePersistentGroup(0))).toMatchObject({ code: '202', isError: true });
    expect(thrown(() => wifiManager.setDeviceName('x'))).toMatchObject({ code: '202', isError: true });
    await expect(wifiManager.getP2pGroups()).rejects.toMatchObject({ code: 202, data: null });
  });

  it('createGroup (persistent, 2.4 GHz): events, getCurrentGroup, getP2pLinkedInfo, getP2pLocalDevice; removeGroup ends it', async () => {
    const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    const persistent = new Recorder<void>();
    const local = new Recorder<wifiManager.WifiP2pDevice>();
    wifiManager.on('p2pConnectionChange', conn.listener);
    wifiManager.on('p2pPersistentGroupChange', persistent.listener);
    wifiManager.onP2pDeviceChange(local.listener);
    // no group yet
    await expect(wifiManager.getCurrentGroup()).rejects.toEqual({
      code: 2801000,
      message: msg(2801000, 'Operation failed.'),
      data: null,
    });
    expect(await wifiManager.getP2pLinkedInfo()).toEqual({
      connectState: 0,
      isGroupOwner: false,
      groupOwnerAddr: '',
    });

    const name = 'x'.repeat(63); // 63 characters is the longest valid passphrase
    expect(
      wifiManager.createGroup({
        ...CONFIG,
        passphrase: name,
        goBand: wifiManager.GroupOwnerBand.GO_BAND_2GHZ,
      }),
    ).toBeUndefined();
    const up = await conn.next();
    await persistent.next();
    const group = await wifiManager.getCurrentGroup();
    expect(up).toEqual({ connectState: 1, isGroupOwner: true, groupOwnerAddr: group.goIpAddress });
    expect(group).toMatchObject({
      isP2pGo: true,
      passphrase: name,
      interface: 'p2p-wlan0-0',
      groupName: expect.stringMatching(/^DIRECT-[A-Za-z0-9]{2}-testGroup$/),
      networkId: expect.any(Number),
      clientDevices: [],
      ownerInfo: {
        deviceName: 'local-device',
        deviceAddress: a.deviceAddress,
        deviceAddressType: 1,
        deviceStatus: 0,
        groupCapabilities: 3,
      },
    });
    expect(group.networkId).toBeGreaterThanOrEqual(0);
    expect(group.frequency).toBeGreaterThanOrEqual(2412);
    expect(group.frequency).toBeLessThanOrEqual(2484);
    expect(await wifiManager.getP2pLinkedInfo()).toEqual(up);
    expect((await local.next()).deviceStatus).toBe(wifiManager.P2pDeviceStatus.CONNECTED);
    const me = await new Promise<wifiManager.WifiP2pDevice>((resolve, reject) =>
      wifiManager.getP2pLocalDevice((e, d) => (e ? reject(e) : resolve(d))),
    );
    expect(me).toMatchObject({ deviceName: 'local-device', deviceAddress: a.deviceAddress, deviceStatus: 0 });

    // without GET_WIFI_LOCAL_MAC: all-zero MAC and "00.00.00.00" (sic) group owner address
    grant('GET_WIFI_INFO');
    expect((await wifiManager.getP2pLocalDevice()).deviceAddress).toBe('00:00:00:00:00:00');
    expect((await wifiManager.getP2pLinkedInfo()).groupOwnerAddr).toBe('00.00.00.00');
    grant('all');

    conn.clear();
    // several listeners per event; off(type, callback) removes just that one
    const second = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    const removed = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    wifiManager.on('p2pConnectionChange', second.listener);
    wifiManager.on('p2pConnectionChange', removed.listener);
    wifiManager.off('p2pConnectionChange', removed.listener);
    wifiManager.removeGroup();
    expect(await conn.next()).toEqual({ connectState: 0, isGroupOwner: false, groupOwnerAddr: '' });
    expect(await second.next()).toEqual({ connectState: 0, isGroupOwner: false, groupOwnerAddr: '' });
    expect(removed.seen).toEqual([]);
    wifiManager.off('p2pConnectionChange', second.listener);
    await expect(wifiManager.getCurrentGroup()).rejects.toMatchObject({ code: 2801000 });
    wifiManager.off('p2pConnectionChange', conn.listener);
    wifiManager.off('p2pPersistentGroupChange');
    wifiManager.offP2pDeviceChange(local.listener);
  });

  it('getCurrentGroup gives the passphrase as it was set, backslashes included (wpa_supplicant prints it unescaped)', async () => {
    const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    wifiManager.on('p2pConnectionChange', conn.listener);
    const passphrase = String.raw`back\slash\x41\n end`; // printable ASCII, as a WPA passphrase may be
    wifiManager.createGroup({ ...CONFIG, netId: -1, passphrase });
    await conn.next((i) => i.connectState === 1);
    expect((await wifiManager.getCurrentGroup()).passphrase).toBe(passphrase);
    wifiManager.off('p2pConnectionChange', conn.listener);
  });

  it('createGroup measures the passphrase as wpa_supplicant and OpenHarmony do: 8..63 bytes, no control characters', async () => {
    // OpenHarmony's P2P service checks std::string::length() (bytes), wpa_supplicant's wpa_config_parse_psk the
    // same and has_ctrl_char; a passphrase either refuses would never become a group, so it is 401 here
    const e401 = { code: '401', message: msg(401, 'Parameter error.'), isError: true };
    for (const bad of ['é'.repeat(32), 'tab\tinside', 'del\x7fchar!'])
      expect(
        thrown(() => wifiManager.createGroup({ ...CONFIG, netId: -1, passphrase: bad })),
        bad,
      ).toEqual(e401);
    const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    wifiManager.on('p2pConnectionChange', conn.listener);
    for (const good of ['é'.repeat(4), 'say "hi", ok']) {
      conn.clear();
      wifiManager.createGroup({ ...CONFIG, netId: -1, passphrase: good });
      await conn.next((i) => i.connectState === 1);
      expect((await wifiManager.getCurrentGroup()).passphrase).toBe(good);
      wifiManager.removeGroup();
      await conn.next((i) => i.connectState === 0);
    }
    wifiManager.off('p2pConnectionChange', conn.listener);
  });

  it('a group name with quotes, a backslash and non-ASCII comes back as set, and its persistent group is found by it', async () => {
    // wpa_supplicant takes `SET_NETWORK <id> ssid "…"` up to the last quote and prints SSIDs printf-encoded
    const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    wifiManager.on('p2pConnectionChange', conn.listener);
    const groupName = String.raw`say "hi" a\b é`;
    wifiManager.createGroup({ ...CONFIG, netId: -2, groupName });
    await conn.next((i) => i.connectState === 1);
    const g = await wifiManager.getCurrentGroup();
    expect(g.groupName).toMatch(/^DIRECT-[A-Za-z0-9]{2}-/);
    expect(g.groupName.slice('DIRECT-xy-'.length)).toBe(groupName);
    expect(g.networkId).toBeGreaterThanOrEqual(0); // found in LIST_NETWORKS by its SSID
    wifiManager.off('p2pConnectionChange', conn.listener);
  });

  it("p2pDeviceChange (this device) comes before p2pConnectionChange, up and down, as OpenHarmony's ChangeConnectedStatus sends them", async () => {
    // communication_wifi P2pStateMachine::ChangeConnectedStatus: UpdateOwnDevice (BroadcastThisDeviceChanged), then
    // BroadcastP2pConnectionChanged — for P2P_CONNECTED and for P2P_DISCONNECTED
    const order: string[] = [];
    const device = (d: wifiManager.WifiP2pDevice) => order.push(`device:${d.deviceStatus}`);
    const connection = (i: wifiManager.WifiP2pLinkedInfo) => order.push(`connection:${i.connectState}`);
    const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
    wifiManager.on('p2pDeviceChange', device);
    wifiManager.on('p2pConnectionChange', connection);
    wifiManager.on('p2pConnectionChange', conn.listener);
    wifiManager.createGroup({ ...CONFIG, netId: -1 });
    await conn.next((i) => i.connectState === 1);
    wifiManager.removeGroup();
    await conn.next((i) => i.connectState === 0);
    expect(order).toEqual(['device:0', 'connection:1', 'device:3', 'connection:0']);
    wifiManager.off('p2pDeviceChange', device);
    wifiManager.off('p2pConnectionChange');
  });

  it('system app: setDeviceName, getP2pGroups and deletePersistentGroup', async () => {
    grant('all', true);
    const local = new Recorder<wifiManager.WifiP2pDevice>();
    const persistent = new Recorder<void>();
    wifiManager.on('p2pDeviceChange', local.listener);
    wifiManager.on('p2pPersistentGroupChange', persistent.listener);
    expect(thrown(() => wifiManager.setDeviceName('')).code).toBe('401');
    wifiManager.setDeviceName('renamed');
    expect((await local.next()).deviceName).toBe('renamed');
    expect((await wifiManager.getP2pLocalDevice()).deviceName).toBe('renamed');
    const groups = await wifiManager.getP2pGroups();
    expect(groups.length).toBeGreaterThan(0); // the persistent group of the previous test is stored
    const stored = groups[0]!;
    expect(stored.groupName).toMatch(/^DIRECT-..-testGroup$/);
    persistent.clear();
    wifiManager.deletePersistentGroup(stored.networkId);
    await persistent.next();
    expect((await wifiManager.getP2pGroups()).map((g) => g.networkId)).not.toContain(stored.networkId);
    wifiManager.off('p2pDeviceChange');
    wifiManager.off('p2pPersistentGroupChange');
  });

  it("setDeviceName('<Lab PC>'): the name that starts with '<' is read back (not taken for an event), p2pDeviceChange follows", async () => {
    grant('all', true);
    const local = new Recorder<wifiManager.WifiP2pDevice>();
    wifiManager.on('p2pDeviceChange', local.listener);
    wifiManager.setDeviceName('<Lab PC>');
    expect((await local.next((d) => d.deviceName === '<Lab PC>', 5_000)).deviceName).toBe('<Lab PC>');
    expect((await wifiManager.getP2pLocalDevice()).deviceName).toBe('<Lab PC>');
    wifiManager.off('p2pDeviceChange', local.listener);
  });

  it('discovery finds a group owner; p2pConnect with its random address (no GET_WIFI_PEERS_MAC) joins it', async () => {
    // the peer: another device driven by the transport's P2pService directly
    const b = world.daemon('wlan1', 'my_test_device');
    const bWpa = await WpaCtrlClient.open({ ctrlPath: b.ctrlPath });
    const bSvc = new P2pService(bWpa, { addressing: world.medium.addressing });
    try {
      await bSvc.configureIpAllocation();
      const bGroup = await bSvc.createGroup({ ssid: 'peer', passphrase: 'peer-pass' });

      grant('GET_WIFI_INFO,GET_WIFI_LOCAL_MAC');
      const disc = new Recorder<number>();
      const peers = new Recorder<wifiManager.WifiP2pDevice[]>();
      const conn = new Recorder<wifiManager.WifiP2pLinkedInfo>();
      wifiManager.onP2pDiscoveryChange(disc.listener);
      wifiManager.on('p2pPeerDeviceChange', peers.listener);
      wifiManager.on('p2pConnectionChange', conn.listener);
      wifiManager.startDiscoverDevices();
      expect(await disc.next()).toBe(1);
      await peers.next((l) => l.some((d) => d.deviceName === 'my_test_device'));
      const list = await new Promise<wifiManager.WifiP2pDevice[]>((resolve, reject) =>
        wifiManager.getP2pPeerDevices((e, d) => (e ? reject(e) : resolve(d))),
      );
      const found = list.find((d) => d.deviceName === 'my_test_device')!;
      expect(found).toMatchObject({
        deviceAddressType: wifiManager.DeviceAddressType.RANDOM_DEVICE_ADDRESS,
        deviceStatus: wifiManager.P2pDeviceStatus.AVAILABLE,
        primaryDeviceType: expect.any(String),
      });
      expect(found.groupCapabilities & 0x01).toBe(1); // it owns a group
      expect(found.deviceAddress).not.toBe(b.deviceAddress);
      expect(found.deviceAddress).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      expect(Number.parseInt(found.deviceAddress.slice(0, 2), 16) & 0x03).toBe(0x02); // local, unicast

      wifiManager.p2pConnect({
        ...CONFIG,
        deviceAddress: found.deviceAddress,
        passphrase: '',
        groupName: '',
      });
      expect(await conn.next((i) => i.connectState === 1, 20_000)).toEqual({
        connectState: 1,
        isGroupOwner: false,
        groupOwnerAddr: bGroup.goIpAddress,
      });
      const group = await wifiManager.getCurrentGroup();
      expect(group).toMatchObject({
        isP2pGo: false,
        groupName: bGroup.ssid,
        goIpAddress: bGroup.goIpAddress,
        ownerInfo: { deviceName: 'my_test_device', deviceAddress: found.deviceAddress, deviceStatus: 0 },
      });
      const again = await wifiManager.getP2pPeerDevices();
      expect(again.find((d) => d.deviceName === 'my_test_device')?.deviceStatus).toBe(
        wifiManager.P2pDeviceStatus.CONNECTED,
      );
      grant('all');
      expect(
        (await wifiManager.getP2pPeerDevices()).find((d) => d.deviceName === 'my_test_device'),
      ).toMatchObject({
        deviceAddress: b.deviceAddress,
        deviceAddressType: 1,
      });

      wifiManager.stopDiscoverDevices();
      expect(await disc.next((s) => s === 0)).toBe(0);

      // the GO ends the group: DISCONNECTED on this (client) side
      conn.clear();
      await bSvc.removeGroup();
      expect(await conn.next()).toMatchObject({ connectState: 0, isGroupOwner: false });

      // a connect that cannot happen (unknown device) is reported as DISCONNECTED
      conn.clear();
      wifiManager.p2pConnect({ ...CONFIG, deviceAddress: '02:00:00:00:00:99' });
      expect(await conn.next()).toMatchObject({ connectState: 0 });
      wifiManager.p2pCancelConnect(); // nothing in progress: logged, no throw
      wifiManager.off('p2pConnectionChange');
      wifiManager.off('p2pPeerDeviceChange');
      wifiManager.offP2pDiscoveryChange(disc.listener);
    } finally {
      bSvc.close();
      await bWpa.close();
    }
  });

  it('p2pConnect marks the peer INVITED while negotiating; p2pCancelConnect makes it AVAILABLE again', async () => {
    // a peer that hears the GO Negotiation Request but leaves it unanswered (its user has not accepted yet)
    const c = world.daemon('wlan2', 'undecided');
    const cWpa = await WpaCtrlClient.open({ ctrlPath: c.ctrlPath });
    const cSvc = new P2pService(cWpa, { addressing: world.medium.addressing, acceptConnection: () => false });
    const peers = new Recorder<wifiManager.WifiP2pDevice[]>();
    const status = (l: wifiManager.WifiP2pDevice[]) =>
      l.find((d) => d.deviceName === 'undecided')?.deviceStatus;
    try {
      await cSvc.listen();
      wifiManager.on('p2pPeerDeviceChange', peers.listener);
      wifiManager.startDiscoverDevices();
      const seen = await peers.next((l) => status(l) === wifiManager.P2pDeviceStatus.AVAILABLE);
      const target = seen.find((d) => d.deviceName === 'undecided')!;
      wifiManager.stopDiscoverDevices();
      peers.clear();
      wifiManager.p2pConnect({ ...CONFIG, netId: -1, deviceAddress: target.deviceAddress });
      await peers.next((l) => status(l) === wifiManager.P2pDeviceStatus.INVITED);
      expect(status(await wifiManager.getP2pPeerDevices())).toBe(wifiManager.P2pDeviceStatus.INVITED);
      peers.clear();
      wifiManager.p2pCancelConnect();
      await peers.next((l) => status(l) === wifiManager.P2pDeviceStatus.AVAILABLE);
      expect(status(await wifiManager.getP2pPeerDevices())).toBe(wifiManager.P2pDeviceStatus.AVAILABLE);
      // getCurrentGroup without a group, callback form: { code, message } and no data
      const [err, data] = await new Promise<unknown[]>((resolve) =>
        wifiManager.getCurrentGroup((e, d) => resolve([e, d])),
      );
      expect(err).toEqual({ code: 2801000, message: msg(2801000, 'Operation failed.') });
      expect(data).toBeUndefined();
      wifiManager.off('p2pPeerDeviceChange', peers.listener);
    } finally {
      cSvc.close();
      await cWpa.close();
      await c.shutdown();
    }
  });

  it('the daemon going away: p2pStateChange 5, then 2801001 everywhere; back: p2pStateChange 3', async () => {
    const state = new Recorder<number>();
    wifiManager.on('p2pStateChange', state.listener);
    await p2pBackend().service();
    await a.shutdown();
    expect(await state.next()).toBe(5);
    const e = thrown(() => wifiManager.createGroup(CONFIG));
    expect(e).toEqual({ code: '2801001', message: msg(2801001, "WIFI doesn't open."), isError: true });
    await expect(wifiManager.getP2pLinkedInfo()).rejects.toEqual({
      code: 2801001,
      message: msg(2801001, "WIFI doesn't open."),
      data: null,
    });
    a.start();
    expect(await state.next((s) => s === 3)).toBe(3);
    expect((await wifiManager.getP2pLinkedInfo()).connectState).toBe(0);
    wifiManager.offP2pStateChange();
  });
});
