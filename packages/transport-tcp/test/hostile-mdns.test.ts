import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DiscoveryEvent } from '@colink/core';
import dnsPacket, { type Answer } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { MDNS_IPV4_GROUP, SERVICE_TYPE } from '../src/constants.js';
import { TcpTransport } from '../src/index.js';
import {
  MAX_CACHE_ENTRIES,
  MAX_CACHE_ENTRIES_PER_SOURCE,
  MAX_DISCOVERED_PEERS,
} from '../src/mdns/browser.js';
import { advertToTxt } from '../src/mdns/txt.js';
import { loopbackDiscovery, networkId, nextEvent, randomPort, until } from './helpers.js';

// mDNS abuse on loopback (random port, nothing leaves the host): a flood of 10,000 spoofed packets, a name conflict
// with a live device, 10,000 services announced. The spoofer sends from 127.0.1.x (all of 127/8 is loopback on Linux),
// so it is another source host than the real devices on 127.0.0.1.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function device(port: number, seed?: string): Promise<TcpTransport> {
  const t = new TcpTransport({ host: '127.0.0.1', discovery: loopbackDiscovery(port) });
  cleanups.push(() => t.stop());
  await t.start();
  if (seed) await t.advertise({ networkId: networkId(seed), deviceName: `real-${seed}`, deviceType: 'pc' });
  return t;
}

