// Harness (not a seed block) on the group owner: the guide's steps after its code blocks — "Setting Up a P2P
// Connection" needs a group to join (block 1 removes the one it creates), and "Socket Communication" (no code in the
// guide; it points to js-apis-socket) — written with @ohos.net.socket: a TCPSocketServer on the group owner address
// that echoes every message.

import { wifiManager } from '@kit.ConnectivityKit';
import { socket } from '@kit.NetworkKit';

const say = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const PORT = 8888;
wifiManager.on('p2pConnectionChange', (info: wifiManager.WifiP2pLinkedInfo) =>
  say({ ev: 'goConnection', info }),
);
const created = new Promise<void>((resolve) => wifiManager.on('p2pPersistentGroupChange', () => resolve()));
wifiManager.createGroup({
  deviceAddress: '00:11:22:33:44:55',
  deviceAddressType: 1,
  netId: -2,
  passphrase: '12345678',
  groupName: 'testGroup',
  goBand: 0,
});
await created;
const group = await wifiManager.getCurrentGroup();
const server = socket.constructTCPSocketServerInstance();
server.on('connect', (conn: socket.TCPSocketConnection) => {
  conn.on('message', (m: socket.SocketMessageInfo) => {
    say({ ev: 'goMessage', bytes: m.message.byteLength, from: m.remoteInfo.address });
    conn.send({ data: m.message });
  });
});
await server.listen({ address: group.goIpAddress, port: PORT, family: 1 });
say({ ev: 'goListening', address: group.goIpAddress, port: PORT });
