import { VirtualClock } from '@colink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeviceManager } from '../src/distributedDeviceManager.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, thrownCode as code, memoryRuntime } from './helpers.js';

const runtimes: DeviceRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  cleanupDirs();
});

describe('distributedDeviceManager discovery time limit (harmony-api.md §5), in virtual time', () => {
  it('startDiscovering ends by itself after 2 minutes: busy (11600104) until then, free after', async () => {
    const clock = new VirtualClock();
    const rt = memoryRuntime('dm-time', { COLINK_MEMORY_NETWORK: `dm-${Math.random()}` }, true, {
      scheduler: clock,
    });
    runtimes.push(rt);
    await rt.start();
    const dm = createDeviceManager('com.example.collab');
    dm.startDiscovering({});
    expect(code(() => dm.startDiscovering({}))).toBe(11600104);
    await clock.advance(119_999);
    expect(code(() => dm.startDiscovering({}))).toBe(11600104);
    await clock.advance(1);
    expect(code(() => dm.startDiscovering({}))).toBe('no throw');
    dm.stopDiscovering();
    dm.startDiscovering({}); // stopDiscovering frees it at once too
    dm.stopDiscovering();
  });
});
