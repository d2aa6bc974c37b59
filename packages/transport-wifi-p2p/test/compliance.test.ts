import fs from 'node:fs';
import { describeTransportCompliance } from '@colink/core/compliance';
import { WifiP2pTransport } from '../src/index.js';
import { FakeP2pMedium } from '../src/testing/index.js';
import { tempDir } from './helpers.js';

/** core's compliance suite over groups formed by the fake wpa_supplicant (loopback data path: no root needed). */
describeTransportCompliance(
  'wifi-p2p over fake wpa_supplicant (loopback data path)',
  async () => {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'loopback' });
    const da = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0', deviceName: 'a' });
    const db = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan1', deviceName: 'b' });
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const a = new WifiP2pTransport({ ctrlPath: da.ctrlPath, addressing: medium.addressing, port });
    const b = new WifiP2pTransport({ ctrlPath: db.ctrlPath, addressing: medium.addressing, port });
    return {
      a,
      b,
      cleanup: async () => {
        await medium.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { largeMessageBytes: 2 * 1024 * 1024, timeoutMs: 30_000 },
);
