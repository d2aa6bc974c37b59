import { afterEach, describe, expect, it } from 'vitest';
import { loadBleno, loadNoble } from '../src/hosts.js';
import { stopBlenoPolling } from '../src/seams.js';
import { VirtualRadio, virtualHciOptions } from '../src/virtual/index.js';

const SERVICE = '12345678123456781234567812345678';
const CHAR = '12345678123456781234567812345679';

describe('plain noble and bleno on virtual controllers (no colink code in the path)', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0).reverse()) c();
  });

  it('scan, connect, MTU 256, long write, notifications, disconnect', async () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });
    cleanup.push(() => radio.close());
    const bleno = loadBleno().withBindings(
      'hci',
      virtualHciOptions(radio.createController({ address: 'BB:00:00:00:00:02' })) as never,
    );
    const noble = loadNoble().withBindings(
      'hci',
      virtualHciOptions(radio.createController({ address: 'AA:00:00:00:00:01' })) as never,
    );
    cleanup.push(
      () => noble.stop(),
      () => {
        stopBlenoPolling(bleno);
        bleno.stop();
      },
    );
    const written: Buffer[] = [];
    let notify: ((b: Buffer) => void) | undefined;
    const subscribed = new Promise<number>((resolve) => {
      const c = new bleno.Characteristic({
        uuid: CHAR,
        properties: ['write', 'notify'],
        onWriteRequest: (_h, data, _o, _w, cb) => {
          written.push(data);
          cb(0);
        },
        onSubscribe: (_h, maxValueSize, update) => {
          notify = (b) => update(b);
          resolve(maxValueSize);
        },
      });
      void bleno
        .waitForPoweredOnAsync(5000)
        .then(() =>
          bleno.setServicesAsync([new bleno.PrimaryService({ uuid: SERVICE, characteristics: [c] })]),
        )
        .then(() => bleno.startAdvertisingAsync('dev-b', [SERVICE]));
    });
    await noble.waitForPoweredOnAsync(5000);
    const found = new Promise<any>((resolve) => noble.once('discover', resolve));
    await noble.startScanningAsync([SERVICE], false);
    const p = await found;
    expect(p.address).toBe('bb:00:00:00:00:02');
    expect(p.advertisement.localName).toBe('dev-b');
    await noble.stopScanningAsync();
    await p.connectAsync();
    const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([SERVICE], [CHAR]);
    expect(p.mtu).toBe(256);
    const ch = characteristics[0];
    // 600 bytes > MTU - 3: noble turns it into a long (prepared) write, bleno delivers it whole.
    const long = Buffer.alloc(600, 7);
    await ch.writeAsync(long, false);
    expect(Buffer.concat(written).equals(long)).toBe(true);
    const gotNotification = new Promise<Buffer>((resolve) => ch.once('data', resolve));
    await ch.subscribeAsync();
    expect(await subscribed).toBe(253);
    notify!(Buffer.from('ping'));
    expect((await gotNotification).toString()).toBe('ping');
    const reason = new Promise<unknown>((resolve) => p.once('disconnect', resolve));
    await p.disconnectAsync();
    expect(await reason).toBe(0x16);
  });
});
