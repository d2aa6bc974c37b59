// The responder starts TLS only once the initiator's first TLS record (the one opening its ClientHello) is whole
// (`SecurityUpgrade.firstFlightLength`): a stranger that stops part way through it holds no TLSSocket, one that sends
// something else is refused before TLS starts, and a real initiator whose ClientHello arrives in pieces still connects.
// On a LocalDevice the pre-Link stage answers the preamble itself, so such a stranger does not get a Link either.
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Admission } from '../src/admission.js';
import { encodePreamble, PREAMBLE_FLAG_SECURE } from '../src/codec.js';
import { LocalDevice } from '../src/device.js';
import { PREAMBLE_BYTES } from '../src/limits.js';
import { Link } from '../src/link.js';
import type { TlsSecurity } from '../src/security/tls-security.js';
import { LoopbackTcp } from './helpers.js';
import {
  advertOf,
  cleanup,
  onCleanup,
  securedLinks,
  security,
  socketConduit,
  type TlsPath,
} from './security-helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup();
});

const PREAMBLE = Buffer.from(encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE }));
/** A TLS record header opening a 512-byte ClientHello record, and the first bytes of the ClientHello. */
const HELLO_HEAD = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);

/** Counts TLSSocket constructions (every one, client or server) from now on. */
function countTlsSockets(): { readonly count: number } {
  const spy = vi.spyOn(TLSSocket.prototype as unknown as { _init: (...a: unknown[]) => void }, '_init');
  return {
    get count() {
      return spy.mock.calls.length;
    },
  };
}

/** A responder Link with `sec` on a real loopback TCP connection, and the raw socket that dialled it. */
async function responderAndStranger(
  sec: TlsSecurity,
  path: TlsPath,
): Promise<{ link: Link; stranger: Socket }> {
  let accepted!: (s: Socket) => void;
  const socket = new Promise<Socket>((r) => {
    accepted = r;
  });
  const server = createServer((s) => accepted(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const stranger = netConnect(port, '127.0.0.1');
  stranger.on('error', () => undefined);
  const s = await socket;
  server.close();
  const link = new Link(socketConduit(s, path), {
    role: 'responder',
    local: advertOf(sec, 'device'),
    keepAliveIntervalMs: 0,
    security: sec,
  });
  link.opened.catch(() => undefined);
  onCleanup(() => {
    stranger.destroy();
    s.destroy();
  });
  return { link, stranger };
}

/** Resolves with the first `n` bytes the socket receives. */
function firstBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= n) resolve(got.subarray(0, n));
    });
    socket.once('close', () => reject(new Error(`closed after ${got.length} bytes`)));
  });
}

describe.each(['native', 'stream'] as const)('the first TLS record (%s TLS path)', (path) => {
  it('holds a stranger that stops inside its ClientHello record without any TLS state, and starts TLS once the record is whole', async () => {
    const sec = await security({ clientHelloFirst: true });
    const { link, stranger } = await responderAndStranger(sec, path);
    const tls = countTlsSockets();
    const answer = firstBytes(stranger, PREAMBLE_BYTES);
    stranger.write(Buffer.concat([PREAMBLE, HELLO_HEAD]));
    // The device answers a right preamble with its own, then waits for the rest of the record.
    expect((await answer).subarray(0, 4).toString('latin1')).toBe('CLNK');
    await new Promise((r) => setTimeout(r, 100));
    expect(link.handshakeStage).toBe('first-flight');
    expect(tls.count).toBe(0);
    expect(link.state).toBe('connecting');

    // The rest of the 512-byte record (not a valid ClientHello): only now does TLS start — and refuse it.
    stranger.write(Buffer.alloc(5 + 512 - HELLO_HEAD.length, 0x42));
    const reason = await link.closed;
    expect(tls.count).toBe(1);
    expect(reason.code).toBe('handshake-failed');
    expect(reason.message).toMatch(/TLS handshake failed/);
  });

  it('refuses a first record that cannot open a ClientHello before TLS starts', async () => {
    const sec = await security({ clientHelloFirst: true });
    const { link, stranger } = await responderAndStranger(sec, path);
    const tls = countTlsSockets();
    const closed = new Promise<void>((r) => stranger.once('close', () => r()));
    stranger.resume();
    stranger.write(Buffer.concat([PREAMBLE, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]));
    const reason = await link.closed;
    expect(reason.code).toBe('handshake-failed');
    expect(reason.message).toBe('not a TLS ClientHello: record content type 71, expected 22 (handshake)');
    await expect(link.opened).rejects.toMatchObject({ code: 'ERR_HANDSHAKE_FAILED' });
    expect(tls.count).toBe(0);
    await closed; // the device hung up
  });

  it('connects a real initiator whose preamble and ClientHello arrive one byte at a time', async () => {
    const account = 'first-flight-account';
    const [secA, secB] = await Promise.all([
      security({ account, clientHelloFirst: true }),
      security({ account, clientHelloFirst: true }),
    ]);
    const [ca, cb] = await tricklingPair(path, 700);
    const [a, b] = securedLinks(secA, secB, { conduits: [ca, cb] });
    await Promise.all([a.opened, b.opened]);
    expect(b.remote?.networkId).toBe(secA.networkId);
    const ch = a.openChannel({ proto: 'echo' });
    b.incomingChannels$.subscribe((c) => c.messages$.subscribe((m) => void c.send(m)));
    const echo = new Promise<Uint8Array>((r) => ch.messages$.subscribe(r));
    await ch.send(new TextEncoder().encode('hello'));
    expect(new TextDecoder().decode(await echo)).toBe('hello');
  });
});

