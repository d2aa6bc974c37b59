import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { closeReason } from '../src/errors.js';
import { FRAME_HEADER_BYTES } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { advert, bytes, linkPair, sha } from './helpers.js';

describe('Link', () => {
  it('opens, exchanges HELLO adverts and carries messages both ways', async () => {
    const [a, b] = await linkPair();
    expect(a.state).toBe('open');
    expect(a.remote?.networkId).toBe(advert('b').networkId);
    expect(b.remote?.deviceName).toBe('a');
    const gotB = firstValueFrom(b.messages$.pipe(take(2), toArray()));
    await a.send(new TextEncoder().encode('hello'));
    await a.send(new Uint8Array(0));
    const msgs = await gotB;
    expect(new TextDecoder().decode(msgs[0])).toBe('hello');
    expect(msgs[1]!.length).toBe(0);
    const gotA = firstValueFrom(a.messages$);
    await b.send(new Uint8Array([1, 2, 3]));
    expect([...(await gotA)]).toEqual([1, 2, 3]);
  });

  it('sendFramed: sends the bytes behind the 12-byte header room, queued or at once, and refuses a buffer without the room', async () => {
    const [a, b] = await linkPair();
    const incoming = firstValueFrom(b.incomingChannels$);
    const ch = a.openChannel({ proto: 'framed' });
    const rx = await incoming;
    const got = firstValueFrom(rx.messages$.pipe(take(3), toArray()));
    const framed = (payload: Uint8Array): Uint8Array => {
      const f = new Uint8Array(FRAME_HEADER_BYTES + payload.length).fill(0xee); // the room: not sent as data
      f.set(payload, FRAME_HEADER_BYTES);
      return f;
    };
    const big = bytes(200_000); // past one frame: queued and fragmented, not the fast path
    await Promise.all([ch.sendFramed(framed(Uint8Array.of(1, 2, 3))), ch.sendFramed(framed(big))]);
    await ch.sendFramed(framed(new Uint8Array(0)));
    const [m1, m2, m3] = await got;
    expect([...m1!]).toEqual([1, 2, 3]);
    expect(sha(m2!)).toBe(sha(big));
    expect(m3!.length).toBe(0);
    await expect(ch.sendFramed(new Uint8Array(FRAME_HEADER_BYTES - 1))).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await a.close();
  });

  it('moves a 16 MiB message byte-exact over an MTU-244 medium', async () => {
    const [a, b] = await linkPair({ mtu: 244 });
    expect(a.maxPayload).toBe(232);
    const big = bytes(16 * 1024 * 1024);
    const got = firstValueFrom(b.messages$);
    await a.send(big);
    const m = await got;
    expect(m.length).toBe(big.length);
    expect(sha(m)).toBe(sha(big));
  }, 120_000);

  it('does not delay a small message on one channel behind a 1 MiB message on another by more than one frame', async () => {
    const [a, b] = await linkPair({ bandwidthBytesPerSec: 50 * 1024 * 1024, mtu: 4096 + 12 });
    const order: string[] = [];
    const chBig = a.openChannel({ proto: 'big' });
    const chSmall = a.openChannel({ proto: 'small' });
    const frames: number[] = [];
    b.frames$.subscribe((f) => {
      if (f.type === 1) frames.push(f.channel);
    });
    const done = new Promise<void>((resolve) => {
      let n = 0;
      b.incomingChannels$.subscribe((ch) => {
        ch.messages$.subscribe(() => {
          order.push(ch.metadata.proto);
          if (++n === 2) resolve();
        });
      });
    });
    const big = chBig.send(bytes(1024 * 1024));
    const small = chSmall.send(bytes(100));
    await Promise.all([big, small, done]);
    expect(order).toEqual(['small', 'big']);
    const firstSmall = frames.indexOf(chSmall.id);
    expect(frames.slice(0, firstSmall).filter((c) => c === chBig.id).length).toBeLessThanOrEqual(1);
  });

  it('closes gracefully from either side with the reason, flushing queued data first', async () => {
    const [a, b] = await linkPair();
    const last = firstValueFrom(b.messages$);
    void a.send(bytes(300_000));
    const reason = await a.close(closeReason('normal', 'bye'));
    expect(reason.code).toBe('normal');
    expect((await last).length).toBe(300_000);
    const remote = await b.closed;
    expect(remote).toMatchObject({ code: 'normal', message: 'bye', remote: true });
    await expect(a.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_CLOSED' });

    const [c, d] = await linkPair();
    await d.close(closeReason('going-away'));
    expect(await c.closed).toMatchObject({ code: 'going-away', remote: true });
  });

  it('reports a severed medium as lost on both ends and fails pending sends', async () => {
    const [ca, cb] = createConduitPair({ model: { bandwidthBytesPerSec: 1024 * 1024 } });
    const a = new Link(ca, { role: 'initiator', local: advert('a') });
    const b = new Link(cb, { role: 'responder', local: advert('b') });
    await Promise.all([a.opened, b.opened]);
    const pending = a.send(bytes(4 * 1024 * 1024));
    ca.sever();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect((await a.closed).code).toBe('lost');
    expect((await b.closed).code).toBe('lost');
  });

  it('writes what many channels send in one turn as a few batched writes: the first at once, every message in order', async () => {
    const [ca, cb] = createConduitPair();
    let writes = 0;
    const write = ca.write.bind(ca);
    ca.write = (chunks) => {
      writes++;
      return write(chunks);
    };
    const a = new Link(ca, { role: 'initiator', local: advert('a') });
    const b = new Link(cb, { role: 'responder', local: advert('b') });
    await Promise.all([a.opened, b.opened]);
    const N = 500;
    const PER = 3;
    const got = new Map<string, Uint8Array[]>();
    let total = 0;
    const all = new Promise<void>((resolve) => {
      b.incomingChannels$.subscribe((ch) => {
        const list: Uint8Array[] = [];
        got.set(ch.metadata.proto, list);
        ch.messages$.subscribe((m) => {
          list.push(m);
          if (++total === N * PER) resolve();
        });
      });
    });
    const chans = Array.from({ length: N }, (_, i) => a.openChannel({ proto: `c${i}` }));
    await new Promise((r) => setTimeout(r, 50)); // the OPENs are out: the Link is idle again
    // Small messages, and on every 50th channel one over the coalescing size (written as header + payload).
    const sent = chans.map((_, i) =>
      Array.from({ length: PER }, (_, k) => bytes(k === 1 && i % 50 === 0 ? 3000 : 20 + ((i + k) % 90))),
    );
    writes = 0;
    let bytesOut = 0;
    for (let k = 0; k < PER; k++)
      for (let i = 0; i < N; i++) {
        void chans[i]!.send(sent[i]![k]!);
        bytesOut += sent[i]![k]!.length + 12;
      }
    expect(writes).toBeGreaterThanOrEqual(1); // the first message of the turn is not held back
    await all;
    // One write per 64 KiB or 64 buffers at most, plus the first: far fewer than one per message.
    expect(writes).toBeLessThanOrEqual(2 + Math.ceil(bytesOut / 65_536) + Math.ceil(((N / 50) * 2) / 64) + 2);
    expect(writes).toBeLessThan((N * PER) / 20);
    for (let i = 0; i < N; i++) {
      const list = got.get(`c${i}`)!;
      expect(list.length).toBe(PER);
      for (let k = 0; k < PER; k++) expect(sha(list[k]!)).toBe(sha(sent[i]![k]!));
    }
  });
});
