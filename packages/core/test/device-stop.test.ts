import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice, type LocalDeviceOptions } from '../src/device.js';
import { ColinkError } from '../src/errors.js';
import type { LinkModel } from '../src/memory/conduit-pair.js';
import type { Session } from '../src/session.js';
import { advert, memoryDevicePair } from './helpers.js';

const app = { bundleName: 'com.example.stop', moduleName: 'entry', abilityName: 'EntryAbility' };
const devices: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(devices.splice(0).map((d) => d.stop()));
});

function pair(model: LinkModel = {}, options: Partial<LocalDeviceOptions> = {}) {
  return memoryDevicePair(devices, ['st-phone', 'st-tablet'], options, model);
}

async function open(a: LocalDevice, b: LocalDevice): Promise<[Session, Session]> {
  const accepted = new Promise<Session>((resolve) => {
    b.sessions.requests$.subscribe((r) => void r.accept().then(resolve));
  });
  const s = await a.sessions.request({ peer: b.advert.networkId, service: 'st', local: app, remote: app });
  return [s, await accepted];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Outcome = { i: number; ok: true } | { i: number; ok: false; code: string | undefined; typed: boolean };

function track(sends: Promise<void>[]): Promise<Outcome[]> {
  return Promise.all(
    sends.map((p, i) =>
      p.then(
        (): Outcome => ({ i, ok: true }),
        (e: unknown): Outcome => ({
          i,
          ok: false,
          code: (e as ColinkError).code,
          typed: e instanceof ColinkError,
        }),
      ),
    ),
  );
}

/** A promise that resolves with `'timeout'` after `ms` unless `p` settles first. */
function race<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}

describe('stopFlushMs', () => {
  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])(
    'rejects %s with ERR_INVALID_ARGUMENT',
    (ms) => {
      expect(() => new LocalDevice({ advert: advert('st-bad'), transports: [], stopFlushMs: ms })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    },
  );
});

describe('LocalDevice.stop(): accepted sends are delivered or rejected with a typed error, in bounded time', () => {
  it('a peer app that reads nothing cannot hold the stop; what was handed over reaches the peer, the rest rejects', async () => {
    const { a, b } = await pair({}, { stopFlushMs: 300 });
    const [sa, sb] = await open(a, b);
    const sent = Array.from({ length: 40 }, (_, i) => new Uint8Array(512 * 1024).fill(i));
    const outcomes = track(sent.map((d) => sa.sendData(d)));
    await pause(50); // the peer's window (4 MiB) fills; the rest waits in the send buffer or for room in it
    const t0 = Date.now();
    // It used to wait forever here: the session's graceful close waited for credit the peer app never gave.
    expect(await race(a.stop(), 10_000)).not.toBe('timeout');
    const stopMs = Date.now() - t0;
    const settled = await race(outcomes, 2_000);
    expect(settled, 'a send was left pending after stop()').not.toBe('timeout');
    const results = settled as Outcome[];
    const delivered = results.filter((o) => o.ok).map((o) => o.i);
    const rejected = results.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    expect(delivered.length + rejected.length).toBe(40);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((o) => o.typed && o.code === 'ERR_CLOSED')).toBe(true);
    // The peer's app subscribes only now: every send that resolved is there, in order, byte-exact.
    const got = await firstValueFrom(sb.data$.pipe(toArray()));
    expect(got.map((d) => d[0])).toEqual(delivered);
    expect(got.every((d, k) => d.length === 512 * 1024 && d.every((x) => x === delivered[k]))).toBe(true);
    // The report names what could not be flushed.
    expect(a.lastStop).toMatchObject({ flushed: false });
    expect(a.lastStop!.unflushedSends).toBeGreaterThan(0);
    expect(a.lastStop!.unflushedSends).toBeLessThanOrEqual(rejected.length);
    expect(a.lastStop!.unflushedBytes).toBeGreaterThan(0);
    expect(stopMs).toBeLessThan(5_000); // 300 ms of flushing plus the closes (generous: shared machine)
  }, 30_000);

  it('Link channel sends to a slow reader: each resolves and arrives, or rejects with ERR_CLOSED', async () => {
    const { a, b } = await pair({ bandwidthBytesPerSec: 8 * 1024 * 1024 }, { stopFlushMs: 200 });
    const got: number[] = [];
    b.handle('slow', (ch) => {
      ch.pause();
      const t = setInterval(() => {
        ch.resume();
        ch.pause();
      }, 20);
      ch.messages$.subscribe({ next: (m) => got.push(m[0]!), complete: () => clearInterval(t) });
      ch.closed$.subscribe(() => setTimeout(() => clearInterval(t), 500));
    });
    const ch = await a.openChannel(b.advert.networkId, { proto: 'slow' });
    const outcomes = track(Array.from({ length: 60 }, (_, i) => ch.send(new Uint8Array(256 * 1024).fill(i))));
    await pause(50);
    expect(await race(a.stop(), 10_000)).not.toBe('timeout');
    const settled = await race(outcomes, 2_000);
    expect(settled, 'a send was left pending after stop()').not.toBe('timeout');
    const results = settled as Outcome[];
    const delivered = results.filter((o) => o.ok).map((o) => o.i);
    expect(results.filter((o) => !o.ok).every((o) => !o.ok && o.typed && o.code === 'ERR_CLOSED')).toBe(true);
    // What resolved was handed to the medium before the Link ended: the reader gets all of it.
    await expect.poll(() => got.length, { timeout: 5_000 }).toBe(delivered.length);
    expect(got).toEqual(delivered);
  }, 30_000);

  it('a peer connection waiting for a Link (grace period) does not hold the stop: its queued sends reject', async () => {
    const { net, a, b } = await memoryDevicePair(devices, ['st-g1', 'st-g2'], {
      peerGraceMs: 60_000,
      stopFlushMs: 200,
    });
    const [sa] = await open(a, b);
    net.setReachable(a.transports[0]!.localAddress!, b.transports[0]!.localAddress!, false);
    await expect.poll(() => a.peer(b.advert.networkId)?.state, { timeout: 10_000 }).toBe('reconnecting');
    const outcomes = track([sa.sendMessage('waits'), sa.sendData(new Uint8Array(1000))]);
    const t0 = Date.now();
    // It used to wait for the 60 s grace period: the session's close message could not be sent.
    expect(await race(a.stop(), 10_000)).not.toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5_000);
    const results = await race(outcomes, 2_000);
    expect(results).toEqual([
      { i: 0, ok: false, code: 'ERR_CLOSED', typed: true },
      { i: 1, ok: false, code: 'ERR_CLOSED', typed: true },
    ]);
    expect(a.lastStop).toMatchObject({ flushed: false });
  }, 30_000);
});
