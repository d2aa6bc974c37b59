import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import type { LinkModel } from '../src/memory/conduit-pair.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import type { Session } from '../src/session.js';
import { advert, bytes, next, sha } from './helpers.js';

// Session.messages$ / data$ never drop what arrives while the app is not subscribed: it is held (bounded: the channel
// windows, and SESSION_HELD_MESSAGE_BYTES for text) and the peer sees backpressure.

const app = { bundleName: 'com.example.nodrop', moduleName: 'entry', abilityName: 'EntryAbility' };
const devices: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(devices.splice(0).map((d) => d.stop()));
});

async function pair(model: LinkModel = {}) {
  const net = new MemoryNetwork({ model });
  const a = new LocalDevice({ advert: advert('nd-phone'), transports: [net.createTransport()] });
  const b = new LocalDevice({ advert: advert('nd-tablet'), transports: [net.createTransport()] });
  devices.push(a, b);
  await a.start();
  await b.start();
  await next(a.directory.devices$, (l) => l.length === 1);
  return { a, b };
}

/** Opens a session a → b; `onAccept` runs on b's side right after accept (before a's `request()` resolves). */
async function open(
  a: LocalDevice,
  b: LocalDevice,
  onAccept?: (s: Session) => void,
): Promise<[Session, Session]> {
  const accepted = new Promise<Session>((resolve) => {
    b.sessions.requests$.subscribe(
      (r) =>
        void r.accept().then((s) => {
          onAccept?.(s);
          resolve(s);
        }),
    );
  });
  const s = await a.sessions.request({ peer: b.advert.networkId, service: 'nd', local: app, remote: app });
  return [s, await accepted];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await pause(ms);
  return done;
}

describe('Session: nothing received is dropped while the app does not subscribe', () => {
  it('messages and data the acceptor sends at once reach a requester that subscribes later', async () => {
    const { a, b } = await pair({ latencyMs: 1 });
    const [sa] = await open(a, b, (sb) => {
      void sb.sendMessage('welcome');
      void sb.sendData(Uint8Array.of(1, 2, 3));
      void sb.sendMessage('second');
    });
    await pause(100); // the app subscribes long after request() resolved
    const texts = firstValueFrom(sa.messages$.pipe(take(2), toArray()));
    const data = firstValueFrom(sa.data$);
    expect(await texts).toEqual(['welcome', 'second']);
    expect([...(await data)]).toEqual([1, 2, 3]);
  });

  it('data$: what arrives between subscribers goes to the next one, in order; the writer waits while nobody reads', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    const first = firstValueFrom(sb.data$);
    await sa.sendData(Uint8Array.of(0));
    expect([...(await first)]).toEqual([0]); // firstValueFrom unsubscribed: nobody reads now
    // 16 MiB in 1 MiB messages while nobody reads: the channel window (4 MiB on this medium) and the writer's send
    // buffer (4 MiB) fill, then sendData waits — bytes are not piling up anywhere.
    const sent = Array.from({ length: 16 }, () => bytes(1024 * 1024));
    let resolved = 0;
    const sends = sent.map((d) => sa.sendData(d).then(() => resolved++));
    expect(await settlesWithin(Promise.all(sends), 300)).toBe(false);
    expect(resolved).toBeLessThan(12);
    const got: string[] = [];
    const sub = sb.data$.subscribe((d) => got.push(sha(d)));
    await Promise.all(sends);
    await expect.poll(() => got.length).toBe(16);
    expect(got).toEqual(sent.map(sha));
    sub.unsubscribe();
  });

  it('messages$: held up to the bound, then the writer waits; the first reader gets every message in order', async () => {
    const { a, b } = await pair({ mtu: 244 }); // BLE-sized frames: 256 KiB channel window, 1 MiB send buffer
    const [sa, sb] = await open(a, b);
    const text = (i: number) => `${i}:`.padEnd(1000, 'x');
    let n = 0;
    let blocked: Promise<void> | undefined;
    while (!blocked && n < 20_000) {
      const p = sa.sendMessage(text(n++));
      if (!(await settlesWithin(p, n % 100 === 0 ? 50 : 0))) blocked = p;
    }
    expect(blocked, `${n} messages of 1000 bytes were all accepted with nobody reading`).toBeDefined();
    // Held by the session (≤ 256 KiB) + the control channel's window (256 KiB) + the writer's send buffer (1 MiB).
    expect(n * 1000).toBeLessThan(1.6 * 1024 * 1024);
    const got: string[] = [];
    sb.messages$.subscribe((m) => got.push(m));
    await blocked;
    await expect.poll(() => got.length).toBe(n);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => text(i)));
  });

  it('data sent right before the peer closes the session is delivered before data$ completes', async () => {
    const { a, b } = await pair({ bandwidthBytesPerSec: 40 * 1024 * 1024 });
    const [sa, sb] = await open(a, b);
    const all = firstValueFrom(sb.data$.pipe(toArray()));
    // The first fills the peer's 4 MiB window, the second waits in the send buffer (4 MiB) for credit: the close
    // message on the control channel overtakes it.
    const blobs = [bytes(4 * 1024 * 1024), bytes(3 * 1024 * 1024 + 3)];
    await sa.sendData(blobs[0]!);
    const second = sa.sendData(blobs[1]!); // accepted: queued in the send buffer
    await sa.close();
    await second; // close() flushed it
    expect(await firstValueFrom(sb.ended$)).toBe('peer-closed');
    expect((await all).map(sha)).toEqual(blobs.map(sha));
  });
});
