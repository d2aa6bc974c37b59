// Two devices on one machine, each its own process: `npx tsx chat.ts desk laptop` and `npx tsx chat.ts laptop desk`.
// Each announces itself over DNS-SD (mDNS in loopback mode: nothing leaves the machine) and finds the other. Who
// dials: the device whose networkId sorts first opens a 'chat' channel and says hello; the other answers on the same
// channel. The dialler then stops, and the answerer stops when it sees the Link close.
import { createHash } from 'node:crypto';
import { LocalDevice } from '@colink/core';
import { TcpTransport } from '@colink/transport-tcp';
import { filter, firstValueFrom } from 'rxjs';

const [me = 'desk', peer = 'laptop'] = process.argv.slice(2);
const mdnsPort = Number(process.env.MDNS_PORT ?? 45353); // both processes must use the same port
// A real device takes its networkId from its identity (@colink/core/security); here: a hash of the name.
const idOf = (name: string) => createHash('sha256').update(name).digest('hex');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

const device = new LocalDevice({
  advert: { networkId: idOf(me), deviceName: me, deviceType: 'pc' },
  transports: [
    new TcpTransport({
      host: '127.0.0.1',
      discovery: { interface: '127.0.0.1', bind: '0.0.0.0', port: mdnsPort },
    }),
  ],
});

// The answering side: channels the peer opens with proto 'chat' arrive here.
device.handle('chat', (channel, link) => {
  channel.messages$.subscribe(async (message) => {
    console.log(`${link.remote?.deviceName} says: ${text(message)}`);
    await channel.send(bytes(`hi ${link.remote?.deviceName}, this is ${me}`));
    console.log(`link closed: ${(await link.closed).code}`); // the dialler stops when it has the answer
    await device.stop();
  });
});

await device.start(); // listens on an ephemeral port and announces it over DNS-SD
await firstValueFrom(
  device.directory.devices$.pipe(filter((list) => list.some((d) => d.deviceName === peer))),
);
console.log(`found ${peer}`);

if (idOf(me) < idOf(peer)) {
  // The dialling side.
  const channel = await device.openChannel(idOf(peer), { proto: 'chat' }); // dials over TCP, opens the channel
  const answer = firstValueFrom(channel.messages$);
  await channel.send(bytes(`hello from ${me}`));
  console.log(`${peer} answers: ${text(await answer)}`);
  await device.stop(); // GOAWAY to the peer, goodbye on DNS-SD
}
