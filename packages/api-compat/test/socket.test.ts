// @ohos.net.socket (TCP and UDP) over real loopback sockets, in process: both call forms, the SDK payload shapes,
// error codes (401 thrown; 201 and 2301000 + errno delivered), and NetHandle.bindSocket accepting these sockets.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { VirtualTimeScheduler } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { socket as kitSocket } from '../src/kits/NetworkKit.js';
import { NetHandle } from '../src/net-connection/net-handle.js';
import socketDefault from '../src/ohos/net.socket.js';
import { setRuntime } from '../src/runtime/runtime.js';
import * as socket from '../src/socket.js';
import {
  cleanupDirs,
  memoryRuntime,
  once as next,
  rejectionCode as rejected,
  settledCode,
} from './helpers.js';

const hasPython3 = spawnSync('python3', ['-c', 'pass']).status === 0;
const granted = memoryRuntime('socket-granted', {}, false);
const denied = memoryRuntime(
  'socket-denied',
  { COLINK_PERMISSIONS: 'ohos.permission.DISTRIBUTED_DATASYNC' },
  false,
);
const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const f of cleanups) await f();
  cleanupDirs();
});

/** Calls `f` with an AsyncCallback and resolves with `[err, data]`. */
function called<T>(f: (cb: (err: unknown, data: T) => void) => void): Promise<[unknown, T]> {
  return new Promise((resolve) => f((err, data) => resolve([err, data])));
}

