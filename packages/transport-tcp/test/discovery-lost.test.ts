import type { DiscoveryEvent } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { loopbackDiscovery, networkId, nextEvent, PeerProcess, randomPort } from './helpers.js';

const transports: TcpTransport[] = [];
const peers: PeerProcess[] = [];
afterAll(async () => {
  await Promise.all(transports.map((t) => t.stop()));
  await Promise.all(peers.map((p) => p.close()));
});

async function observer(port: number, advertised?: string, scheduler?: VirtualClock): Promise<TcpTransport> {
  const t = new TcpTransport({
    host: '127.0.0.1',
    discovery: loopbackDiscovery(port),
    ...(scheduler ? { scheduler } : {}),
  });
  transports.push(t);
  await t.start();
  if (advertised)
    await t.advertise({ networkId: networkId(advertised), deviceName: advertised, deviceType: 'pc' });
  return t;
}

function victim(port: number, seed: string, ttl?: { host: number; other: number }): PeerProcess {
  const p = new PeerProcess({
    transport: { host: '127.0.0.1', discovery: { ...loopbackDiscovery(port), ...(ttl ? { ttl } : {}) } },
    advert: { networkId: networkId(seed), deviceName: `victim-${seed}`, deviceType: 'phone' },
  });
  peers.push(p);
  return p;
}

/** Advances `clock` in 100 ms steps, pausing 10 ms of real time after each for packets, until `done` settles. */
async function advanceUntil(clock: VirtualClock, done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await clock.advance(100);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const foundSeed = (seed: string) => (e: DiscoveryEvent) =>
  e.type === 'found' && e.peer.networkId === networkId(seed);
const lostSeed = (seed: string) => (e: DiscoveryEvent) =>
  e.type === 'lost' && e.peer.networkId === networkId(seed);

// Every test has its own mDNS port and transports (nothing shared but the clean-up lists), so the tests run
// concurrently: the TTL test's real-time waits (7 s kept + 3 s expiry) overlap the others.
describe.concurrent('lost', () => {
  it('a peer killed with SIGKILL (no goodbye) is lost when its records expire', async () => {
    const port = randomPort();
    const watcher = await observer(port);
    const peer = victim(port, 'd', { host: 3, other: 3 });
    await nextEvent(watcher.discover(), foundSeed('d'));
    // Survives several TTLs while alive: the watcher's refresh queries (80-95 % of TTL) keep it.
    const early = nextEvent(watcher.discover(), lostSeed('d'), 7_000).then(
      () => 'lost',
      () => 'kept',
    );
    expect(await early).toBe('kept');
    const killedAt = Date.now();
    peer.child.kill('SIGKILL');
    const lost = await nextEvent(watcher.discover(), lostSeed('d'), 10_000);
    console.log(`SIGKILL → lost (expired, TTL 3 s): ${Date.now() - killedAt} ms`);
    expect(lost).toMatchObject({ reason: 'expired' });
  }, 30_000);

  it('a peer killed with SIGKILL is flushed by passive observation of failures (POOF) long before its TTL (virtual time)', async () => {
    // The watcher and the newcomer run discovery's timers on a virtual clock; packets travel in real time (the
    // victim is a real process). Virtual time advances in 100 ms steps (discovery's tick) with a real pause between
    // steps for packets to arrive.
    const clock = new VirtualClock();
    const port = randomPort();
    const watcher = await observer(port, undefined, clock);
    const peer = victim(port, 'e'); // default TTLs: 120 s / 75 min
    const found = nextEvent(watcher.discover(), foundSeed('e'));
    await advanceUntil(clock, found);
    const killedAt = clock.now();
    peer.child.kill('SIGKILL');
    await new Promise((resolve) => peer.child.once('exit', resolve));
    // A newcomer browses: its queries expect the victim's PTR; nobody answers; after ≥ 2 such queries and 10 s
    // the watcher flushes the record (RFC 6762 §10.5).
    await observer(port, undefined, clock);
    const lost = nextEvent(watcher.discover(), lostSeed('e'), 25_000);
    await advanceUntil(clock, lost);
    const after = clock.now() - killedAt;
    console.log(`SIGKILL → lost (POOF): ${after} ms of virtual time`);
    expect(await lost).toMatchObject({ reason: 'unreachable' });
    // POOF's window is 10 s (RFC 6762 §10.5); the TTL (120 s) had not run out
    expect(after).toBeGreaterThanOrEqual(10_000);
    expect(after).toBeLessThan(20_000);
  });

  it('stop() says goodbye: peers see lost (goodbye); the stopped side reports its peers lost (stopped)', async () => {
    const port = randomPort();
    const a = await observer(port, 'f');
    const b = await observer(port, 'g');
    await Promise.all([nextEvent(a.discover(), foundSeed('g')), nextEvent(b.discover(), foundSeed('f'))]);
    const onA = nextEvent(a.discover(), lostSeed('g'));
    const onB = nextEvent(b.discover(), lostSeed('f'));
    const stoppedAt = Date.now();
    await b.stop();
    expect(await onB).toMatchObject({ reason: 'stopped' });
    expect(await onA).toMatchObject({ reason: 'goodbye' });
    console.log(`stop → goodbye → lost: ${Date.now() - stoppedAt} ms`);
  });
});

describe.concurrent('names', () => {
  it('two devices with the same name both appear: probing detects the conflict and one instance is renamed', async () => {
    const port = randomPort();
    const a = await observer(port);
    const b = await observer(port);
    await a.advertise({ networkId: networkId('1'), deviceName: 'twin', deviceType: 'pc' });
    await b.advertise({ networkId: networkId('2'), deviceName: 'twin', deviceType: 'pc' });
    const [onA, onB] = await Promise.all([
      nextEvent(a.discover(), foundSeed('2')),
      nextEvent(b.discover(), foundSeed('1')),
    ]);
    // The device name (TXT `dn`) is untouched; only the DNS-SD instance label got a " (2)".
    expect(onA.peer.deviceName).toBe('twin');
    expect(onB.peer.deviceName).toBe('twin');
  });

  it('a changed advert is re-announced as updated', async () => {
    const port = randomPort();
    const a = await observer(port);
    const b = await observer(port, 'h');
    await nextEvent(a.discover(), foundSeed('h'));
    await b.advertise({
      networkId: networkId('h'),
      deviceName: 'h',
      deviceType: 'pc',
      services: ['new-service'],
    });
    const updated = await nextEvent(a.discover(), (e) => e.type === 'updated');
    expect(updated.peer.services).toEqual(['new-service']);
  });
});
