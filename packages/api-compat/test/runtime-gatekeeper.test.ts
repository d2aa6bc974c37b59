// COLINK_TCP_GATEKEEPER: a HarmonyOS device process can listen through transport-tcp's gatekeeper process. Two
// in-process runtimes over TCP on loopback (mDNS in loopback mode on a private port; security off: this is about
// where the listener runs); `b` listens behind the gatekeeper and `a` reaches it with a collaboration request.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TcpTransport } from '@colink/transport-tcp';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromEnv } from '../src/runtime/config.js';
import { DeviceRuntime } from '../src/runtime/runtime.js';
import { startAcceptingPair } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('COLINK_TCP_GATEKEEPER', () => {
  it('is off by default and on with on / 1 / true', () => {
    expect(configFromEnv({}).tcpGatekeeper).toBe(false);
    for (const v of ['on', '1', 'true', 'ON'])
      expect(configFromEnv({ COLINK_TCP_GATEKEEPER: v }).tcpGatekeeper).toBe(true);
    expect(configFromEnv({ COLINK_TCP_GATEKEEPER: 'off' }).tcpGatekeeper).toBe(false);
  });

  it('puts the TCP listener in the gatekeeper process; a request from a peer reaches the device through it', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-gk-runtime-'));
    cleanups.push(() => fs.rmSync(state, { recursive: true, force: true }));
    const base = {
      ...configFromEnv({ COLINK_MDNS_INTERFACE: '127.0.0.1' }),
      mdnsPort: 20_000 + Math.floor(Math.random() * 20_000),
      security: false,
      transports: ['tcp'],
      appDir: state,
    };
    const b = new DeviceRuntime({
      ...base,
      deviceName: 'b',
      stateDir: path.join(state, 'b'),
      tcpGatekeeper: true,
    });
    const a = new DeviceRuntime({ ...base, deviceName: 'a', stateDir: path.join(state, 'a') });
    await startAcceptingPair(a, b, cleanups);
    const tcpB = b.device.transports[0] as TcpTransport;
    const tcpA = a.device.transports[0] as TcpTransport;
    expect(tcpB.gatekeeperStats?.pid).toBeGreaterThan(0);
    expect(tcpB.gatekeeperStats?.pid).not.toBe(process.pid);
    expect(tcpA.gatekeeperStats).toBeUndefined(); // the default
    await a.waitForDevices(1, 20_000);
    // A collaboration request reaches b's device through the gatekeeper (b runs no app here, so it is declined).
    const asked = await a.device.sessions
      .request({
        peer: b.identity.networkId,
        service: 'gatekeeper',
        local: { bundleName: 'com.example.a', moduleName: 'entry', abilityName: 'A' },
        remote: { bundleName: 'com.example.b', moduleName: 'entry', abilityName: 'B' },
        timeoutMs: 20_000,
      })
      .catch((e: Error) => e);
    expect(String(asked)).toContain('no ability com.example.b/entry/B on this device');
    expect(a.device.links().filter((l) => l.state === 'open')).toHaveLength(1);
    for (let i = 0; i < 100 && (tcpB.gatekeeperStats?.handed ?? 0) < 1; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(tcpB.gatekeeperStats!.handed).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