/**
 * [dialer, acceptor] conduits over loopback TCP through a relay that forwards the dialer's first `slowBytes` bytes
 * one per write, each in its own turn of the event loop (the acceptor reads them in as many pieces), and everything
 * else as it comes.
 */
async function tricklingPair(path: TlsPath, slowBytes: number) {
  let acceptorSocket!: (s: Socket) => void;
  const acceptor = new Promise<Socket>((r) => {
    acceptorSocket = r;
  });
  const target = createServer((s) => acceptorSocket(s));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const relay = createServer((fromA) => {
    const toB = netConnect((target.address() as { port: number }).port, '127.0.0.1');
    toB.setNoDelay(true);
    fromA.setNoDelay(true);
    let sent = 0;
    let queue = Promise.resolve();
    fromA.on('data', (c: Buffer) => {
      queue = queue.then(async () => {
        for (const byte of c) {
          if (toB.destroyed) return;
          toB.write(Buffer.of(byte));
          if (++sent <= slowBytes) await new Promise((r) => setTimeout(r, 0));
        }
      });
    });
    toB.on('data', (c: Buffer) => fromA.write(c));
    for (const [x, y] of [
      [fromA, toB],
      [toB, fromA],
    ] as const) {
      x.on('error', () => y.destroy());
      x.on('close', () => y.destroy());
    }
    onCleanup(() => {
      fromA.destroy();
      toB.destroy();
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const a = netConnect((relay.address() as { port: number }).port, '127.0.0.1');
  await new Promise<void>((r) => a.once('connect', () => r()));
  const b = await acceptor;
  onCleanup(() => {
    a.destroy();
    b.destroy();
    relay.close();
    target.close();
  });
  return [socketConduit(a, path), socketConduit(b, path)] as const;
}

describe('a LocalDevice with the TLS stage, over real loopback TCP', () => {
  const devices: LocalDevice[] = [];
  afterEach(async () => {
    await Promise.allSettled(devices.splice(0).map((d) => d.stop()));
  });

  async function device(name: string, account: string) {
    const sec = await security({ account, clientHelloFirst: true });
    const tcp = new LoopbackTcp('127.0.0.1');
    const d = new LocalDevice({ advert: advertOf(sec, name), transports: [tcp], security: sec });
    devices.push(d);
    await d.start();
    return { d, tcp, sec };
  }

  it('builds no Link for a stranger that stops inside its ClientHello record, and serves a trusted device meanwhile', async () => {
    const account = 'first-flight-device';
    const { d, tcp } = await device('target', account);
    const admission = (d as unknown as { admission: Admission }).admission;
    const tls = countTlsSockets();
    const stranger = netConnect(Number(tcp.localAddress!.split(':')[1]), '127.0.0.1');
    stranger.on('error', () => undefined);
    const answer = firstBytes(stranger, PREAMBLE_BYTES);
    stranger.write(Buffer.concat([PREAMBLE, HELLO_HEAD]));
    expect((await answer).subarray(0, 4).toString('latin1')).toBe('CLNK'); // answered before any Link
    await new Promise((r) => setTimeout(r, 100));
    expect(d.admissionStats().pending).toBe(1);
    expect(admission.strangers()).toHaveLength(1); // tracked, still without a Link
    expect(tls.count).toBe(0);

    // A trusted device dials in meanwhile: its Link opens and carries an echo.
    const { d: friend } = await device('friend', account);
    d.handle('echo', (ch) => ch.messages$.subscribe((m) => void ch.send(m)));
    const link = await friend.connectAddress('tcp', tcp.localAddress!);
    const ch = link.openChannel({ proto: 'echo' });
    const echo = new Promise<Uint8Array>((r) => ch.messages$.subscribe(r));
    await ch.send(Uint8Array.of(1, 2, 3));
    expect([...(await echo)]).toEqual([1, 2, 3]);
    expect(admission.strangers()).toHaveLength(1);

    // The rest of the record (not a valid ClientHello): now the Link is built, TLS starts, refuses it, and hangs up.
    const closed = new Promise<void>((r) => stranger.once('close', () => r()));
    stranger.write(Buffer.alloc(5 + 512 - HELLO_HEAD.length, 0x42));
    await closed;
    await expect.poll(() => d.admissionStats().pending).toBe(0);
    expect(admission.strangers()).toHaveLength(0);
  });

  it('refuses a stranger whose first record is not a ClientHello without a Link or TLS', async () => {
    const { d, tcp } = await device('target', 'first-flight-refuse');
    const tls = countTlsSockets();
    const stranger = netConnect(Number(tcp.localAddress!.split(':')[1]), '127.0.0.1');
    stranger.on('error', () => undefined);
    stranger.resume();
    const closed = new Promise<void>((r) => stranger.once('close', () => r()));
    const opened = vi.fn();
    d.linkOpened$.subscribe(opened);
    stranger.write(Buffer.concat([PREAMBLE, Buffer.from('GET / HTTP/1.1\r\n\r\n')]));
    await closed;
    await expect.poll(() => d.admissionStats().pending).toBe(0);
    expect(tls.count).toBe(0);
    expect(opened).not.toHaveBeenCalled();
  });
});
