import { afterAll, describe, expect, it } from 'vitest';
import * as ddm from '../src/distributedDeviceManager.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { setRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, thrownCode as codeOf, memoryRuntime } from './helpers.js';

const runtimes: DeviceRuntime[] = [];
afterAll(async () => {
  for (const rt of runtimes) await rt.stop();
  setRuntime(undefined);
  cleanupDirs();
});

/** Every system-only member of DeviceManager (harmony-api.md §5), called with plausible arguments. */
const SYSTEM_CALLS: Array<[string, (dm: ddm.DeviceManager) => unknown]> = [
  ['replyUiAction', (dm) => dm.replyUiAction(0, 'ok')],
  ['getDeviceProfileInfoList', (dm) => dm.getDeviceProfileInfoList({ isCloud: false })],
  ['putDeviceProfileInfoList', (dm) => dm.putDeviceProfileInfoList([])],
  ['getDeviceIconInfo', (dm) => dm.getDeviceIconInfo({ productId: 'p', imageType: 'ID', specName: 'lg' })],
  ['getLocalDisplayDeviceName', (dm) => dm.getLocalDisplayDeviceName(20)],
  ['setLocalDeviceName', (dm) => dm.setLocalDeviceName('n')],
  ['setRemoteDeviceName', (dm) => dm.setRemoteDeviceName('d', 'n')],
  ['setHeartbeatPolicy', (dm) => dm.setHeartbeatPolicy(ddm.StrategyForHeartbeat.START_HEARTBEAT, 1000)],
  ['restoreLocalDeivceName', (dm) => dm.restoreLocalDeivceName()],
  ['restoreLocalDeviceName', (dm) => dm.restoreLocalDeviceName()],
  ['getDeviceNetworkIdList', (dm) => dm.getDeviceNetworkIdList({ wiseDeviceId: 'w', onlineStatus: 1 })],
  ['getIdentificationByDeviceIds', (dm) => dm.getIdentificationByDeviceIds(['d'])],
  ['getOsTypeByNetworkId', (dm) => dm.getOsTypeByNetworkId('n')],
  ["on('replyResult')", (dm) => dm.on('replyResult', () => undefined)],
  ["off('replyResult')", (dm) => dm.off('replyResult')],
  ['onReplyResult', (dm) => dm.onReplyResult(() => undefined)],
  ['offReplyResult', (dm) => dm.offReplyResult()],
];

describe('distributedDeviceManager system APIs', () => {
  it('throw 202 in a normal app and 801 in a system app (numeric code, thrown synchronously)', async () => {
    const normal = memoryRuntime('ddm-normal', { COLINK_MEMORY_NETWORK: `ddm-sys-${process.pid}` });
    runtimes.push(normal);
    const dmNormal = ddm.createDeviceManager('com.example.collab');
    for (const [name, call] of SYSTEM_CALLS)
      expect(
        codeOf(() => call(dmNormal)),
        name,
      ).toBe(202);
    ddm.releaseDeviceManager(dmNormal);

    const system = memoryRuntime('ddm-system', {
      COLINK_MEMORY_NETWORK: `ddm-sys-${process.pid}`,
      COLINK_SYSTEM_APP: '1',
    });
    runtimes.push(system);
    const dmSystem = ddm.createDeviceManager('com.example.collab');
    for (const [name, call] of SYSTEM_CALLS)
      expect(
        codeOf(() => call(dmSystem)),
        name,
      ).toBe(801);
    ddm.releaseDeviceManager(dmSystem);
  });
});

describe('distributedDeviceManager static twins (onXxx / offXxx)', () => {
  it('onDeviceStateChange and onDiscoverSuccess get the same payloads as on(); offXxx removes them', async () => {
    const net = `ddm-twins-${process.pid}`;
    const a = memoryRuntime('ddm-a', { COLINK_MEMORY_NETWORK: net });
    const b = memoryRuntime('ddm-b', { COLINK_MEMORY_NETWORK: net }, false);
    runtimes.push(a, b);
    const dm = ddm.createDeviceManager('com.example.collab');
    const states: ddm.DeviceStateChangeResult[] = [];
    const viaOn: Array<{ action: ddm.DeviceStateChange; device: ddm.DeviceBasicInfo }> = [];
    dm.onDeviceStateChange((r) => states.push(r));
    dm.on('deviceStateChange', (r) => viaOn.push(r));
    await a.start();
    await b.start();
    await expect
      .poll(() => states.some((s) => s.device.networkId === b.identity.networkId), { timeout: 30_000 })
      .toBe(true);
    const found = states.find((s) => s.device.networkId === b.identity.networkId)!;
    expect(found.action).toBe(ddm.DeviceStateChange.AVAILABLE);
    expect(found.device.deviceName).toBe('ddm-b');
    expect(viaOn).toContainEqual(found);

    const discovered = new Promise<ddm.DiscoverySuccessResult>((resolve) => dm.onDiscoverSuccess(resolve));
    dm.startDiscovering({ discoverTargetType: 1 });
    expect((await discovered).device.networkId).toBe(b.identity.networkId);
    dm.stopDiscovering();

    // offXxx with the callback removes only that one; the control listener proves the event still fires.
    const control: ddm.DeviceStateChangeResult[] = [];
    const removed: ddm.DeviceStateChangeResult[] = [];
    const removedCb = (r: ddm.DeviceStateChangeResult): void => {
      removed.push(r);
    };
    dm.onDeviceStateChange(removedCb);
    dm.offDeviceStateChange(removedCb);
    dm.offDeviceStateChange(); // without a callback: every listener of the event (also the one on() added)
    dm.onDeviceStateChange((r) => control.push(r));
    const before = states.length;
    const viaOnBefore = viaOn.length;
    await b.stop();
    await expect
      .poll(() => control.some((s) => s.action === ddm.DeviceStateChange.UNAVAILABLE), { timeout: 30_000 })
      .toBe(true);
    expect(states.length).toBe(before);
    expect(viaOn.length).toBe(viaOnBefore);
    expect(removed).toEqual([]);
    ddm.releaseDeviceManager(dm);
  });
});

