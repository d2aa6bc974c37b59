import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { ColinkError } from '../src/errors.js';
import { SESSION_CLOSE_TIMEOUT_MS, SESSION_HELD_MESSAGE_BYTES } from '../src/limits.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import type { Session } from '../src/session.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { advert, driveClock } from './helpers.js';

// Session.close() is bounded (SESSION_CLOSE_TIMEOUT_MS): a peer app that reads nothing grants no credit, and the close
// message (or the data queued before it) would wait for it forever. Virtual time: the 5 s limit costs nothing.

const app = { bundleName: 'com.example.close', moduleName: 'entry', abilityName: 'EntryAbility' };
const WINDOW = 64 * 1024;
let clock: VirtualClock;
const devices: LocalDevice[] = [];

afterEach(async () => {
  await drive(Promise.allSettled(devices.splice(0).map((d) => d.stop())));
});

/** Advances the virtual clock until `p` settles (test/helpers.ts `driveClock`). */
const drive = <T>(p: Promise<T>): Promise<T> => driveClock(clock, p);

/** Settles `p` into what happened to it, for checking without awaiting. */
function watch(p: Promise<unknown>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const w: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  p.then(
    () => (w.state = 'resolved'),
    (e: unknown) => {
      w.state = 'rejected';
      w.error = e;
    },
  );
  return w;
}

/** Two devices on a memory network in virtual time, with small windows (64 KiB) so a non-reading peer fills them fast. */
async function pair(extra: { stopFlushMs?: number } = {}): Promise<{ a: LocalDevice; b: LocalDevice }> {
  clock = new VirtualClock();
  const net = new MemoryNetwork({ scheduler: clock });
  const options = { scheduler: clock, link: { channelWindow: WINDOW, sendBufferBytes: WINDOW }, ...extra };
  const a = new LocalDevice({ advert: advert('close-a'), transports: [net.createTransport()], ...options });
  const b = new LocalDevice({ advert: advert('close-b'), transports: [net.createTransport()], ...options });
  devices.push(a, b);
  await drive(Promise.all([a.start(), b.start()]));
  for (let i = 0; i < 100 && a.directory.get(b.advert.networkId) === undefined; i++) await clock.advance(100);
  expect(a.directory.get(b.advert.networkId)).toBeDefined();
  return { a, b };
}

/** A session a → b; b's app accepts and then reads nothing (no messages$ / data$ subscriber). */
async function open(a: LocalDevice, b: LocalDevice): Promise<[Session, Session]> {
  const accepted = new Promise<Session>((resolve) => {
    b.sessions.requests$.subscribe((r) => void r.accept().then(resolve));
  });
  const s = await drive(
    a.sessions.request({ peer: b.advert.networkId, service: 'close', local: app, remote: app }),
  );
  return [s, await drive(accepted)];
}

