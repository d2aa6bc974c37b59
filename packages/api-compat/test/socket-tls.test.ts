// @ohos.net.socket TLSSocket over node:tls against a real node:tls server on loopback, with certificates made by
// the openssl CLI: handshake with the SDK's defaults (TLSv1.2), TLSv1.3, certificate queries, mutual
// authentication, the upgrade of a connected TCPSocket, and netstack's error codes.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncodingFormat } from '../src/net-socket/tls.js';
import { setRuntime } from '../src/runtime/runtime.js';
import * as socket from '../src/socket.js';
import {
  cleanupDirs,
  memoryRuntime,
  once as next,
  rejectionCode as rejected,
  settledCode,
} from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-tls-socket-'));
const pem = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}
/** A CA and a certificate it signs for `cn` (`san` e.g. `IP:127.0.0.1`). */
function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  );
}
function makeCert(name: string, ca: string, san: string): void {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  );
  fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
}

let server: tls.Server;
let port = 0;
const clientNames: string[] = [];
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  setRuntime(memoryRuntime('tls-socket', {}, false));
  makeCa('ca');
  makeCa('other-ca');
  makeCert('server', 'ca', 'IP:127.0.0.1');
  makeCert('client', 'ca', 'DNS:client');
  server = tls.createServer(
    {
      key: pem('server.key'),
      cert: pem('server.pem'),
      ca: pem('ca.pem'),
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (s) => {
      const peer = s.getPeerX509Certificate();
      if (peer) clientNames.push(peer.subject);
      s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
      s.on('error', () => undefined);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const f of cleanup) await f();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
  cleanupDirs();
});

