import type { Link } from '@colink/core';
import { encodeFrame, encodeJson, FrameType, RAPID_RESET_BURST } from '@colink/core/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { linkEnhanceService } from '../src/link-enhance/registry.js';
import { LINK_ENHANCE_PROTO } from '../src/link-enhance/service.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, memoryRuntime } from './helpers.js';

// Review of core's rapid-reset bound (RAPID_RESET_BURST) from linkEnhance's side: the linkEnhance server sends its
// 'accepted' answer on every incoming channel at once, before the app's `connectionAccepted` handler runs, so when a
// channel counted as churned only while this side had not sent on it, no linkEnhance channel was ever counted
// (review9). A channel the peer resets without having sent a message on it now counts whether answered or not.

const runtimes: DeviceRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  cleanupDirs();
});

describe('linkEnhance server vs a rapid-reset peer: review', () => {
  // Before the fix all 2 × 4,096 + 1 channels reached the app's handler and the Link stayed open.
  it('a peer opening and resetting linkEnhance connections in a loop is bounded like any other channel', {
    timeout: 120_000,
  }, async () => {
    const net = `le-rr-${Math.random()}`;
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
    const reset = Uint8Array.of(0); // close payload: code normal, no message
    const n = 2 * RAPID_RESET_BURST + 1;
    for (let k = 0; k < n; k++) {
      const id = first + 2 * (k % 8_000);
      link.sendFrame(encodeFrame(FrameType.OPEN, 0, id, 0, meta));
      link.sendFrame(encodeFrame(FrameType.RESET, 0, id, 0, reset));
      if (k % 500 === 499) await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    // Bounded: the Link closes (GOAWAY protocol-error) after about the burst, like OPEN + RESET of any channel.
    expect(accepted).toBeLessThan(n);
    expect(link.state).not.toBe('open');
    expect((await link.closed).message).toMatch(/rapid reset/);
  });
});
