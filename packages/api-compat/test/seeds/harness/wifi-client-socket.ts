// Harness (not a seed block) on the client: the guide's "Socket Communication" step with @ohos.net.socket — a
// TCPSocket to the group owner's address from getP2pLinkedInfo, 4 KiB there and their echo back.

import { wifiManager } from '@kit.ConnectivityKit';
import { socket } from '@kit.NetworkKit';

const say = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const payload = new Uint8Array(4096).map((_, i) => i % 251);
const linked = await wifiManager.getP2pLinkedInfo();
const tcp = socket.constructTCPSocketInstance();
let got = new Uint8Array(0);
const all = new Promise<void>((resolve) => {
  tcp.on('message', (m: socket.SocketMessageInfo) => {
    const next = new Uint8Array(got.length + m.message.byteLength);
    next.set(got);
    next.set(new Uint8Array(m.message), got.length);
    got = next;
    if (got.length >= payload.length) resolve();
  });
});
await tcp.connect({ address: { address: linked.groupOwnerAddr, port: 8888 }, timeout: 10_000 });
const local = await tcp.getLocalAddress();
await tcp.send({ data: payload.buffer });
await all;
say({
  ev: 'clientEcho',
  remote: linked.groupOwnerAddr,
  local: local.address,
  bytes: got.length,
  exact: Buffer.from(got).equals(Buffer.from(payload)),
});
await tcp.close();
