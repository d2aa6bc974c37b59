import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type Conduit, closeReason } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { admitBeforeSocket } from '../src/seams.js';
import { burst, sockets } from './fixtures/burst.js';
import { pausingServer } from './helpers.js';

// Review of admitBeforeSocket (src/seams.ts): the per-source allowance now runs in node:net's accept callback, before
// node's own `maxConnections` check. Real sockets on loopback; 127.0.0.1 and 127.0.0.2 are two sources.

const started: TcpTransport[] = [];
const servers: Server[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(started.splice(0).map((t) => t.stop()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Connects once from `from`; resolves when the connection ended (reset or closed by the server). */
function refusedOnce(port: number, from: string): Promise<void> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port, localAddress: from });
    c.on('error', () => undefined);
    c.once('close', () => resolve());
  });
}

describe('admitBeforeSocket: review', () => {
  it('connections node drops at maxInboundConnections do not spend their source’s accept allowance', {
    timeout: 60_000,
  }, async () => {
    // Before the hook, node's listener closed a connection past `maxConnections` before `connection` fired, so it
    // never reached the allowance. The hook takes the token first: a device that retries while the listener is full
    // finds its allowance gone once there is room again.
    const clock = new VirtualClock(); // no refill unless advanced
    const t = new TcpTransport({
      host: '127.0.0.1',
      discovery: false,
      maxInboundConnections: 1,
      acceptLimit: { burst: 3, perSecond: 1 },
      scheduler: clock,
    });
    await t.start();
    started.push(t);
    const accepted: Conduit[] = [];
    t.incoming$.subscribe((c) => accepted.push(c));
    // One connection from another source fills the listener.
    expect(await burst(t.port!, 1, '127.0.0.1')).toEqual({ reset: 0, open: 1 });
    expect(accepted).toHaveLength(1);
    // 127.0.0.2 tries 5 times while the listener is full: node drops each one (maxConnections).
    expect(await burst(t.port!, 5, '127.0.0.2')).toEqual({ reset: 5, open: 0 });
    expect(accepted).toHaveLength(1);
    // Room again: 127.0.0.2 never had a connection in, so its burst of 3 is intact.
    accepted[0]!.destroy(closeReason('normal'));
    await new Promise((r) => setTimeout(r, 200));
    const after = await burst(t.port!, 1, '127.0.0.2');
    expect(after).toEqual({ reset: 0, open: 1 });
    expect(t.rateLimitedConnections).toBe(0);
  });

  it('node still counts its connections in Server._connections (the seam the maxConnections check reads)', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    expect(typeof (server as unknown as { _connections?: unknown })._connections).toBe('number');
  });

  it('thousands of refused connections leave no file descriptor or handle behind', {
    timeout: 120_000,
  }, async () => {
    const { server, port, accepted } = await pausingServer({ servers, sockets: clients });
    let refused = 0;
    expect(
      admitBeforeSocket(server, (address) => {
        if (address === '127.0.0.3') {
          refused++;
          return false;
        }
        return true;
      }),
    ).toBe(true);
    // Warm up (lazy fds of libuv, vitest's worker) before counting.
    for (let i = 0; i < 50; i++) await refusedOnce(port, '127.0.0.3');
    const before = openFds();
    const N = 3_000;
    for (let round = 0; round < N / 100; round++)
      await Promise.all(Array.from({ length: 100 }, () => refusedOnce(port, '127.0.0.3')));
    await new Promise((r) => setTimeout(r, 200));
    expect(refused).toBe(N + 50);
    expect(accepted).toHaveLength(0);
    expect(openFds()).toBeLessThanOrEqual(before + 2);
    const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    expect(count).toBe(0);
    // The listener still admits others.
    const ok = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
    clients.push(ok);
    await new Promise((r) => ok.once('connect', r));
    await new Promise((r) => setTimeout(r, 100));
    expect(accepted).toHaveLength(1);
  });

  it('IPv4 sources on a dual-stack listener reach `admit` as the socket reports them (::ffff: prefix)', {
    timeout: 30_000,
  }, async () => {
    const { server, port, accepted } = await pausingServer(
      { servers, sockets: clients },
      { host: '::', port: 0, ipv6Only: false },
    );
    const seen: string[] = [];
    admitBeforeSocket(server, (address) => {
      seen.push(address);
      return true;
    });
    for (const [host, from] of [
      ['127.0.0.1', '127.0.0.2'],
      ['::1', '::1'],
    ] as const) {
      const c = connect({ host, port, localAddress: from });
      clients.push(c);
      await new Promise((r) => c.once('connect', r));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(accepted.map((s) => s.remoteAddress)).toEqual(seen);
    expect(seen).toEqual(['::ffff:127.0.0.2', '::1']);
  });

  it('closing the server while refused and admitted connections arrive: no error, no handle left', {
    timeout: 60_000,
  }, async () => {
    const errors: unknown[] = [];
    const onUncaught = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const server = createServer({ pauseOnConnect: true }, (s) => {
        clients.push(s);
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      let n = 0;
      admitBeforeSocket(server, () => n++ % 2 === 0);
      const before = openFds();
      const ends = Array.from({ length: 400 }, () => refusedOnce(port, '127.0.0.4'));
      await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => server.close(r));
      await Promise.all(ends);
      await new Promise((r) => setTimeout(r, 200));
      expect(errors).toEqual([]);
      expect(n).toBeGreaterThan(0);
      expect(openFds()).toBeLessThanOrEqual(before + 2);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('connections reset by their peer before accept (no peer address any more) still go through the allowance', {
    timeout: 60_000,
  }, async () => {
    // Before the hook such a socket had no remoteAddress and spent the allowance of host '' like any other; the hook
    // only called `admit` when getpeername succeeded, so these went straight to `connection` — a net.Socket and a
    // conduit each, never rate-limited.
    const clock = new VirtualClock();
    const t = new TcpTransport({
      host: '127.0.0.1',
      discovery: false,
      acceptLimit: { burst: 2, perSecond: 1 },
      scheduler: clock,
    });
    await t.start();
    started.push(t);
    const accepted: Conduit[] = [];
    t.incoming$.subscribe((c) => accepted.push(c));
    // A child process connects 20 times and resets each connection as soon as it is up, while this process's event
    // loop is blocked (execFileSync): the kernel queues them, and this side accepts them only once they are reset.
    const child = `
      const net = require('node:net');
      let left = 20;
      for (let i = 0; i < 20; i++) {
        const s = net.connect({ host: '127.0.0.1', port: ${t.port}, localAddress: '127.0.0.5' });
        s.on('error', () => undefined);
        s.on('connect', () => { s.resetAndDestroy(); if (--left === 0) setTimeout(() => process.exit(0), 100); });
      }`;
    execFileSync(process.execPath, ['-e', child], { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    // At most the burst of the shared allowance ('' or the source) got through; the rest were counted as refused.
    expect(accepted.length).toBeLessThanOrEqual(2);
    expect(t.rateLimitedConnections).toBeGreaterThanOrEqual(18);
  });
});
