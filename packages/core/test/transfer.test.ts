import net from 'node:net';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../src/channel.js';
import { LocalDevice } from '../src/device.js';
import { isColinkError } from '../src/errors.js';
import { Link } from '../src/link.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { socketConduit } from '../src/node/socket-conduit.js';
import { PeerConnection } from '../src/peer-connection.js';
import type { Session } from '../src/session.js';
import { Transfer, type TransferProgress } from '../src/transfer.js';
import { advert, app, bytes, next, openSession, sha } from './helpers.js';
import { peers } from './peer-helpers.js';

const MiB = 1024 * 1024;

/** Every emission of a transfer's progress, checked to only grow and to stay within the total. */
function record(t: Transfer): { values: TransferProgress[]; last: () => TransferProgress } {
  const values: TransferProgress[] = [];
  t.progress$.subscribe((p) => {
    const prev = values.at(-1);
    if (prev && p.bytes < prev.bytes) throw new Error(`progress went back from ${prev.bytes} to ${p.bytes}`);
    if (p.bytes > p.total) throw new Error(`progress ${p.bytes} over the total ${p.total}`);
    values.push(p);
  });
  return { values, last: () => values.at(-1)! };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('resolved, expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** A transfer between two peer connections over the channel `pa` opens. */
async function start(
  pa: PeerConnection,
  pb: PeerConnection,
  data: Uint8Array,
): Promise<{ out: Transfer; in: Transfer; channel: Channel }> {
  const incoming = next(pb.incomingChannels$);
  const channel = pa.openChannel({ proto: 'file', size: data.length });
  const out = Transfer.send(channel, data);
  const peerChannel = await incoming;
  return { out, in: Transfer.receive(peerChannel, Number(peerChannel.metadata.size)), channel };
}

describe('Transfer on a peer connection (in-memory media)', () => {
  it('counts bytes the peer acknowledged: never ahead of what the peer received, ends at the total', async () => {
    const { pa, pb, link } = peers();
    await link('tcp', { bandwidthBytesPerSec: 40 * MiB, latencyMs: 2 });
    const data = bytes(4 * MiB + 1234);
    const t = await start(pa, pb, data);
    const sent = record(t.out);
    // Sampled at each of the sender's progress emissions: the receiver already holds at least that much.
    const behind: number[] = [];
    t.out.progress$.subscribe((p) => {
      if (t.in.bytes < p.bytes) behind.push(p.bytes - t.in.bytes);
    });
    const received = record(t.in);
    const [got] = await Promise.all([t.in.done, t.out.done]);
    expect(sha(got)).toBe(sha(data));
    expect(behind).toEqual([]);
    expect(sent.last()).toMatchObject({ bytes: data.length, total: data.length, state: 'done' });
    expect(received.last()).toMatchObject({ bytes: data.length, state: 'done' });
    // progress moved in steps (chunks acknowledged along the way), not only at the end
    expect(sent.values.filter((p) => p.bytes > 0 && p.bytes < data.length).length).toBeGreaterThan(2);
    await pa.close();
    await pb.close();
  });

  it('continues across a cut of its carrier: resumes on the standby Link, no byte counted twice', async () => {
    for (const cutSide of ['a', 'b'] as const) {
      const { pa, pb, link } = peers();
      await link('ble', { mtu: 244, bandwidthBytesPerSec: 4 * MiB });
      const tcp = await link('tcp', { bandwidthBytesPerSec: 8 * MiB, latencyMs: 1 });
      expect(pa.carrier?.medium).toBe('tcp');
      const moves: string[] = [];
      pa.moves$.subscribe((m) => moves.push(`${m.from}→${m.to}`));
      const data = bytes(3 * MiB);
      const t = await start(pa, pb, data);
      const sent = record(t.out);
      // resent chunks must not be counted again: the sender's count never passes what the receiver holds
      let ahead = 0;
      t.out.progress$.subscribe((p) => {
        if (p.bytes > t.in.bytes) ahead++;
      });
      let cutAt = -1;
      t.out.progress$.subscribe((p) => {
        if (cutAt < 0 && p.bytes >= MiB) {
          cutAt = p.bytes;
          (cutSide === 'a' ? tcp.ca : tcp.cb).sever();
        }
      });
      const [got] = await Promise.all([t.in.done, t.out.done]);
      expect(cutAt).toBeGreaterThan(0);
      expect(cutAt).toBeLessThan(data.length);
      expect(sha(got)).toBe(sha(data));
      expect(moves).toContain('tcp→ble');
      expect(pa.carrier?.medium).toBe('ble');
      // progress went on after the cut (emissions between the cut and the end) and ended exactly at the total
      expect(sent.values.some((p) => p.bytes > cutAt && p.bytes < data.length)).toBe(true);
      expect(sent.last()).toMatchObject({ bytes: data.length, state: 'done' });
      expect(t.in.bytes).toBe(data.length);
      expect(ahead).toBe(0);
      await pa.close();
      await pb.close();
    }
  });

  it('is cancelled by the sender with a reason the receiver sees as ERR_CANCELLED', async () => {
    const { pa, pb, link } = peers();
    await link('tcp', { bandwidthBytesPerSec: 8 * MiB });
    const t = await start(pa, pb, bytes(8 * MiB));
    await next(t.in.progress$, (p) => p.bytes > 0);
    expect(t.out.cancel('user pressed stop')).toBe(true);
    expect(t.out.cancel('twice')).toBe(false);
    const mine = await rejection(t.out.done);
    const theirs = await rejection(t.in.done);
    expect(isColinkError(mine, 'ERR_CANCELLED')).toBe(true);
    expect(mine).toMatchObject({ reason: { code: 'cancelled', message: 'user pressed stop' } });
    expect((mine as { reason: { remote?: boolean } }).reason.remote).toBeFalsy();
    expect(isColinkError(theirs, 'ERR_CANCELLED')).toBe(true);
    expect(theirs).toMatchObject({
      reason: { code: 'cancelled', message: 'user pressed stop', remote: true },
    });
    expect(t.in.state).toBe('cancelled');
    expect((await firstValueFrom(t.in.progress$)).state).toBe('cancelled');
    expect(t.in.bytes).toBeLessThan(8 * MiB);
    // the peer connection and its Link carry on
    const again = await start(pa, pb, bytes(1000));
    expect((await again.in.done).length).toBe(1000);
    await pa.close();
    await pb.close();
  });

  it('is cancelled by the receiver: the sender stops and sees the reason', async () => {
    const { pa, pb, link } = peers();
    await link('tcp', { bandwidthBytesPerSec: 8 * MiB });
    const t = await start(pa, pb, bytes(8 * MiB));
    await next(t.out.progress$, (p) => p.bytes > 0);
    t.in.cancel('disk full');
    const theirs = await rejection(t.out.done);
    expect(isColinkError(theirs, 'ERR_CANCELLED')).toBe(true);
    expect(theirs).toMatchObject({ reason: { code: 'cancelled', message: 'disk full', remote: true } });
    expect(t.out.state).toBe('cancelled');
    expect(t.out.bytes).toBeLessThan(8 * MiB);
    expect(t.channel.state).toBe('closed');
    expect(t.channel.bufferedAmount).toBe(0);
    await pa.close();
    await pb.close();
  });

  it('delivers a cancel made while no Link carries the channel once one returns', async () => {
    const { pa, pb, link } = peers({ graceMs: 60_000 });
    const first = await link('tcp', { bandwidthBytesPerSec: 4 * MiB });
    const t = await start(pa, pb, bytes(4 * MiB));
    await next(t.out.progress$, (p) => p.bytes > 0);
    first.ca.sever();
    await first.a.closed;
    expect(pa.state).toBe('reconnecting');
    t.in.cancel('changed my mind'); // the receiver (follower b) cancels while parked
    await link('ble', { mtu: 244 });
    const e = await rejection(t.out.done);
    expect(isColinkError(e, 'ERR_CANCELLED')).toBe(true);
    expect(e).toMatchObject({ reason: { code: 'cancelled', message: 'changed my mind', remote: true } });
    await pa.close();
    await pb.close();
  });

  it('is cancelled while a make-before-break upgrade moves it: both ends see the cancel, the next one runs', async () => {
    const { pa, pb, link } = peers();
    await link('ble', { mtu: 244, bandwidthBytesPerSec: 2 * MiB });
    const t = await start(pa, pb, bytes(4 * MiB));
    await next(t.out.progress$, (p) => p.bytes > 0);
    const moves: string[] = [];
    for (const p of [pa, pb]) p.moves$.subscribe((m) => moves.push(`${m.from}→${m.to}:${m.why}`));
    const upgraded = next(pa.quality$, (q) => q.medium === 'tcp');
    await link('tcp');
    t.in.cancel('moving is no excuse'); // during the drain of the BLE Link or right after the move
    const e = await rejection(t.out.done);
    expect(e).toMatchObject({
      code: 'ERR_CANCELLED',
      reason: { message: 'moving is no excuse', remote: true },
    });
    await upgraded;
    expect(pa.carrier?.medium).toBe('tcp');
    // the leader reports where the channels came from (not the new carrier twice)
    expect(moves, moves.join()).toContain('ble→tcp:upgrade');
    const again = await start(pa, pb, bytes(MiB));
    expect((await again.in.done).length).toBe(MiB);
    await pa.close();
    await pb.close();
  });

  it('rejects a sender that sends more than announced, and a bad size', async () => {
    const { pa, pb, link } = peers();
    await link('tcp');
    const incoming = next(pb.incomingChannels$);
    const channel = pa.openChannel({ proto: 'file' });
    const out = Transfer.send(channel, bytes(3000), { chunkBytes: 1000 });
    const t = Transfer.receive(await incoming, 2500);
    const e = await rejection(t.done);
    expect(isColinkError(e, 'ERR_PROTOCOL')).toBe(true);
    expect(isColinkError(await rejection(out.done), 'ERR_CLOSED')).toBe(true);
    expect(() => Transfer.receive(channel, -1)).toThrow(/byte count/);
    expect(() => Transfer.send(pa.openChannel({ proto: 'x' }), bytes(1), { chunkBytes: 0 })).toThrow(
      /positive integer/,
    );
    await pa.close();
    await pb.close();
  });
});

describe('Transfer over real TCP sockets', () => {
  it('reports acknowledged progress and is cancelled by the receiver across a loopback TCP Link', async () => {
    const A = advert('tcp-a');
    const B = advert('tcp-b');
    const pa = new PeerConnection({ local: A.networkId, peer: B.networkId });
    const pb = new PeerConnection({ local: B.networkId, peer: A.networkId });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', r));
    const a = new Link(socketConduit(client), {
      role: 'initiator',
      local: A,
      connectionOwner: (l) => pa.adopt(l),
    });
    const b = new Link(socketConduit(await accepted), {
      role: 'responder',
      local: B,
      connectionOwner: (l) => pb.adopt(l),
    });
    await Promise.all([a.opened, b.opened]);
    const data = bytes(16 * MiB);
    const t = await start(pa, pb, data);
    const sent = record(t.out);
    const [got] = await Promise.all([t.in.done, t.out.done]);
    expect(sha(got)).toBe(sha(data));
    expect(sent.last()).toMatchObject({ bytes: data.length, state: 'done' });
    expect(sent.values.length).toBeGreaterThan(3);

    const big = await start(pa, pb, bytes(64 * MiB));
    await next(big.out.progress$, (p) => p.bytes >= MiB);
    big.in.cancel('not needed');
    const e = await rejection(big.out.done);
    expect(e).toMatchObject({ code: 'ERR_CANCELLED', reason: { code: 'cancelled', message: 'not needed' } });
    expect(big.out.bytes).toBeLessThan(64 * MiB);
    expect(a.state).toBe('open');
    await pa.close();
    await pb.close();
    await a.close();
    await b.closed;
    server.close();
  }, 60_000);
});

describe('Session.transfer', () => {
  const devices: LocalDevice[] = [];
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  const open = (a: LocalDevice, b: LocalDevice): Promise<[Session, Session]> => openSession(a, b, 'files');

  async function pair(bLink = {}): Promise<{ net: MemoryNetwork; a: LocalDevice; b: LocalDevice }> {
    const network = new MemoryNetwork({ model: { bandwidthBytesPerSec: 16 * MiB } });
    const a = new LocalDevice({ advert: advert('sender'), transports: [network.createTransport()] });
    const b = new LocalDevice({
      advert: advert('receiver'),
      transports: [network.createTransport()],
      link: bLink,
    });
    devices.push(a, b);
    await a.start();
    await b.start();
    await next(a.directory.devices$, (l) => l.length === 1);
    return { net: network, a, b };
  }

  it('shows the peer the transfer (progress, then the bytes on data$) and lets either end cancel it', async () => {
    const { a, b } = await pair();
    const [sa, sb] = await open(a, b);
    const incoming = next(sb.transfers$);
    const blob = next(sb.data$);
    const data = bytes(2 * MiB + 7);
    const t = sa.transfer(data);
    const sent = record(t);
    const theirs = await incoming;
    expect(theirs).toMatchObject({ direction: 'receive', total: data.length });
    await t.done;
    expect(sha(await blob)).toBe(sha(data));
    expect(sent.last()).toMatchObject({ bytes: data.length, state: 'done' });

    // the receiving app cancels the next one
    const second = next(sb.transfers$);
    const t2 = sa.transfer(bytes(16 * MiB));
    const in2 = await second;
    await next(in2.progress$, (p) => p.bytes > 0);
    in2.cancel('no room');
    const e = await rejection(t2.done);
    expect(e).toMatchObject({ code: 'ERR_CANCELLED', reason: { message: 'no room', remote: true } });
    // the session is unaffected
    const msg = next(sb.messages$);
    await sa.sendMessage('still here');
    expect(await msg).toBe('still here');
    expect(sa.state).toBe('open');
  });

  it('ends with its session: an app closing the session cancels the transfers of both ends', async () => {
    for (const closer of ['receiver', 'sender'] as const) {
      const { a, b } = await pair();
      const [sa, sb] = await open(a, b);
      const incoming = next(sb.transfers$);
      const t = sa.transfer(bytes(16 * MiB));
      const theirs = await incoming;
      await next(theirs.progress$, (p) => p.bytes > 0);
      await (closer === 'receiver' ? sb : sa).close();
      const [mine, peer] = closer === 'receiver' ? [theirs, t] : [t, theirs];
      const own = (await rejection(mine.done)) as { code: string; reason: { remote?: boolean } };
      expect(own.code).toBe('ERR_CANCELLED');
      expect(own.reason.remote ?? false).toBe(false);
      expect(await rejection(peer.done)).toMatchObject({ code: 'ERR_CANCELLED', reason: { remote: true } });
    }
  });

  it('hands a transfer that arrived before anyone subscribed to the first transfers$ subscriber', async () => {
    const { a, b } = await pair();
    const data = bytes(8 * MiB); // at 16 MiB/s it is still running when the requester looks
    b.sessions.requests$.subscribe((r) => void r.accept().then((s) => s.transfer(data)));
    const sa = await a.sessions.request({
      peer: b.advert.networkId,
      service: 'files',
      local: app('EntryAbility'),
      remote: app('EntryAbility'),
    });
    await new Promise((r) => setTimeout(r, 50)); // the transfer reaches the requester before it looks
    const t = await next(sa.transfers$);
    expect(sha(await t.done)).toBe(sha(data));
  });

  it('works with a protocol v1 peer: no ACK there, so it completes with the close handshake', async () => {
    const { a, b } = await pair({ maxProtocolVersion: 1 });
    const [sa, sb] = await open(a, b);
    expect(sa.via.version).toBe(1);
    const blob = next(sb.data$);
    const data = bytes(MiB);
    const t = sa.transfer(data);
    const sent = record(t);
    await t.done;
    expect(sha(await blob)).toBe(sha(data));
    expect(sent.last()).toMatchObject({ bytes: data.length, state: 'done' });
    expect(() => sa.transfer('x' as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
});
