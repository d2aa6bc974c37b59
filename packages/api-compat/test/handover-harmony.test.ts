import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backInRange, canNetns, type DeviceProc, HandoverLab, outOfRange, run } from './handover/index.js';
import { randomPort } from './procs.js';

// Issue 15: every medium stays down longer than the grace period, between two HarmonyOS device processes (the
// register hook, @kit.* imports) on TCP and the virtual BLE radio. Both run in a network namespace of this test's
// own, so TCP can be taken down from outside: its loopback interface goes down and the kernel's TCP sockets in it are
// killed (`ss -K`, what an interface-loss event does to a Link) — hence root; the BLE side leaves range on the radio.

const GRACE_MS = 2_000;
/** NETWORK_DISCONNECTED of abilityConnectionManager's DisconnectReason (API 18, harmony-api.md §1). */
const NETWORK_DISCONNECTED = 2;
/** linkEnhance's code in `disconnected` for a link that failed (harmony-api.md §2.3; 32390300 internal error). */
const LINK_ENHANCE_INTERNAL_ERROR = 32390300;
const MAC_A = 'AA:00:00:00:15:A1';
const MAC_B = 'BB:00:00:00:15:B2';

const lab = new HandoverLab();
afterEach(() => lab.tearDown(), 60_000);

const root = canNetns();
if (!root)
  console.warn('handover-harmony: needs root and `ip netns` (TCP is taken down in a namespace): skipped');

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

async function memory(d: DeviceProc): Promise<{ heapUsed: number; arrayBuffers: number; rss: number }> {
  const m = await d.ask({ cmd: 'memory' }, 'memory', { timeoutMs: 10_000 });
  return m as unknown as { heapUsed: number; arrayBuffers: number; rss: number };
}