describe('distributedDeviceManager discovery delivery', () => {
  it('discoverSuccess comes after startDiscovering returns, and stopDiscovering inside it ends the discovery', async () => {
    const net = `ddm-stop-in-cb-${process.pid}`;
    const a = memoryRuntime('ddm-stop-a', { COLINK_MEMORY_NETWORK: net });
    const b = memoryRuntime('ddm-stop-b', { COLINK_MEMORY_NETWORK: net }, false);
    runtimes.push(a, b);
    await a.start();
    await b.start();
    const dm = ddm.createDeviceManager('com.example.collab');
    await expect.poll(() => dm.getAvailableDeviceListSync().length, { timeout: 30_000 }).toBe(1);

    // The usual pattern: stop discovering once the wanted device is found.
    let inStart = false;
    const calls: Array<{ duringStart: boolean }> = [];
    const found = new Promise<void>((resolve) =>
      dm.on('discoverSuccess', () => {
        calls.push({ duringStart: inStart });
        dm.stopDiscovering();
        resolve();
      }),
    );
    inStart = true;
    dm.startDiscovering({ discoverTargetType: 1 });
    inStart = false;
    await found;
    // HarmonyOS queues discovery results to the JS thread (uv_queue_work): never inside startDiscovering.
    expect.soft(calls).toEqual([{ duringStart: false }]);
    // The stop took effect: a new discovery may start (it was 11600104 "Discovery unavailable").
    expect(codeOf(() => dm.startDiscovering({ discoverTargetType: 1 }))).toBe('no throw');
    dm.stopDiscovering();
    ddm.releaseDeviceManager(dm);
  });
});

describe('distributedDeviceManager deviceStateChange follows the available (trusted, online) list', () => {
  it('UNAVAILABLE when a device becomes untrusted (handshake refused, unbindTarget); nothing for an untrusted one', async () => {
    const net = `ddm-untrusted-${process.pid}`;
    const a = memoryRuntime('ddm-trust-a', { COLINK_MEMORY_NETWORK: net });
    const b = memoryRuntime('ddm-trust-b', { COLINK_MEMORY_NETWORK: net }, false);
    runtimes.push(a, b);
    const dm = ddm.createDeviceManager('com.example.collab');
    const states: Array<{ action: ddm.DeviceStateChange; id: string | undefined }> = [];
    dm.on('deviceStateChange', (r) => states.push({ action: r.action, id: r.device.networkId }));
    await a.start();
    await b.start();
    const id = b.identity.networkId;
    await expect.poll(() => states.length, { timeout: 30_000 }).toBe(1);
    expect(states).toEqual([{ action: ddm.DeviceStateChange.AVAILABLE, id }]);

    // The security layer marks the device untrusted (a refused handshake; unbindTarget revokes the same way): it
    // leaves getAvailableDeviceListSync, so the app is told it is unavailable.
    a.device.directory.setTrust(id, 'untrusted');
    expect(dm.getAvailableDeviceListSync()).toEqual([]);
    expect.soft(states).toEqual([
      { action: ddm.DeviceStateChange.AVAILABLE, id },
      { action: ddm.DeviceStateChange.UNAVAILABLE, id },
    ]);

    // An untrusted device going and coming back is not reported: it never was available.
    await b.stop();
    await expect.poll(() => a.device.directory.get(id), { timeout: 30_000 }).toBeUndefined();
    const b2 = memoryRuntime(
      'ddm-trust-b',
      { COLINK_MEMORY_NETWORK: net, COLINK_STATE_DIR: b.config.stateDir },
      false,
    );
    runtimes.push(b2);
    await b2.start();
    await expect.poll(() => a.device.directory.get(id), { timeout: 30_000 }).toBeDefined();
    await new Promise((r) => setTimeout(r, 50));
    expect(states).toHaveLength(2);
    ddm.releaseDeviceManager(dm);
  });
});
