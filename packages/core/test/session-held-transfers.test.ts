import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { ColinkError } from '../src/errors.js';
import { SESSION_HELD_TRANSFERS, SESSION_WAITING_TRANSFERS } from '../src/limits.js';
import type { Session } from '../src/session.js';
import type { Transfer } from '../src/transfer.js';
import { advert, memoryDevicePair, until } from './helpers.js';

// Completed transfers nobody has read are held for the next Session.data$ subscriber — within a bound
// (sessionHeldTransferBytes, SESSION_HELD_TRANSFERS): a transfer that does not fit waits unread, so its sender waits
// (backpressure), and past SESSION_WAITING_TRANSFERS waiting ones a new one is refused with a reason the sender sees.
// Two devices over the memory medium, small windows so that what a waiting transfer can push is small.

const app = { bundleName: 'com.example.held', moduleName: 'entry', abilityName: 'EntryAbility' };
const KiB = 1024;
const WINDOW = 64 * KiB;
const devices: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(devices.splice(0).map((d) => d.stop()));
});

async function pair(heldBytes: number): Promise<[Session, Session]> {
  const { a, b } = await memoryDevicePair(devices, ['held-a', 'held-b'], {
    link: { channelWindow: WINDOW, sendBufferBytes: WINDOW },
    sessionHeldTransferBytes: heldBytes,
    stopFlushMs: 200,
  });
  const accepted = new Promise<Session>((resolve) => {
    b.sessions.requests$.subscribe((r) => void r.accept().then(resolve));
  });
  const s = await a.sessions.request({ peer: b.advert.networkId, service: 'held', local: app, remote: app });
  return [s, await accepted];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` bytes, every one `tag`. */
const block = (n: number, tag: number) => new Uint8Array(n).fill(tag);

describe('Session: completed transfers nobody reads are held within a bound', () => {
  it('past the bound further transfers wait unread (the sender waits), then arrive in order once data$ reads', async () => {
    const [sa, sb] = await pair(1024 * KiB);
    // Nobody on b subscribes to data$ (nor transfers$): two 512 KiB transfers fill the 1 MiB bound.
    const first = [sa.transfer(block(512 * KiB, 1)), sa.transfer(block(512 * KiB, 2))];
    await Promise.all(first.map((t) => t.done));
    // A third does not fit: it waits unread. Its sender's acknowledged progress stops at what one window holds.
    const third = sa.transfer(block(512 * KiB, 3));
    await pause(200);
    expect(third.state).toBe('running');
    expect(third.bytes).toBeLessThanOrEqual(WINDOW);
    // b's app shows up: it gets the held two, then the third is read and arrives after them.
    const got = firstValueFrom(sb.data$.pipe(take(3), toArray()));
    expect((await got).map((d) => [d.length, d[0], d.every((x) => x === d[0])])).toEqual([
      [512 * KiB, 1, true],
      [512 * KiB, 2, true],
      [512 * KiB, 3, true],
    ]);
    expect(third.state).toBe('done');
    await third.done;
  });

  it(`waiting transfers are capped: past ${SESSION_WAITING_TRANSFERS} a new one is refused, and the sender sees why`, async () => {
    const [sa, sb] = await pair(256 * KiB);
    const seen: Transfer[] = [];
    sb.transfers$.subscribe((t) => seen.push(t)); // watched, but nobody reads data$
    const held = sa.transfer(block(256 * KiB, 0));
    await held.done;
    const waiting = Array.from({ length: SESSION_WAITING_TRANSFERS }, (_, i) =>
      sa.transfer(block(96 * KiB, i + 1)),
    );
    await until(() => seen.length === 1 + SESSION_WAITING_TRANSFERS);
    expect(seen).toHaveLength(1 + SESSION_WAITING_TRANSFERS);
    // Waiting ones are on transfers$ (the app can watch or cancel them) but nothing of theirs is read.
    expect(seen.slice(1).map((t) => [t.state, t.bytes])).toEqual(
      Array.from({ length: SESSION_WAITING_TRANSFERS }, () => ['running', 0]),
    );
    const refused = sa.transfer(block(1 * KiB, 99));
    const error = await refused.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ColinkError);
    expect(error).toMatchObject({ code: 'ERR_CLOSED', reason: { code: 'refused', remote: true } });
    expect((error as ColinkError).reason?.message).toContain(
      `not read 1 transfers (262144 bytes) and ${SESSION_WAITING_TRANSFERS} more wait`,
    );
    expect(seen).toHaveLength(1 + SESSION_WAITING_TRANSFERS); // the refused one never reached b's app
    expect(waiting.every((t) => t.state === 'running')).toBe(true);
    // Reading frees the room: every waiting transfer completes, in the order they were sent, none lost.
    const got = firstValueFrom(sb.data$.pipe(take(1 + SESSION_WAITING_TRANSFERS), toArray()));
    expect((await got).map((d) => d[0])).toEqual(
      Array.from({ length: 1 + SESSION_WAITING_TRANSFERS }, (_, i) => i),
    );
    await Promise.all(waiting.map((t) => t.done));
  });

  it('one transfer larger than the byte bound is still let in when nothing is held; the next waits for data$', async () => {
    const [sa, sb] = await pair(64 * KiB);
    const incoming: Transfer[] = [];
    sb.transfers$.subscribe((t) => incoming.push(t));
    const big = sa.transfer(block(300 * KiB, 7)); // over the bound: let in since nothing is held
    await big.done;
    sa.transfer(block(1, 8)); // does not fit beside it: b does not read it
    await until(() => incoming.length === 2);
    await pause(100);
    expect(incoming.map((t) => [t.state, t.bytes])).toEqual([
      ['done', 300 * KiB],
      ['running', 0],
    ]);
    const got = firstValueFrom(sb.data$.pipe(take(2), toArray()));
    expect((await got).map((d) => [d.length, d[0]])).toEqual([
      [300 * KiB, 7],
      [1, 8],
    ]);
  });

  it('empty transfers are bounded by their number (SESSION_HELD_TRANSFERS), not only by bytes', async () => {
    const [sa, sb] = await pair(64 * KiB);
    const incoming: Transfer[] = [];
    sb.transfers$.subscribe((t) => incoming.push(t));
    const n = SESSION_HELD_TRANSFERS + SESSION_WAITING_TRANSFERS;
    const sent: Transfer[] = [];
    for (let i = 0; i < n; i++) {
      sent.push(sa.transfer(new Uint8Array(0)));
      if (i % 64 === 63) await pause(1); // (not all 1,040 channels at once: the Link's own channel limit is 4,096)
    }
    await until(() => incoming.length === n);
    await pause(50);
    expect(incoming.filter((t) => t.state === 'done')).toHaveLength(SESSION_HELD_TRANSFERS);
    expect(incoming.filter((t) => t.state === 'running')).toHaveLength(SESSION_WAITING_TRANSFERS);
    const refused = sa.transfer(new Uint8Array(0));
    await expect(refused.done).rejects.toMatchObject({ code: 'ERR_CLOSED', reason: { code: 'refused' } });
    const got = firstValueFrom(sb.data$.pipe(take(n), toArray()));
    expect(await got).toHaveLength(n);
    await Promise.all(sent.map((t) => t.done));
  });

  it('an app reading data$ is held back only while more than the bound is being received at once', async () => {
    const [sa, sb] = await pair(128 * KiB);
    const got = firstValueFrom(sb.data$.pipe(take(6), toArray()));
    // 100 KiB each: one fits at a time, the others wait (fewer than SESSION_WAITING_TRANSFERS: none refused).
    const ts = Array.from({ length: 6 }, (_, i) => sa.transfer(block(100 * KiB, i)));
    await Promise.all(ts.map((t) => t.done));
    expect((await got).map((d) => d[0])).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('Session: a subscriber that stops part way through what is held leaves the rest to the next one', () => {
  it('data$: held transfers', async () => {
    const [sa, sb] = await pair(1024 * KiB);
    await Promise.all([1, 2, 3].map((i) => sa.transfer(block(KiB, i)).done));
    await pause(50);
    expect((await firstValueFrom(sb.data$))[0]).toBe(1); // takes one and unsubscribes
    const rest = await firstValueFrom(sb.data$.pipe(take(2), toArray()));
    expect(rest.map((d) => d[0])).toEqual([2, 3]);
  });

  it('messages$: held text messages', async () => {
    const [sa, sb] = await pair(1024 * KiB);
    for (const m of ['one', 'two', 'three']) await sa.sendMessage(m);
    await pause(50);
    expect(await firstValueFrom(sb.messages$)).toBe('one');
    expect(await firstValueFrom(sb.messages$.pipe(take(2), toArray()))).toEqual(['two', 'three']);
  });
});

describe('sessionHeldTransferBytes', () => {
  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s with ERR_INVALID_ARGUMENT', (n) => {
    expect(
      () => new LocalDevice({ advert: advert('held-bad'), transports: [], sessionHeldTransferBytes: n }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
