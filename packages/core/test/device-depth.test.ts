import { concatMap, delay, first, firstValueFrom, of, Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../src/channel.js';
import { LocalDevice } from '../src/device.js';
import { ColinkError, ErrorCode } from '../src/errors.js';
import { MemoryNetwork, type MemoryTransport } from '../src/memory/memory-transport.js';
import { type Conduit, type Discovery, hasDiscovery, type Transport } from '../src/transport.js';
import { advert, lowHighDevices } from './helpers.js';

// LocalDevice in depth through its public API: duplicate Links from simultaneous dials merged with `replaced`, and
// a start that fails half-way.

const running: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((d) => d.stop()));
});

/** `inner` whose n-th conduit (dialled or accepted) delivers received bytes after the first `k` chunks `ms` late. */
function slowed(inner: MemoryTransport, which: number, ms: number, k = 1): Transport {
  let n = 0;
  const wrap = (c: Conduit): Conduit => {
    if (n++ !== which) return c;
    return {
      medium: c.medium,
      localAddress: c.localAddress,
      remoteAddress: c.remoteAddress,
      maxFrameSize: c.maxFrameSize,
      data$: c.data$.pipe(concatMap((x, i) => (i < k ? of(x) : of(x).pipe(delay(ms))))),
      drain$: c.drain$,
      closed$: c.closed$,
      write: (x) => c.write(x),
      end: (r) => c.end(r),
      destroy: (r) => c.destroy(r),
    };
  };
  const incoming = new Subject<Conduit>();
  inner.incoming$.subscribe((c) => incoming.next(wrap(c)));
  return {
    medium: inner.medium,
    capabilities: inner.capabilities,
    get localAddress() {
      return inner.localAddress;
    },
    incoming$: incoming.asObservable(),
    start: () => inner.start(),
    stop: () => inner.stop(),
    dial: async (a: string, o?: object) => wrap(await inner.dial(a, o)),
  } as unknown as Transport;
}

