import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RadioBroker, VirtualRadio } from '@colink/transport-ble/virtual';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceEnv, type Proc, randomPort, start, stderrIncludes } from './procs.js';

// The linkEnhance seed's server and client examples, unchanged, as two Node processes through the register hook:
// once over TCP on loopback, once over the virtual BLE radio (real noble/bleno host stacks in each process, one
// radio shared through a broker on a unix socket). The server device's BLE MAC is the seed's 00:11:22:33:44:55.
const procs: Proc[] = [];
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const c of cleanups) c();
});

const SERVER_MAC = '00:11:22:33:44:55';

async function runSeed(env: (name: string, mac: string) => Record<string, string>): Promise<void> {
  const server = start(
    ['--import', '@colink/api-compat/register', 'test/fixtures/link-enhance/server-device.ts'],
    env('server', SERVER_MAC),
  );
  procs.push(server);
  await stderrIncludes(server, 'start sever name = demo');
  const client = start(
    ['--import', '@colink/api-compat/register', 'test/fixtures/link-enhance/client-device.ts'],
    env('client', '00:11:22:33:44:66'),
  );
  procs.push(client);
  await stderrIncludes(client, 'clientConnectResultCallback result = true');
  await stderrIncludes(server, 'serverOnCallback = ');
  await stderrIncludes(server, 'recv dataLen = 1');
  await stderrIncludes(server, 'disconnected, num = 0');
  // The seed concatenates the id onto a format with a specifier and passes no argument: HarmonyOS's hilog then
  // prints the format as it is (hiviewdfx_hilog JS binding), and so does colink's.
  expect(client.stderr.join('')).toContain(`peerDeviceId=%{public}s${SERVER_MAC}`);
  client.child.kill('SIGTERM');
  server.child.kill('SIGTERM');
}

describe('linkEnhance when the peer process dies', () => {
  it('a client sees disconnected (32390300) when the server process is killed with SIGKILL', async () => {
    const port = randomPort();
    // The connection is a channel of the peer connection: `disconnected` fires once no Link has returned within the
    // grace period (1 s here instead of the default 10 s).
    const env = (name: string, mac: string) => ({
      ...deviceEnv(name, 'phone', port),
      COLINK_BLE_ADDRESS: mac,
      COLINK_PEER_GRACE_MS: '1000',
    });
    const server = start(
      ['--import', '@colink/api-compat/register', 'test/fixtures/link-enhance/server-device.ts'],
      env('victim', SERVER_MAC),
    );
    procs.push(server);
    await stderrIncludes(server, 'start sever name = demo');
    const client = start(
      ['--import', '@colink/api-compat/register', 'test/fixtures/link-enhance/client-stays.ts'],
      env('survivor', '00:11:22:33:44:77'),
    );
    procs.push(client);
    await stderrIncludes(client, 'connectResult success=true reason=0');
    server.child.kill('SIGKILL');
    await stderrIncludes(client, 'disconnected code=32390300');
    client.child.kill('SIGTERM');
  }, 60_000);
});

describe('linkEnhance seed across two processes', () => {
  it('over TCP on loopback', async () => {
    const port = randomPort();
    await runSeed((name, mac) => ({ ...deviceEnv(name, 'phone', port), COLINK_BLE_ADDRESS: mac }));
  }, 60_000);

  it('over the virtual BLE radio', async () => {
    const radio = new VirtualRadio({
      model: { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: 15 },
      advertisingIntervalMs: 100,
    });
    const broker = await RadioBroker.listen(radio);
    cleanups.push(() => {
      void broker.close();
      radio.close();
    });
    const stateDir = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `colink-le-${name}-`));
    await runSeed((name, mac) => ({
      COLINK_DEVICE_NAME: name,
      COLINK_STATE_DIR: stateDir(name),
      COLINK_TRANSPORTS: 'ble',
      COLINK_BLE_RADIO: broker.socketPath,
      COLINK_BLE_ADDRESS: mac,
      COLINK_ACCOUNT: 'colink-test-account',
    }));
  }, 60_000);
});
