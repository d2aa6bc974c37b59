import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import {
  DEFAULT_CHANNEL_WINDOW_FAST,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SEND_BUFFER_BYTES,
} from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { PeerConnection } from '../src/peer-connection.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { advert, next } from './helpers.js';
import { peers } from './peer-helpers.js';

// What `moves$` reports (a duplicate Link merged away is not a move), the limits of connection channels made while no
// Link carries them, and make-before-break upgrade dials being on by default.

const running: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((d) => d.stop()));
});

describe('moves$ and duplicate Links of one medium', () => {
  it('a duplicate BLE Link merged away is not a move (no "ble → ble"); a lost carrier still is', async () => {
    const { pa, pb, link } = peers();
    const first = await link('ble', { mtu: 244 });
    const moves: string[] = [];
    pa.moves$.subscribe((m) => moves.push(`a ${m.from}→${m.to}:${m.why}`));
    pb.moves$.subscribe((m) => moves.push(`b ${m.from}→${m.to}:${m.why}`));
    const incoming = next(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'x' });
    const rx = await incoming;
    const got: number[] = [];
    rx.messages$.subscribe((m) => got.push(m[0]!));
    await ch.send(Uint8Array.of(1));
    // A second BLE Link (simultaneous dials): both sides release the first, as LocalDevice's merge does.
    const second = await link('ble', { mtu: 244 });
    pa.release(first.a);
    pb.release(first.b);
    await ch.send(Uint8Array.of(2));
    await expect.poll(() => got).toEqual([1, 2]);
    expect(pa.carrier).toBe(second.a);
    expect(pb.carrier).toBe(second.b);
    expect(moves).toEqual(expect.not.arrayContaining([expect.stringContaining('ble→ble')]));
    // The carrier lost with nothing else up, then a BLE Link back: that is reported (the session was down).
    second.ca.sever();
    await expect.poll(() => pa.state).toBe('reconnecting');
    await link('ble', { mtu: 244 });
    await ch.send(Uint8Array.of(3));
    await expect.poll(() => got).toEqual([1, 2, 3]);
    expect(moves.filter((m) => m.startsWith('a '))).toEqual(['a ble→ble:loss']);
    await pa.close();
    await pb.close();
    await first.a.close();
  });

  it('LocalDevice: simultaneous dials over one medium merge without a move on either side', async () => {
    const net = new MemoryNetwork({ medium: 'ble' });
    const a = new LocalDevice({ advert: advert('m1'), transports: [net.createTransport()] });
    const b = new LocalDevice({ advert: advert('m2'), transports: [net.createTransport()] });
    running.push(a, b);
    await a.start();
    await b.start();
    await next(a.directory.devices$, (l) => l.length === 1);
    await next(b.directory.devices$, (l) => l.length === 1);
    const moves: string[] = [];
    a.linkOpened$.subscribe((l) =>
      a.peer(l.remote!.networkId)?.moves$.subscribe((m) => moves.push(`a ${m.from}→${m.to}:${m.why}`)),
    );
    b.linkOpened$.subscribe((l) =>
      b.peer(l.remote!.networkId)?.moves$.subscribe((m) => moves.push(`b ${m.from}→${m.to}:${m.why}`)),
    );
    await Promise.all([a.connect(b.advert.networkId), b.connect(a.advert.networkId)]);
    await next(a.links$, (ls) => ls.length === 1);
    await next(b.links$, (ls) => ls.length === 1);
    // A channel carried across the merge reaches the other side.
    const got = new Promise<Uint8Array>((resolve) =>
      b.handle('p', (ch) => ch.messages$.subscribe((m) => resolve(m))),
    );
    await a.peer(b.advert.networkId)!.openChannel({ proto: 'p' }).send(Uint8Array.of(7));
    expect([...(await got)]).toEqual([7]);
    expect(moves).toEqual(expect.not.arrayContaining([expect.stringContaining('ble→ble')]));
  });

  it('LocalDevice: leaves a duplicate the peer dialled to the peer, and closes it itself only after the handshake timeout', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ medium: 'ble', scheduler: clock });
    // The device has the larger networkId, so the Link it dials is the one both sides keep.
    const [hi, lo] = [advert('m1'), advert('m2')].sort((x, y) => (x.networkId > y.networkId ? -1 : 1));
    const device = new LocalDevice({
      advert: hi!,
      transports: [net.createTransport({ address: 'device' })],
      scheduler: clock,
    });
    running.push(device);
    await device.start();
    // A raw peer that never merges (no LocalDevice): it accepts the device's dial and dials the device once itself.
    const raw = net.createTransport({ address: 'raw' });
    raw.incoming$.subscribe((c) => new Link(c, { role: 'responder', local: lo!, scheduler: clock }));
    await raw.start();
    const connecting = device.connectAddress('ble', 'raw');
    await clock.advance(10);
    const keeper = await connecting;
    const dialling = raw.dial('device');
    await clock.advance(1);
    const duplicate = new Link(await dialling, { role: 'initiator', local: lo!, scheduler: clock });
    await clock.advance(10);
    expect(duplicate.state).toBe('open');
    await clock.advance(DEFAULT_HANDSHAKE_TIMEOUT_MS - 100);
    expect(duplicate.state).toBe('open'); // the peer's to close
    await clock.advance(200);
    expect(duplicate.state).toBe('closed');
    expect((await duplicate.closed).code).toBe('replaced');
    expect(keeper.state).toBe('open');
  });
});

