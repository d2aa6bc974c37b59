/**
 * Goodput of a colink BLE conduit over the virtual radio with the real noble and bleno stacks: LE 2M PHY, Data
 * Length Extension (251-octet PDUs), ATT MTU 247, 15 ms connection interval — printed as a ratio to the link
 * model's ceiling and to a naive baseline (20-byte writes with response, one at a time, on the same link).
 *
 * Run: pnpm --filter @colink/transport-ble bench   (env BENCH_BYTES to change the transfer size)
 */
import { firstValueFrom } from 'rxjs';
import { loadBleno, loadNoble } from '../src/hosts.js';
import { BleTransport } from '../src/index.js';
import { stopBlenoPolling } from '../src/seams.js';
import {
  goodputCeilingBps,
  VirtualRadio,
  virtualHciOptions,
  virtualTransportOptions,
} from '../src/virtual/index.js';

const INTERVAL_MS = 15;
const MTU = 247;
const BYTES = Number(process.env.BENCH_BYTES ?? 768 * 1024);
const NAIVE_MS = 3_000;
const model = { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: INTERVAL_MS } as const;

async function colinkGoodput(): Promise<{ bps: number; dataLength: number }> {
  const radio = new VirtualRadio({ model, advertisingIntervalMs: 20 });
  const a = new BleTransport({ ...virtualTransportOptions(radio, 'AA:00:00:00:00:01'), mtu: MTU });
  const b = new BleTransport({ ...virtualTransportOptions(radio, 'BB:00:00:00:00:02'), maxMtu: MTU });
  await Promise.all([a.start(), b.start()]);
  await b.advertise({ networkId: 'b'.repeat(64), deviceName: 'bench', deviceType: 'pc' });
  const incoming = firstValueFrom(b.incoming$);
  const tx = await a.dial('BB:00:00:00:00:02');
  const rx = await incoming;
  const payload = Buffer.alloc(BYTES, 0x5a);
  let got = 0;
  const done = new Promise<number>((resolve) =>
    rx.data$.subscribe((d) => {
      got += d.length;
      if (got >= BYTES) resolve(performance.now());
    }),
  );
  const t0 = performance.now();
  for (let i = 0; i < BYTES; i += 16 * 1024) {
    if (!tx.write([payload.subarray(i, i + 16 * 1024)])) await firstValueFrom(tx.drain$);
  }
  const t1 = await done;
  const dataLength = radio.links()[0]?.dataLength ?? 0;
  await Promise.all([a.stop(), b.stop()]);
  radio.close();
  return { bps: (BYTES * 8) / ((t1 - t0) / 1000), dataLength };
}

async function naiveGoodput(): Promise<number> {
  const radio = new VirtualRadio({ model, advertisingIntervalMs: 20 });
  const noble = loadNoble().withBindings(
    'hci',
    virtualHciOptions(radio.createController({ address: 'AA:00:00:00:00:03' })) as never,
  );
  const bleno = loadBleno().withBindings(
    'hci',
    virtualHciOptions(radio.createController({ address: 'BB:00:00:00:00:04' })) as never,
  );
  const service = '0000aaaa00001000800000805f9b34fb';
  const char = '0000bbbb00001000800000805f9b34fb';
  let received = 0;
  await bleno.waitForPoweredOnAsync(5000);
  await bleno.setServicesAsync([
    new bleno.PrimaryService({
      uuid: service,
      characteristics: [
        new bleno.Characteristic({
          uuid: char,
          properties: ['write'],
          onWriteRequest: (_h, data, _o, _w, cb) => {
            received += data.length;
            cb(0);
          },
        }),
      ],
    }),
  ]);
  await bleno.startAdvertisingAsync('naive', [service]);
  await noble.waitForPoweredOnAsync(5000);
  const p = await noble.connectAsync('bb:00:00:00:00:04', { addressType: 'public' });
  const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([service], [char]);
  const c = characteristics[0]!;
  const chunk = Buffer.alloc(20, 0x33);
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < NAIVE_MS) {
    await c.writeAsync(chunk, false);
    sent += chunk.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  await p.disconnectAsync();
  noble.stop();
  stopBlenoPolling(bleno);
  bleno.stop();
  radio.close();
  if (received !== sent) throw new Error(`naive baseline lost data: sent ${sent}, received ${received}`);
  return (sent * 8) / seconds;
}

const ceiling = goodputCeilingBps(model.phy, model.maxDataLength, INTERVAL_MS, MTU - 3);
const colink = await colinkGoodput();
const naive = await naiveGoodput();
const fmt = (bps: number) => `${(bps / 1e6).toFixed(3)} Mbit/s`;
console.log(`BLE goodput over the virtual radio (real noble 2.8.0 + bleno 0.12.4), ${BYTES} bytes one way`);
console.log(
  `  link: LE ${model.phy} PHY, data length ${colink.dataLength}, ATT MTU ${MTU}, interval ${INTERVAL_MS} ms`,
);
console.log(`  model ceiling (${MTU - 3} B per PDU):  ${fmt(ceiling)}`);
console.log(
  `  colink conduit:                  ${fmt(colink.bps)} = ${((100 * colink.bps) / ceiling).toFixed(1)} % of ceiling`,
);
console.log(
  `  naive 20 B writes with response: ${fmt(naive)} -> colink is ${(colink.bps / naive).toFixed(1)}x`,
);
process.exit(0);
