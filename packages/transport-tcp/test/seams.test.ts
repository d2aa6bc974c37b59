import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AcceptedConnection, admitBeforeSocket } from '../src/seams.js';
import { pausingServer } from './helpers.js';

// The private node:net parts the listener relies on (src/seams.ts): if a node upgrade moves them, this fails here
// rather than the listener silently falling back to building a net.Socket for every refused connection.

const servers: Server[] = [];
/** Both ends of every connection made (server.close waits for the accepted ones). */
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const listening = () => pausingServer({ servers, sockets: clients });

/** Connects from `localAddress`, writes a few bytes and resolves with how the connection ended. */
function dial(port: number, localAddress: string): Promise<'reset' | 'open'> {
  return new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1', localAddress });
    clients.push(c);
    c.on('connect', () => c.write('hello'));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNRESET' ? 'reset' : 'open'));
    // Still open after the server had time to refuse it.
    setTimeout(() => resolve('open'), 300);
  });
}

describe('admitBeforeSocket (node:net internals)', () => {
  it('hooks this node: refused connections are reset with no net.Socket, admitted ones reach `connection`', async () => {
    const { server, port, accepted } = await listening();
    const seen: string[] = [];
    const admit = (address: string): boolean => {
      seen.push(address);
      return address !== '127.0.0.2';
    };
    expect(admitBeforeSocket(server, admit)).toBe(true);
    expect(await dial(port, '127.0.0.2')).toBe('reset');
    expect(accepted).toHaveLength(0);
    expect(await dial(port, '127.0.0.1')).toBe('open');
    expect(accepted).toHaveLength(1);
    // The address handed to `admit` is the one the socket reports.
    expect(seen).toEqual(['127.0.0.2', '127.0.0.1']);
    expect(accepted[0]!.remoteAddress).toBe('127.0.0.1');
    // node's own accounting still runs for admitted connections only.
    const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    expect(count).toBe(1);
  });

  it('resets many refused connections without leaking handles (the listener keeps serving)', async () => {
    const { server, port, accepted } = await listening();
    let refused = 0;
    admitBeforeSocket(server, () => refused++ % 2 === 1);
    const results = await Promise.all(Array.from({ length: 40 }, () => dial(port, '127.0.0.1')));
    expect(results.filter((r) => r === 'reset')).toHaveLength(20);
    expect(accepted).toHaveLength(20);
  });

  it('defers: a deferred connection has no net.Socket until build(); reset() ends it with a RST, having never had one', async () => {
    const { server, port, accepted } = await listening();
    const held: AcceptedConnection[] = [];
    expect(
      admitBeforeSocket(server, () => true, {
        defer: (c) => {
          held.push(c);
          return true;
        },
      }),
    ).toBe(true);
    const first = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.3' });
    const second = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
    clients.push(first, second);
    const ended = new Promise<string>((resolve) => {
      first.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      first.on('close', () => resolve('closed'));
    });
    first.on('connect', () => first.write('early bytes'));
    second.on('connect', () => second.write('kept'));
    const deadline = Date.now() + 10_000;
    while (held.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(held.map((c) => c.address).sort()).toEqual(['127.0.0.1', '127.0.0.3']);
    // Accepted by libuv, but node built no socket: no `connection`, nothing counted.
    await new Promise((r) => setTimeout(r, 100));
    expect(accepted).toHaveLength(0);
    expect(await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))).toBe(0);
    const [a, b] = held[0]!.address === '127.0.0.3' ? held : [held[1]!, held[0]!];
    a!.reset();
    a!.build(); // nothing after a reset
    expect(await ended).toBe('ECONNRESET');
    expect(accepted).toHaveLength(0);
    b!.build();
    b!.build(); // nothing after the first
    b!.reset(); // nor a reset after a build
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.remoteAddress).toBe('127.0.0.1');
    // The socket built later reads what the peer sent while it waited (the kernel kept it).
    accepted[0]!.resume();
    const got = await new Promise<string>((r) => accepted[0]!.once('data', (d) => r(String(d))));
    expect(got).toBe('kept');
  });

  it('reports false, changing nothing, for a server that is not listening', () => {
    const server = createServer();
    expect(admitBeforeSocket(server, () => false)).toBe(false);
  });
});
