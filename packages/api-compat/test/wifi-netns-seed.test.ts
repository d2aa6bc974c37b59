import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canUseNetns, ip } from '@colink/transport-wifi-p2p/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceProc, type Line } from './handover/index.js';
import { SeedP2pWorld } from './wifi-helpers.js';

// MUST-SHOW of issue 5 for api-compat: the seed's P2P flow (wifi-p2p-guide.md) written against wifiManager with
// @kit.ConnectivityKit imports, as two processes in two network namespaces, each driving its own fake
// wpa_supplicant (served by this test process over unix control sockets). The fake builds a real veth between the
// namespaces for the group, so the socket to goIpAddress is real TCP.

/** A seed device process (the register hook, sources of the workspace packages) in `netns`. */
function seedDevice(name: string, netns: string, script: string, env: Record<string, string>): DeviceProc {
  return new DeviceProc(name, {
    script,
    node: ['--conditions=@colink/source', '--import', 'tsx', '--import', '@colink/api-compat/register'],
    env,
    netns,
  });
}

const BYTES = 4 * 1024 * 1024;
if (!canUseNetns())
  console.warn('wifiManager netns seed test skipped: not root (namespaces and veths need root)');

describe.skipIf(!canUseNetns())(
  'wifiManager seed flow between two network namespaces (fake wpa_supplicant)',
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-wifi-seed-'));
    const world = new SeedP2pWorld('w', dir);
    const { nsA, nsB } = world;
    const devices: DeviceProc[] = [];

    beforeAll(() => world.setUp());

    afterAll(async () => {
      try {
        for (const d of devices) await d.close().catch(() => undefined);
        await world.tearDown();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('persistent group, discovery, p2pConnect, getP2pLinkedInfo, TCP to goIpAddress byte-exact; the GO removing the group ends the client link (GO_ENDING_SESSION) and p2pConnectionChange fires on both sides', async () => {
      const { go: goDaemon, client: clientDaemon } = world.daemons();
      const env = (name: string, ctrl: string): Record<string, string> => ({
        COLINK_WPA_CTRL: ctrl,
        COLINK_DEVICE_NAME: name,
        COLINK_STATE_DIR: fs.mkdtempSync(path.join(dir, `${name}-`)),
        COLINK_TRANSPORTS: 'memory',
        SEED_BYTES: String(BYTES),
      });
      const go = seedDevice('go', nsA, 'test/fixtures/wifi/seed-go.ts', env('go', goDaemon.ctrlPath));
      devices.push(go);
      const created = await go.waitFor((l) => l.event === 'group');
      expect(created.group).toMatchObject({
        isP2pGo: true,
        interface: 'p2p-wlan0-0',
        groupName: expect.stringMatching(/^DIRECT-..-testGroup$/),
        passphrase: '12345678',
        goIpAddress: '192.168.49.1',
        networkId: expect.any(Number),
        ownerInfo: { deviceAddress: goDaemon.deviceAddress, deviceStatus: 0, groupCapabilities: 3 },
      });
      expect((await go.waitFor((l) => l.event === 'connection')).info).toEqual({
        connectState: 1,
        isGroupOwner: true,
        groupOwnerAddr: '192.168.49.1',
      });
      expect(await ip(['-4', '-o', 'addr', 'show', 'dev', 'p2p-wlan0-0'], nsA)).toContain(
        'inet 192.168.49.1/24',
      );

      const client = seedDevice(
        'client',
        nsB,
        'test/fixtures/wifi/seed-client.ts',
        env('client', clientDaemon.ctrlPath),
      );
      devices.push(client);
      const asked = await client.waitFor((l) => l.event === 'p2pConnect');
      expect(asked.device).toMatchObject({
        deviceName: 'my_test_device',
        deviceAddress: goDaemon.deviceAddress,
        deviceStatus: 3,
        groupCapabilities: 3,
      });
      expect((await client.waitFor((l) => l.event === 'connection')).info).toEqual({
        connectState: 1,
        isGroupOwner: false,
        groupOwnerAddr: '192.168.49.1',
      });
      expect((await client.waitFor((l) => l.event === 'linked')).data).toEqual({
        connectState: 1,
        isGroupOwner: false,
        groupOwnerAddr: '192.168.49.1',
      });
      const group = (await client.waitFor((l) => l.event === 'group')).group as Record<string, unknown>;
      expect(group).toMatchObject({
        isP2pGo: false,
        interface: 'p2p-wlan1-0',
        goIpAddress: '192.168.49.1',
        groupName: (created.group as { groupName: string }).groupName,
        ownerInfo: { deviceName: 'my_test_device', deviceAddress: goDaemon.deviceAddress, deviceStatus: 0 },
      });
      const sock = await client.waitFor((l) => l.event === 'socketConnected');
      expect(sock.remote).toBe('192.168.49.1:8888');
      expect(sock.local).toBe('192.168.49.2'); // the first EAPOL-allocated client address
      expect(await ip(['-4', '-o', 'addr', 'show', 'dev', 'p2p-wlan1-0'], nsB)).toContain(
        'inet 192.168.49.2/24',
      );
      const echo = await client.waitFor((l) => l.event === 'echo', { timeoutMs: 60_000 });
      expect(echo).toMatchObject({ bytes: BYTES, exact: true });
      console.info(`wifiManager seed: ${BYTES} bytes echoed client→GO→client over the veth in ${echo.ms} ms`);

      // The GO removes the group.
      go.send({ cmd: 'removeGroup' });
      expect(await go.waitFor((l) => l.event === 'groupRemoved')).toMatchObject({
        reason: 'REQUESTED',
        local: true,
      });
      expect(await client.waitFor((l) => l.event === 'groupRemoved')).toMatchObject({
        reason: 'GO_ENDING_SESSION',
        local: false,
      });
      const disconnected = { connectState: 0, isGroupOwner: false, groupOwnerAddr: '' };
      expect(
        (await go.waitFor((l) => l.event === 'connection' && (l.info as Line).connectState === 0)).info,
      ).toEqual(disconnected);
      expect(
        (await client.waitFor((l) => l.event === 'connection' && (l.info as Line).connectState === 0)).info,
      ).toEqual(disconnected);
      expect(
        (await client.waitFor((l) => l.event === 'linked' && (l.data as Line).connectState === 0)).data,
      ).toEqual(disconnected);
      // the client's group link is gone from its namespace, and so is the GO's
      await expect(ip(['link', 'show', 'p2p-wlan1-0'], nsB)).rejects.toThrow();
      await expect(ip(['link', 'show', 'p2p-wlan0-0'], nsA)).rejects.toThrow();
      // the seed's peer-change handler calls getP2pPeerDevices: that must not feed further peer-change events
      expect(client.lines.filter((l) => l.event === 'peers').length).toBeLessThan(10);
      console.info(JSON.stringify(client.lines.slice(-6)));
    }, 90_000);
  },
);
