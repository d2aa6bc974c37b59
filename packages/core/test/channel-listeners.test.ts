import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../src/channel.js';
import { closeReason, ErrorCode } from '../src/errors.js';
import { linkPair } from './helpers.js';

// A channel makes closed$, writable$ and its subscriber set on first use, and a device's own readers (a Session's
// control and data channels, a peer connection's bookkeeping) use the internal listen()/onClosed() instead of rxjs
// subscriptions (issue 19: idle memory per session). These tests hold the observable behaviour to what it was.

/** The first channel the peer opens on `link`. */
function incoming(link: Awaited<ReturnType<typeof linkPair>>[1]): Promise<Channel> {
  return firstValueFrom(link.incomingChannels$);
}

const text = (m: Uint8Array) => Buffer.from(m).toString();

describe('channel observables made on first use', () => {
  it('closed$ first subscribed after the close replays the reason and completes; writable$ completes', async () => {
    const [a, b] = await linkPair();
    const ch = a.openChannel({ proto: 't' });
    const far = await incoming(b);
    far.reset(closeReason('refused', 'not today'));
    await new Promise((r) => setTimeout(r, 20));
    expect(ch.state).toBe('closed');
    const reasons = await firstValueFrom(ch.closed$.pipe(toArray()));
    expect(reasons.map((r) => [r.code, r.message])).toEqual([['refused', 'not today']]);
    const writable = await firstValueFrom(ch.writable$.pipe(toArray()));
    expect(writable).toEqual([]);
    // A second subscription sees the same.
    expect((await firstValueFrom(ch.closed$)).code).toBe('refused');
    await Promise.all([a.close(), b.close()]);
  });

  it('closed$ subscribed before the close: each subscriber gets the reason once, one that unsubscribed gets nothing', async () => {
    const [a, b] = await linkPair();
    const ch = a.openChannel({ proto: 'u' });
    const far = await incoming(b);
    const seen: string[] = [];
    const completed: string[] = [];
    for (const name of ['one', 'two', 'gone'])
      ch.closed$.subscribe({
        next: (r) => seen.push(`${name}:${r.code}`),
        complete: () => completed.push(name),
      });
    const gone = ch.closed$.subscribe(() => seen.push('unsubscribed'));
    gone.unsubscribe();
    far.reset(closeReason('refused', 'x'));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['one:refused', 'two:refused', 'gone:refused']);
    expect(completed).toEqual(['one', 'two', 'gone']);
    await Promise.all([a.close(), b.close()]);
  });

  it('writable$ subscribed late starts from the current state, then follows backpressure and the close', async () => {
    const [a, b] = await linkPair({}, { sendBufferBytes: 64 * 1024, channelWindow: 64 * 1024 });
    const ch = a.openChannel({ proto: 'w' });
    const far = await incoming(b);
    far.pause(); // the far end stops reading: credit runs out and the send buffer fills
    far.messages$.subscribe(() => undefined);
    const seen: boolean[] = [];
    ch.writable$.subscribe((w) => seen.push(w));
    expect(seen).toEqual([true]);
    // The first 64 KiB go out on the peer's credit, the next 64 KiB fill the send buffer, the rest wait.
    const sends = Array.from({ length: 12 }, () => ch.send(new Uint8Array(16 * 1024)));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.at(-1)).toBe(false);
    far.resume();
    await Promise.all(sends);
    expect(seen).toContain(true);
    expect(seen.lastIndexOf(true)).toBeGreaterThan(seen.indexOf(false));
    ch.reset();
    expect(seen.at(-1)).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('internal listeners', () => {
  it('listen() gets every message in order, before the subscribers, including those that arrived before it', async () => {
    const [a, b] = await linkPair();
    const ch = a.openChannel({ proto: 'l' });
    const opened = incoming(b);
    await ch.send(Buffer.from('early-1'));
    await ch.send(Buffer.from('early-2'));
    const far = await opened;
    await new Promise((r) => setTimeout(r, 10)); // both wait in the far channel's inbox
    const order: string[] = [];
    far.listen((m) => order.push(`listener:${text(m)}`));
    far.messages$.subscribe((m) => order.push(`subscriber:${text(m)}`));
    for (let i = 0; i < 50; i++) void ch.send(Buffer.from(`m${i}`));
    await ch.send(Buffer.from('last'));
    await new Promise((r) => setTimeout(r, 20));
    const expected = ['early-1', 'early-2', ...Array.from({ length: 50 }, (_, i) => `m${i}`), 'last'];
    expect(order.filter((o) => o.startsWith('listener:'))).toEqual(expected.map((m) => `listener:${m}`));
    // The subscriber came after the listener was set, so it sees the same messages, each one right after it.
    expect(order).toEqual(expected.flatMap((m) => [`listener:${m}`, `subscriber:${m}`]));
    expect(() => far.listen(() => undefined)).toThrow(expect.objectContaining({ code: ErrorCode.CONFLICT }));
    await Promise.all([a.close(), b.close()]);
  });

  it('a listener keeps flow control: 16 windows of messages arrive, and a paused reader holds them back in order', async () => {
    const window = 64 * 1024;
    const [a, b] = await linkPair({}, { channelWindow: window });
    const ch = a.openChannel({ proto: 'f' });
    const far = await incoming(b);
    const got: number[] = [];
    far.listen((m) => got.push(m[0]! | (m[1]! << 8)));
    const n = 16 * 16;
    const msg = (i: number) => {
      const m = new Uint8Array(4096);
      m[0] = i & 0xff;
      m[1] = i >> 8;
      return m;
    };
    for (let i = 0; i < n / 2; i++) await ch.send(msg(i)); // credit comes back as the listener reads
    far.pause();
    const rest = Array.from({ length: n / 2 }, (_, i) => ch.send(msg(n / 2 + i)));
    await new Promise((r) => setTimeout(r, 30));
    const whilePaused = got.length;
    expect(whilePaused).toBe(n / 2);
    far.resume();
    await Promise.all(rest);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    await Promise.all([a.close(), b.close()]);
  });

  it('onClosed() is called once with the reason before closed$ emits, and at once on a closed channel', async () => {
    const [a, b] = await linkPair();
    const ch = a.openChannel({ proto: 'c' });
    const far = await incoming(b);
    const calls: string[] = [];
    ch.onClosed((r) => calls.push(`first:${r.code}`));
    ch.closed$.subscribe((r) => calls.push(`closed$:${r.code}`));
    ch.onClosed((r) => calls.push(`second:${r.code}`));
    far.reset(closeReason('refused', 'no'));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['first:refused', 'second:refused', 'closed$:refused']);
    ch.onClosed((r) => calls.push(`late:${r.code}`));
    expect(calls.at(-1)).toBe('late:refused');
    ch.reset(); // already closed: no second call
    expect(calls).toHaveLength(4);
    await Promise.all([a.close(), b.close()]);
  });

  it('a channel that closes while its listener runs still completes its subscribers', async () => {
    const [a, b] = await linkPair();
    const ch = a.openChannel({ proto: 'r' });
    const far = await incoming(b);
    far.listen(() => far.reset(closeReason('refused', 'enough')));
    const completed = firstValueFrom(far.messages$.pipe(toArray()));
    await ch.send(Buffer.from('one'));
    expect((await completed).map(text)).toEqual(['one']);
    expect(far.state).toBe('closed');
    await Promise.all([a.close(), b.close()]);
  });
});