describe('TLSSocket', () => {
  it('bind + connect with the SDK defaults (TLSv1.2), echo, certificates, cipher, signature algorithms, close', async () => {
    const t = socket.constructTLSSocketInstance();
    cleanup.push(() => t.close());
    await t.bind({ address: '127.0.0.1', port: 0, family: 1 });
    const connected = next<void>((cb) => t.on('connect', cb));
    await new Promise<void>((resolve, reject) =>
      t.connect({ address: { address: '127.0.0.1', port }, secureOptions: { ca: pem('ca.pem') } }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await connected;
    expect(await t.getProtocol()).toBe('TLSv1.2');
    expect(await t.getState()).toEqual({ isBound: true, isClose: false, isConnected: true });
    expect(await t.getRemoteAddress()).toEqual({ address: '127.0.0.1', family: 1, port });
    const remote = await t.getRemoteCertificate();
    expect(remote.encodingFormat).toBe(EncodingFormat.FORMAT_DER);
    expect(new X509Certificate(Buffer.from(remote.data)).subject).toBe('CN=server');
    expect((await t.getCipherSuite()).length).toBe(1);
    expect((await t.getSignatureAlgorithms()).length).toBeGreaterThan(0);
    const got = next<socket.SocketMessageInfo>((cb) => t.on('message', cb));
    await t.send('hello');
    const m = await got;
    expect(Buffer.from(m.message).toString()).toBe('echo:hello');
    expect(m.remoteInfo).toMatchObject({ address: '127.0.0.1', port, family: 'IPv4', size: 10 });
    const closed = next<void>((cb) => t.on('close', cb));
    await t.close();
    await closed;
    expect(await rejected(t.send('late'))).toBe(2_303_602);
  });

  it('TLSv1.3 on request; mutual authentication with cert/key (local certificate as PEM)', async () => {
    const t = socket.constructTLSSocketInstance();
    cleanup.push(() => t.close());
    await t.bind({ address: '0.0.0.0' });
    await t.connect({
      address: { address: '127.0.0.1', port },
      secureOptions: {
        ca: [pem('ca.pem')],
        cert: pem('client.pem'),
        key: pem('client.key'),
        protocols: [socket.Protocol.TLSv13],
        isBidirectionalAuthentication: true,
      },
    });
    expect(await t.getProtocol()).toBe('TLSv1.3');
    const local = await t.getCertificate();
    expect(local.encodingFormat).toBe(EncodingFormat.FORMAT_PEM);
    expect(Buffer.from(local.data).toString()).toContain('BEGIN CERTIFICATE');
    const got = next<socket.SocketMessageInfo>((cb) => t.on('message', cb));
    await t.send(new Uint8Array([1, 2]).buffer);
    expect((await got).message.byteLength).toBe(7);
    expect(clientNames).toContain('CN=client');
    await t.close();
  });

  it('over a connected TCPSocket (constructTLSSocketInstance(tcpSocket))', async () => {
    const tcp = socket.constructTCPSocketInstance();
    await tcp.connect({ address: { address: '127.0.0.1', port } });
    const t = socket.constructTLSSocketInstance(tcp);
    cleanup.push(() => t.close());
    await t.connect({ address: { address: '127.0.0.1', port }, secureOptions: { ca: pem('ca.pem') } });
    const got = next<socket.SocketMessageInfo>((cb) => t.on('message', cb));
    await t.send('up');
    expect(Buffer.from((await got).message).toString()).toBe('echo:up');
    await t.close();
    expect(() => socket.constructTLSSocketInstance(socket.constructTCPSocketInstance())).toThrow(
      expect.objectContaining({ code: 401 }),
    );
  });

  it('netstack codes: no bind 2303600, untrusted server 2303501 (skipRemoteValidation passes), refused 2303211, 401 thrown', async () => {
    const opts = { address: { address: '127.0.0.1', port }, secureOptions: { ca: pem('other-ca.pem') } };
    expect(await rejected(socket.constructTLSSocketInstance().connect(opts))).toBe(2_303_600);
    const untrusted = socket.constructTLSSocketInstance();
    await untrusted.bind({ address: '127.0.0.1' });
    expect(await rejected(untrusted.connect(opts))).toBe(2_303_501);
    const skip = socket.constructTLSSocketInstance();
    await skip.bind({ address: '127.0.0.1' });
    await skip.connect({ ...opts, skipRemoteValidation: true });
    expect(await skip.getProtocol()).toBe('TLSv1.2');
    await skip.close();
    const free = tls.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const freePort = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    const refused = socket.constructTLSSocketInstance();
    await refused.bind({ address: '127.0.0.1' });
    expect(
      await rejected(
        refused.connect({ address: { address: '127.0.0.1', port: freePort }, secureOptions: {} }),
      ),
    ).toBe(2_303_211);
    expect(() => refused.connect({ address: { address: '127.0.0.1', port } } as never)).toThrow(
      expect.objectContaining({ code: 401 }),
    );
    expect(await rejected(socket.constructTLSSocketInstance().getCertificate())).toBe(2_303_600);
  });
});

describe('TLSSocket system errors are TLS_ERR_SYS_BASE + errno (netstack ConvertErrno)', () => {
  it('bind: port in use 2303198, not assignable 2303199; a peer resetting the handshake 2303204 (ECONNRESET), not 2303505', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen({ host: '127.0.0.1', port: 0, exclusive: true }, r));
    const used = (busy.address() as AddressInfo).port;
    try {
      const a = socket.constructTLSSocketInstance();
      expect(await rejected(a.bind({ address: '127.0.0.1', port: used }))).toBe(2_303_198);
      expect(await rejected(a.bind({ address: '192.0.2.1', port: 0 }))).toBe(2_303_199);
      expect(await rejected(a.bind({ address: 'not-an-ip' }))).toBe(2_303_199);
    } finally {
      await new Promise((r) => busy.close(r));
    }
    const resetter = net.createServer((c) => c.resetAndDestroy());
    await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
    try {
      const b = socket.constructTLSSocketInstance();
      await b.bind({ address: '127.0.0.1' });
      const err = await b
        .connect({
          address: { address: '127.0.0.1', port: (resetter.address() as AddressInfo).port },
          secureOptions: {},
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toMatchObject({
        code: 2_303_204,
        message: expect.stringContaining('Connection reset by peer'),
      });
    } finally {
      await new Promise((r) => resetter.close(r));
    }
  });
});

describe('TLSSocketServer', () => {
  it('serves TLSSocket clients with mutual authentication; connection queries, echo, close; a client without certificate is refused', async () => {
    const srv = socket.constructTLSSocketServerInstance();
    cleanup.push(() => srv.close());
    const errors: unknown[] = [];
    srv.on('error', (e) => errors.push(e));
    const accepted = next<socket.TLSSocketConnection>((cb) => srv.on('connect', cb));
    await srv.listen({
      address: { address: '127.0.0.1', port: 0, family: 1 },
      secureOptions: {
        key: pem('server.key'),
        cert: pem('server.pem'),
        ca: pem('ca.pem'),
        isBidirectionalAuthentication: true,
      },
    });
    const local = await srv.getLocalAddress();
    expect(await srv.getState()).toEqual({ isBound: true, isClose: false, isConnected: true });
    expect(await srv.getProtocol()).toBe('TLSv1.2');
    expect((await srv.getCertificate()).encodingFormat).toBe(EncodingFormat.FORMAT_PEM);

    const client = socket.constructTLSSocketInstance();
    cleanup.push(() => client.close());
    await client.bind({ address: '127.0.0.1' });
    await client.connect({
      address: { address: '127.0.0.1', port: local.port },
      secureOptions: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') },
    });
    const conn = await accepted;
    expect(typeof conn.clientId).toBe('number');
    const cert = await conn.getRemoteCertificate();
    expect(new X509Certificate(Buffer.from(cert.data)).subject).toBe('CN=client');
    expect((await conn.getCipherSuite()).length).toBe(1);
    expect(await conn.getRemoteAddress()).toEqual(await client.getLocalAddress());
    const atServer = next<socket.SocketMessageInfo>((cb) => conn.on('message', cb));
    await client.send('to server');
    expect(Buffer.from((await atServer).message).toString()).toBe('to server');
    const atClient = next<socket.SocketMessageInfo>((cb) => client.on('message', cb));
    await conn.send('to client');
    expect(Buffer.from((await atClient).message).toString()).toBe('to client');
    const closed = next<void>((cb) => conn.on('close', cb));
    await client.close();
    await closed;
    expect(await rejected(conn.send('late'))).toBe(2_303_602);

    const anonymous = socket.constructTLSSocketInstance();
    await anonymous.bind({ address: '127.0.0.1' });
    expect(
      await rejected(
        anonymous.connect({
          address: { address: '127.0.0.1', port: local.port },
          secureOptions: { ca: pem('ca.pem') },
        }),
      ),
    ).toBe(2_303_501);
    await srv.close();
    expect(await srv.getState()).toMatchObject({ isClose: true, isBound: false });
    expect(errors.every((e) => (e as { code: number }).code === 2_303_501)).toBe(true);
  });

  it('listen on a port in use → 2303198', async () => {
    const a = socket.constructTLSSocketServerInstance();
    const b = socket.constructTLSSocketServerInstance();
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    const secureOptions = { key: pem('server.key'), cert: pem('server.pem') };
    await a.listen({ address: { address: '127.0.0.1', port: 0 }, secureOptions });
    const { port: used } = await a.getLocalAddress();
    expect(await rejected(b.listen({ address: { address: '127.0.0.1', port: used }, secureOptions }))).toBe(
      2_303_198,
    );
  });
});

/** A loopback TCP port free a moment ago (a server listened on it and closed). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** `'connected'` if something listens on 127.0.0.1:`port`, else the dial's error code (`ECONNREFUSED`). */
function dialOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve('connected');
    });
    c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