describe('duplicate Links from simultaneous dials', () => {
  it('are merged: both devices keep the Link the larger networkId dialled, the other closes with replaced', async () => {
    const { low, high, tLo, tHi } = await lowHighDevices(running);
    const replaced: string[] = [];
    for (const d of [low, high])
      d.linkOpened$.subscribe((l) => void l.closed.then((r) => replaced.push(`${r.code}`)));
    const [fromLow, fromHigh] = await Promise.all([
      low.connectAddress('memory', tHi.address),
      high.connectAddress('memory', tLo.address),
    ]);
    expect(fromLow.role).toBe('initiator');
    expect(fromHigh.role).toBe('initiator');
    await expect.poll(() => low.links(high.advert.networkId).length).toBe(1);
    await expect.poll(() => high.links(low.advert.networkId).length).toBe(1);
    // the survivor is the Link high dialled: high's initiator end and low's responder end
    expect(high.links()[0]).toBe(fromHigh);
    expect(low.links()[0]!.role).toBe('responder');
    expect(await fromLow.closed).toMatchObject({ code: 'replaced' });
    // every end of the Link low dialled that opened reports `replaced` (high's end may still be finishing its
    // handshake when low replaces the Link: it then closes without ever opening on high)
    expect(replaced.length).toBeGreaterThanOrEqual(1);
    expect(
      replaced.every((c) => c === 'replaced'),
      replaced.join(),
    ).toBe(true);
    // and it carries traffic
    high.handle('echo', (ch) => ch.messages$.subscribe((m) => void ch.send(m)));
    const ch = await low.openChannel(high.advert.networkId, { proto: 'echo' });
    const echo = firstValueFrom(ch.messages$);
    await ch.send(Uint8Array.of(5));
    expect([...(await echo)]).toEqual([5]);
  });

  it('drains the replaced Link: channels open on it finish their traffic, then it closes with replaced', async () => {
    const { low, high, tLo, tHi } = await lowHighDevices(running);
    const got: number[] = [];
    let rx: Channel | undefined;
    high.handle('stream', (ch) => {
      rx = ch;
      ch.messages$.subscribe((m) => got.push(m[0]!));
    });
    const first = await low.connectAddress('memory', tHi.address); // dialled by low: loses the merge
    const ch = first.openChannel({ proto: 'stream' });
    await ch.send(Uint8Array.of(1));
    const second = await high.connectAddress('memory', tLo.address); // dialled by high: the keeper
    await expect.poll(() => low.bestLink(high.advert.networkId)?.role).toBe('responder');
    expect(low.bestLink(high.advert.networkId)).not.toBe(first);
    // the draining Link is still open and its channel still works
    expect(first.state).toBe('open');
    await ch.send(Uint8Array.of(2));
    await ch.send(Uint8Array.of(3));
    await expect.poll(() => got).toEqual([1, 2, 3]);
    // new channels go on the keeper
    high.handle('other', () => undefined);
    const other = await low.openChannel(high.advert.networkId, { proto: 'other' });
    expect(low.links().find((l) => l.openChannels.includes(other))).not.toBe(first);
    // once the last channel on it is done, the drained Link closes with replaced
    await ch.close();
    expect(rx?.state).toBe('closed');
    expect(await first.closed).toMatchObject({ code: 'replaced' });
    expect(second.state).toBe('open');
    await expect.poll(() => low.links().length).toBe(1);
  });

  it('two Links dialled by the same device whose ends open in different orders: the dialler alone merges them, no peer connection loses its carrier', async () => {
    // low's second dial opens late at low (its bytes 80 ms late), high's end of the first dial opens late at high
    // (40 ms): low opens [1, 2], high opens [2, 1]. Judged by each side's own order, high closed the Link low kept
    // and low's peer connection went reconnecting.
    const net = new MemoryNetwork();
    const [lo, hi] = ['x', 'y'].map(advert).sort((p, q) => (p.networkId < q.networkId ? -1 : 1));
    const tLoInner = net.createTransport();
    const tHiInner = net.createTransport();
    const low = new LocalDevice({ advert: lo!, transports: [slowed(tLoInner, 1, 80)] });
    const high = new LocalDevice({ advert: hi!, transports: [slowed(tHiInner, 0, 40)] });
    await low.start();
    await high.start();
    const ev: string[] = [];
    for (const [name, d] of [
      ['low', low],
      ['high', high],
    ] as const)
      d.linkOpened$.subscribe((l) => {
        ev.push(`${name} open ${l.id}`);
        const pc = d.peer(l.remote!.networkId)!;
        pc.quality$.subscribe((q) => ev.push(`${name} pc ${q.state}`));
        void l.closed.then((r) => ev.push(`${name} closed ${l.id} ${r.code} ${r.remote ? 'remote' : ''}`));
      });
    const p1 = low.connectAddress('memory', tHiInner.address);
    const p2 = low.connectAddress('memory', tHiInner.address);
    await Promise.allSettled([p1, p2]);
    await new Promise((r) => setTimeout(r, 300));
    expect(ev.filter((e) => e.includes('reconnecting'))).toEqual([]);
    // one Link left on each side, the two ends of the same one (the other closed with replaced on both)
    await expect.poll(() => [low.links().length, high.links().length]).toEqual([1, 1]);
    expect(ev.filter((e) => e.includes('closed')).map((e) => e.split(' ').slice(3).join(' ').trim())).toEqual(
      ['replaced', 'replaced remote'],
    );
    await low.stop();
    await high.stop();
  });
});

/** A memory transport whose start() or advertise() fails while `fail` says so: a medium that cannot come up. */
class FlakyTransport implements Transport, Discovery {
  fail: 'start' | 'advertise' | undefined;
  constructor(
    private readonly inner: MemoryTransport,
    fail: 'start' | 'advertise',
  ) {
    this.fail = fail;
  }
  get medium() {
    return this.inner.medium;
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  get localAddress() {
    return this.inner.localAddress;
  }
  get incoming$() {
    return this.inner.incoming$;
  }
  async start() {
    if (this.fail === 'start') throw new ColinkError(ErrorCode.DIAL_FAILED, 'radio is off');
    await this.inner.start();
  }
  stop() {
    return this.inner.stop();
  }
  async advertise(a: Parameters<Discovery['advertise']>[0]) {
    if (this.fail === 'advertise') throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'cannot advertise');
    await this.inner.advertise(a);
  }
  unadvertise() {
    return this.inner.unadvertise();
  }
  discover() {
    return this.inner.discover();
  }
  dial(address: string, o?: Parameters<Transport['dial']>[1]) {
    return this.inner.dial(address, o);
  }
}

