import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Channel, LocalDevice, type LocalDeviceOptions } from '@colink/core';
import { createDeviceSecurity } from '@colink/core/security';
import { DEFAULT_CHANNEL_WINDOW_FAST } from '@colink/core/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { type PeerMessage, PeerProcess } from './helpers.js';

// A trusted peer (another process, TLS, same account) writes 64 KiB messages as fast as `send()` lets it while the
// app here first reads nothing for 1.5 s, then one message every 10 ms (~6 MiB/s): the writer must see backpressure
// (`send()` waits; it can never get more than the Link's window and send buffer ahead of the app) and the reader's
// memory must stay bounded (credit windows, TLS and socket buffers — never an unbounded queue). By default the
// writer sends 32 MiB (~5 s: the bytes-in-flight bound below is what catches a queue); COLINK_LONG_FLOOD=1 runs the
// 60 s variant of issue 16 (no byte limit), where the RSS bound bites as well.

const flooderScript = new URL('./fixtures/flooder.mts', import.meta.url).pathname;
const LONG = process.env.COLINK_LONG_FLOOD === '1';
const MIB = 1024 * 1024;
/** The writer stops after this many bytes (null: none), or after {@link SECONDS}. */
const FLOOD_BYTES = LONG ? null : 32 * MIB;
/** Time limit of the flood, s (the long variant's length; a safety stop for the byte-count run). */
const SECONDS = 60;
/** The app reads nothing for this long after the first message, ms: the writer must block once window and buffer are full. */
const STALL_MS = 1_500;
/** Read pace of the slow app: one 64 KiB message per this many ms. */
const READ_EVERY_MS = 10;
/**
 * Bound on bytes in flight — sent by the writer's app, not yet read by this app — at every progress report: the
 * Link's channel window and the writer's send buffer (both `DEFAULT_CHANNEL_WINDOW_FAST`, 4 MiB, on TCP) plus a
 * message each, doubled for slack. A queue anywhere (writer, reader, TLS) would grow past it at the writer's rate.
 */
const IN_FLIGHT_BOUND = 2 * (2 * DEFAULT_CHANNEL_WINDOW_FAST + 2 * 64 * 1024);
/**
 * Generous bound on the reader's RSS growth, MiB: one channel window (4 MiB) + the TLS socket's high-water marks
 * (1 MiB each way) + node's and the kernel's buffers stay far below it; an unbounded queue at the writer's rate
 * (hundreds of MiB/s on loopback) would cross it within a second of the 60 s variant.
 */
const RSS_BOUND_MIB = 150;
/** The reader's Link receive budget in the many-channel flood (`LinkOptions.receiveBudget`). */
const BUDGET = 8 * MIB;
/** Channels the writer floods at once, none read: unbounded, each could hold a 4 MiB window (64 MiB in all). */
const BUDGET_CHANNELS = 16;
/** What the writer sends in the many-channel flood: 8 MiB per channel (a window and its send buffer). */
const BUDGET_FLOOD_BYTES = BUDGET_CHANNELS * 8 * MIB;
/**
 * The reader's ArrayBuffer memory growth while held at the budget, MiB: the 8 MiB held and the slabs they sit in, plus
 * TLS records on their way; unbounded, the 64 MiB of 16 windows would be there.
 */
const BUDGET_BUFFERS_BOUND_MIB = 32;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

/**
 * The reading device (TLS, on loopback, removed after the test) with its Link options, and the account and state
 * directory the flooder process uses.
 */
async function startReader(link?: LocalDeviceOptions['link']) {
  const dirs = await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'cltcp-flood-'))));
  cleanups.push(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const account = 'flood-account';
  const security = await createDeviceSecurity({ stateDir: dirs[0]!, account });
  const tcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
  const reader = new LocalDevice({
    advert: { networkId: security.networkId, deviceName: 'reader', deviceType: 'pc' },
    transports: [tcp],
    security,
    ...(link ? { link } : {}),
  });
  await reader.start();
  cleanups.push(() => reader.stop());
  return { reader, tcp, account, flooderDir: dirs[1]! };
}

