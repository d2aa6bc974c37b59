import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { advert, app, bytes, memoryDevicePair, next, openSession as open, sha } from './helpers.js';

const devices: LocalDevice[] = [];

function pair(model = {}, peerGraceMs?: number) {
  const grace = peerGraceMs !== undefined ? { peerGraceMs } : {};
  return memoryDevicePair(devices, ['phone', 'tablet'], grace, model);
}

afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.stop()));
});

describe('Session', () => {
  it('exchanges messages and data both ways between two devices', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    expect(sb.peer.deviceName).toBe('phone');
    expect(sb.remote.abilityName).toBe('EntryAbility');
    // Every text arrives exactly: ASCII, CJK (decoded by ICU), a leading U+FEFF (text, not a byte-order mark), emoji.
    const texts = [
      'hello',
      'é'.repeat(512),
      '你好世界'.repeat(85),
      '\uFEFFhi',
      `\uFEFF${'世界'.repeat(100)}`,
      '😀'.repeat(256),
    ];
    const msgsB = firstValueFrom(sb.messages$.pipe(take(texts.length), toArray()));
    for (const t of texts) await sa.sendMessage(t); // 'é' × 512 and '😀' × 256: 1024 bytes of UTF-8, the limit
    expect(await msgsB).toEqual(texts);
    await expect(sa.sendMessage('x'.repeat(1025))).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
    const blob = bytes(3 * 1024 * 1024 + 7);
    const dataA = firstValueFrom(sa.data$);
    await sb.sendData(blob);
    expect(sha(await dataA)).toBe(sha(blob));
    const msgA = firstValueFrom(sa.messages$);
    await sb.sendMessage('back');
    expect(await msgA).toBe('back');
  });

  it('can be rejected with a reason the requester sees', async () => {
    const { a, b } = await pair();
    b.sessions.requests$.subscribe((r) => r.reject('user said no'));
    const err = await a.sessions
      .request({ peer: b.advert.networkId, service: 'collab', local: app('A'), remote: app('B') })
      .catch((e) => e);
    expect(err).toMatchObject({
      code: 'ERR_REJECTED',
      message: 'user said no',
      detail: { reason: 'user said no' },
    });
  });

  it('fails with ERR_NO_HANDLER when no app on the peer takes requests', async () => {
    const { a, b } = await pair();
    await expect(
      a.sessions.request({ peer: b.advert.networkId, service: 's', local: app('A'), remote: app('B') }),
    ).rejects.toMatchObject({
      code: 'ERR_NO_HANDLER',
    });
  });

  it('reports peer-closed when the peer disconnects and local on this side', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    const endB = firstValueFrom(sb.ended$);
    await sa.close();
    expect(await endB).toBe('peer-closed');
    expect(await firstValueFrom(sa.ended$)).toBe('local');
    await expect(sa.sendMessage('late')).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
  });

  it('survives a cut of its Link: the device re-dials and the session resumes, messages in order', async () => {
    const { net, a, b } = await pair();
    const [sa, sb] = await open(a, b);
    const got: string[] = [];
    sb.messages$.subscribe((m) => got.push(m));
    await sa.sendMessage('before');
    const firstLink = sa.via;
    net.sever(a.transports[0]!.localAddress!);
    await firstLink.closed;
    for (let i = 0; i < 20; i++) await sa.sendMessage(`after ${i}`);
    await next(b.links$, (l) => l.length === 1 && l[0] !== firstLink);
    while (got.length < 21) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['before', ...Array.from({ length: 20 }, (_, i) => `after ${i}`)]);
    expect(sa.state).toBe('open');
    expect(sb.state).toBe('open');
    expect(sa.via).not.toBe(firstLink);
  });

  it('reports network-disconnected when the peer stays unreachable past the grace period', async () => {
    const { net, a, b } = await pair({}, 300);
    const [sa, sb] = await open(a, b);
    net.setReachable(a.transports[0]!.localAddress!, b.transports[0]!.localAddress!, false);
    expect(await firstValueFrom(sa.ended$)).toBe('network-disconnected');
    expect(await firstValueFrom(sb.ended$)).toBe('network-disconnected');
    expect(a.peer(b.advert.networkId)?.state).toBe('disconnected');
  });

  it('reports peer-exit when the peer device stops', async () => {
    const { a, b } = await pair();
    const [sa] = await open(a, b);
    await b.stop();
    expect(await firstValueFrom(sa.ended$)).toBe('peer-exit');
  });
});

describe('LocalDevice', () => {
  it('merges discovery into the directory and reports lost on goodbye', async () => {
    const { a, b } = await pair();
    const entry = a.directory.get(b.advert.networkId)!;
    expect(entry).toMatchObject({ deviceName: 'tablet', mediums: ['memory'] });
    const lost = next(a.directory.events$, (e) => e.type === 'lost');
    await b.stop();
    expect((await lost).device.networkId).toBe(b.advert.networkId);
  });

  it('shares one Link between concurrent connects and merges simultaneous dials into one', async () => {
    const { a, b } = await pair();
    await next(b.directory.devices$, (l) => l.length === 1);
    const [l1, l2, l3] = await Promise.all([
      a.connect(b.advert.networkId),
      a.connect(b.advert.networkId),
      b.connect(a.advert.networkId),
    ]);
    expect(l1).toBe(l2);
    // both devices dialled: within a moment one Link per side remains
    await next(a.links$, (ls) => ls.length === 1);
    await next(b.links$, (ls) => ls.length === 1);
    expect(a.links()[0]!.remote?.networkId).toBe(b.advert.networkId);
    void l3;
  });
});

