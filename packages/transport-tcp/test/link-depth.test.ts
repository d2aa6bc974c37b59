import { createHash, randomBytes } from 'node:crypto';
import { type Channel, closeReason, type DeviceAdvert, Link, LocalDevice, MemoryNetwork } from '@colink/core';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { connect, loopbackTransports, networkId } from './helpers.js';

// core's Link behaviours where a real socket matters (kernel buffers, real backpressure, real listeners): channel
// reset with sends queued behind a full socket, for-await reading of a large stream, the `replaced` merge of two
// simultaneous TCP dials, and LocalDevice.start failing on a port that is taken.

const advert = (name: string): DeviceAdvert => ({
  networkId: networkId(name),
  deviceName: name,
  deviceType: 'pc',
});

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((f) => f()));
});

async function tcpLinks(options: { channelWindow?: number; sendBufferBytes?: number } = {}) {
  const [a, b] = await loopbackTransports((stop) => cleanup.push(stop));
  const { dialled, accepted } = await connect(a, b);
  const la = new Link(dialled, { ...options, role: 'initiator', local: advert('a') });
  const lb = new Link(accepted, { ...options, role: 'responder', local: advert('b') });
  await Promise.all([la.opened, lb.opened]);
  return { la, lb };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Link depth over real TCP', () => {
  it('a reset channel fails the sends queued behind a full socket with ERR_CLOSED; other channels go on', async () => {
    const { la, lb } = await tcpLinks({ channelWindow: 256 * 1024, sendBufferBytes: 256 * 1024 });
    const incoming: Channel[] = [];
    lb.incomingChannels$.subscribe((ch) => incoming.push(ch));
    const ch = la.openChannel({ proto: 'bulk' });
    const side = la.openChannel({ proto: 'side' });
    await expect.poll(() => incoming.length).toBe(2);
    const [rx, sideRx] = incoming as [Channel, Channel];
    rx.pause();
    const outcome = Array.from({ length: 64 }, () =>
      ch.send(new Uint8Array(64 * 1024)).then(
        () => 'sent',
        (e: { code?: string }) => e.code,
      ),
    );
    await expect.poll(() => ch.bufferedAmount).toBeGreaterThan(0);
    const remote = firstValueFrom(rx.closed$);
    ch.reset(closeReason('refused', 'stop'));
    const results = await Promise.all(outcome);
    expect(results.filter((r) => r === 'ERR_CLOSED').length).toBeGreaterThan(0);
    expect(results.every((r) => r === 'sent' || r === 'ERR_CLOSED')).toBe(true);
    expect(await remote).toMatchObject({ code: 'refused', message: 'stop', remote: true });
    const got = firstValueFrom(sideRx.messages$);
    await side.send(Uint8Array.of(1, 2, 3));
    expect([...(await got)]).toEqual([1, 2, 3]);
  });

  it('for await reads 16 MiB in 96 KiB messages with a slow reader, byte-exact', async () => {
    const { la, lb } = await tcpLinks({ channelWindow: 512 * 1024 });
    const incoming = firstValueFrom(lb.incomingChannels$);
    const ch = la.openChannel({ proto: 'stream' });
    const rx = await incoming;
    const data = new Uint8Array(randomBytes(16 * 1024 * 1024));
    const writer = (async () => {
      for (let at = 0; at < data.length; at += 96 * 1024) await ch.send(data.subarray(at, at + 96 * 1024));
      await ch.close();
    })();
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const m of rx) {
      parts.push(m);
      if (++n % 16 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await writer;
    expect(sha(Buffer.concat(parts))).toBe(sha(data));
  }, 60_000);

  it('merges two simultaneous TCP dials between LocalDevices: one Link each, the other closed with replaced', async () => {
    const devices = ['p', 'q'].map((name) => {
      const t = new TcpTransport({ host: '127.0.0.1', discovery: false });
      const d = new LocalDevice({ advert: advert(name), transports: [t] });
      cleanup.push(() => d.stop());
      return { t, d };
    });
    const [p, q] = devices as [(typeof devices)[0], (typeof devices)[0]];
    await p.d.start();
    await q.d.start();
    const closes: string[] = [];
    for (const { d } of devices)
      d.linkOpened$.subscribe((l) => void l.closed.then((r) => closes.push(r.code)));
    const [pq, qp] = await Promise.all([
      p.d.connectAddress('tcp', q.t.localAddress!),
      q.d.connectAddress('tcp', p.t.localAddress!),
    ]);
    await expect.poll(() => p.d.links().length).toBe(1);
    await expect.poll(() => q.d.links().length).toBe(1);
    const winner = p.d.advert.networkId > q.d.advert.networkId ? pq : qp;
    const loser = winner === pq ? qp : pq;
    expect((await loser.closed).code).toBe('replaced');
    expect(winner.state).toBe('open');
    await expect.poll(() => closes).toEqual(['replaced', 'replaced']);
  });

  it('LocalDevice.start failing on a taken TCP port stops the transports started before it', async () => {
    const holder = new TcpTransport({ host: '127.0.0.1', discovery: false });
    cleanup.push(() => holder.stop());
    await holder.start();
    const port = Number(holder.localAddress!.split(':').at(-1));
    const memory = new MemoryNetwork().createTransport();
    const tcp = new TcpTransport({ host: '127.0.0.1', port, discovery: false });
    const device = new LocalDevice({ advert: advert('r'), transports: [memory, tcp] });
    cleanup.push(() => device.stop());
    await expect(device.start()).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    expect(device.started).toBe(false);
    expect(memory.localAddress).toBeUndefined();
    expect(tcp.localAddress).toBeUndefined();
  });
});