/** Sends raw mDNS datagrams to the group on the loopback interface from `source`. */
class Spoofer {
  readonly #socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  constructor(readonly port: number) {
    cleanups.push(() => new Promise<void>((r) => this.#socket.close(() => r())));
  }

  async bind(source: string): Promise<void> {
    await new Promise<void>((r) => this.#socket.bind({ address: source, port: 0 }, () => r()));
    this.#socket.setMulticastInterface('127.0.0.1');
    this.#socket.setMulticastLoopback(true);
  }

  send(b: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.#socket.send(b, this.port, MDNS_IPV4_GROUP, () => resolve()));
  }

  /** Sends every packet, 100 per turn of the event loop (a burst, not a trickle). */
  async flood(packets: Iterable<Uint8Array>): Promise<number> {
    let n = 0;
    let batch: Promise<void>[] = [];
    for (const p of packets) {
      batch.push(this.send(p));
      n++;
      if (batch.length === 100) {
        await Promise.all(batch);
        batch = [];
        await new Promise((r) => setImmediate(r));
      }
    }
    await Promise.all(batch);
    return n;
  }
}

/** Listens to the group (another socket on the port) and decodes every packet. */
function sniffer(port: number, onPacket: (p: dnsPacket.Packet) => void): Promise<void> {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  s.on('message', (m) => {
    try {
      onPacket(dnsPacket.decode(m));
    } catch {
      // not ours to judge
    }
  });
  return new Promise((r) =>
    s.bind(port, '0.0.0.0', () => {
      s.addMembership(MDNS_IPV4_GROUP, '127.0.0.1');
      r();
    }),
  );
}

/** A complete DNS-SD instance (PTR, SRV, TXT, A) of a colink device that does not exist. */
function fakeInstance(i: number, ttl = 4_500): Buffer {
  const instance = `spoof-${i}.${SERVICE_TYPE}`;
  const host = `spoof-${i}.local`;
  const answers: Answer[] = [
    { type: 'PTR', name: SERVICE_TYPE, ttl, data: instance },
    {
      type: 'SRV',
      name: instance,
      ttl,
      flush: true,
      data: { target: host, port: 9, priority: 0, weight: 0 },
    },
    {
      type: 'TXT',
      name: instance,
      ttl,
      flush: true,
      data: advertToTxt({ networkId: networkId(`spoof-${i}`), deviceName: `spoof-${i}`, deviceType: 'pc' }),
    },
    { type: 'A', name: host, ttl: 120, flush: true, data: `127.0.2.${(i % 250) + 1}` },
  ];
  return dnsPacket.encode({ type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER, answers });
}

/** Hostile packets of every kind but "a complete new instance": garbage, truncations, unrelated and odd answers. */
function* spoofedAnswers(n: number): Generator<Uint8Array> {
  for (let i = 0; i < n; i++) {
    const name = `x${i}-${randomBytes(4).toString('hex')}.${SERVICE_TYPE}`;
    switch (i % 6) {
      case 0:
        yield randomBytes(12 + (i % 500)); // garbage
        break;
      case 1:
        yield fakeInstance(i).subarray(0, 20 + (i % 60)); // truncated
        break;
      case 2: // goodbye for an instance nobody has
        yield dnsPacket.encode({
          type: 'response',
          answers: [{ type: 'PTR', name: SERVICE_TYPE, ttl: 0, data: name }],
        });
        break;
      case 3: // SRV/TXT without a PTR, for names nobody browses
        yield dnsPacket.encode({
          type: 'response',
          answers: [
            { type: 'SRV', name, ttl: 120, data: { target: `h${i}.local`, port: 1 } },
            { type: 'TXT', name, ttl: 4500, data: [Buffer.from('nid=not-hex'), Buffer.from('x')] },
          ],
        });
        break;
      case 4: // address records for hosts nobody asked about
        yield dnsPacket.encode({
          type: 'response',
          answers: [{ type: 'A', name: `h${i}.local`, ttl: 120, flush: true, data: '10.9.8.7' }],
        });
        break;
      default: // a query flood (POOF counting, answers to build)
        yield dnsPacket.encode({
          type: 'query',
          questions: [
            { type: 'PTR', name: SERVICE_TYPE },
            // QTYPE ANY (255, RFC 1035 §3.2.3): dns-packet encodes it, its typings omit it.
            { type: 'ANY' as 'A', name },
          ],
        });
    }
  }
}

/** Tracks found/lost per networkId from a transport's discovery. */
function tracker(t: TcpTransport) {
  const live = new Map<string, DiscoveryEvent['peer']>();
  const lost: DiscoveryEvent[] = [];
  let found = 0;
  const sub = t.discover().subscribe((e) => {
    if (e.type === 'lost') {
      live.delete(e.peer.networkId);
      lost.push(e);
    } else {
      if (e.type === 'found') found++;
      live.set(e.peer.networkId, e.peer);
    }
  });
  cleanups.push(() => sub.unsubscribe());
  return { live, lost, found: () => found };
}

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

describe('mDNS abuse on loopback', () => {
  it('10,000 spoofed packets: the live peer stays, a new one is found, the event loop keeps turning', async () => {
    const port = randomPort();
    const watcher = await device(port);
    const seen = tracker(watcher);
    await device(port, 'b');
    await nextEvent(watcher.discover(), (e) => e.type === 'found' && e.peer.networkId === networkId('b'));

    const spoofer = new Spoofer(port);
    await spoofer.bind('127.0.1.9');
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const rss0 = process.memoryUsage().rss;
    const sent = await spoofer.flood(spoofedAnswers(10_000));
    const c = device(port, 'c'); // a device that starts right after the flood
    await nextEvent(watcher.discover(), (e) => e.type === 'found' && e.peer.networkId === networkId('c'));
    lag.disable();
    await c;
    const rss1 = process.memoryUsage().rss;
    console.log(
      `[mdns] ${sent} spoofed packets: event-loop delay max ${Math.round(lag.max / 1e6)} ms, ` +
        `p99 ${Math.round(lag.percentile(99) / 1e6)} ms; RSS ${mib(rss0)}→${mib(rss1)} MiB; peers ${seen.live.size}`,
    );
    expect(sent).toBe(10_000);
    expect(seen.lost.filter((e) => e.peer.networkId === networkId('b'))).toEqual([]);
    expect([...seen.live.keys()].sort()).toEqual([networkId('b'), networkId('c')].sort());
    expect(mib(rss1 - rss0)).toBeLessThan(200);
  }, 120_000);

  it('10,000 services announced: tracked peers stay capped, live and new real peers are still found', async () => {
    const port = randomPort();
    const watcher = await device(port);
    const seen = tracker(watcher);
    await device(port, 'b');
    await nextEvent(watcher.discover(), (e) => e.type === 'found' && e.peer.networkId === networkId('b'));

    const spoofer = new Spoofer(port);
    await spoofer.bind('127.0.1.10');
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    await spoofer.flood(
      (function* () {
        for (let i = 0; i < 10_000; i++) yield fakeInstance(i);
      })(),
    );
    const floodMs = performance.now() - t0;
    const c = device(port, 'c');
    await nextEvent(
      watcher.discover(),
      (e) => e.type === 'found' && e.peer.networkId === networkId('c'),
      30_000,
    );
    lag.disable();
    await c;
    const rss1 = process.memoryUsage().rss;
    const spoofedLive = [...seen.live.values()].filter((p) => p.deviceName.startsWith('spoof-')).length;
    console.log(
      `[mdns] 10,000 services in ${Math.round(floodMs)} ms: ${seen.found()} found events, ${seen.live.size} peers ` +
        `tracked (${spoofedLive} spoofed; caps: ${MAX_CACHE_ENTRIES_PER_SOURCE} records per source, ` +
        `${MAX_CACHE_ENTRIES} per interface, ${MAX_DISCOVERED_PEERS} peers); event-loop delay max ` +
        `${Math.round(lag.max / 1e6)} ms; RSS ${mib(rss0)}→${mib(rss1)} MiB`,
    );
    // One source holds at most its share of the cache: 4 records per instance.
    expect(spoofedLive).toBeGreaterThan(0);
    expect(spoofedLive).toBeLessThanOrEqual(MAX_CACHE_ENTRIES_PER_SOURCE / 4);
    expect(seen.live.size).toBeLessThanOrEqual(MAX_DISCOVERED_PEERS);
    expect(seen.live.has(networkId('b'))).toBe(true);
    expect(seen.lost.filter((e) => e.peer.networkId === networkId('b'))).toEqual([]);
    expect(seen.live.has(networkId('c'))).toBe(true);
    expect(mib(rss1 - rss0)).toBeLessThan(200);
  }, 120_000);

  it('a spoofed record claiming a live device’s instance name: it re-probes and keeps its name (RFC 6762 §9)', async () => {
    const port = randomPort();
    const watcher = await device(port);
    const seen = tracker(watcher);
    const announced: Array<{ instance: string; at: number }> = [];
    await sniffer(port, (p) => {
      if (p.type !== 'response') return;
      for (const a of [...(p.answers ?? []), ...(p.additionals ?? [])])
        if (a.type === 'PTR' && a.name === SERVICE_TYPE && a.ttl !== 0)
          announced.push({ instance: String(a.data), at: Date.now() });
    });
    const b = await device(port, 'b');
    await nextEvent(watcher.discover(), (e) => e.type === 'found' && e.peer.networkId === networkId('b'));
    const original = `real-b.${SERVICE_TYPE}`;
    expect(announced.some((x) => x.instance === original)).toBe(true);

    const spoofer = new Spoofer(port);
    await spoofer.bind('127.0.1.11');
    const spoofedAt = Date.now();
    await spoofer.send(
      dnsPacket.encode({
        type: 'response',
        flags: dnsPacket.AUTHORITATIVE_ANSWER,
        answers: [
          {
            type: 'SRV',
            name: original,
            ttl: 120,
            flush: true,
            data: { target: 'evil.local', port: 1, priority: 0, weight: 0 },
          },
        ],
      }),
    );
    // The device probes its name again; nobody defends it (the spoofer sent one record), so it announces the same
    // name again and the watcher's cache gets b's real SRV back (cache-flush).
    await until(() => announced.some((x) => x.instance === original && x.at > spoofedAt), 20_000, 50);
    expect(announced.some((x) => x.instance === original && x.at > spoofedAt)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000)); // the second announcement flushes the spoofed SRV
    expect(announced.some((x) => x.instance !== original)).toBe(false); // never renamed
    expect(seen.live.get(networkId('b'))?.address).toBe(b.localAddress);
    // The spoofed SRV (newest, cache-flush, target without address) never hid b: the older SRV still resolved.
    expect(seen.lost.filter((e) => e.peer.networkId === networkId('b'))).toEqual([]);
    console.log(
      `[mdns] spoofed conflict: re-announced after ${announced.find((x) => x.at > spoofedAt)!.at - spoofedAt} ms`,
    );
  }, 60_000);

  it('a name someone keeps claiming (it answers the re-probes): the live device renames to "name (2)"', async () => {
    const port = randomPort();
    const watcher = await device(port);
    const seen = tracker(watcher);
    const announced = new Set<string>();
    await sniffer(port, (p) => {
      if (p.type !== 'response') return;
      for (const a of [...(p.answers ?? []), ...(p.additionals ?? [])])
        if (a.type === 'PTR' && a.name === SERVICE_TYPE && a.ttl !== 0) announced.add(String(a.data));
    });
    const b = await device(port, 'b');
    await nextEvent(watcher.discover(), (e) => e.type === 'found' && e.peer.networkId === networkId('b'));
    const spoofer = new Spoofer(port);
    await spoofer.bind('127.0.1.12');
    const claim = dnsPacket.encode({
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      answers: [
        {
          type: 'SRV',
          name: `real-b.${SERVICE_TYPE}`,
          ttl: 120,
          flush: true,
          data: { target: 'evil.local', port: 1, priority: 0, weight: 0 },
        },
      ],
    });
    const renamed = `real-b (2).${SERVICE_TYPE}`;
    const deadline = Date.now() + 20_000;
    while (!announced.has(renamed) && Date.now() < deadline) {
      await spoofer.send(claim);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(announced.has(renamed)).toBe(true);
    await until(() => seen.live.get(networkId('b'))?.address === b.localAddress, 10_000, 50);
    expect(seen.live.get(networkId('b'))?.address).toBe(b.localAddress);
  }, 60_000);
});
