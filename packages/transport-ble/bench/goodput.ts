/**
 * Goodput of a colink BLE conduit over the virtual radio with the real noble and bleno stacks: LE 2M PHY, Data
 * Length Extension (251-octet PDUs), ATT MTU 247, 15 ms connection interval — printed as a ratio to the link
 * model's ceiling and to a naive baseline (20-byte writes with response, one at a time, on the same link).
 *
 * Repeats both measurements BENCH_RUNS times (default 3) on fresh radios and prints the median with min–max.
 * `--quick` (or COLINK_BENCH_QUICK=1): 128 KiB per run and a 1 s naive run. With COLINK_BENCH_JSON=<file> it also
 * writes the figures there as report rows for `pnpm bench` (bench/README.md): `ble.goodput.colink`,
 * `ble.goodput.colink-vs-naive`, `ble.goodput.naive`.
 *
 * Run: pnpm --filter @colink/transport-ble bench [-- --quick]   (env BENCH_BYTES to change the transfer size)
 */
import { writeFileSync } from 'node:fs';
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
const quick = process.argv.includes('--quick') || process.env.COLINK_BENCH_QUICK === '1';
const BYTES = Number(process.env.BENCH_BYTES ?? (quick ? 128 : 768) * 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NAIVE_MS = Number(process.env.BENCH_NAIVE_MS ?? (quick ? 1_000 : 3_000));
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
const colinkRuns: number[] = [];
const naiveRuns: number[] = [];
let dataLength = 0;
for (let i = 0; i < RUNS; i++) {
  const c = await colinkGoodput();
  dataLength = c.dataLength;
  colinkRuns.push(c.bps);
  naiveRuns.push(await naiveGoodput());
}
const spread = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s.at(-1)!, n: s.length };
};
const colink = spread(colinkRuns);
const naive = spread(naiveRuns);
const fmt = (bps: number) => `${(bps / 1e6).toFixed(3)} Mbit/s`;
const range = (s: { min: number; max: number; n: number }) =>
  s.n > 1 ? `   (${RUNS} runs, ${(s.min / 1e6).toFixed(3)}–${(s.max / 1e6).toFixed(3)})` : '';
console.log(`BLE goodput over the virtual radio (real noble 2.8.0 + bleno 0.12.4), ${BYTES} bytes one way`);
console.log(
  `  link: LE ${model.phy} PHY, data length ${dataLength}, ATT MTU ${MTU}, interval ${INTERVAL_MS} ms`,
);
console.log(`  model ceiling (${MTU - 3} B per PDU):  ${fmt(ceiling)}`);
console.log(
  `  colink conduit:                  ${fmt(colink.median)} = ${((100 * colink.median) / ceiling).toFixed(1)} % of ceiling${range(colink)}`,
);
console.log(
  `  naive 20 B writes with response: ${fmt(naive.median)} -> colink is ${(colink.median / naive.median).toFixed(1)}x${range(naive)}`,
);

if (process.env.COLINK_BENCH_JSON) {
  // Rows of the `pnpm bench` report (bench/src/row.ts), in Mbit/s; value = median of the runs.
  const mbit = (s: { min: number; median: number; max: number; n: number }) => ({
    value: s.median / 1e6,
    min: s.min / 1e6,
    max: s.max / 1e6,
    n: s.n,
    unit: 'Mbit/s',
  });
  const link = `LE ${model.phy}, DLE ${model.maxDataLength}, MTU ${MTU}, ${INTERVAL_MS} ms`;
  const rows = [
    {
      id: 'ble.goodput.colink',
      label: `BLE goodput, colink conduit on the virtual radio (${link}) vs model ceiling`,
      ...mbit(colink),
      baseline: ceiling / 1e6,
      baselineLabel: 'link model ceiling',
      ratio: colink.median / ceiling,
      target: 'ratio ≥ 0.9',
      met: colink.median / ceiling >= 0.9,
    },
    {
      id: 'ble.goodput.colink-vs-naive',
      label: 'BLE goodput, colink conduit vs naive 20 B writes with response',
      ...mbit(colink),
      baseline: naive.median / 1e6,
      baselineLabel: 'naive chunking',
      ratio: colink.median / naive.median,
      target: 'ratio ≥ 5',
      met: colink.median / naive.median >= 5,
    },
    {
      id: 'ble.goodput.naive',
      label: 'BLE goodput, naive 20 B writes with response',
      ...mbit(naive),
      baseline: ceiling / 1e6,
      baselineLabel: 'link model ceiling',
      ratio: naive.median / ceiling,
    },
  ];
  writeFileSync(process.env.COLINK_BENCH_JSON, `${JSON.stringify(rows, null, 2)}\n`);
}
process.exit(0);
