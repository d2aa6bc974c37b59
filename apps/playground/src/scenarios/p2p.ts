import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeP2pMedium } from '@colink/transport-wifi-p2p/testing';
import { exited, type Log, lineWaiter, spawnDevice, untilLine } from './device.js';
import { ip, isRoot, ScenarioNetns } from './netns.js';

/** How long the two devices may take from the client's start to both having exited. */
const FLOW_TIMEOUT_MS = 25_000;

/**
 * The Wi-Fi P2P seed (scenarios/p2p): a group owner and a client device process, each driving its own fake
 * wpa_supplicant, served by this process on one {@link FakeP2pMedium}. As root each device runs in a network
 * namespace of its own and the group is a real veth between them; otherwise both run here and the group lives on
 * loopback (the GO is told its 127/8 group address by `COLINK_P2P_GO_ADDRESS`). Returns true when both devices
 * completed the flow (group, connection, bytes echoed over the group, group removed).
 */
export async function runP2p(log: Log, scenarioDir: string): Promise<boolean> {
  const root = isRoot();
  const cwd = path.join(scenarioDir, 'p2p');
  const scope = new ScenarioNetns('clpp');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-scenario-p2p-'));
  scope.defer(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const medium = new FakeP2pMedium({ dataPath: root ? 'netns' : 'loopback' });
  try {
    const nsGo = root ? scope.add('g') : undefined;
    const nsClient = root ? scope.add('c') : undefined;
    /** Non-root: the group's /24 in 127/8, from this process's pid (parallel runs do not meet). */
    const goAddress = `127.${16 + (process.pid % 239)}.${1 + (Math.floor(process.pid / 239) % 254)}.1`;
    if (root)
      log(
        'lab',
        `network namespaces ${nsGo} (group owner) and ${nsClient} (client); the group will be a veth`,
      );
    else
      log(
        'lab',
        `not root: both devices in this namespace, the group on loopback (group owner ${goAddress})`,
      );
    const device = (
      who: string,
      deviceName: string,
      ifname: string,
      ns: string | undefined,
      script: string,
      extraEnv: Record<string, string> = {},
    ) => {
      const daemon = medium.addDaemon({ ctrlDir: path.join(tmp, ifname), ifname, deviceName, netns: ns });
      log('lab', `${who}: fake wpa_supplicant ${ifname} "${deviceName}" (${daemon.deviceAddress})`);
      const lines = lineWaiter();
      const child = spawnDevice(log, who, ['--import', '@colink/api-compat/register', script], {
        cwd,
        env: {
          ...process.env,
          COLINK_WPA_CTRL: daemon.ctrlPath,
          COLINK_DEVICE_NAME: who,
          COLINK_STATE_DIR: fs.mkdtempSync(path.join(tmp, `${who}-`)),
          COLINK_TRANSPORTS: 'memory',
          ...extraEnv,
        },
        netns: ns,
        onLine: lines.feed,
      });
      const prefix = ns
        ? `ip netns exec ${ns} `
        : Object.entries(extraEnv)
            .map(([k, v]) => `${k}=${v} `)
            .join('');
      log('lab', `${who}: ${prefix}node --import @colink/api-compat/register ${script}`);
      return { child: scope.track(child), lines };
    };
    /** Logs the IPv4 address of a group interface, as the kernel of `ns` has it (there is none on loopback). */
    const showAddress = (ns: string | undefined, ifname: string): void => {
      if (!ns) return;
      let inet: string | undefined;
      try {
        inet = ip(ns, '-4', '-o', 'addr', 'show', 'dev', ifname).match(/inet (\S+)/)?.[1];
      } catch {
        // already gone
      }
      log('lab', `ip -n ${ns} addr show ${ifname}: ${inet ?? 'no IPv4 address'}`);
    };

    const go = device(
      'go',
      'my_test_device',
      'wlan0',
      nsGo,
      'go-device.ts',
      root ? {} : { COLINK_P2P_GO_ADDRESS: goAddress },
    );
    await untilLine(
      go.lines,
      go.child,
      (l) => l.startsWith('echo server on'),
      'the group and its echo server',
    );
    showAddress(nsGo, 'p2p-wlan0-0');
    const client = device('client', 'seed-client', 'wlan1', nsClient, 'client-device.ts');
    await untilLine(client.lines, client.child, (l) => l.startsWith('socket '), 'the socket over the group');
    showAddress(nsClient, 'p2p-wlan1-0');
    const codes = await Promise.race([
      Promise.all([exited(client.child), exited(go.child)]),
      new Promise<never>((_, reject) => {
        const what = `timed out after ${FLOW_TIMEOUT_MS / 1000} s: the devices did not finish`;
        setTimeout(() => reject(new Error(what)), FLOW_TIMEOUT_MS).unref();
      }),
    ]);
    if (codes.some((c) => c !== 0)) log('lab', `device exit codes: client ${codes[0]}, go ${codes[1]}`);
    return codes.every((c) => c === 0);
  } catch (e) {
    log('lab', (e as Error).message);
    return false;
  } finally {
    await medium.close().catch(() => undefined);
    scope.dispose();
    if (root) log('lab', 'network namespaces removed');
  }
}
