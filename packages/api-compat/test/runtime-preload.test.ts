// DeviceRuntime.start() imports the abilities' srcEntry modules in the background (COLINK_PRELOAD_ABILITIES), so the
// first collaboration request does not wait for module loading; abilities are still created only on request.
// Two in-process devices on a memory network (security off: this is about module loading, not trust).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configFromEnv } from '../src/runtime/config.js';
import { DeviceRuntime } from '../src/runtime/runtime.js';
import { startAcceptingPair } from './helpers.js';

interface Probe {
  loads: number;
  creates: number;
}
const probe = (name: string): Probe => {
  const g = globalThis as unknown as Record<string, Probe>;
  g[name] ??= { loads: 0, creates: 0 };
  return g[name];
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An app directory with one ability, `Probe`, whose module counts its loads and onCreate calls in `globalThis[name]`. */
function makeApp(name: string, options: { writeEntry?: boolean } = {}): { dir: string; writeEntry(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-preload-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'AppScope'));
  fs.writeFileSync(path.join(dir, 'AppScope', 'app.json5'), `{ app: { bundleName: 'com.example.${name}' } }`);
  const main = path.join(dir, 'entry', 'src', 'main');
  fs.mkdirSync(path.join(main, 'ets'), { recursive: true });
  fs.writeFileSync(
    path.join(main, 'module.json5'),
    `{ module: { name: 'entry', abilities: [{ name: 'Probe', srcEntry: './ets/Probe.mjs' }] } }`,
  );
  const writeEntry = (): void =>
    fs.writeFileSync(
      path.join(main, 'ets', 'Probe.mjs'),
      `const p = (globalThis[${JSON.stringify(name)}] ??= { loads: 0, creates: 0 });
p.loads++;
export default class Probe {
  onCreate() { p.creates++; }
  onCollaborate() { return 0; }
}
`,
    );
  if (options.writeEntry !== false) writeEntry();
  return { dir, writeEntry };
}

/** Device `b` runs the app (accepting every request), device `a` asks it for a session. */
async function pair(
  name: string,
  appDir: string,
  preloadAbilities: boolean,
): Promise<{ a: DeviceRuntime; b: DeviceRuntime; request(): Promise<void> }> {
  const net = `preload-${name}-${process.pid}`;
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-preload-state-'));
  cleanups.push(() => fs.rmSync(state, { recursive: true, force: true }));
  const base = { ...configFromEnv({}), security: false, transports: ['memory'], memoryNetwork: net };
  const b = new DeviceRuntime({
    ...base,
    deviceName: 'b',
    stateDir: path.join(state, 'b'),
    appDir,
    preloadAbilities,
  });
  const a = new DeviceRuntime({ ...base, deviceName: 'a', stateDir: path.join(state, 'a'), appDir: state });
  await startAcceptingPair(a, b, cleanups);
  await a.waitForDevices(1, 20_000);
  const request = async (): Promise<void> => {
    const s = await a.device.sessions.request({
      peer: b.identity.networkId,
      service: 'preload',
      local: { bundleName: 'com.example.a', moduleName: 'entry', abilityName: 'A' },
      remote: { bundleName: `com.example.${name}`, moduleName: 'entry', abilityName: 'Probe' },
      timeoutMs: 20_000,
    });
    await s.close();
  };
  return { a, b, request };
}

describe('ability modules are preloaded at start', () => {
  it('imports srcEntry at start without creating the ability; the request creates it once', async () => {
    const name = `__colinkPreload1_${process.pid}`;
    const { dir } = makeApp(name);
    const { request } = await pair(name, dir, true);
    // start() alone began the import.
    await vi.waitFor(() => expect(probe(name).loads).toBe(1), { timeout: 20_000 });
    expect(probe(name)).toEqual({ loads: 1, creates: 0 });
    await request();
    await request();
    expect(probe(name)).toEqual({ loads: 1, creates: 1 });
  }, 60_000);

  it('with preloadAbilities off, the module is imported by the first request', async () => {
    const name = `__colinkPreload2_${process.pid}`;
    const { dir } = makeApp(name);
    const { request } = await pair(name, dir, false);
    await new Promise((r) => setTimeout(r, 200));
    expect(probe(name)).toEqual({ loads: 0, creates: 0 });
    await request();
    expect(probe(name)).toEqual({ loads: 1, creates: 1 });
  }, 60_000);

  it('a module that failed to preload is imported again by the request', async () => {
    const name = `__colinkPreload3_${process.pid}`;
    const app = makeApp(name, { writeEntry: false });
    const { b, request } = await pair(name, app.dir, true);
    await b.abilitiesLoaded(); // the file is missing: the preload fails quietly
    expect(probe(name)).toEqual({ loads: 0, creates: 0 });
    app.writeEntry();
    await request();
    expect(probe(name)).toEqual({ loads: 1, creates: 1 });
  }, 60_000);

  it('COLINK_PRELOAD_ABILITIES turns it off (on by default)', () => {
    expect(configFromEnv({}).preloadAbilities).toBe(true);
    expect(configFromEnv({ COLINK_PRELOAD_ABILITIES: 'off' }).preloadAbilities).toBe(false);
    expect(configFromEnv({ COLINK_PRELOAD_ABILITIES: '0' }).preloadAbilities).toBe(false);
    expect(configFromEnv({ COLINK_PRELOAD_ABILITIES: 'on' }).preloadAbilities).toBe(true);
  });
});
