/**
 * Smoke test on real Bluetooth adapters, never run in CI. Set COLINK_BLE_HW to two HCI device indexes,
 * e.g. `COLINK_BLE_HW=0,1` (hci0 as central, hci1 as peripheral; run as root or with CAP_NET_RAW/CAP_NET_ADMIN,
 * with bluetoothd stopped or the adapters down in BlueZ).
 */
import { closeReason } from '@colink/core';
import { describe, expect, it } from 'vitest';
import { BleTransport } from '../src/index.js';
import { closed, collect, connectPair, pattern, writeAll } from './helpers/world.js';

const hw = process.env.COLINK_BLE_HW?.split(',').map(Number);

describe.skipIf(!hw || hw.length !== 2)(
  'hardware smoke (COLINK_BLE_HW=<central hci>,<peripheral hci>)',
  () => {
    it('dials over real adapters and moves 64 KiB each way', { timeout: 60_000 }, async () => {
      const [c, p] = hw!;
      const a = new BleTransport({ central: { hciDriver: 'native', deviceId: c }, peripheral: false });
      const b = new BleTransport({ central: false, peripheral: { hciDriver: 'native', deviceId: p } });
      try {
        await Promise.all([a.start(), b.start()]);
        await b.advertise({ networkId: 'e'.repeat(64), deviceName: 'colink-hw', deviceType: 'pc' });
        const [ca, cb] = await connectPair(a, b, b.localAddress!);
        const up = pattern(65_536, 1);
        const down = pattern(65_536, 2);
        const [gotB, gotA] = [collect(cb, up.length), collect(ca, down.length)];
        await Promise.all([writeAll(ca, up), writeAll(cb, down)]);
        expect((await gotB).equals(up)).toBe(true);
        expect((await gotA).equals(down)).toBe(true);
        ca.end(closeReason('normal'));
        expect((await closed(cb)).remote).toBe(true);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  },
);