describe('connection channels opened while no Link carries', () => {
  it('take the arriving Link’s send buffer and largest message (also the peer’s channel made by RESUME)', async () => {
    const A = advert('pa');
    const B = advert('pb');
    const pa = new PeerConnection({ local: A.networkId, peer: B.networkId });
    const pb = new PeerConnection({ local: B.networkId, peer: A.networkId });
    const links = async (medium: string, mtu?: number) => {
      const [ca, cb] = createConduitPair({ medium, model: mtu ? { mtu } : {} });
      const a = new Link(ca, { role: 'initiator', local: A, connectionOwner: (l) => pa.adopt(l) });
      // B's Links take messages of at most 5,000 bytes
      const b = new Link(cb, {
        role: 'responder',
        local: B,
        connectionOwner: (l) => pb.adopt(l),
        maxMessageBytes: 5_000,
      });
      await Promise.all([a.opened, b.opened]);
      return { a, b, ca, cb };
    };
    const ble = await links('ble', 244);
    ble.ca.sever();
    await expect.poll(() => pa.state).toBe('reconnecting');
    const ch = pa.openChannel({ proto: 'late' });
    const limits = () => ch.debug() as { sendBufferBytes: number; maxMessageBytes: number };
    // parked: the smallest medium's defaults (BLE's send buffer), never an unlimited message size
    expect(limits()).toMatchObject({
      sendBufferBytes: DEFAULT_SEND_BUFFER_BYTES,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    });
    const incoming = next(pb.incomingChannels$);
    const tcp = await links('tcp');
    expect(limits()).toMatchObject({
      sendBufferBytes: DEFAULT_CHANNEL_WINDOW_FAST,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    });
    expect(tcp.a.sendBufferBytes).toBe(DEFAULT_CHANNEL_WINDOW_FAST);
    // The peer's channel was made by the RESUME: it enforces its Link's largest message too.
    const rx = await incoming;
    expect(rx.debug()).toMatchObject({ maxMessageBytes: 5_000 });
    const closed = next(rx.closed$);
    await ch.send(new Uint8Array(6_000));
    expect(await closed).toMatchObject({ code: 'refused' });
    await pa.close();
    await pb.close();
  });

  it('an explicit sendBufferBytes is kept when a Link arrives', async () => {
    const { pa, pb, link } = peers();
    const ble = await link('ble', { mtu: 244 });
    ble.ca.sever();
    await expect.poll(() => pa.state).toBe('reconnecting');
    const ch = pa.openChannel({ proto: 'own' }, { sendBufferBytes: 64 * 1024 });
    await link('tcp');
    expect(ch.debug()).toMatchObject({ sendBufferBytes: 64 * 1024 });
    await pa.close();
    await pb.close();
  });
});

describe('make-before-break upgrade dials are on by default', () => {
  it('a peer connection on BLE moves to TCP by itself once the directory knows a TCP address', async () => {
    const bleNet = new MemoryNetwork({ medium: 'ble' });
    const tcpNet = new MemoryNetwork({ medium: 'tcp' });
    const media = () => [bleNet.createTransport({ priority: 10 }), tcpNet.createTransport({ priority: 100 })];
    const a = new LocalDevice({ advert: advert('up1'), transports: media() });
    const b = new LocalDevice({ advert: advert('up2'), transports: media() });
    running.push(a, b);
    await a.start();
    await b.start();
    await expect
      .poll(() => Object.keys(a.directory.get(b.advert.networkId)?.addresses ?? {}).sort())
      .toEqual(['ble', 'tcp']);
    await expect
      .poll(() => Object.keys(b.directory.get(a.advert.networkId)?.addresses ?? {}).sort())
      .toEqual(['ble', 'tcp']);
    expect((await a.connect(b.advert.networkId, { medium: 'ble' })).medium).toBe('ble');
    // No upgradeDialMs given: the device dials TCP itself (within one default period, 2 s) and moves over.
    await expect.poll(() => a.peer(b.advert.networkId)?.carrier?.medium, { timeout: 10_000 }).toBe('tcp');
    await expect.poll(() => b.peer(a.advert.networkId)?.carrier?.medium, { timeout: 10_000 }).toBe('tcp');
  });
  // upgradeDialMs: 0 turning it off: device-depth.test.ts (a leader with 0 never dials).
});
