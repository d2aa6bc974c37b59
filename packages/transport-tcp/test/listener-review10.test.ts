import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { type CloseReason, closeReason, type QueuedConnection } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { until } from './helpers.js';
import { listenerHarness } from './listener-harness.js';

// Review of session 10's listener changes (connections queued before their socket, `queueInbound`): a queued
// connection's socket is built when its turn comes, and node's own `maxConnections` check runs then. Real sockets on
// loopback; 127.0.0.1 and 127.0.0.2 are two sources; the allowance runs on a VirtualClock (no refill unless advanced).

const { listen, dial } = listenerHarness();

describe('listener review (session 10): queued connections', () => {
  it('a queued connection node drops at maxInboundConnections when its turn comes gives its source’s token back', {
    timeout: 60_000,
  }, async () => {
    // `admitBeforeSocket` leaves a connection node drops for `maxConnections` to node, unspent ("so it spends no
    // allowance"). A queued connection took its token at accept, while there was room; node's check runs when its
    // turn comes (`build()`), and the listener may be full by then: node drops it, and the token was spent on a
    // connection that never reached the device — a device retrying while the listener is full runs out of allowance.
    const clock = new VirtualClock();
    const t = await listen({
      maxInboundConnections: 1,
      acceptLimit: { burst: 2, perSecond: 1 },
      tarpit: false,
      scheduler: clock,
    });
    const waiting: Array<{ source: string; connection: QueuedConnection }> = [];
    t.queueInbound({ admit: (source, connection) => void waiting.push({ source, connection }) });
    t.incoming$.subscribe(() => undefined);
    const port = t.port!;
    // 127.0.0.2 spends its whole burst on two connections that wait in the queue while there is room.
    const dropped = [dial(port, '127.0.0.2'), dial(port, '127.0.0.2')];
    await until(() => waiting.length === 2);
    expect(waiting.map((w) => w.source)).toEqual(['127.0.0.2', '127.0.0.2']);
    // 127.0.0.1's connection is taken first and fills the listener.
    const first = dial(port, '127.0.0.1');
    await until(() => waiting.length === 3);
    const conduit = waiting[2]!.connection.take();
    expect(conduit).toBeDefined();
    expect(t.inboundConnections).toBe(1);
    // The queued ones' turn: the listener is full (maxConnections), no conduit; each is reset like every connection
    // the listener refuses (node's own drop would have closed it with a FIN).
    expect(waiting[0]!.connection.take()).toBeUndefined();
    expect(waiting[1]!.connection.take()).toBeUndefined();
    await Promise.all(dropped.map((d) => d.ended));
    expect(dropped.map((d) => d.error())).toEqual(['ECONNRESET', 'ECONNRESET']);
    // Room again.
    conduit!.destroy(closeReason('normal', 'done'));
    await first.ended;
    await until(() => t.inboundConnections === 0);
    await new Promise((r) => setTimeout(r, 100)); // node's own count (Server._connections) follows the socket's close
    // 127.0.0.2 dials again: the connections node dropped spent nothing, so it is admitted (queued), not refused.
    dial(port, '127.0.0.2');
    await until(() => waiting.length === 4 || t.rateLimitedConnections > 0);
    expect(t.rateLimitedConnections).toBe(0);
    expect(waiting).toHaveLength(4);
    waiting[3]!.connection.refuse();
  });

  it('a connection that finds the listener full at accept is reset, not closed', {
    timeout: 60_000,
  }, async () => {
    // Every connection the listener refuses ends with a RST (the peer sees ECONNRESET, never a clean end): node's own
    // drop at `maxConnections` would send a FIN.
    const t = await listen({
      maxInboundConnections: 1,
      tarpit: false,
    });
    const port = t.port!;
    // One connection fills the listener (no device queue: built at accept); the next finds it full.
    t.incoming$.subscribe(() => undefined);
    const first = dial(port, '127.0.0.1');
    await until(() => t.inboundConnections === 1);
    const full = dial(port, '127.0.0.2');
    await full.ended;
    expect(full.error()).toBe('ECONNRESET');
    expect(t.inboundConnections).toBe(1);
    expect(first.error()).toBeUndefined();
  });

  it('a queued connection its peer reset while it waited: take() builds a conduit that ends at once; no fd left', {
    timeout: 60_000,
  }, async () => {
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const t = await listen({ acceptLimit: false });
    const waiting: QueuedConnection[] = [];
    t.queueInbound({ admit: (_source, connection) => void waiting.push(connection) });
    t.incoming$.subscribe(() => undefined);
    const before = openFds();
    const n = 200;
    const clientsGone: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const c = connect({ host: '127.0.0.1', port: t.port! });
      c.on('error', () => undefined);
      clientsGone.push(new Promise((r) => c.once('close', () => r())));
      c.once('connect', () => c.resetAndDestroy()); // gone while its connection waits in the queue
    }
    await until(() => waiting.length === n);
    await Promise.all(clientsGone);
    expect(waiting).toHaveLength(n);
    const reasons: CloseReason[] = [];
    let built = 0;
    for (const w of waiting) {
      const conduit = w.take();
      if (!conduit) continue; // gone already: nothing built, nothing to end
      built++;
      conduit.closed$.subscribe((r) => reasons.push(r));
      conduit.data$.subscribe({ error: () => undefined }); // reading finds the reset
    }
    await until(() => t.inboundConnections === 0 && reasons.length === built);
    expect(t.inboundConnections).toBe(0);
    expect(reasons).toHaveLength(built); // every conduit built ended
    for (const w of waiting) w.refuse(); // after take(): nothing
    await until(() => openFds() <= before);
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('stop() with connections held by the tarpit (real time): each is reset, and no timer is left running', {
    timeout: 60_000,
  }, async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const t = new TcpTransport({
      host: '127.0.0.1',
      discovery: false,
      acceptLimit: { burst: 1, perSecond: 0.001 },
    });
    await t.start();
    t.incoming$.subscribe(() => undefined);
    const ends = Array.from({ length: 3 }, () => dial(t.port!).outcome());
    await until(() => (t.tarpitCounts?.held ?? 0) === 2);
    expect(t.tarpitCounts?.held).toBe(2);
    await t.stop();
    // The two held connections are reset by stop(), long before their 5 s hold; the admitted one is closed.
    const held = await Promise.all(ends);
    expect(held.filter((h) => h === 'ECONNRESET').length).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
