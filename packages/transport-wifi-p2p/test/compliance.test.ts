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
      // A P2P device that is gone: GO negotiation with it gets no answer, so only the dial's time limit ends it.
      silentAddress: async () => {
        await b.start();
        const address = b.localAddress!;
        await b.stop();
        return address;
      },
      cleanup: async () => {
        await medium.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  // P2P cannot tell a device that is gone from one that is slow to answer GO negotiation: a dial to it times out.
  { largeMessageBytes: 2 * 1024 * 1024, timeoutMs: 30_000, unreachableCode: 'ERR_TIMEOUT' },
);
