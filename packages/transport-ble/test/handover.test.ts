import { createHash } from 'node:crypto';
import { type Channel, type Conduit, Link, type LinkRole, PeerConnection } from '@colink/core';
import { createConduitPair } from '@colink/core/testing';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualRadio } from '../src/virtual/index.js';
import { advertise, connectPair, World } from './helpers/world.js';

// A peer connection whose BLE Links run the real noble/bleno stacks on the virtual LE controller. The faster medium
// beside it is core's in-memory conduit pair named 'tcp' (this package does not depend on transport-tcp; the real
// TCP case is transport-tcp's handover test).

const A = {
  networkId: createHash('sha256').update('ble-a').digest('hex'),
  deviceName: 'a',
  deviceType: 'phone',
};
const B = {
  networkId: createHash('sha256').update('ble-b').digest('hex'),
  deviceName: 'b',
  deviceType: 'phone',
};

let world: World;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await world?.close();
});

function setup() {
  const pa = new PeerConnection({ local: A.networkId, peer: B.networkId, graceMs: 60_000 });
  const pb = new PeerConnection({ local: B.networkId, peer: A.networkId, graceMs: 60_000 });
  cleanups.push(
    () => pa.close(),
    () => pb.close(),
  );
  const links = async (ca: Conduit, cb: Conduit): Promise<[Link, Link]> => {
    const mk = (c: Conduit, role: LinkRole, local: typeof A, pc: PeerConnection): Link => {
      const l = new Link(c, { role, local, connectionOwner: (x) => pc.adopt(x) });
      cleanups.push(() => l.abort({ code: 'normal' }));
      return l;
    };
    const la = mk(ca, 'initiator', A, pa);
    const lb = mk(cb, 'responder', B, pb);
    await Promise.all([la.opened, lb.opened]);
    return [la, lb];
  };
  return { pa, pb, links };
}

function message(i: number, size: number): Uint8Array {
  const m = new Uint8Array(size);
  new DataView(m.buffer).setUint32(0, i);
  for (let k = 4; k < size; k++) m[k] = (i * 13 + k) & 0xff;
  return m;
}

/** Receives `n` numbered messages; resolves with the SHA-256 of them, rejects on a gap, duplicate or reordering. */
function receive(ch: Channel, n: number): Promise<string> {
  const h = createHash('sha256');
  let expected = 0;
  return new Promise((resolve, reject) => {
    ch.messages$.subscribe((m) => {
      const i = new DataView(m.buffer, m.byteOffset).getUint32(0);
      if (i !== expected) reject(new Error(`message ${i} arrived, expected ${expected}`));
      expected++;
      h.update(m);
      if (expected === n) resolve(h.digest('hex'));
    });
  });
}

async function send(ch: Channel, n: number, size: number, at: number, fault: () => unknown): Promise<string> {
  const h = createHash('sha256');
  for (let i = 0; i < n; i++) {
    const m = message(i, size);
    h.update(m);
    await ch.send(m);
    if (i === at) await fault();
  }
  return h.digest('hex');
}

describe('peer connection with BLE on the virtual radio', () => {
  it('starts on BLE and upgrades to the faster medium mid-transfer, make-before-break', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const ta = await world.device('AA:00:00:00:00:01');
    const tb = await world.device('BB:00:00:00:00:02');
    await advertise(tb, 'bee');
    const { pa, pb, links } = setup();
    await links(...(await connectPair(ta, tb, 'BB:00:00:00:00:02')));
    expect(pa.carrier?.medium).toBe('ble');
    const incoming = firstValueFrom(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'transfer' });
    const rx = await incoming;
    const n = 600;
    const got = receive(rx, n);
    const moves: string[] = [];
    pa.moves$.subscribe((m) => moves.push(`${m.from}→${m.to}`));
    pb.moves$.subscribe((m) => moves.push(`${m.from}→${m.to}`));
    const sent = await send(ch, n, 2048, 150, async () => {
      const [ca, cb] = createConduitPair({ medium: 'tcp' });
      await links(ca, cb);
    });
    expect(await got).toBe(sent);
    expect(pa.carrier?.medium).toBe('tcp');
    expect(pb.carrier?.medium).toBe('tcp');
    expect(moves).toContain('ble→tcp');
    expect(pa.links.map((l) => l.medium).sort()).toEqual(['ble', 'tcp']); // BLE stays as a standby
  }, 60_000);

  it('holds the transfer while the BLE device is out of range and resumes when it is back', async () => {
    world = new World(new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 }));
    const ta = await world.device('AA:00:00:00:00:01');
    const tb = await world.device('BB:00:00:00:00:02');
    await advertise(tb, 'bee');
    const { pa, pb, links } = setup();
    const [first] = await links(...(await connectPair(ta, tb, 'BB:00:00:00:00:02')));
    const incoming = firstValueFrom(pb.incomingChannels$);
    const ch = pa.openChannel({ proto: 'transfer' }, { sendBufferBytes: 64 * 1024 });
    const rx = await incoming;
    const n = 500;
    const got = receive(rx, n);
    const sent = send(ch, n, 2048, 100, async () => {
      expect(world.radio.dropLink('AA:00:00:00:00:01', 'BB:00:00:00:00:02')).toBe(1); // out of range
      await first.closed;
      expect(pa.state).toBe('reconnecting');
      // back in range: dial again
      setTimeout(() => void connectPair(ta, tb, 'BB:00:00:00:00:02').then(([ca, cb]) => links(ca, cb)), 50);
    });
    expect(await got).toBe(await sent);
    expect(pa.state).toBe('connected');
    expect(pa.carrier).not.toBe(first);
    expect(pa.carrier?.medium).toBe('ble');
  }, 60_000);
});
