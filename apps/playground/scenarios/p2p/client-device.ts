// Device B, the client, of the Wi-Fi P2P seed (wifi-p2p-guide.md), run by `pnpm start -- --scenario p2p` through
// `node --import @colink/api-compat/register` against a fake wpa_supplicant (COLINK_WPA_CTRL).
// "Setting Up a P2P Connection": discover, p2pConnect to the peer named my_test_device, getP2pLinkedInfo on
// p2pConnectionChange; then "Obtain the IP address of the peer device" (getCurrentGroup().goIpAddress) and a TCP
// socket to it (node:net stands in for @ohos.net.socket): SEED_BYTES bytes sent, echoed back, compared byte for byte.
// Changes to the seed: connect once (the seed would call p2pConnect on every peer-list change), log peer names
// rather than whole device objects, and exit once the group owner has removed the group.
import net from 'node:net';
import { wifiManager } from '@kit.ConnectivityKit';

const PORT = 8888;
const BYTES = Number(process.env.SEED_BYTES ?? 1024 * 1024);
let connectRequested = false;
let talked = false;
let echoed = false;

function talkTo(goIpAddress: string): void {
  const payload = Buffer.alloc(BYTES);
  for (let i = 0; i < BYTES; i++) payload[i] = (i * 31 + (i >> 11)) & 0xff;
  const chunks: Buffer[] = [];
  let received = 0;
  const started = performance.now();
  const socket = net.connect({ host: goIpAddress, port: PORT }, () => {
    console.info(`socket ${socket.localAddress} → ${goIpAddress}:${PORT} connected, sending ${BYTES} bytes`);
    socket.write(payload);
  });
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    received += d.length;
    if (received < BYTES) return;
    const exact = Buffer.concat(chunks).equals(payload);
    const ms = (performance.now() - started).toFixed(0);
    console.info(`${received} bytes echoed over the group in ${ms} ms, byte-exact: ${exact}`);
    echoed = exact;
    socket.end();
    if (!exact) process.exit(1);
  });
  socket.on('error', (e) => {
    console.error('socket error: ' + e.message);
    process.exit(1);
  });
}

const recvP2pConnectionChangeFunc = (result: wifiManager.WifiP2pLinkedInfo) => {
  console.info('p2p connection change receive event: ' + JSON.stringify(result));
  wifiManager.getP2pLinkedInfo((err, data) => {
    if (err) {
      console.error('failed to get P2pLinkedInfo: ' + JSON.stringify(err));
      return;
    }
    console.info('get getP2pLinkedInfo: ' + JSON.stringify(data));
    // Add the service processing logic after a successful or failed P2P connection.
    if (data.connectState === wifiManager.P2pConnectState.DISCONNECTED) {
      if (talked) process.exit(echoed ? 0 : 1);
      return;
    }
    if (talked) return;
    talked = true;
    wifiManager
      .getCurrentGroup()
      .then((group: wifiManager.WifiP2pGroupInfo) => {
        console.info(
          `getCurrentGroup: ${group.groupName} on ${group.interface}, owner ${group.ownerInfo.deviceName}, goIpAddress ${group.goIpAddress}`,
        );
        talkTo(group.goIpAddress);
      })
      .catch((e: unknown) => {
        console.error('getCurrentGroup failed: ' + JSON.stringify(e));
        process.exit(1);
      });
  });
};
// After the P2P connection is set up, the callback for p2pConnectionChange will be called.
wifiManager.on('p2pConnectionChange', recvP2pConnectionChangeFunc);

const recvP2pPeerDeviceChangeFunc = (result: wifiManager.WifiP2pDevice[]) => {
  console.info('p2p peer device change receive event: ' + result.map((d) => d.deviceName).join(', '));
  wifiManager.getP2pPeerDevices((err, data) => {
    if (err) {
      console.error('failed to get peer devices: ' + JSON.stringify(err));
      return;
    }
    const len = data.length;
    for (let i = 0; i < len; ++i) {
      // Select the peer device that meets the conditions.
      if (data[i].deviceName === 'my_test_device' && !connectRequested) {
        connectRequested = true;
        console.info('p2p connect to test device: ' + data[i].deviceAddress);
        const config: wifiManager.WifiP2PConfig = {
          deviceAddress: data[i].deviceAddress,
          deviceAddressType: 1,
          netId: -2,
          passphrase: '',
          groupName: '',
          goBand: 0,
        };
        // Set up a P2P connection. The GO cannot initiate connections.
        wifiManager.p2pConnect(config);
      }
    }
  });
};
// The callback for p2pPeerDeviceChange will be called when the P2P scanning result is reported.
wifiManager.on('p2pPeerDeviceChange', recvP2pPeerDeviceChangeFunc);

// Start to discover P2P devices, that is, start P2P scanning.
console.info('start discover devices -> ' + wifiManager.startDiscoverDevices());
process.on('SIGTERM', () => process.exit(0));
