// Two devices pair over Bluetooth LE on the virtual radio: the real noble (central) and bleno (peripheral) host
// stacks run against virtual LE controllers, so no Bluetooth hardware or root is needed. The watch advertises; the
// phone scans, finds it, dials it over GATT (LocalDevice.connect) and sends a message on a 'ping' channel.
import { createHash } from 'node:crypto';
import { LocalDevice } from '@colink/core';
import { BleTransport } from '@colink/transport-ble';
import { VirtualRadio, virtualTransportOptions } from '@colink/transport-ble/virtual';
import { filter, firstValueFrom } from 'rxjs';

const idOf = (name: string) => createHash('sha256').update(name).digest('hex');
const radio = new VirtualRadio({ model: { pacing: 'instant' } }); // 'realtime' paces connection events

const device = (name: string, mac: string) =>
  new LocalDevice({
    advert: { networkId: idOf(name), deviceName: name, deviceType: name, bleMac: mac },
    transports: [new BleTransport(virtualTransportOptions(radio, mac))],
  });
const phone = device('phone', 'AA:00:00:00:00:01');
const watch = device('watch', 'BB:00:00:00:00:02');

const received = new Promise<string>((resolve) => {
  watch.handle('ping', (channel, link) => {
    channel.messages$.subscribe((bytes) =>
      resolve(
        `watch got "${new TextDecoder().decode(bytes)}" from ${link.remote?.deviceName} over ${link.medium}`,
      ),
    );
  });
});
await Promise.all([phone.start(), watch.start()]); // both advertise and scan

const found = await firstValueFrom(
  phone.directory.devices$.pipe(filter((list) => list.some((d) => d.deviceName === 'watch'))),
);
console.log(`phone found: ${found.map((d) => d.deviceName).join(', ')}`);
const channel = await phone.openChannel(idOf('watch'), { proto: 'ping' }); // the phone dials (GATT central)
await channel.send(new TextEncoder().encode('ping'));
console.log(await received);

await Promise.all([phone.stop(), watch.stop()]);
radio.close();