describe('TLSSocketServer.listen twice at once', () => {
  it('the second is 2303122 and close() leaves nothing listening (no orphaned second server)', async () => {
    const port = await freePort();
    const srv = socket.constructTLSSocketServerInstance();
    cleanup.push(() => srv.close());
    const secureOptions = { key: pem('server.key'), cert: pem('server.pem') };
    const results = await Promise.all([
      settledCode(srv.listen({ address: { address: '127.0.0.1', port }, secureOptions })),
      settledCode(srv.listen({ address: { address: '127.0.0.1', port: 0 }, secureOptions })),
    ]);
    expect.soft(results).toEqual(['ok', 2_303_122]);
    await srv.close();
    // Nothing listens on the first server's port any more.
    const refused = await dialOutcome(port);
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('TLSSocketServer close() while a listen is under way', () => {
  it('the listen fails with 2303109 (EBADF) and nothing is left listening', async () => {
    const port = await freePort();
    const srv = socket.constructTLSSocketServerInstance();
    cleanup.push(() => srv.close());
    const listening = srv.listen({
      address: { address: '127.0.0.1', port },
      secureOptions: { key: pem('server.key'), cert: pem('server.pem') },
    });
    await srv.close();
    const code = await settledCode(listening);
    expect.soft(code).toBe(2_303_109);
    const refused = await dialOutcome(port);
    expect(refused).toBe('ECONNREFUSED');
  });
});
