import { createHash, randomFillSync } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { PeerProcess } from './helpers.js';

const GIB = 1024 ** 3;
const CHUNK = 64 * 1024;

describe('bulk transfer', () => {
  const sink = new PeerProcess({ transport: { host: '127.0.0.1', discovery: false }, incoming: 'sink' });
  const sender = new TcpTransport({ host: '127.0.0.1', discovery: false });
  afterAll(async () => {
    await sender.stop();
    await sink.close();
  });

  it('carries 1 GiB byte-exact to another process (SHA-256 of both ends), honouring write()/drain', async () => {
    const started = await sink.next((m) => m.ev === 'started');
    await sender.start();
    const conduit = await sender.dial(String(started.address));
    // 1 MiB of random bytes read at a moving offset: every 64 KiB chunk differs, so reordering would show.
    const pool = randomFillSync(Buffer.alloc(1024 * 1024 + CHUNK));
    const hash = createHash('sha256');
    const t0 = performance.now();
    let waits = 0;
    for (let sent = 0, i = 0; sent < GIB; sent += CHUNK, i++) {
      const offset = (i * 4_099) % (1024 * 1024);
      const chunk = pool.subarray(offset, offset + CHUNK);
      hash.update(chunk);
      if (!conduit.write([chunk])) {
        waits += 1;
        await firstValueFrom(conduit.drain$);
      }
    }
    conduit.end({ code: 'normal' });
    const sunk = await sink.next((m) => m.ev === 'sunk', 120_000);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `1 GiB in ${seconds.toFixed(2)} s (${(GIB / seconds / 1e6).toFixed(0)} MB/s incl. hashing), ${waits} drain waits`,
    );
    expect(sunk.bytes).toBe(GIB);
    expect(sunk.sha256).toBe(hash.digest('hex'));
    expect(waits).toBeGreaterThan(0);
  }, 180_000);
});