describe('two HarmonyOS device processes when every medium stays down past the grace period', () => {
  // Written reason for skipIf: the TCP cut needs a network namespace (root); printed above when skipped.
  it.skipIf(!root)(
    'BLE down past the grace period while TCP carries: nothing ends; then every medium down: acm disconnect fires once with NETWORK_DISCONNECTED, linkEnhance disconnected once with 32390300; nothing hangs; memory returns to idle',
    async () => {
      const ns = await lab.namespace('h');
      const { radio, socketPath } = await lab.radio();
      const port = randomPort();
      const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-ho-app-'));
      lab.defer(() => fs.rmSync(appDir, { recursive: true, force: true }));
      const env = (role: string, mac: string): Record<string, string> => ({
        HO_ROLE: role,
        HO_PEER_MAC: MAC_B,
        COLINK_DEVICE_NAME: `ho-${role}`,
        COLINK_DEVICE_TYPE: 'phone',
        COLINK_STATE_DIR: path.join(appDir, `state-${role}`),
        COLINK_APP_DIR: appDir,
        COLINK_BUNDLE_NAME: 'com.example.handover',
        COLINK_TRANSPORTS: 'tcp,ble',
        COLINK_MDNS_INTERFACE: '127.0.0.1',
        COLINK_MDNS_PORT: String(port),
        COLINK_BLE_RADIO: socketPath,
        COLINK_BLE_ADDRESS: mac,
        COLINK_ACCOUNT: 'colink-handover-test',
        COLINK_PEER_GRACE_MS: String(GRACE_MS),
        COLINK_HILOG_LEVEL: 'WARN',
      });
      const { proc: b } = await lab.harmonyDevice('b', env('b', MAC_B), ns);
      const { proc: a } = await lab.harmonyDevice('a', env('a', MAC_A), ns);

      // Idle: started, b discovered, no Link yet.
      const idle = await memory(a);
      a.send({ cmd: 'connect' });
      expect(await a.waitFor((l) => l.event === 'acm-connected', { timeoutMs: 30_000 })).toMatchObject({
        isConnected: true,
      });
      expect((await a.waitFor((l) => l.event === 'le-connected', { timeoutMs: 30_000 })).success).toBe(true);
      await b.waitFor((l) => l.event === 'le-accepted');
      a.send({ cmd: 'stream' });
      await a.waitFor((l) => l.event === 'streamed' && (l.bytes as number) >= 8 << 20, {
        timeoutMs: 30_000,
      });
      const busy = await memory(a);

      // One medium (BLE: out of each other's range) down for longer than the grace period while TCP carries on:
      // nothing ends, the data keeps flowing.
      const beforeBle = a.lines.length;
      outOfRange(radio, MAC_A, MAC_B);
      await new Promise((r) => setTimeout(r, GRACE_MS + 1_500));
      backInRange(radio, MAC_A, MAC_B);
      await a.waitFor((l) => l.event === 'streamed', { timeoutMs: 30_000, from: beforeBle });
      for (const d of [a, b])
        expect(d.lines.filter((l) => l.event === 'acm-disconnect' || l.event === 'le-disconnected')).toEqual(
          [],
        );

      // Every medium down: TCP (interface down, its sockets killed) and BLE (out of range).
      const downAt = Date.now();
      run(undefined, 'ip', '-n', ns, 'link', 'set', 'lo', 'down');
      run(ns, 'ss', '-K', '-t', 'state', 'established');
      outOfRange(radio, MAC_A, MAC_B);

      const events = ['acm-disconnect', 'le-disconnected'];
      const [aAcm, aLe, bAcm, bLe] = await Promise.all(
        [a, b].flatMap((d) =>
          events.map((e) => d.waitFor((l) => l.event === e, { what: e, timeoutMs: GRACE_MS + 20_000 })),
        ),
      );
      // The blocked sender is released with an error instead of waiting for ever.
      const sendFailed = await a.waitFor((l) => l.event === 'acm-send-failed', { timeoutMs: 20_000 });
      const after = await memory(a);

      // Media back; nothing fires a second time.
      run(undefined, 'ip', '-n', ns, 'link', 'set', 'lo', 'up');
      backInRange(radio, MAC_A, MAC_B);
      await new Promise((r) => setTimeout(r, 1_500));
      for (const d of [a, b]) for (const e of events) expect(d.events(e)).toHaveLength(1);

      const times = [aAcm, aLe, bAcm, bLe].map((l) => l!.t - downAt);
      console.log(
        `every medium down: disconnect events after ${times.join(' / ')} ms (a acm / a linkEnhance / b acm / ` +
          `b linkEnhance; grace ${GRACE_MS} ms); a's sendData rejected with ${String(sendFailed.code)} ` +
          `${sendFailed.t - downAt} ms after the cut (${mib(sendFailed.bytes as number)} sent); a's memory after GC — idle: heap ${mib(idle.heapUsed)} + buffers ` +
          `${mib(idle.arrayBuffers)}, streaming: ${mib(busy.heapUsed)} + ${mib(busy.arrayBuffers)}, after the ` +
          `disconnect: ${mib(after.heapUsed)} + ${mib(after.arrayBuffers)} (rss ${mib(idle.rss)} → ${mib(after.rss)})`,
      );
      for (const l of [aAcm, bAcm]) expect(l!.reason).toBe(NETWORK_DISCONNECTED);
      for (const l of [aLe, bLe]) expect(l!.code).toBe(LINK_ENHANCE_INTERNAL_ERROR);
      for (const t of [...times, sendFailed.t - downAt]) expect(t).toBeGreaterThanOrEqual(GRACE_MS - 100);
      // Back to the idle level: the session's buffers (MiBs in flight when the media went) are released.
      expect(after.heapUsed + after.arrayBuffers).toBeLessThan(
        idle.heapUsed + idle.arrayBuffers + 4 * 2 ** 20,
      );
      // Nothing hangs: both devices stop and exit cleanly.
      for (const d of [a, b]) d.send({ cmd: 'exit' });
      const exits = await Promise.race([
        Promise.all([a.exited, b.exited]),
        new Promise((r) => setTimeout(() => r('still running after 15 s'), 15_000)),
      ]);
      expect(exits).toEqual([0, 0]);
    },
    90_000,
  );
});