describe('Session on a peer connection with two media', () => {
  it('keeps a session through the loss of its TCP Link with BLE standing by: no end, messages and data in order', async () => {
    const tcp = new MemoryNetwork({ medium: 'tcp' });
    const ble = new MemoryNetwork({ medium: 'ble', model: { mtu: 244 } });
    const mk = (name: string) =>
      new LocalDevice({
        advert: advert(name),
        transports: [tcp.createTransport({ priority: 80 }), ble.createTransport({ priority: 20 })],
        upgradeDialMs: 0, // BLE is to carry after the cut: no make-before-break back to TCP (device-depth tests that)
      });
    const a = mk('phone2');
    const b = mk('tablet2');
    devices.push(a, b);
    await a.start();
    await b.start();
    await next(a.directory.devices$, (l) => l.length === 1 && l[0]!.mediums.length === 2);
    const [sa, sb] = await open(a, b);
    expect(sa.via.medium).toBe('tcp');
    await a.connect(b.advert.networkId, { medium: 'ble' }); // the standby
    const pc = a.peer(b.advert.networkId)!;
    const moves: string[] = [];
    pc.moves$.subscribe((m) => moves.push(`${m.from}→${m.to}`));
    const texts: string[] = [];
    sb.messages$.subscribe((t) => texts.push(t));
    const blobs: string[] = [];
    sb.data$.subscribe((d) => blobs.push(sha(d)));
    const sent: string[] = [];
    const ended: string[] = [];
    sa.ended$.subscribe((r) => ended.push(r));
    sb.ended$.subscribe((r) => ended.push(r));
    for (let i = 0; i < 60; i++) {
      if (i === 20) tcp.sever(a.transports[0]!.localAddress!); // the TCP medium fails mid-stream
      await sa.sendMessage(`m${i}`);
      const d = bytes(16 * 1024 + i);
      sent.push(sha(d));
      await sa.sendData(d);
    }
    while (texts.length < 60 || blobs.length < 60) await new Promise((r) => setTimeout(r, 5));
    expect(texts).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`));
    expect(blobs).toEqual(sent);
    expect(ended).toEqual([]);
    expect(moves[0]).toBe('tcp→ble');
    // The TCP medium is back once the severed Link is gone: the peer may re-dial it and move up again (make-before-
    // break) before the last message arrives, a move that may still be completing now. Either way the session ends up
    // on the medium of the last move reported.
    await expect.poll(() => sa.via.medium === moves.at(-1)!.split('→')[1], { timeout: 5_000 }).toBe(true);
  });
});

describe('Session with a protocol v1 peer', () => {
  it('runs on Link channels as in v1 (no peer connection) and still ends when the Link is cut', async () => {
    const net = new MemoryNetwork();
    const a = new LocalDevice({ advert: advert('new'), transports: [net.createTransport()] });
    const b = new LocalDevice({
      advert: advert('old'),
      transports: [net.createTransport()],
      link: { maxProtocolVersion: 1 },
    });
    devices.push(a, b);
    await a.start();
    await b.start();
    await next(a.directory.devices$, (l) => l.length === 1);
    const [sa, sb] = await open(a, b);
    expect(sa.via.version).toBe(1);
    expect(a.peer(b.advert.networkId)).toBeUndefined();
    const got = next(sb.messages$);
    await sa.sendMessage('hello v1');
    expect(await got).toBe('hello v1');
    net.sever(a.transports[0]!.localAddress!);
    expect(await firstValueFrom(sa.ended$)).toBe('network-disconnected');
    expect(await firstValueFrom(sb.ended$)).toBe('network-disconnected');
  });

  it('messages$ and data$ are made on first use, hold what arrived before the first reader, and complete once ended', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    // Nobody reads sb yet: the message is held for the first reader (nothing is dropped).
    await sa.sendMessage('unread');
    await new Promise((r) => setTimeout(r, 50));
    const later = firstValueFrom(sb.messages$.pipe(take(2), toArray()));
    await sa.sendMessage('read');
    expect(await later).toEqual(['unread', 'read']);
    // A lone surrogate is sent as U+FFFD (3 bytes of UTF-8), as TextEncoder encodes it.
    const odd = firstValueFrom(sb.messages$);
    await sa.sendMessage('a\ud800b');
    expect(await odd).toBe('a\ufffdb');
    const data = firstValueFrom(sb.data$);
    await sa.sendData(new Uint8Array([1, 2, 3]));
    expect([...(await data)]).toEqual([1, 2, 3]);
    await sa.close();
    expect(await firstValueFrom(sb.ended$)).toBe('peer-closed');
    // Subscribed for the first time after the end: ended$ replays the reason, the others complete at once.
    expect(await firstValueFrom(sa.ended$.pipe(toArray()))).toEqual(['local']);
    await expect(firstValueFrom(sa.data$.pipe(toArray()))).resolves.toEqual([]);
    await expect(firstValueFrom(sb.messages$.pipe(toArray()))).resolves.toEqual([]);
    await expect(sa.sendMessage('late')).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await expect(sa.sendData(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await expect(sa.sendMessage(42 as unknown as string)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});
