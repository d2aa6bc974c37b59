// What one handover test sets up, and takes down again in reverse order (best effort): namespaces and veths, the
// virtual BLE radio, the fake Wi-Fi P2P medium, device processes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VirtualRadio } from '@colink/transport-ble/virtual';
import { FakeP2pMedium } from '@colink/transport-wifi-p2p/testing';
import type { DeviceConfig } from '../fixtures/handover/device.js';
import { type DeviceProc, type Line, startCoreDevice, startHarmonyDevice } from './device-proc.js';
import { namespace, type VethPair, vethPair } from './netns.js';
import { bleRadio } from './radio.js';

export class HandoverLab {
  private readonly cleanups: Array<() => unknown> = [];
  private p2p: { medium: FakeP2pMedium; dir: string } | undefined;

  /** Runs `fn` at {@link tearDown} (last registered, first run). */
  defer(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  /** {@link vethPair}, removed at tear-down. */
  async veth(tag: string, subnet: string): Promise<VethPair> {
    const pair = await vethPair(tag, subnet);
    this.defer(() => pair.remove());
    return pair;
  }

  /** {@link namespace}, removed at tear-down. */
  async namespace(tag: string): Promise<string> {
    const ns = await namespace(tag);
    this.defer(() => ns.remove());
    return ns.name;
  }

  /** A virtual BLE radio behind a broker ({@link bleRadio}), closed at tear-down. */
  async radio(): Promise<{ radio: VirtualRadio; socketPath: string }> {
    const r = await bleRadio();
    this.defer(() => r.close());
    return { radio: r.radio, socketPath: r.broker.socketPath };
  }

  /**
   * Starts a core-level device (test/fixtures/handover/device.ts) in `netns`; waits for its `ready` line. `p2p`: it
   * also gets a fake wpa_supplicant (interface `p2p.ifname`) on this lab's Wi-Fi P2P medium, whose group data path
   * is a veth the fake builds between the namespaces.
   */
  async coreDevice(
    config: Omit<DeviceConfig, 'stateDir' | 'p2p'>,
    netns: string | undefined,
    p2p?: { ifname: string; goIntent: number },
  ): Promise<{ proc: DeviceProc; ready: Line }> {
    let p2pConfig: DeviceConfig['p2p'];
    if (p2p) {
      if (!this.p2p) {
        const lab = {
          medium: new FakeP2pMedium({ dataPath: 'netns' }),
          dir: fs.mkdtempSync(path.join(os.tmpdir(), 'colink-handover-')),
        };
        this.p2p = lab;
        this.defer(async () => {
          await lab.medium.close();
          fs.rmSync(lab.dir, { recursive: true, force: true });
          this.p2p = undefined;
        });
      }
      const daemon = this.p2p.medium.addDaemon({
        ctrlDir: path.join(this.p2p.dir, `ctrl-${config.name}`),
        ifname: p2p.ifname,
        deviceName: config.name,
        ...(netns ? { netns } : {}),
      });
      p2pConfig = { ctrlPath: daemon.ctrlPath, goIntent: p2p.goIntent };
    }
    const proc = startCoreDevice({ ...config, ...(p2pConfig ? { p2p: p2pConfig } : {}) }, netns);
    this.defer(() => proc.close());
    return { proc, ready: await proc.next('ready', { timeoutMs: 60_000, from: 0 }) };
  }

  /** Starts a HarmonyOS device (test/fixtures/handover/harmony-device.ts) in `netns`; waits for its `ready` line. */
  async harmonyDevice(
    name: string,
    env: Record<string, string>,
    netns?: string,
  ): Promise<{ proc: DeviceProc; ready: Line }> {
    const proc = startHarmonyDevice(name, env, netns);
    this.defer(() => proc.close());
    return { proc, ready: await proc.next('ready', { timeoutMs: 30_000, from: 0 }) };
  }

  /** Undoes everything, last first; a failing step does not stop the others. */
  async tearDown(): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // best effort
      }
    }
  }
}

/**
 * The Wi-Fi P2P handover set-up: namespaces `a` and `b` joined by a TCP veth (`<subnet>.1` in a, `<subnet>.2` in b),
 * a core-level device in each on TCP (the same port in both) and Wi-Fi P2P through the lab's fake medium, `a` the
 * group owner (GO intent 15 against 0); received messages reported every 5.
 */
export async function p2pDevices(
  lab: HandoverLab,
  tag: string,
  subnet: string,
  netMonitor = false,
): Promise<{ pair: VethPair; tcpPort: number; a: DeviceProc; b: DeviceProc; ra: Line; rb: Line }> {
  const pair = await lab.veth(tag, subnet);
  const tcpPort = 47_000 + (process.pid % 1000);
  const start = (side: 'a' | 'b') =>
    lab.coreDevice(
      {
        name: `dev-${side}`,
        account: 'handover-account',
        tcp: { host: side === 'a' ? pair.addrA : pair.addrB, port: tcpPort },
        netMonitor,
        progressEvery: 5,
      },
      side === 'a' ? pair.a : pair.b,
      { ifname: side === 'a' ? 'wlan0' : 'wlan1', goIntent: side === 'a' ? 15 : 0 },
    );
  const [{ proc: a, ready: ra }, { proc: b, ready: rb }] = await Promise.all([start('a'), start('b')]);
  return { pair, tcpPort, a, b, ra, rb };
}
