import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type CloseReason, type Conduit, Link, LocalDevice } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONNECT_TIMEOUT_MS, socketConduit, TcpTransport } from '../src/index.js';
import { loopbackDiscovery, nextEvent, randomPort } from './helpers.js';

/** A transport without discovery on loopback, plus the first conduit it accepts. */
async function pair(
  host = '127.0.0.1',
): Promise<{ a: TcpTransport; b: TcpTransport; dialled: Conduit; accepted: Conduit }> {
  const a = new TcpTransport({ host, discovery: false });
  const b = new TcpTransport({ host, discovery: false });
  await Promise.all([a.start(), b.start()]);
  const acceptedP = firstValueFrom(b.incoming$);
  const dialled = await a.dial(b.localAddress!);
  const accepted = await acceptedP;
  started.push(a, b);
  return { a, b, dialled, accepted };
}

const started: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

describe('TcpTransport conduits', () => {
  it('reads into receive slabs: a Link gets every message byte-exact, and kept ones stay intact', async () => {
    const { dialled, accepted } = await pair();
    const advert = (n: string) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });
    const a = new Link(dialled, { role: 'initiator', local: advert('a'), keepAliveIntervalMs: 0 });
    const b = new Link(accepted, { role: 'responder', local: advert('b'), keepAliveIntervalMs: 0 });
    await Promise.all([a.opened, b.opened]);
    // Small ones are copied out of a slab; 64 KiB frames are views; messages span frames and slabs.
    const sizes = [1, 1000, 32_767, 32_768, 65_536, 65_537, 100_000, 300_000, 3, 4096];
    const messages = Array.from({ length: 50 }, (_, i) =>
      new Uint8Array(sizes[i % sizes.length]!).map((_, j) => (i * 11 + j * 7) & 0xff),
    );
    const all = firstValueFrom(b.messages$.pipe(take(messages.length), toArray()));
    await Promise.all(messages.map((m) => a.send(m)));
    const got = await all;
    const same = () => got.map((m, i) => Buffer.compare(Buffer.from(m), Buffer.from(messages[i]!)));
    expect(same()).toEqual(messages.map(() => 0));
    const more = firstValueFrom(b.messages$.pipe(take(20), toArray()));
    for (let i = 0; i < 20; i++) void a.send(new Uint8Array(200_000).fill(0xee));
    expect((await more).every((m) => m.every((x) => x === 0xee))).toBe(true);
    expect(same()).toEqual(messages.map(() => 0)); // later reads wrote into new slab space only
    await a.close();
  });

  it('ends reads at frame boundaries while data streams: 64 KiB messages reach the Link as slab views, not copies', async () => {
    const { dialled, accepted } = await pair();
    const advert = (n: string) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });
    const a = new Link(dialled, { role: 'initiator', local: advert('a'), keepAliveIntervalMs: 0 });
    const b = new Link(accepted, { role: 'responder', local: advert('b'), keepAliveIntervalMs: 0 });
    await Promise.all([a.opened, b.opened]);
    // 64 MiB of whole-frame messages: a slab holds four 64 KiB frames, and without the Link's frame boundaries every
    // fourth frame would be split over two slabs and copied together (a view into a slab has a larger buffer).
    const n = 1024;
    let copies = 0;
    let views = 0;
    let bad = 0;
    const done = firstValueFrom(b.messages$.pipe(take(n), toArray()));
    b.messages$.pipe(take(n)).subscribe((m) => {
      if (m.byteLength !== 65_536 || m[0] !== m[65_535]) bad++;
      if (m.buffer.byteLength > m.byteLength) views++;
      else copies++;
    });
    for (let i = 0; i < n; i++) await a.send(new Uint8Array(65_536).fill(i & 0xff));
    await done;
    expect(bad).toBe(0);
    expect(views + copies).toBe(n);
    // A few copies stay possible (a read that ends inside a frame header), far from one in four.
    expect(copies).toBeLessThan(n / 16);
    await a.close();
  });

  it('places 64 KiB frames whole on the path devices use too (handshake and pre-authentication gate between Link and socket)', async () => {
    // Every layer between the Link and the socket reader must pass the Link's frame boundaries on: the admission gate
    // once did not, and one frame in four was copied on every Link a LocalDevice made.
    const device = (n: string) =>
      new LocalDevice({
        advert: { networkId: n.repeat(64), deviceName: n, deviceType: 'pc' },
        transports: [new TcpTransport({ host: '127.0.0.1', discovery: false })],
      });
    const a = device('c');
    const b = device('d');
    try {
      await Promise.all([a.start(), b.start()]);
      const n = 1024;
      let copies = 0;
      let views = 0;
      const got = new Promise<void>((resolve) =>
        b.handle('bench.sink', (ch) =>
          ch.messages$.pipe(take(n)).subscribe({
            next: (m) => {
              if (m.buffer.byteLength > m.byteLength) views++;
              else copies++;
            },
            complete: resolve,
          }),
        ),
      );
      const link = await a.connectAddress('tcp', b.transports[0]!.localAddress!);
      const ch = link.openChannel({ proto: 'bench.sink' });
      for (let i = 0; i < n; i++) await ch.send(new Uint8Array(65_536).fill(i & 0xff));
      await got;
      expect(views + copies).toBe(n);
      expect(copies).toBeLessThan(n / 16);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('listens on an ephemeral port and carries bytes both ways, in order, over IPv4', async () => {
    const { b, dialled, accepted } = await pair();
    expect(b.localAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(dialled.remoteAddress).toBe(b.localAddress);
    expect(accepted.remoteAddress).toBe(dialled.localAddress);
    expect(dialled.maxFrameSize).toBe(65_548);
    const received = lastValueFrom(accepted.data$.pipe(toArray()));
    const header = Uint8Array.of(1, 2, 3);
    const payload = new Uint8Array(100_000).map((_, i) => i % 251);
    dialled.write([header, payload]);
    dialled.write([Uint8Array.of(9)]);
    dialled.end({ code: 'normal' });
    const bytes = Buffer.concat(await received);
    expect(bytes.length).toBe(100_004);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from(header));
    expect(bytes.subarray(3, 100_003)).toEqual(Buffer.from(payload));
    expect(bytes[100_003]).toBe(9);
  });

  it('dials IPv6 addresses written [v6]:port', async () => {
    const { b, dialled, accepted } = await pair('::1');
    expect(b.localAddress).toMatch(/^\[::1\]:\d+$/);
    const got = firstValueFrom(accepted.data$);
    dialled.write([Uint8Array.of(42)]);
    expect([...(await got)]).toEqual([42]);
  });

  it('reports backpressure from write() and drains once the peer reads', async () => {
    const { dialled, accepted } = await pair();
    const chunk = new Uint8Array(65_536);
    let writes = 0;
    while (dialled.write([chunk])) {
      writes += 1;
      expect(writes).toBeLessThan(10_000); // the kernel buffers are finite: write() must say "wait"
    }
    const drained = firstValueFrom(dialled.drain$);
    let received = 0;
    accepted.data$.subscribe((c) => {
      received += c.byteLength;
    });
    await drained;
    expect(received).toBeGreaterThan(0);
  });

  it('reports the peer FIN as normal + remote, and a local end() with the given reason', async () => {
    const { dialled, accepted } = await pair();
    accepted.data$.subscribe();
    dialled.data$.subscribe();
    const remoteSide = firstValueFrom(dialled.closed$);
    const localSide = firstValueFrom(accepted.closed$);
    accepted.end({ code: 'going-away', message: 'bye' });
    expect(await localSide).toEqual({ code: 'going-away', message: 'bye' });
    expect(await remoteSide).toMatchObject({ code: 'normal', remote: true });
    expect(() => dialled.write([Uint8Array.of(1)])).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });

  it('reset() ends with a TCP RST: the peer sees lost (ECONNRESET); after end() the FIN stands (closed, not reset)', async () => {
    const one = await pair();
    one.accepted.data$.subscribe();
    one.dialled.data$.subscribe();
    const remote = firstValueFrom(one.dialled.closed$);
    const local = firstValueFrom(one.accepted.closed$);
    one.accepted.reset!({ code: 'refused', message: 'stranger' });
    expect(await local).toEqual({ code: 'refused', message: 'stranger' });
    expect(await remote).toMatchObject({ code: 'lost', remote: true, detail: { errno: 'ECONNRESET' } });

    // Once end() sent the FIN, libuv cannot reset the socket (a pending shutdown: EINVAL, and node would never close
    // the handle): reset() closes it instead, and the conduit still ends.
    const two = await pair();
    two.accepted.data$.subscribe();
    two.dialled.data$.subscribe();
    const remote2 = firstValueFrom(two.dialled.closed$);
    const local2 = firstValueFrom(two.accepted.closed$);
    two.accepted.end({ code: 'normal' });
    two.accepted.reset!({ code: 'refused' });
    expect(await local2).toEqual({ code: 'normal' });
    expect(await remote2).toMatchObject({ code: 'normal', remote: true });
  });

  it('maps a TCP reset to lost (ECONNRESET)', async () => {
    // A raw server that resets the connection: the only way to make the kernel send RST on purpose.
    const server: Server = createServer((s: Socket) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const t = new TcpTransport({ host: '127.0.0.1', discovery: false });
    await t.start();
    started.push(t);
    const conduit = await t.dial(`127.0.0.1:${(server.address() as { port: number }).port}`);
    conduit.data$.subscribe();
    conduit.write([Uint8Array.of(1)]);
    const reason: CloseReason = await firstValueFrom(conduit.closed$);
    expect(reason).toMatchObject({ code: 'lost', remote: true, detail: { errno: 'ECONNRESET' } });
    server.close();
  });

  it('can be stopped and started again, discovery included', async () => {
    const discovery = loopbackDiscovery(randomPort());
    const t = new TcpTransport({ host: '127.0.0.1', discovery });
    const watcher = new TcpTransport({ host: '127.0.0.1', discovery });
    started.push(t, watcher);
    await Promise.all([t.start(), watcher.start()]);
    await t.advertise({ networkId: 'c'.repeat(64), deviceName: 'restart', deviceType: 'pc' });
    await nextEvent(watcher.discover(), (e) => e.type === 'found');
    await t.stop();
    expect(t.localAddress).toBeUndefined();
    await nextEvent(watcher.discover(), (e) => e.type === 'lost');
    await t.start();
    expect(t.localAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    // The advert survives the restart and is announced again, at the new port.
    const again = await nextEvent(watcher.discover(), (e) => e.type === 'found');
    expect(again.peer.address).toBe(t.localAddress);
  });

  it('a dial that gets no answer fails with ERR_TIMEOUT after the default 10 s, in virtual time', async () => {
    // A listener in a stopped process with a full backlog: the kernel drops further SYNs, connect() hangs.
    const child = spawn(
      process.execPath,
      [
        '-e',
        "require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},function(){console.log(this.address().port)})",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const fillers: Socket[] = [];
    const cleanup = () => {
      child.kill('SIGKILL');
      for (const f of fillers) f.destroy();
    };
    try {
      const port = await new Promise<number>((resolve) =>
        child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))),
      );
      child.kill('SIGSTOP');
      for (let i = 0; i < 4; i++) {
        const f = connect(port, '127.0.0.1');
        f.on('error', () => undefined);
        fillers.push(f);
      }
      await new Promise((r) => setTimeout(r, 200)); // real time: the backlog fills
      const clock = new VirtualClock();
      const t = new TcpTransport({ host: '127.0.0.1', discovery: false, scheduler: clock });
      started.push(t);
      await t.start();
      let outcome: unknown = 'pending';
      t.dial(`127.0.0.1:${port}`).then(
        (c) => {
          outcome = 'connected';
          c.destroy({ code: 'normal' });
        },
        (e: unknown) => (outcome = e),
      );
      await new Promise((r) => setTimeout(r, 100));
      await clock.advance(DEFAULT_CONNECT_TIMEOUT_MS - 1);
      expect(outcome).toBe('pending');
      await clock.advance(1);
      expect(outcome).toMatchObject({ code: 'ERR_TIMEOUT' });
    } finally {
      cleanup();
    }
  });

  it('destroys every conduit with going-away when the transport stops', async () => {
    const { a, dialled, accepted } = await pair();
    accepted.data$.subscribe();
    const reason = firstValueFrom(dialled.closed$);
    const peerSide = firstValueFrom(accepted.closed$);
    await a.stop();
    expect(await reason).toMatchObject({ code: 'going-away' });
    expect((await peerSide).code).toMatch(/^(normal|lost)$/);
  });

  it('rejects bad addresses, dials before start, refused ports and aborted dials with typed errors', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', discovery: false });
    await expect(t.dial('127.0.0.1:1')).rejects.toMatchObject({ code: 'ERR_NOT_STARTED' });
    await t.start();
    started.push(t);
    for (const bad of ['no-port', '::1:80', '127.0.0.1:70000']) {
      await expect(t.dial(bad)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    // A port nobody listens on: bind one, close it, dial it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await expect(t.dial(`127.0.0.1:${closedPort}`)).rejects.toMatchObject({
      code: 'ERR_DIAL_FAILED',
      detail: { errno: 'ECONNREFUSED' },
    });
    await expect(t.dial(t.localAddress!, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
  });

  it('socketConduit adapts any connected socket (what transport-wifi-p2p reuses)', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const acceptedSocket = new Promise<Socket>((r) => server.once('connection', r));
    const { connect } = await import('node:net');
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const a = socketConduit(client, { medium: 'wifi-p2p', maxFrameSize: 1_500 });
    const b = socketConduit(await acceptedSocket);
    expect(a.medium).toBe('wifi-p2p');
    expect(a.maxFrameSize).toBe(1_500);
    const got = firstValueFrom(b.data$);
    a.write([Uint8Array.of(7, 7)]);
    expect([...(await got)]).toEqual([7, 7]);
    const idle = socketConduit(client, { idleTimeoutMs: 50 });
    expect(await firstValueFrom(idle.closed$)).toMatchObject({ code: 'timeout' });
    server.close();
  });
});