describe('a trusted peer writing faster than the app reads', () => {
  const what = LONG ? `${SECONDS} s of flooding` : `a ${FLOOD_BYTES! / MIB} MiB flood`;
  it(`keeps the reader's memory bounded over ${what}, and the writer sees backpressure`, async () => {
    const { reader, tcp, account, flooderDir } = await startReader();

    let received = 0;
    let reading = true;
    const drained = new Promise<void>((resolve) => {
      reader.handle('flood', (channel) => {
        void (async () => {
          let first = true;
          for await (const m of channel) {
            received += m.length;
            if (first) await new Promise((r) => setTimeout(r, STALL_MS));
            first = false;
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
      { address: tcp.localAddress, account, stateDir: flooderDir, bytes: FLOOD_BYTES, seconds: SECONDS },
      undefined,
      flooderScript,
    );
    cleanups.push(() => flooder.close());
    // Bytes in flight when each report arrives: `received` only grows, so this never overstates what was in flight
    // when the writer reported.
    let inFlightMax = 0;
    const sampled = flooder.messages$.subscribe((m) => {
      if (m.ev === 'progress' || m.ev === 'done')
        inFlightMax = Math.max(inFlightMax, Number(m.sent) - received);
    });
    cleanups.push(() => sampled.unsubscribe());
    await flooder.next((m) => m.ev === 'flooding', 30_000);
    const done = (await flooder.next((m) => m.ev === 'done', (SECONDS + 30) * 1000)) as PeerMessage & {
      sent: number;
      elapsedMs: number;
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
      `[flood ${LONG ? `${SECONDS} s` : `${mib(FLOOD_BYTES!)} MiB`}] writer sent ${mib(done.sent)} MiB in ` +
      `${(done.elapsedMs / 1000).toFixed(1)} s (${mib((done.sent / done.elapsedMs) * 1000)} MiB/s), waited in send() ` +
      `${done.waitedMs} ms in all (longest ${done.maxWaitMs} ms), at most ${mib(inFlightMax)} MiB in flight, ` +
      `writer RSS ${done.rssMiB} MiB; reader read ${mib(received)} MiB; reader ` +
      `RSS ${mib(rss0)} → peak ${mib(peak)} MiB over ${samples.length} samples (at ¼ ½ ¾ end of the flood: ` +
      `${at(0.25)} ${at(0.5)} ${at(0.75)} ${at(1)} MiB)`;
    console.log(summary);

    expect(received).toBe(done.sent); // nothing lost
    if (FLOOD_BYTES !== null) expect(done.sent).toBe(FLOOD_BYTES);
    // Backpressure: the writer was held to the reader's pace, waiting in send() most of the time…
    expect(done.waitedMs).toBeGreaterThan(done.elapsedMs * 0.5);
    // …and never got more than the window and buffers ahead of the app, though it did fill them (the stall).
    expect(inFlightMax).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
    expect(inFlightMax).toBeGreaterThan(DEFAULT_CHANNEL_WINDOW_FAST / 2);
    // At ~6 MiB/s of reading, the writer could not have sent much more than the reader took plus the buffers.
    expect(mib(done.sent)).toBeLessThan(
      ((done.elapsedMs - STALL_MS) / READ_EVERY_MS / 16) * 1.5 + mib(IN_FLIGHT_BOUND),
    );
    expect(mib(peak - rss0)).toBeLessThan(RSS_BOUND_MIB);
  }, 180_000);

  it('holds what many unread channels carry to the Link receive budget; the writer waits, and every byte arrives once read', async () => {
    const { reader, tcp, account, flooderDir } = await startReader({ receiveBudget: BUDGET });
    // The app takes the channels and reads none of them until the writer is stuck.
    const channels: Channel[] = [];
    reader.handle('flood', (channel) => {
      channels.push(channel);
    });
    // Buffers are where held bytes live (receive slabs, TLS records): ArrayBuffer memory, not the heap.
    const buffers0 = process.memoryUsage().arrayBuffers;
    let buffersPeak = buffers0;
    const sampler = setInterval(() => {
      buffersPeak = Math.max(buffersPeak, process.memoryUsage().arrayBuffers);
    }, 100);
    cleanups.push(() => clearInterval(sampler));
    const flooder = new PeerProcess(
      {
        address: tcp.localAddress,
        account,
        stateDir: flooderDir,
        bytes: BUDGET_FLOOD_BYTES,
        seconds: SECONDS,
        channels: BUDGET_CHANNELS,
      },
      undefined,
      flooderScript,
    );
    cleanups.push(() => flooder.close());
    let sent = 0;
    const progress = flooder.messages$.subscribe((m) => {
      if (m.ev === 'progress' || m.ev === 'done') sent = Number(m.sent);
    });
    cleanups.push(() => progress.unsubscribe());
    await flooder.next((m) => m.ev === 'flooding', 30_000);

    // Wait until nothing moves any more: the writer blocked, the reader's Link holding what it holds.
    const link = () => reader.links()[0];
    let last = -1;
    let still = 0;
    const deadline = Date.now() + 30_000;
    while (still < 10 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const held = link()?.stats().heldBytes ?? 0;
      still = held === last && held > 0 ? still + 1 : 0;
      last = held;
    }
    const stats = link()!.stats();
    const sentWhileStuck = sent;
    const buffersGrowth = buffersPeak - buffers0;
    console.log(
      `[receive budget ${mib(BUDGET)} MiB] ${channels.length} unread channels, writer sent ${mib(sentWhileStuck)} of ` +
        `${mib(BUDGET_FLOOD_BYTES)} MiB, reader Link held ${mib(stats.heldBytes)} MiB after ${stats.receivePauses} ` +
        `pause(s), reader ArrayBuffer memory +${mib(buffersGrowth)} MiB at most (without the budget: ${BUDGET_CHANNELS} windows, ` +
        `${mib(BUDGET_CHANNELS * DEFAULT_CHANNEL_WINDOW_FAST)} MiB)`,
    );
    expect(channels).toHaveLength(BUDGET_CHANNELS);
    expect(stats.receivePauses).toBeGreaterThanOrEqual(1);
    expect(stats.heldBytes).toBeGreaterThan(BUDGET);
    // Past the budget only what the socket and TLS delivered after the pause (a few reads).
    expect(stats.heldBytes).toBeLessThanOrEqual(BUDGET + 2 * MIB);
    expect(sentWhileStuck).toBeLessThan(BUDGET_FLOOD_BYTES);
    expect(sentWhileStuck).toBeGreaterThan(BUDGET);
    expect(mib(buffersGrowth)).toBeLessThan(BUDGET_BUFFERS_BOUND_MIB);
    expect(link()!.state).toBe('open');

    // The app reads: everything arrives.
    const counts = await Promise.all(
      channels.map(async (ch) => {
        let n = 0;
        for await (const m of ch) n += m.length;
        return n;
      }),
    );
    expect(counts).toEqual(channels.map(() => BUDGET_FLOOD_BYTES / BUDGET_CHANNELS));
    expect(link()?.stats().heldBytes ?? 0).toBe(0);
  }, 120_000);
});
