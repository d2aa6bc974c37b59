import type { Link } from '@colink/core';
import { encodeFrame, encodeJson, FrameType, RAPID_RESET_BURST } from '@colink/core/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { linkEnhanceService } from '../src/link-enhance/registry.js';
import { LINK_ENHANCE_PROTO } from '../src/link-enhance/service.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, memoryRuntime } from './helpers.js';

// Review (session 10) of core's rapid-reset bound from linkEnhance's side: session 10 made a RESET of a linkEnhance
// channel the peer sent nothing on count although the server had answered 'accepted'; the same churn with CLOSE in
// place of RESET (OPEN + CLOSE, no message from the peer) was still exempt, so the bound still did not hold.

const runtimes: DeviceRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  cleanupDirs();
});

describe('linkEnhance server vs a peer churning with CLOSE: review', () => {
  // Before the fix all 2 × 4,096 + 1 channels reached the app's handler and the Link stayed open.
  it('a peer opening and closing linkEnhance connections in a loop (no message) is bounded like OPEN + RESET', {
    timeout: 120_000,
  }, async () => {
    const net = `le-cc-${Math.random()}`;
    const a = memoryRuntime('server-dev', { COLINK_MEMORY_NETWORK: net }, false);
    const b = memoryRuntime('client-dev', { COLINK_MEMORY_NETWORK: net }, false);
    runtimes.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await b.waitForDevices(1);
    const server = linkEnhanceService(a).createServer('demo');
    let accepted = 0;
    server.on('connectionAccepted', () => accepted++);
    server.start();
    // The hostile peer: b's Link to a, driven by hand with Link-channel ids of b's parity.
    const link: Link = await b.device.connect(a.device.advert.networkId);
    const first = link.opensOddIds ? 3 : 2;
    const meta = encodeJson({ proto: LINK_ENHANCE_PROTO, name: 'demo', from: '00:11:22:33:44:55' });
    const normal = Uint8Array.of(0); // close payload: code normal, no message
    const n = 2 * RAPID_RESET_BURST + 1;
    for (let k = 0; k < n && link.state === 'open'; k++) {
      const id = first + 2 * (k % 8_000);
      link.sendFrame(encodeFrame(FrameType.OPEN, 0, id, 0, meta));
      link.sendFrame(encodeFrame(FrameType.CLOSE, 0, id, 0, normal));
      if (k % 500 === 499) await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(accepted).toBeLessThan(n);
    expect(link.state).not.toBe('open');
    expect((await link.closed).message).toMatch(/rapid reset/);
  });
});
