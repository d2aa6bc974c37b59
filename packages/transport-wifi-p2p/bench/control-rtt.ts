// Control-path figures: wpa_supplicant command round trip (PING) through WpaCtrlClient, against the fake and — when
// root and the `wpasupplicant` package are there — against a real `wpa_supplicant -Dwired` in a namespace of its own;
// then the time from P2P_CONNECT to a ready group (negotiation + formation + address) and the throughput of a
// conduit over a fake-formed group on the loopback data path. Prints a table; compares ratios, not absolutes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { firstValueFrom } from 'rxjs';
import { P2pService, WifiP2pTransport, WpaCtrlClient } from '../src/index.js';
import { addNetns, canUseNetns, deleteNetns, FakeP2pMedium, ip } from '../src/testing/index.js';

const quick = process.argv.includes('--quick');
const N = quick ? 500 : 5_000;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function pingRtt(ctrlPath: string): Promise<number[]> {
  const c = await WpaCtrlClient.open({ ctrlPath, monitor: false, pingIntervalMs: 0 });
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await c.request('PING');
    out.push((performance.now() - t) * 1000);
  }
  await c.close();
  return out;
}

const rows: string[][] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wp2p-bench-'));
const medium = new FakeP2pMedium({ dataPath: 'loopback', airtimeMs: 0 });
try {
  const fake = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0' });
  const f = await pingRtt(fake.ctrlPath);
  rows.push(['PING round trip, fake (µs)', pct(f, 50).toFixed(0), pct(f, 99).toFixed(0)]);

  if (canUseNetns() && spawnSync('wpa_supplicant', ['-v'], { stdio: 'ignore' }).status === 0) {
    const ns = `wp2p${process.pid % 100000}r`;
    const ifname = `wp2p${process.pid % 100000}w`;
    let daemon: ChildProcess | undefined;
    try {
      await addNetns(ns);
      await ip(['link', 'add', ifname, 'type', 'veth', 'peer', 'name', `${ifname}p`], ns);
      await ip(['link', 'set', ifname, 'up'], ns);
      const real = path.join(dir, 'real');
      fs.mkdirSync(real);
      daemon = spawn('ip', ['netns', 'exec', ns, 'wpa_supplicant', '-Dwired', '-i', ifname, '-C', real], {
        stdio: 'ignore',
      });
      const sock = path.join(real, ifname);
      for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const r = await pingRtt(sock);
      rows.push([
        'PING round trip, real wpa_supplicant 2.10 (µs)',
        pct(r, 50).toFixed(0),
        pct(r, 99).toFixed(0),
      ]);
    } finally {
      daemon?.kill('SIGTERM');
      await deleteNetns(ns);
    }
  }

  // P2P_CONNECT → group ready on both sides, fake medium without airtime
  const formation: number[] = [];
  for (let i = 0; i < (quick ? 5 : 20); i++) {
    const m = new FakeP2pMedium({ dataPath: 'loopback', airtimeMs: 0 });
    const a = m.addDaemon({ ctrlDir: dir, ifname: `fa${i}` });
    const b = m.addDaemon({ ctrlDir: dir, ifname: `fb${i}` });
    const wa = await WpaCtrlClient.open({ ctrlPath: a.ctrlPath });
    const wb = await WpaCtrlClient.open({ ctrlPath: b.ctrlPath });
    const pa = new P2pService(wa, { addressing: m.addressing });
    const pb = new P2pService(wb, { addressing: m.addressing });
    await pb.listen();
    const t = performance.now();
    await pa.connect(b.deviceAddress);
    formation.push(performance.now() - t);
    pa.close();
    pb.close();
    await wa.close();
    await wb.close();
    await m.close();
  }
  rows.push([
    'find + GO negotiation + group ready, fake (ms)',
    pct(formation, 50).toFixed(1),
    pct(formation, 99).toFixed(1),
  ]);

  // conduit throughput over a fake-formed group (loopback data path)
  const ta = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan1' });
  const tb = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan2' });
  const A = new WifiP2pTransport({ ctrlPath: ta.ctrlPath, addressing: medium.addressing });
  const B = new WifiP2pTransport({ ctrlPath: tb.ctrlPath, addressing: medium.addressing });
  await A.start();
  await B.start();
  const incoming = firstValueFrom(B.incoming$);
  const ca = await A.dial(B.localAddress!);
  const cb = await incoming;
  const total = (quick ? 64 : 512) * 1024 * 1024;
  const chunk = new Uint8Array(64 * 1024);
  let got = 0;
  const done = new Promise<void>((r) =>
    cb.data$.subscribe((c) => {
      got += c.length;
      if (got >= total) r();
    }),
  );
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!ca.write([chunk])) await firstValueFrom(ca.drain$);
  }
  await done;
  const secs = (performance.now() - t0) / 1000;
  rows.push(['conduit over a loopback group, MB/s', (total / 1e6 / secs).toFixed(0), '']);
  await A.stop();
  await B.stop();
} finally {
  await medium.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

console.log(`\n${'measure'.padEnd(52)}${'p50'.padStart(10)}${'p99'.padStart(10)}`);
for (const [name, a, b] of rows) console.log(`${name!.padEnd(52)}${a!.padStart(10)}${b!.padStart(10)}`);
