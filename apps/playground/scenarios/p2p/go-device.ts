// Device A, the group owner, of the Wi-Fi P2P seed (wifi-p2p-guide.md), run by `pnpm start -- --scenario p2p`
// through `node --import @colink/api-compat/register` against a fake wpa_supplicant (COLINK_WPA_CTRL).
// "Creating or Removing a P2P Group": create a persistent group; once it is there, the seed's "Socket
// Communication" step serves a TCP echo on the group owner's address (node:net stands in for @ohos.net.socket).
// When the client has had its bytes back and hung up, the GO removes the group (the seed's removeGroup) and exits
// once p2pConnectionChange reports DISCONNECTED.
import net from 'node:net';
import { wifiManager } from '@kit.ConnectivityKit';

const PORT = 8888;
let server: net.Server | undefined;

const recvP2pPersistentGroupChangeFunc = () => {
  console.info('p2p persistent group change receive event');
  // Services to be processed after the persistent group is created: serve on the group owner's address.
  if (server) return;
  server = net.createServer((socket) => {
    const peer = socket.remoteAddress;
    let bytes = 0;
    console.info(`socket from ${peer}: echoing`);
    socket.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      console.info(`socket from ${peer} closed after ${bytes} bytes echoed`);
      // Remove a P2P group.
      try {
        wifiManager.removeGroup();
        console.info('removeGroup called');
      } catch (error) {
        console.error('failed:' + JSON.stringify(error));
      }
    });
    socket.pipe(socket); // echo every byte
  });
  wifiManager
    .getCurrentGroup()
    .then((group: wifiManager.WifiP2pGroupInfo) => {
      console.info(
        `getCurrentGroup: ${group.groupName} on ${group.interface}, isP2pGo ${group.isP2pGo}, goIpAddress ${group.goIpAddress}, networkId ${group.networkId}`,
      );
      server!.listen(PORT, group.goIpAddress, () =>
        console.info(`echo server on ${group.goIpAddress}:${PORT}`),
      );
    })
    .catch((err: unknown) => {
      console.error('getCurrentGroup failed: ' + JSON.stringify(err));
      process.exit(1);
    });
};
// Create a persistent group, and register a listener callback for the persistent group status changes.
wifiManager.on('p2pPersistentGroupChange', recvP2pPersistentGroupChangeFunc);

wifiManager.on('p2pConnectionChange', (info: wifiManager.WifiP2pLinkedInfo) => {
  console.info('p2p connection change receive event: ' + JSON.stringify(info));
  if (server && info.connectState === wifiManager.P2pConnectState.DISCONNECTED) {
    server.close();
    process.exit(0);
  }
});

try {
  const config: wifiManager.WifiP2PConfig = {
    deviceAddress: '00:11:22:33:44:55',
    deviceAddressType: 1,
    netId: -2,
    passphrase: '12345678',
    groupName: 'testGroup',
    goBand: 0,
  };
  wifiManager.createGroup(config);
  console.info('createGroup called');
} catch (error) {
  console.error('failed:' + JSON.stringify(error));
  process.exit(1);
}
process.on('SIGTERM', () => process.exit(0));
