import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exited, type Log, lineWaiter, spawnDevice, untilLine } from './device.js';
import { ip, isRoot, ScenarioNetns } from './netns.js';

/** The lab's network: a veth `lab0` (device side) to `gw0` in a second namespace standing for the router. */
const LINK = 'lab0';
const DEVICE_ADDR = '10.77.0.2';
const GATEWAY = '10.77.0.1';
const SEED = ['--import', '@colink/api-compat/register', 'net-device.ts'];

/**
 * The @ohos.net.connection seed (scenarios/net/net-device.ts) as a device process in a network namespace of its
 * own, while the lab adds a network (veth up, address, default route; a connectivity probe served by the "router"
 * namespace) and takes it down again; the seed's callbacks and queries are the transcript. Without root only the
 * read-only queries of this machine's networks run. Returns true when the flow completed.
 */
export async function runNet(log: Log, scenarioDir: string): Promise<boolean> {
  const cwd = path.join(scenarioDir, 'net');
  const scope = new ScenarioNetns('clpn');
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-scenario-net-'));
  scope.defer(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...process.env,
    COLINK_DEVICE_NAME: 'phone',
    COLINK_STATE_DIR: stateDir,
    COLINK_TRANSPORTS: 'memory',
    COLINK_PERMISSIONS: 'GET_NETWORK_INFO,INTERNET',
    ...extra,
  });
  try {
    if (!isRoot()) {
      log('lab', 'not root: this scenario needs root for a network namespace of its own to add and remove a');
      log(
        'lab',
        "network in. Running the read-only part instead: the seed's queries of this machine's networks.",
      );
      const phone = scope.track(spawnDevice(log, 'phone', SEED, { cwd, env: env({ NET_SCENARIO: 'list' }) }));
      log('lab', 'phone: NET_SCENARIO=list node --import @colink/api-compat/register net-device.ts');
      return (await exited(phone)) === 0;
    }
    return await inNamespace(
      log,
      scope,
      cwd,
      env({ COLINK_NET_PROBE_URL: `http://${GATEWAY}/generate_204` }),
    );
  } catch (e) {
    log('lab', (e as Error).message);
    return false;
  } finally {
    const hadNamespaces = isRoot();
    scope.dispose();
    if (hadNamespaces) log('lab', 'network namespaces removed');
  }
}

async function inNamespace(
  log: Log,
  scope: ScenarioNetns,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<boolean> {
  const ns = scope.add();
  const router = scope.add('r');
  log('lab', `network namespaces ${ns} (the device) and ${router} (its router): nothing routes out of them`);
  const run = (netns: string, ...cmd: string[]): void => {
    log('lab', `ip -n ${netns} ${cmd.join(' ')}`);
    ip(netns, ...cmd);
  };
  const lines = lineWaiter();
  const phone = scope.track(spawnDevice(log, 'phone', SEED, { cwd, env, netns: ns, onLine: lines.feed }));
  log('lab', `phone: ip netns exec ${ns} node --import @colink/api-compat/register net-device.ts`);
  await untilLine(lines, phone, (l) => l === 'register success', 'the seed to register');

  log('lab', 'a network comes up: veth, router side, connectivity probe, link up, address, default route');
  run(ns, 'link', 'add', LINK, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', router);
  run(router, 'addr', 'add', `${GATEWAY}/24`, 'dev', 'gw0');
  run(router, 'link', 'set', 'gw0', 'up');
  const routerLines = lineWaiter();
  const probe = scope.track(
    spawnDevice(log, 'router', ['router.mjs'], {
      cwd,
      env: { ...process.env, ROUTER_ADDRESS: GATEWAY },
      netns: router,
      onLine: routerLines.feed,
    }),
  );
  await untilLine(
    routerLines,
    probe,
    (l) => l.startsWith('connectivity probe listening'),
    'the probe server',
  );
  run(ns, 'link', 'set', LINK, 'up');
  run(ns, 'addr', 'add', `${DEVICE_ADDR}/24`, 'dev', LINK);
  run(ns, 'route', 'add', 'default', 'via', GATEWAY, 'dev', LINK);
  await untilLine(
    lines,
    phone,
    (l) => l === 'network queries done',
    'netAvailable, validation and the queries',
  );

  log('lab', 'the network goes down');
  run(ns, 'link', 'set', LINK, 'down');
  await untilLine(lines, phone, (l) => l === 'Network connection disconnected.', 'netLost and unregister');
  return (await exited(phone)) === 0;
}