describe('LocalDevice.start failing half-way', () => {
  it.each(['start', 'advertise'] as const)(
    'a transport whose %s fails: the ones before it are stopped and unadvertised, the device can start later',
    async (what) => {
      const net = new MemoryNetwork({ medium: 'memory' });
      const other = new MemoryNetwork({ medium: 'ble' });
      const first = net.createTransport();
      const flaky = new FlakyTransport(other.createTransport(), what);
      const device = new LocalDevice({ advert: advert('half'), transports: [first, flaky] });
      running.push(device);
      const observer = net.createTransport();
      await observer.start();
      const seen: string[] = [];
      observer.discover().subscribe((e) => seen.push(`${e.type}:${e.peer.deviceName}`));

      await expect(device.start()).rejects.toMatchObject({
        code: what === 'start' ? 'ERR_DIAL_FAILED' : 'ERR_INVALID_ARGUMENT',
      });
      expect(device.started).toBe(false);
      expect(first.localAddress).toBeUndefined(); // stopped again
      expect(flaky.localAddress).toBeUndefined();
      expect(seen.at(-1) ?? 'never seen').not.toMatch(/^found|^updated/);
      await expect(observer.dial(first.address)).rejects.toMatchObject({ code: 'ERR_DIAL_FAILED' });
      await expect(device.connect(advert('z').networkId)).rejects.toMatchObject({ code: 'ERR_NOT_STARTED' });

      // the medium comes up: a second start works and announces the device
      flaky.fail = undefined;
      await device.start();
      expect(device.started).toBe(true);
      expect(first.localAddress).toBe(first.address);
      await expect.poll(() => seen.at(-1)).toBe('found:half');
      const conduit = await observer.dial(first.address); // it listens again
      conduit.destroy({ code: 'normal' });
      await observer.stop();
    },
  );
});

/** Only the Transport half of a memory transport: a dial-only medium with no discovery stubs. */
function dialOnly(inner: MemoryTransport): Transport {
  return {
    medium: inner.medium,
    capabilities: inner.capabilities,
    get localAddress() {
      return inner.localAddress;
    },
    incoming$: inner.incoming$,
    start: () => inner.start(),
    stop: () => inner.stop(),
    dial: (address, options) => inner.dial(address, options),
  };
}

describe('LocalDevice with a dial-only transport (Transport without Discovery)', () => {
  it('announces nothing by itself, and uses an explicit `discovery` to find and reach a peer', async () => {
    const net = new MemoryNetwork();
    const inner = net.createTransport();
    const plain = dialOnly(inner);
    expect(hasDiscovery(plain)).toBe(false);
    expect(hasDiscovery(inner)).toBe(true);

    const alone = new LocalDevice({ advert: advert('alone'), transports: [dialOnly(net.createTransport())] });
    running.push(alone);
    expect(alone.discoveries).toEqual([]);
    await alone.start(); // no advertise/discover is called on a transport that has none
    expect(alone.started).toBe(true);
    await alone.stop();

    const a = new LocalDevice({ advert: advert('a'), transports: [plain], discovery: [inner] });
    const peerTransport = net.createTransport();
    const b = new LocalDevice({ advert: advert('b'), transports: [peerTransport] });
    running.push(a, b);
    expect(a.discoveries).toEqual([inner]);
    expect(b.discoveries).toEqual([peerTransport]);
    await Promise.all([a.start(), b.start()]);
    await expect.poll(() => a.directory.list().map((d) => d.deviceName)).toEqual(['b']);
    await expect.poll(() => b.directory.list().map((d) => d.deviceName)).toEqual(['a']);
    const link = await a.connect(advert('b').networkId);
    expect(link.remote?.deviceName).toBe('b');
    await a.stop();
    // stop() unadvertised the explicit discovery: b sees a go
    await expect.poll(() => b.directory.list().length).toBe(0);
  });
});