describe('Session.close() against a peer app that reads nothing (virtual time)', () => {
  it('data the peer never reads: close() settles at SESSION_CLOSE_TIMEOUT_MS, waiting sends reject with ERR_CLOSED', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    const ended = watch(firstValueFrom(sb.ended$));
    // One window is taken by the peer's data channel, one more fills the send buffer, the third waits for room.
    const sends = [0, 1, 2, 3].map((i) => watch(sa.sendData(new Uint8Array(WINDOW).fill(i))));
    await clock.advance(100);
    expect(sends.map((s) => s.state)).toEqual(['resolved', 'pending', 'pending', 'pending']);
    const closing = watch(sa.close());
    await clock.advance(SESSION_CLOSE_TIMEOUT_MS - 100);
    expect(closing.state).toBe('pending');
    expect(sa.state).toBe('closed');
    await clock.advance(200);
    expect(closing.state).toBe('resolved');
    // Every send not handed to the medium learnt it: a typed ERR_CLOSED naming the time limit, none left pending.
    expect(sends.map((s) => s.state)).toEqual(['resolved', 'rejected', 'rejected', 'rejected']);
    for (const s of sends.slice(1)) {
      expect(s.error).toBeInstanceOf(ColinkError);
      expect(s.error).toMatchObject({ code: 'ERR_CLOSED' });
      expect((s.error as ColinkError).reason?.message).toMatch(/within 5000 ms/);
    }
    // The peer learns the session was closed by its peer app, and still gets what was handed over.
    expect(ended.state).toBe('resolved');
    expect(await firstValueFrom(sb.ended$)).toBe('peer-closed');
    const got = await drive(firstValueFrom(sb.data$.pipe(toArray())));
    expect(got.map((d) => [d.length, d[0]])).toEqual([[WINDOW, 0]]);
  });

  it('messages the peer holds past its bound: close("exit") settles at the limit, the peer sees peer-exit', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    // The peer holds SESSION_HELD_MESSAGE_BYTES, then stops reading its control channel: its window fills, then the
    // send buffer, then sendMessage waits.
    const text = 'x'.repeat(1024);
    const count = (SESSION_HELD_MESSAGE_BYTES + 3 * WINDOW) / 1024;
    const sends = Array.from({ length: count }, () => watch(sa.sendMessage(text)));
    await clock.advance(100);
    const pendingBefore = sends.filter((s) => s.state === 'pending').length;
    expect(pendingBefore).toBeGreaterThan(0);
    const closing = watch(sa.close('exit'));
    await clock.advance(SESSION_CLOSE_TIMEOUT_MS - 100);
    expect(closing.state).toBe('pending');
    await clock.advance(200);
    expect(closing.state).toBe('resolved');
    expect(sends.filter((s) => s.state === 'pending')).toHaveLength(0);
    const rejected = sends.filter((s) => s.state === 'rejected');
    expect(rejected.length).toBe(pendingBefore);
    expect(rejected.every((s) => (s.error as ColinkError).code === 'ERR_CLOSED')).toBe(true);
    expect(await firstValueFrom(sb.ended$)).toBe('peer-exit');
    // Nothing the peer received is lost: its app subscribing now gets every message that was handed over, in order.
    const got = await drive(firstValueFrom(sb.messages$.pipe(toArray())));
    expect(got).toHaveLength(count - pendingBefore);
  });

  it('takes its own time limit; a bad one rejects with ERR_INVALID_ARGUMENT and leaves the session open', async () => {
    const { a, b } = await pair();
    const [sa] = await open(a, b);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5' as unknown as number])
      await expect(sa.close('closed', bad)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(sa.state).toBe('open');
    const sends = [0, 1, 2].map((i) => watch(sa.sendData(new Uint8Array(WINDOW).fill(i))));
    await clock.advance(10);
    const closing = watch(sa.close('closed', 250));
    await clock.advance(200);
    expect(closing.state).toBe('pending');
    await clock.advance(100);
    expect(closing.state).toBe('resolved');
    expect(sends.map((s) => s.state)).toEqual(['resolved', 'rejected', 'rejected']);
  });

  it('a peer that reads closes gracefully well before the limit, with nothing reset', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    const got = firstValueFrom(sb.data$.pipe(toArray()));
    // One window on the peer's credit, one in the send buffer: both queued when close() is called.
    const sends = [0, 1].map((i) => watch(sa.sendData(new Uint8Array(WINDOW).fill(i))));
    const closing = watch(sa.close());
    await clock.advance(100);
    expect(closing.state).toBe('resolved');
    expect(sends.map((s) => s.state)).toEqual(['resolved', 'resolved']);
    expect((await drive(got)).map((d) => d[0])).toEqual([0, 1]);
    expect(await firstValueFrom(sb.ended$)).toBe('peer-closed');
    expect(sa.via.state).toBe('open');
  });

  it("LocalDevice.stop() keeps its own flush time (longer than the sessions' limit) and reports what it could not flush", async () => {
    const { a, b } = await pair({ stopFlushMs: 8_000 });
    const [sa] = await open(a, b);
    const sends = [0, 1, 2, 3].map((i) => watch(sa.sendData(new Uint8Array(WINDOW).fill(i))));
    await clock.advance(100);
    const stopped = a.stop();
    const stopping = watch(stopped);
    await clock.advance(SESSION_CLOSE_TIMEOUT_MS + 500);
    // Past the sessions' own limit: nothing was reset, the sends still wait for the peer within stop's flush time.
    expect(stopping.state).toBe('pending');
    expect(sends.map((s) => s.state)).toEqual(['resolved', 'pending', 'pending', 'pending']);
    await drive(stopped);
    expect(sends.map((s) => s.state)).toEqual(['resolved', 'rejected', 'rejected', 'rejected']);
    expect(a.lastStop).toMatchObject({ flushed: false, unflushedSends: 3 });
  });
});