/** The code `f` throws synchronously. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return (e as { code?: unknown }).code;
  }
  throw new Error('did not throw');
}

const text = (b: ArrayBuffer): string => Buffer.from(b).toString('utf8');

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('@ohos.net.socket entry points', () => {
  it('is socket of @kit.NetworkKit and the default export of @ohos.net.socket', () => {
    expect(kitSocket.constructTCPSocketInstance).toBe(socket.constructTCPSocketInstance);
    expect(socketDefault.constructUDPSocketInstance).toBe(socket.constructUDPSocketInstance);
    expect(socket.ProxyTypes).toEqual({ NONE: 0, SOCKS5: 1, 0: 'NONE', 1: 'SOCKS5' });
  });
});

describe('TCPSocket and TCPSocketServer over loopback', () => {
  it('connects, exchanges messages both ways with SocketMessageInfo payloads, reports state and addresses, closes', async () => {
    setRuntime(granted);
    const server = socket.constructTCPSocketServerInstance();
    cleanups.push(() => server.close());
    await server.listen({ address: '127.0.0.1', port: 0, family: 1 });
    const local = await server.getLocalAddress();
    expect(local).toMatchObject({ address: '127.0.0.1', family: 1 });
    expect(local.port).toBeGreaterThan(0);
    expect(await server.getState()).toEqual({ isBound: true, isClose: false, isConnected: true });
    const accepted = next<socket.TCPSocketConnection>((cb) => server.on('connect', cb));

    const client = socket.constructTCPSocketInstance();
    expect(await client.getState()).toEqual({ isBound: false, isClose: false, isConnected: false });
    const connectEvent = next<void>((cb) => client.on('connect', cb));
    const [err] = await called<void>((cb) =>
      client.connect({ address: { address: '127.0.0.1', port: local.port }, timeout: 10_000 }, cb as never),
    );
    expect(err).toBeUndefined();
    await connectEvent;
    const conn = await accepted;
    expect(typeof conn.clientId).toBe('number');
    expect(await client.getState()).toEqual({ isBound: true, isClose: false, isConnected: true });
    // A connected socket cannot connect again: 2301106 (EISCONN).
    expect(await rejected(client.connect({ address: { address: '127.0.0.1', port: local.port } }))).toBe(
      2_301_106,
    );
    expect(await client.getRemoteAddress()).toEqual({ address: '127.0.0.1', family: 1, port: local.port });
    const clientLocal = await client.getLocalAddress();
    expect(await conn.getRemoteAddress()).toEqual(clientLocal);
    expect((await conn.getLocalAddress()).port).toBe(local.port);

    const atServer = next<socket.SocketMessageInfo>((cb) => conn.on('message', cb));
    await client.send({ data: 'Hello, server!' });
    const m = await atServer;
    expect(m.message).toBeInstanceOf(ArrayBuffer);
    expect(text(m.message)).toBe('Hello, server!');
    expect(m.remoteInfo).toEqual({ address: '127.0.0.1', family: 'IPv4', port: clientLocal.port, size: 14 });

    const atClient = next<socket.SocketMessageInfo>((cb) => client.on('message', cb));
    const bytes = new Uint8Array([0, 1, 2, 255]).buffer;
    const [sendErr] = await called<void>((cb) => conn.send({ data: bytes }, cb as never));
    expect(sendErr).toBeUndefined();
    const back = await atClient;
    expect([...new Uint8Array(back.message)]).toEqual([0, 1, 2, 255]);
    expect(back.remoteInfo).toMatchObject({ port: local.port, size: 4, family: 'IPv4' });

    // UTF-16BE encoding of a string; off('message') without a callback removes every listener.
    conn.off('message');
    const only = next<socket.SocketMessageInfo>((cb) => conn.on('message', cb));
    await client.send({ data: 'hé', encoding: 'UTF-16BE' });
    expect([...new Uint8Array((await only).message)]).toEqual([0, 0x68, 0, 0xe9]);

    const serverSideClosed = next<void>((cb) => conn.on('close', cb));
    const clientClosed = next<void>((cb) => client.on('close', cb));
    await client.close();
    await serverSideClosed;
    await clientClosed;
    expect(await client.getState()).toMatchObject({ isClose: true, isConnected: false });
    // A closed socket: 2301009 (EBADF), through the rejection and the callback.
    expect(await rejected(client.send({ data: 'late' }))).toBe(2_301_009);
    const [late] = await called<void>((cb) => client.send({ data: 'late' }, cb as never));
    expect(late).toMatchObject({ code: 2_301_009, message: expect.stringContaining('Bad file descriptor') });
    expect(await rejected(client.getRemoteAddress())).toBe(2_301_009);
    expect(await rejected(client.connect({ address: { address: '127.0.0.1', port: local.port } }))).toBe(
      2_301_009,
    );
    // TCPSocketConnection.send reports the server base (netstack): 2303109.
    expect(await rejected(conn.send({ data: 'late' }))).toBe(2_303_109);
    await server.close();
    expect(await server.getState()).toMatchObject({ isClose: true, isBound: false });
  });

  it('socketTimeout does not close an idle connection (netstack only sets SO_RCVTIMEO)', async () => {
    setRuntime(granted);
    const server = socket.constructTCPSocketServerInstance();
    cleanups.push(() => server.close());
    await server.setExtraOptions({ socketTimeout: 20 });
    await server.listen({ address: '127.0.0.1', port: 0 });
    const { port } = await server.getLocalAddress();
    const accepted = next<socket.TCPSocketConnection>((cb) => server.on('connect', cb));
    const client = socket.constructTCPSocketInstance();
    cleanups.push(() => client.close());
    await client.setExtraOptions({ socketTimeout: 20 });
    await client.connect({ address: { address: '127.0.0.1', port } });
    const conn = await accepted;
    let closes = 0;
    client.on('close', () => closes++);
    conn.on('close', () => closes++);
    // Idle for many times the timeout: both ends stay connected and still carry data.
    await new Promise((r) => setTimeout(r, 400));
    expect(closes).toBe(0);
    expect(await client.getState()).toMatchObject({ isConnected: true, isClose: false });
    const atServer = next<socket.SocketMessageInfo>((cb) => conn.on('message', cb));
    await client.send({ data: 'still here' });
    expect(text((await atServer).message)).toBe('still here');
    const atClient = next<socket.SocketMessageInfo>((cb) => client.on('message', cb));
    await conn.send({ data: 'me too' });
    expect(text((await atClient).message)).toBe('me too');
    await client.close();
  });

  it('a send past 16 MiB waiting in user space is refused with 2301011 (EAGAIN), not queued without bound', async () => {
    setRuntime(granted);
    let received = 0;
    const paused: net.Socket[] = [];
    const srv = net.createServer((c) => {
      c.pause(); // reads nothing: the kernel buffers fill, then Node's queue on the client
      paused.push(c);
      c.on('data', (d) => {
        received += d.length;
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const client = socket.constructTCPSocketInstance();
    await client.connect({ address: { address: '127.0.0.1', port } });
    const chunk = new Uint8Array(1024 * 1024).buffer;
    const sends = Array.from({ length: 40 }, () =>
      client.send({ data: chunk }).then(
        () => 0,
        (e: { code: number }) => e.code,
      ),
    );
    for (const c of paused) c.resume();
    const codes = await Promise.all(sends);
    expect(codes.filter((c) => c === 2_301_011).length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 0 || c === 2_301_011)).toBe(true);
    await client.close();
    srv.close();
    expect(received).toBeGreaterThan(0);
  });

  it('bind before connect fixes the local address; a bound port is kept', async () => {
    setRuntime(granted);
    const server = socket.constructTCPSocketServerInstance();
    cleanups.push(() => server.close());
    await server.listen({ address: '127.0.0.1', port: 0 });
    const port = (await server.getLocalAddress()).port;
    const client = socket.constructTCPSocketInstance();
    await client.bind({ address: '127.0.0.1', port: 0 });
    const bound = await client.getLocalAddress();
    expect(bound.port).toBeGreaterThan(0);
    expect(await client.getState()).toMatchObject({ isBound: true, isConnected: false });
    await client.connect({ address: { address: '127.0.0.1', port } });
    expect(await client.getLocalAddress()).toEqual(bound);
    await client.close();
  });

  it('ECONNREFUSED → 2301111 (promise and callback forms)', async () => {
    setRuntime(granted);
    const port = await closedPort();
    const a = socket.constructTCPSocketInstance();
    expect(await rejected(a.connect({ address: { address: '127.0.0.1', port } }))).toBe(2_301_111);
    const b = socket.constructTCPSocketInstance();
    const [err] = await called<void>((cb) =>
      b.connect({ address: { address: '127.0.0.1', port } }, cb as never),
    );
    expect(err).toEqual({ code: 2_301_111, message: 'Connection refused' });
  });

  // The never-accepting listener is a python3 one-liner (Node always accepts): without python3 this test cannot run.
  it.skipIf(!hasPython3)(
    'a connect that does not finish within timeout → 2301115 (EINPROGRESS, netstack connect monitor); default 5000 ms; TLS 2303210',
    async () => {
      setRuntime(granted);
      // A listener that never accepts, its backlog filled: the kernel drops further SYNs (loopback only).
      const child = spawn(
        'python3',
        [
          '-c',
          'import socket,sys,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(child);
      const port = Number(await next<Buffer>((cb) => child.stdout!.once('data', cb)));
      const fillers: net.Socket[] = [];
      for (let i = 0; i < 3; i++) {
        const f = net.connect(port, '127.0.0.1');
        f.on('error', () => undefined);
        fillers.push(f);
      }
      await new Promise((r) => setTimeout(r, 300));
      const s = socket.constructTCPSocketInstance();
      expect(await rejected(s.connect({ address: { address: '127.0.0.1', port }, timeout: 500 }))).toBe(
        2_301_115,
      );
      // The SDK's default (5000 ms) and a TLS connect timeout (2303210), in virtual time.
      const clock = new VirtualTimeScheduler();
      // Sockets time out on the current runtime's clock (RuntimeConfig.scheduler), as every api-compat timer.
      setRuntime(memoryRuntime('socket-virtual-time', {}, false, { scheduler: clock }));
      try {
        const pending = rejected(
          socket.constructTCPSocketInstance().connect({ address: { address: '127.0.0.1', port } }),
        );
        const tls = socket.constructTLSSocketInstance();
        await tls.bind({ address: '127.0.0.1' });
        const tlsPending = rejected(
          tls.connect({ address: { address: '127.0.0.1', port }, secureOptions: {}, timeout: 3_000 }),
        );
        await new Promise((r) => setTimeout(r, 200)); // both connects are under way (their timers scheduled)
        clock.flush();
        expect(clock.frame).toBe(5_000);
        expect(await pending).toBe(2_301_115);
        expect(await tlsPending).toBe(2_303_210);
      } finally {
        setRuntime(granted);
      }
      // close() while a connect is pending settles it (2301009 / TLS 2303109) instead of leaving it hanging for its
      // 60 s timeout; a second connect meanwhile is EISCONN (2301106 / TLS 2303100 + 106 = 2303206), not a leaked second socket.
      const hanging = socket.constructTCPSocketInstance();
      const first = rejected(hanging.connect({ address: { address: '127.0.0.1', port }, timeout: 60_000 }));
      expect(
        await rejected(hanging.connect({ address: { address: '127.0.0.1', port }, timeout: 60_000 })),
      ).toBe(2_301_106);
      await hanging.close();
      expect(await first).toBe(2_301_009);
      expect(await hanging.getState()).toMatchObject({ isClose: true, isConnected: false });
      const tlsHanging = socket.constructTLSSocketInstance();
      await tlsHanging.bind({ address: '127.0.0.1' });
      const tlsOpts = { address: { address: '127.0.0.1', port }, secureOptions: {}, timeout: 60_000 };
      const tlsFirst = rejected(tlsHanging.connect(tlsOpts));
      expect(await rejected(tlsHanging.connect(tlsOpts))).toBe(2_303_206);
      await tlsHanging.close();
      expect(await tlsFirst).toBe(2_303_109);
      for (const f of fillers) f.destroy();
    },
  );

  it('401 thrown synchronously for bad arguments; 201 delivered without ohos.permission.INTERNET', async () => {
    setRuntime(granted);
    const s = socket.constructTCPSocketInstance();
    expect(thrown(() => s.connect(null as never))).toBe(401);
    expect(thrown(() => s.connect({ address: { address: 5 } } as never))).toBe(401);
    expect(thrown(() => s.connect({ address: { address: '127.0.0.1', port: 70_000 } }))).toBe(401);
    expect(thrown(() => s.send({ data: 5 } as never))).toBe(401);
    expect(thrown(() => s.send({ data: 'x', encoding: 'EBCDIC' }))).toBe(401);
    expect(thrown(() => s.bind(undefined as never))).toBe(401);
    expect(thrown(() => s.on('nope' as never, () => undefined))).toBe(401);
    const e = (() => {
      try {
        s.connect(null as never);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(Error);
    expect(await rejected(s.connect({ address: { address: 'not-an-ip', port: 1 } }))).toBe(2_301_099);

    setRuntime(denied);
    expect(await rejected(s.connect({ address: { address: '127.0.0.1', port: 1 } }))).toBe(201);
    const [err] = await called<void>((cb) => s.bind({ address: '127.0.0.1' }, cb as never));
    expect(err).toMatchObject({ code: 201 });
    expect(await rejected(socket.constructTCPSocketServerInstance().listen({ address: '127.0.0.1' }))).toBe(
      201,
    );
    expect(await rejected(socket.constructUDPSocketInstance().bind({ address: '127.0.0.1' }))).toBe(201);
    setRuntime(granted);
  });

  it('TCPSocketServer: listen on a port in use falls back to a random port (SDK note); bad address → 2303199; getLocalAddress before listen → 2301009', async () => {
    setRuntime(granted);
    const a = socket.constructTCPSocketServerInstance();
    cleanups.push(() => a.close());
    await a.listen({ address: '127.0.0.1', port: 0 });
    const port = (await a.getLocalAddress()).port;
    const b = socket.constructTCPSocketServerInstance();
    cleanups.push(() => b.close());
    const errors: unknown[] = [];
    b.on('error', (e) => errors.push(e));
    await b.listen({ address: '127.0.0.1', port });
    expect((await b.getLocalAddress()).port).not.toBe(port);
    // The fallback is not an error: no 'error' event (the EADDRINUSE of the first attempt is swallowed).
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([]);
    const c = socket.constructTCPSocketServerInstance();
    // getLocalAddress before listen: 2301009 (SOCKET_ERROR_CODE_BASE + EBADF), as netstack.
    expect(await rejected(c.getLocalAddress())).toBe(2_301_009);
    expect(await rejected(c.listen({ address: '192.0.2.1', port: 0 }))).toBe(2_303_199);
  });
});

describe('UDPSocket over loopback', () => {
  it('binds, sends both forms, receives SocketMessageInfo, reports errors', async () => {
    setRuntime(granted);
    const a = socket.constructUDPSocketInstance();
    const b = socket.constructUDPSocketInstance();
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    // send before bind: 2301009.
    expect(await rejected(a.send({ data: 'x', address: { address: '127.0.0.1', port: 9 } }))).toBe(2_301_009);
    const listening = next<void>((cb) => a.on('listening', cb));
    await a.bind({ address: '127.0.0.1', port: 0 });
    await listening;
    const [bindErr] = await called<void>((cb) => b.bind({ address: '127.0.0.1', port: 0 }, cb as never));
    expect(bindErr).toBeUndefined();
    expect(await a.getState()).toEqual({ isBound: true, isClose: false, isConnected: false });
    const aAddr = await a.getLocalAddress();
    const bAddr = await b.getLocalAddress();

    const got = next<socket.SocketMessageInfo>((cb) => b.on('message', cb));
    await a.send({ data: 'ping', address: bAddr });
    const m = await got;
    expect(text(m.message)).toBe('ping');
    expect(m.remoteInfo).toEqual({ address: '127.0.0.1', family: 'IPv4', port: aAddr.port, size: 4 });

    const back = next<socket.SocketMessageInfo>((cb) => a.on('message', cb));
    const [sendErr] = await called<void>((cb) =>
      b.send({ data: new Uint8Array([7, 8]).buffer, address: aAddr }, cb as never),
    );
    expect(sendErr).toBeUndefined();
    expect([...new Uint8Array((await back).message)]).toEqual([7, 8]);

    // Larger than a UDP datagram can be: EMSGSIZE → 2301090.
    expect(await rejected(a.send({ data: 'x'.repeat(70_000), address: bAddr }))).toBe(2_301_090);
    expect(thrown(() => a.send({ data: 'x' } as never))).toBe(401);
    await a.setExtraOptions({ broadcast: true, receiveBufferSize: 65_536 });

    const closed = next<void>((cb) => a.on('close', cb));
    await a.close();
    await closed;
    expect(await a.getState()).toMatchObject({ isBound: false, isClose: true });
    expect(await rejected(a.send({ data: 'x', address: bAddr }))).toBe(2_301_009);
  });
});

describe('UDPSocket.bind on a port in use', () => {
  it('falls back to any port (netstack ExecBind); with reuseAddress both sockets share the port and receive', async () => {
    setRuntime(granted);
    const a = socket.constructUDPSocketInstance();
    cleanups.push(() => a.close());
    await a.bind({ address: '127.0.0.1', port: 0 });
    const { port } = await a.getLocalAddress();
    const b = socket.constructUDPSocketInstance();
    cleanups.push(() => b.close());
    await b.bind({ address: '127.0.0.1', port });
    const bPort = (await b.getLocalAddress()).port;
    expect(bPort).not.toBe(port);
    expect(bPort).toBeGreaterThan(0);

    const r1 = socket.constructUDPSocketInstance();
    const r2 = socket.constructUDPSocketInstance();
    cleanups.push(
      () => r1.close(),
      () => r2.close(),
    );
    await r1.setExtraOptions({ reuseAddress: true });
    await r2.setExtraOptions({ reuseAddress: true });
    await r1.bind({ address: '127.0.0.1', port: 0 });
    const shared = (await r1.getLocalAddress()).port;
    await r2.bind({ address: '127.0.0.1', port: shared });
    expect((await r2.getLocalAddress()).port).toBe(shared);
    // Unicast to a port shared with SO_REUSEADDR goes to the last bound socket on Linux.
    const got = next<socket.SocketMessageInfo>((cb) => r2.on('message', cb));
    await b.send({ data: 'shared', address: { address: '127.0.0.1', port: shared } });
    expect(text((await got).message)).toBe('shared');
  });
});

describe('connection.NetHandle.bindSocket with these sockets', () => {
  it('accepts TCPSocket and UDPSocket (netId 200 / 999999 accepted, 0 → 2100001), rejects other objects with 401', async () => {
    setRuntime(granted);
    const tcp = socket.constructTCPSocketInstance();
    const udp = socket.constructUDPSocketInstance();
    await expect(new NetHandle(200).bindSocket(tcp)).resolves.toBeUndefined();
    await expect(new NetHandle(999_999).bindSocket(udp)).resolves.toBeUndefined();
    expect(await rejected(new NetHandle(0).bindSocket(tcp))).toBe(2_100_001);
    expect(await rejected(new NetHandle(200).bindSocket({} as never))).toBe(401);
  });
});

describe('a second listen / bind while the first is under way', () => {
  it('TCPSocketServer.listen twice at once: the second is 2303122 (EINVAL) and close() leaves nothing listening', async () => {
    setRuntime(granted);
    const port = await closedPort();
    const server = socket.constructTCPSocketServerInstance();
    cleanups.push(() => server.close());
    const results = await Promise.all([
      settledCode(server.listen({ address: '127.0.0.1', port })),
      settledCode(server.listen({ address: '127.0.0.1', port })),
    ]);
    // netstack: listen on a socket that is already bound fails (EINVAL); it never makes a second listening socket.
    expect.soft(results).toEqual(['ok', 2_303_122]);
    expect.soft((await server.getLocalAddress()).port).toBe(port);
    await server.close();
    // Nothing of this server listens any more (a second, orphaned server kept the port open).
    const client = socket.constructTCPSocketInstance();
    expect(await rejected(client.connect({ address: { address: '127.0.0.1', port } }))).toBe(2_301_111);
  });

  it('UDPSocket.bind twice at once: the second is 2301022 (EINVAL) and close() frees the port', async () => {
    setRuntime(granted);
    const port = await closedPort();
    const u = socket.constructUDPSocketInstance();
    cleanups.push(() => u.close());
    const results = await Promise.all([
      settledCode(u.bind({ address: '127.0.0.1', port })),
      settledCode(u.bind({ address: '127.0.0.1', port: 0 })),
    ]);
    expect.soft(results).toEqual(['ok', 2_301_022]);
    expect.soft((await u.getLocalAddress()).port).toBe(port);
    await u.close();
    // The port is free again: a new bind gets it (held by an orphaned first socket, the bind fell back to another).
    const probe = socket.constructUDPSocketInstance();
    cleanups.push(() => probe.close());
    await probe.bind({ address: '127.0.0.1', port });
    expect((await probe.getLocalAddress()).port).toBe(port);
  });
});

describe('UDPSocket.send to port 0', () => {
  it('is 2301022 (EINVAL, as Linux sendto answers a UDP datagram to port 0), not a system internal error', async () => {
    setRuntime(granted);
    const u = socket.constructUDPSocketInstance();
    cleanups.push(() => u.close());
    await u.bind({ address: '127.0.0.1', port: 0 });
    expect(await rejected(u.send({ data: 'x', address: { address: '127.0.0.1', port: 0 } }))).toBe(2_301_022);
    // NetAddress.port is optional; absent means 0.
    expect(await rejected(u.send({ data: 'x', address: { address: '127.0.0.1' } }))).toBe(2_301_022);
    const [err] = await called<void>((cb) => u.send({ data: 'x', address: { address: '::1' } }, cb as never));
    expect((err as { code: number }).code).toBe(2_301_022);
  });
});

describe('close() while a listen / bind is under way', () => {
  it('TCPSocketServer: the listen fails with 2303109 (EBADF) and nothing is left listening', async () => {
    setRuntime(granted);
    const port = await closedPort();
    const server = socket.constructTCPSocketServerInstance();
    cleanups.push(() => server.close());
    const listening = server.listen({ address: '127.0.0.1', port });
    await server.close();
    expect.soft(await rejected(listening)).toBe(2_303_109);
    expect.soft(await server.getState()).toEqual({ isBound: false, isClose: true, isConnected: false });
    const client = socket.constructTCPSocketInstance();
    expect(await rejected(client.connect({ address: { address: '127.0.0.1', port } }))).toBe(2_301_111);
  });

  it('UDPSocket: the bind fails with 2301009 (EBADF) and the socket stays closed, its port free', async () => {
    setRuntime(granted);
    const port = await closedPort();
    const u = socket.constructUDPSocketInstance();
    cleanups.push(() => u.close());
    const bound = u.bind({ address: '127.0.0.1', port });
    await u.close();
    expect.soft(await rejected(bound)).toBe(2_301_009);
    expect.soft(await u.getState()).toEqual({ isBound: false, isClose: true, isConnected: false });
    const probe = socket.constructUDPSocketInstance();
    cleanups.push(() => probe.close());
    await probe.bind({ address: '127.0.0.1', port });
    expect((await probe.getLocalAddress()).port).toBe(port);
  });
});
