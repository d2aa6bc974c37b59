// @ohos.net.socket LocalSocket / LocalSocketServer (Unix domain sockets) for real, in a temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setRuntime } from '../src/runtime/runtime.js';
import * as socket from '../src/socket.js';
import {
  cleanupDirs,
  memoryRuntime,
  once as next,
  rejectionCode as rejected,
  settledCode,
} from './helpers.js';

const noInternet = memoryRuntime(
  'local-socket',
  { COLINK_PERMISSIONS: 'ohos.permission.DISTRIBUTED_DATASYNC' },
  false,
);
setRuntime(noInternet);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-local-socket-'));
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  cleanupDirs();
});

describe('LocalSocket and LocalSocketServer', () => {
  it('listen, connect, messages both ways with LocalSocketMessageInfo, state, close (no INTERNET permission needed)', async () => {
    const file = path.join(dir, 'server.sock');
    const server = socket.constructLocalSocketServerInstance();
    const accepted = next<socket.LocalSocketConnection>((cb) => server.on('connect', cb));
    await server.listen({ address: file });
    expect(fs.statSync(file).isSocket()).toBe(true);
    expect(await server.getLocalAddress()).toBe(file);
    expect(await server.getState()).toEqual({ isBound: true, isClose: false, isConnected: true });

    const client = socket.constructLocalSocketInstance();
    await client.bind({ address: path.join(dir, 'client.sock') });
    expect(await client.getLocalAddress()).toBe(path.join(dir, 'client.sock'));
    const connected = next<void>((cb) => client.on('connect', cb));
    await client.connect({ address: { address: file }, timeout: 5_000 });
    await connected;
    const conn = await accepted;
    expect(await conn.getLocalAddress()).toBe(file);
    expect(await client.getState()).toEqual({ isBound: true, isClose: false, isConnected: true });

    const atServer = next<socket.LocalSocketMessageInfo>((cb) => conn.on('message', cb));
    await client.send({ data: 'ping' });
    const m = await atServer;
    expect({ text: Buffer.from(m.message).toString(), address: m.address, size: m.size }).toEqual({
      text: 'ping',
      address: file,
      size: 4,
    });
    const atClient = next<socket.LocalSocketMessageInfo>((cb) => client.on('message', cb));
    await conn.send({ data: new Uint8Array([9, 8, 7]).buffer });
    expect([...new Uint8Array((await atClient).message)]).toEqual([9, 8, 7]);

    await client.setExtraOptions({ socketTimeout: 60_000, receiveBufferSize: 8192 });
    expect(await client.getExtraOptions()).toEqual({ socketTimeout: 60_000, receiveBufferSize: 8192 });

    const gone = next<void>((cb) => conn.on('close', cb));
    await client.close();
    await gone;
    expect(await client.getState()).toMatchObject({ isClose: true, isConnected: false });
    expect(await rejected(client.send({ data: 'late' }))).toBe(2_301_009);
    await server.close();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('socketTimeout does not close an idle connection (netstack only sets SO_RCVTIMEO)', async () => {
    const file = path.join(dir, 'idle.sock');
    const server = socket.constructLocalSocketServerInstance();
    await server.setExtraOptions({ socketTimeout: 20 });
    const accepted = next<socket.LocalSocketConnection>((cb) => server.on('connect', cb));
    await server.listen({ address: file });
    const client = socket.constructLocalSocketInstance();
    await client.setExtraOptions({ socketTimeout: 20 });
    await client.connect({ address: { address: file } });
    const conn = await accepted;
    let closes = 0;
    client.on('close', () => closes++);
    conn.on('close', () => closes++);
    await new Promise((r) => setTimeout(r, 400));
    expect(closes).toBe(0);
    expect(await client.getState()).toMatchObject({ isConnected: true, isClose: false });
    const atServer = next<socket.LocalSocketMessageInfo>((cb) => conn.on('message', cb));
    await client.send({ data: 'still here' });
    expect(Buffer.from((await atServer).message).toString()).toBe('still here');
    await client.close();
    await server.close();
  });

  it('clientId is one process-wide counter across TCP and Local servers (netstack has one)', async () => {
    const file = path.join(dir, 'ids.sock');
    const local = socket.constructLocalSocketServerInstance();
    const localAccepted = next<socket.LocalSocketConnection>((cb) => local.on('connect', cb));
    await local.listen({ address: file });
    const lc = socket.constructLocalSocketInstance();
    await lc.connect({ address: { address: file } });
    const first = (await localAccepted).clientId;

    setRuntime(memoryRuntime('local-socket-tcp', {}, false));
    const tcp = socket.constructTCPSocketServerInstance();
    const tcpAccepted = next<socket.TCPSocketConnection>((cb) => tcp.on('connect', cb));
    await tcp.listen({ address: '127.0.0.1', port: 0 });
    const tc = socket.constructTCPSocketInstance();
    await tc.connect({ address: { address: '127.0.0.1', port: (await tcp.getLocalAddress()).port } });
    expect((await tcpAccepted).clientId).toBe(first + 1);
    await tc.close();
    await tcp.close();
    await lc.close();
    await local.close();
    setRuntime(noInternet);
  });

  it('errors: no listener 2301002, path in use 2301098, bad arguments 401 thrown, getLocalAddress before bind 2301009', async () => {
    const nobody = socket.constructLocalSocketInstance();
    expect(await rejected(nobody.connect({ address: { address: path.join(dir, 'nobody.sock') } }))).toBe(
      2_301_002,
    );
    const file = path.join(dir, 'busy.sock');
    const a = socket.constructLocalSocketServerInstance();
    await a.listen({ address: file });
    expect(await rejected(socket.constructLocalSocketServerInstance().listen({ address: file }))).toBe(
      2_301_098,
    );
    await a.close();
    expect(() => nobody.connect({ address: { address: '' } })).toThrow(
      expect.objectContaining({ code: 401 }),
    );
    expect(() => nobody.send({ data: 1 } as never)).toThrow(expect.objectContaining({ code: 401 }));
    expect(await rejected(socket.constructLocalSocketInstance().getLocalAddress())).toBe(2_301_009);
  });
});

describe('LocalSocketServer.listen twice at once', () => {
  it('the second is 2301022 (EINVAL) and close() leaves nothing listening (no orphaned second server)', async () => {
    const first = path.join(dir, 'twice-a.sock');
    const second = path.join(dir, 'twice-b.sock');
    const server = socket.constructLocalSocketServerInstance();
    const results = await Promise.all([
      settledCode(server.listen({ address: first })),
      settledCode(server.listen({ address: second })),
    ]);
    expect.soft(results).toEqual(['ok', 2_301_022]);
    await server.close();
    const client = socket.constructLocalSocketInstance();
    // ENOENT (2301002) once the server's file is gone, ECONNREFUSED if only the file is left: either way no server.
    for (const file of [first, second])
      expect([2_301_002, 2_301_111]).toContain(
        await rejected(client.connect({ address: { address: file } })),
      );
  });
});

describe('LocalSocketServer close() while a listen is under way', () => {
  it('the listen fails with 2301009 (EBADF), the socket file is gone and nothing listens', async () => {
    const file = path.join(dir, 'overtaken.sock');
    const server = socket.constructLocalSocketServerInstance();
    const listening = server.listen({ address: file });
    await server.close();
    const code = await settledCode(listening);
    expect.soft(code).toBe(2_301_009);
    expect.soft(fs.existsSync(file)).toBe(false);
    const client = socket.constructLocalSocketInstance();
    expect([2_301_002, 2_301_111]).toContain(await rejected(client.connect({ address: { address: file } })));
  });
});
