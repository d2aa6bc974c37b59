// Two devices in one process over the in-memory medium: the tablet accepts a collaboration session, the phone
// requests one (LocalDevice finds the tablet through the medium's discovery and dials it), and they talk.
import { LocalDevice, MemoryNetwork } from '@colink/core';
import { firstValueFrom } from 'rxjs';

const net = new MemoryNetwork({ model: { latencyMs: 5 } });
const phone = new LocalDevice({
  advert: { networkId: 'a'.repeat(64), deviceName: 'phone', deviceType: 'phone' },
  transports: [net.createTransport()],
});
const tablet = new LocalDevice({
  advert: { networkId: 'b'.repeat(64), deviceName: 'tablet', deviceType: 'tablet' },
  transports: [net.createTransport()],
});
await phone.start();
await tablet.start();

// The tablet accepts every request and echoes messages; it reports the size of data it receives.
tablet.sessions.requests$.subscribe(async (request) => {
  const session = await request.accept(); // or request.reject('busy')
  session.messages$.subscribe((text) => void session.sendMessage(`echo: ${text}`));
  session.data$.subscribe((data) => void session.sendMessage(`got ${data.length} bytes`));
});

const app = { bundleName: 'com.example', moduleName: 'entry', abilityName: 'EntryAbility' };
const session = await phone.sessions.request({
  peer: tablet.advert.networkId,
  service: 'demo',
  local: app,
  remote: app,
});
const ended = firstValueFrom(session.ended$); // 'local' | 'peer-closed' | 'peer-exit' | 'network-disconnected'

const echo = firstValueFrom(session.messages$);
await session.sendMessage('hello');
console.log(await echo); // echo: hello

const receipt = firstValueFrom(session.messages$);
await session.sendData(new Uint8Array(10 * 1024 * 1024));
console.log(await receipt); // got 10485760 bytes

await session.close();
console.log('ended:', await ended); // ended: local
await phone.stop();
await tablet.stop();
