import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDevice } from '@colink/core';
import { createDeviceSecurity } from '@colink/core/security';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { type PeerMessage, PeerProcess } from './helpers.js';

// A trusted peer (another process, TLS, same account) writes 64 KiB messages as fast as `send()` lets it while the
// app here reads one message every 10 ms (~6 MiB/s): the reader's memory must stay bounded (credit windows, TLS and
// socket buffers — never an unbounded queue) and the writer must see backpressure (`send()` waits). 20 s by default;
// COLINK_LONG_FLOOD=1 runs the 60 s variant of issue 16.

const flooderScript = new URL('./fixtures/flooder.mts', import.meta.url).pathname;
const SECONDS = process.env.COLINK_LONG_FLOOD === '1' ? 60 : 20;
/** Read pace of the slow app: one 64 KiB message per this many ms. */
const READ_EVERY_MS = 10;
/**
 * Generous bound on the reader's RSS growth, MiB: one channel window (4 MiB) + the TLS socket's high-water marks
 * (1 MiB each way) + node's and the kernel's buffers stay far below it; an unbounded queue at the writer's rate
 * (hundreds of MiB/s on loopback) would cross it within a second.
 */
const RSS_BOUND_MIB = 150;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

describe('a trusted peer writing faster than the app reads', () => {
  it(`keeps the reader's memory bounded over ${SECONDS} s of flooding, and the writer sees backpressure`, async () => {
    const dirs = await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'cltcp-flood-'))));
    cleanups.push(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
    const account = 'flood-account';
    const security = await createDeviceSecurity({ stateDir: dirs[0]!, account });
    const tcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
    const reader = new LocalDevice({
      advert: { networkId: security.networkId, deviceName: 'reader', deviceType: 'pc' },
      transports: [tcp],
      security,
    });
    await reader.start();
    cleanups.push(() => reader.stop());

    let received = 0;
    let reading = true;
    const drained = new Promise<void>((resolve) => {
      reader.handle('flood', (channel) => {
        void (async () => {
          for await (const m of channel) {
            received += m.length;
            if (reading) await new Promise((r) => setTimeout(r, READ_EVERY_MS));
          }
          resolve();
        })();
      });
    });

    const rss0 = process.memoryUsage().rss;
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(process.memoryUsage().rss), 250);
    cleanups.push(() => clearInterval(sampler));

    const flooder = new PeerProcess(
      { address: tcp.localAddress, account, stateDir: dirs[1], seconds: SECONDS },
      undefined,
      flooderScript,
    );
    cleanups.push(() => flooder.close());
    await flooder.next((m) => m.ev === 'flooding', 30_000);
    const done = (await flooder.next((m) => m.ev === 'done', (SECONDS + 30) * 1000)) as PeerMessage & {
      sent: number;
      waitedMs: number;
      maxWaitMs: number;
      rssMiB: number;
    };
    clearInterval(sampler);
    reading = false; // drain the rest at full speed
    await drained;

    const peak = Math.max(...samples);
    const at = (f: number) => mib(samples[Math.min(samples.length - 1, Math.floor(samples.length * f))]!);
    const summary =
      `[flood ${SECONDS} s] writer sent ${mib(done.sent)} MiB (${mib(done.sent / SECONDS)} MiB/s), waited in send() ` +
      `${done.waitedMs} ms in all (longest ${done.maxWaitMs} ms), ` +
      `writer RSS ${done.rssMiB} MiB; reader read ${mib(received)} MiB; reader ` +
      `RSS ${mib(rss0)} → peak ${mib(peak)} MiB over ${samples.length} samples (at ¼ ½ ¾ end of the flood: ` +
      `${at(0.25)} ${at(0.5)} ${at(0.75)} ${at(1)} MiB)`;
    console.log(summary);

    expect(received).toBe(done.sent); // nothing lost
    // Backpressure: the writer was held to the reader's pace, waiting in send() most of the time.
    expect(done.waitedMs).toBeGreaterThan(SECONDS * 1000 * 0.5);
    // At ~6 MiB/s of reading, the writer could not have sent much more than the reader took plus the buffers.
    expect(mib(done.sent)).toBeLessThan(((SECONDS * 1000) / READ_EVERY_MS / 16) * 1.5 + 64);
    expect(mib(peak - rss0)).toBeLessThan(RSS_BOUND_MIB);
  }, 180_000);
});