describe('upgradeDialMs: a better medium dialled by itself', () => {
  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('rejects upgradeDialMs %s', (ms) => {
    expect(() => new LocalDevice({ advert: advert('bad'), transports: [], upgradeDialMs: ms })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });

  it('the leader dials first; the follower dials once the better medium stayed unused for two periods', async () => {
    const bleNet = new MemoryNetwork({ medium: 'ble' });
    const tcpNet = new MemoryNetwork({ medium: 'tcp' });
    const [lo, hi] = ['w', 'x'].map(advert).sort((p, q) => (p.networkId < q.networkId ? -1 : 1));
    const media = () => [bleNet.createTransport({ priority: 10 }), tcpNet.createTransport({ priority: 100 })];
    const dialsBy = new Map<string, number>();
    const count = (who: string, ts: MemoryTransport[]): MemoryTransport[] => {
      const tcp = ts.find((t) => t.medium === 'tcp')!;
      const dial = tcp.dial.bind(tcp);
      tcp.dial = (...args: Parameters<Transport['dial']>) => {
        dialsBy.set(who, (dialsBy.get(who) ?? 0) + 1);
        return dial(...args);
      };
      return ts;
    };
    // both sides upgrade: only the leader (smaller networkId) dials TCP
    const low = new LocalDevice({ advert: lo!, transports: count('low', media()), upgradeDialMs: 100 });
    const high = new LocalDevice({ advert: hi!, transports: count('high', media()), upgradeDialMs: 100 });
    running.push(low, high);
    await low.start();
    await high.start();
    await expect.poll(() => Object.keys(high.directory.get(lo!.networkId)?.addresses ?? {}).length).toBe(2);
    await low.connect(hi!.networkId, { medium: 'ble' });
    await expect.poll(() => low.peer(hi!.networkId)?.carrier?.medium).toBe('tcp');
    await expect.poll(() => high.peer(lo!.networkId)?.carrier?.medium).toBe('tcp');
    expect(Object.fromEntries(dialsBy)).toEqual({ low: 1 });
    // a leader with the upgrade turned off (0) does not dial: the follower dials after two periods
    const [lo2, hi2] = ['y', 'z'].map(advert).sort((p, q) => (p.networkId < q.networkId ? -1 : 1));
    dialsBy.clear();
    const leader = new LocalDevice({ advert: lo2!, transports: count('leader', media()), upgradeDialMs: 0 });
    const follower = new LocalDevice({
      advert: hi2!,
      transports: count('follower', media()),
      upgradeDialMs: 100,
    });
    running.push(leader, follower);
    await leader.start();
    await follower.start();
    await expect
      .poll(() => Object.keys(follower.directory.get(lo2!.networkId)?.addresses ?? {}).length)
      .toBe(2);
    await leader.connect(hi2!.networkId, { medium: 'ble' });
    await expect.poll(() => leader.peer(hi2!.networkId)?.carrier?.medium).toBe('tcp');
    expect(Object.fromEntries(dialsBy)).toEqual({ follower: 1 });
  });

  it('moves a peer connection from BLE to TCP when TCP reaches the peer, and back to TCP after TCP was cut', async () => {
    const bleNet = new MemoryNetwork({ medium: 'ble' });
    const tcpNet = new MemoryNetwork({ medium: 'tcp' });
    const [lo, hi] = ['u', 'v'].map(advert).sort((p, q) => (p.networkId < q.networkId ? -1 : 1));
    const media = () => [bleNet.createTransport({ priority: 10 }), tcpNet.createTransport({ priority: 100 })];
    const [mLo, mHi] = [media(), media()];
    const low = new LocalDevice({ advert: lo!, transports: mLo, upgradeDialMs: 100 });
    const high = new LocalDevice({ advert: hi!, transports: mHi, upgradeDialMs: 100 });
    running.push(low, high);
    await low.start();
    await high.start();
    await expect
      .poll(() => Object.keys(low.directory.get(hi!.networkId)?.addresses ?? {}).sort())
      .toEqual(['ble', 'tcp']);
    const got: number[] = [];
    high.handle('stream', (ch) => ch.messages$.subscribe((m) => got.push(m[0]! * 256 + m[1]!)));
    const moves: string[] = [];
    low.linkOpened$
      .pipe(first())
      .subscribe((l) => low.peer(l.remote!.networkId)!.moves$.subscribe((m) => moves.push(m.to)));
    expect((await low.connect(hi!.networkId, { medium: 'ble' })).medium).toBe('ble');
    const pc = low.peer(hi!.networkId)!;
    const ch = pc.openChannel({ proto: 'stream' });
    let sent = 0;
    const pump = async (until: () => boolean): Promise<void> => {
      while (!until()) {
        await ch.send(Uint8Array.of(sent >> 8, sent & 0xff));
        sent++;
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    // TCP is in the directory: the device dials it by itself and the channel moves over.
    // (`carrier` changes when a planned move starts, `moves$` once its drain is done)
    await pump(() => moves.length >= 1 && sent > 20);
    expect(moves).toEqual(['tcp']); // the first move after the BLE Link opened
    // TCP cut (the conduits fail, discovery still lists it): BLE carries, then TCP is dialled again.
    tcpNet.sever(mLo[1]!.address);
    await pump(() => moves.length >= 3);
    expect(moves.slice(1)).toEqual(['ble', 'tcp']);
    await expect.poll(() => got.length).toBe(sent);
    expect(got).toEqual([...Array(sent).keys()]);
  });

  it('rejects a negative upgradeDialMs', () => {
    expect(() => new LocalDevice({ advert: advert('w'), transports: [], upgradeDialMs: -1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });
});
