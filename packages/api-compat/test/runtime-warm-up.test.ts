// DeviceRuntime.start() runs the connect path once in the background (COLINK_WARM_UP): two throwaway devices on
// 127.0.0.1 open a Link and a session, and the device's own TLS upgrade runs against itself over a loopback TCP pair,
// so the first real connect does not pay for the first use of that code. Real sockets on loopback, nothing mocked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDeviceSecurity } from '@colink/core/security';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromEnv } from '../src/runtime/config.js';
import { DeviceRuntime } from '../src/runtime/runtime.js';
import { warmUpConnectPath } from '../src/runtime/warm-up.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-warm-up-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('connect path warm-up', () => {
  it('runs a session between two throwaway devices and the TLS upgrade against this device itself', async () => {
    const security = await createDeviceSecurity({ stateDir: tmpDir(), account: 'warm-up-test' });
    const trust: unknown[] = [];
    const sub = security.trust$.subscribe((t) => trust.push(t));
    const result = await warmUpConnectPath(security);
    sub.unsubscribe();
    expect(result.error).toBeUndefined();
    expect(result.steps).toEqual(['session', 'trust', 'tls']);
    // The self-handshake is refused before any trust decision: nothing is recorded as trusted or bound.
    expect(trust).toEqual([]);
    expect(security.isBound(security.networkId)).toBe(false);
  }, 60_000);

  it('without security it runs the session step only', async () => {
    const result = await warmUpConnectPath(undefined);
    expect(result).toMatchObject({ steps: ['session'] });
    expect(result.error).toBeUndefined();
  }, 60_000);

  it('start() begins it in the background and leaves the device as it was; warmUp off starts none', async () => {
    const net = `warm-up-${process.pid}`;
    const base = { ...configFromEnv({}), security: false, transports: ['memory'], memoryNetwork: net };
    const on = new DeviceRuntime({
      ...base,
      deviceName: 'on',
      stateDir: tmpDir(),
      appDir: tmpDir(),
      warmUp: true,
    });
    const off = new DeviceRuntime({
      ...base,
      deviceName: 'off',
      stateDir: tmpDir(),
      appDir: tmpDir(),
      warmUp: false,
    });
    cleanups.push(async () => {
      await on.stop();
      await off.stop();
    });
    await Promise.all([on.start(), off.start()]);
    const result = await on.connectPathWarmed();
    expect(result?.steps).toEqual(['session']);
    expect(await off.connectPathWarmed()).toBeUndefined();
    // The throwaway devices never show up on this device: no Links, no sessions, only the real peer in the directory.
    expect(on.device.links()).toEqual([]);
    expect(on.device.sessions.list()).toEqual([]);
    for (const d of on.device.directory.list()) expect(d.deviceName).not.toMatch(/^warm-up-/);
  }, 60_000);
});
