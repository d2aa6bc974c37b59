import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { spawnDevice } from './scenarios/device.js';
import { runNet } from './scenarios/net.js';
import { runP2p } from './scenarios/p2p.js';
import { transcript } from './transcript.js';

/** Headless seed scenarios (`pnpm start -- --scenario <name>`). */
export const SCENARIOS: Readonly<Record<string, string>> = {
  acm: 'abilityConnectionManager: the seed flow between two device processes over TCP on loopback',
  linkEnhance: 'linkEnhance: the seed server and client as two device processes on one virtual BLE radio',
  net: '@ohos.net.connection: the seed in a namespace of its own while the lab adds a network and takes it down',
  p2p: 'Wi-Fi P2P: the seed between two device processes (own namespaces as root, loopback otherwise), fake wpa_supplicants, TCP over the group',
};

const SCENARIO_DIR = path.resolve(import.meta.dirname, '..', 'scenarios');

/** Runs a scenario and prints its transcript. Exits non-zero when it fails. */
export async function runScenario(name: string): Promise<void> {
  if (!(name in SCENARIOS))
    throw new Error(`unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
  if (name === 'linkEnhance') return runLinkEnhance();
  if (name === 'net' || name === 'p2p') {
    process.stdout.write(`scenario ${name} — ${SCENARIOS[name]}\n\n`);
    const log = transcript();
    const ok = await (name === 'net' ? runNet : runP2p)(log, SCENARIO_DIR);
    log('lab', ok ? 'scenario complete' : 'scenario failed');
    if (!ok) process.exitCode = 1;
    return;
  }
  process.stdout.write(`scenario acm — ${SCENARIOS.acm}\n\n`);
  const log = transcript();
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const require = createRequire(import.meta.url);
  const apiCompat = path.dirname(require.resolve('@colink/api-compat/package.json'));
  const env = (device: string, type: string): NodeJS.ProcessEnv => ({
    ...process.env,
    COLINK_DEVICE_NAME: device,
    COLINK_DEVICE_TYPE: type,
    COLINK_STATE_DIR: stateDir(device),
    COLINK_TRANSPORTS: 'tcp',
    COLINK_MDNS_INTERFACE: '127.0.0.1',
    COLINK_MDNS_PORT: String(port),
    COLINK_APP_DIR: path.join(SCENARIO_DIR, 'acm', 'app'),
    COLINK_ACCOUNT: 'colink-scenario-account',
  });
  const dir = path.join(SCENARIO_DIR, 'acm');
  const tablet = spawnDevice(log, 'tablet', [path.join(apiCompat, 'dist/bin/colink-device.js')], {
    cwd: dir,
    env: env('tablet', 'tablet'),
  });
  log('lab', `tablet: colink-device runs the HarmonyOS app in scenarios/acm/app (mDNS 127.0.0.1:${port})`);
  const phone = spawnDevice(log, 'phone', ['--import', '@colink/api-compat/register', 'device-a.ts'], {
    cwd: dir,
    env: env('phone', 'phone'),
  });
  log('lab', 'phone: node --import @colink/api-compat/register device-a.ts');
  const code = await new Promise<number | null>((resolve) => phone.on('exit', resolve));
  await new Promise((r) => setTimeout(r, 300));
  tablet.kill('SIGTERM');
  await new Promise((r) => tablet.on('exit', r));
  log('lab', code === 0 ? 'scenario complete' : `phone exited with ${code}`);
  if (code !== 0) process.exitCode = 1;
}

/** linkEnhance seed: server device 00:11:22:33:44:55 and a client device, both on one virtual BLE radio. */
async function runLinkEnhance(): Promise<void> {
  process.stdout.write(`scenario linkEnhance — ${SCENARIOS.linkEnhance}\n\n`);
  const log = transcript();
  const { RadioBroker, VirtualRadio } = await import('@colink/transport-ble/virtual');
  const radio = new VirtualRadio({
    model: { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: 15 },
    advertisingIntervalMs: 100,
  });
  const broker = await RadioBroker.listen(radio);
  log('lab', `virtual LE radio (2M PHY, DLE, 15 ms interval) shared through ${broker.socketPath}`);
  const dir = path.join(SCENARIO_DIR, 'linkEnhance');
  const env = (device: string, mac: string): NodeJS.ProcessEnv => ({
    ...process.env,
    COLINK_DEVICE_NAME: device,
    COLINK_STATE_DIR: stateDir(device),
    COLINK_TRANSPORTS: 'ble',
    COLINK_BLE_RADIO: broker.socketPath,
    COLINK_BLE_ADDRESS: mac,
    COLINK_ACCOUNT: 'colink-scenario-account',
  });
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const server = spawnDevice(log, 'server', ['--import', '@colink/api-compat/register', 'server-device.ts'], {
    cwd: dir,
    env: env('server', '00:11:22:33:44:55'),
    onLine: (line) => {
      if (line.startsWith('disconnected')) finished();
    },
  });
  log('lab', 'server (BLE 00:11:22:33:44:55): node --import @colink/api-compat/register server-device.ts');
  await new Promise((r) => setTimeout(r, 800));
  const client = spawnDevice(log, 'client', ['--import', '@colink/api-compat/register', 'client-device.ts'], {
    cwd: dir,
    env: env('client', '00:11:22:33:44:66'),
  });
  log('lab', 'client (BLE 00:11:22:33:44:66): node --import @colink/api-compat/register client-device.ts');
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([
    done.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), 45_000);
    }),
  ]);
  clearTimeout(timer);
  client.kill('SIGTERM');
  server.kill('SIGTERM');
  await Promise.all([new Promise((r) => client.on('exit', r)), new Promise((r) => server.on('exit', r))]);
  await broker.close();
  radio.close();
  log('lab', ok ? 'scenario complete' : 'the client never disconnected (timed out)');
  if (!ok) process.exitCode = 1;
}

/** A fresh state directory for a device process (identity, app files), removed when this process exits. */
function stateDir(device: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `colink-scenario-${device}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
