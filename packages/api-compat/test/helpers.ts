import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RuntimeConfig } from '../src/runtime/config.js';
import { DeviceRuntime, setRuntime } from '../src/runtime/runtime.js';

const dirs: string[] = [];

/** A runtime on an in-process memory network, with its own state dir; made current unless `current` is false. */
export function memoryRuntime(
  name: string,
  extra: Record<string, string> = {},
  current = true,
  config: Partial<RuntimeConfig> = {},
): DeviceRuntime {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `colink-acm-${name}-`));
  dirs.push(stateDir);
  const rt = new DeviceRuntime(config, {
    COLINK_DEVICE_NAME: name,
    COLINK_DEVICE_TYPE: 'phone',
    COLINK_STATE_DIR: stateDir,
    COLINK_TRANSPORTS: 'memory',
    COLINK_MEMORY_NETWORK: extra.COLINK_MEMORY_NETWORK ?? `net-${process.pid}`,
    COLINK_APP_DIR: stateDir,
    COLINK_BUNDLE_NAME: 'com.example.collab',
    COLINK_SECURITY: 'off',
    ...extra,
  });
  if (current) setRuntime(rt);
  return rt;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** The `code` of what `fn` throws (an `Error`: a BusinessError); `'no throw'` when it returns. */
export function thrownCode(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Error)) throw new Error(`threw a non-Error: ${String(e)}`);
    return (e as { code?: unknown }).code;
  }
  return 'no throw';
}

/** The `code` a promise rejects with; throws when it resolves. */
export async function rejectionCode(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: unknown }).code;
  }
  throw new Error('resolved, expected a rejection');
}

/** `'ok'` when the promise resolves, else the `code` it rejects with (for calls that race each other). */
export function settledCode(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => 'ok',
    (e: { code?: unknown }) => e.code,
  );
}

/** The first value `register` passes to its callback (an `on(type, cb)` listener). */
export function once<T>(register: (cb: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

/**
 * Starts `b` accepting every collaboration request, then `a`; `cleanups` gets a step that stops both (a first).
 */
export async function startAcceptingPair(
  a: DeviceRuntime,
  b: DeviceRuntime,
  cleanups: Array<() => Promise<void> | void>,
): Promise<void> {
  b.onCollaboration((req) => void req.accept());
  await b.start();
  await a.start();
  cleanups.push(async () => {
    await a.stop();
    await b.stop();
  });
}
