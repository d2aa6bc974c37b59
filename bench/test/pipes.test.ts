import { createServer, type Server } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { Link } from '@colink/core';
import { TcpTransport } from '@colink/transport-tcp';
import type { Libp2p } from 'libp2p';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLibp2pNode } from '../src/libp2p-node.js';
import { colinkPipe, libp2pPipe, type Pipe, rawPipe, tlsPipe } from '../src/pipes.js';
import { type BenchSecurity, benchSecurity } from '../src/secure.js';

// The comparison harness over real loopback sockets: each stack's Pipe must carry exactly the bytes written (same
// content, same order) through an echo server, including past its backpressure point, or its figures mean nothing.
const ECHO = '/colink-bench-test/echo/1';
const advert = { networkId: 'd'.repeat(64), deviceName: 'echo', deviceType: 'pc' };
let raw: Server;
let rawPort: number;
let tls: Server;
let tlsPort: number;
let sec: BenchSecurity;
let serverTcp: TcpTransport;
let clientTcp: TcpTransport;
let server: Libp2p;
let client: Libp2p;

beforeAll(async () => {
  raw = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  rawPort = (raw.address() as { port: number }).port;
  const got = await benchSecurity();
  if (!('tls' in got)) throw new Error(got.unavailable);
  sec = got;
  const secureContext = createSecureContext(sec.tls);
  tls = createServer((socket) => {
    const s = new TLSSocket(socket, {
      isServer: true,
      requestCert: true,
      rejectUnauthorized: false,
      secureContext,
    });
    s.pipe(s);
  });
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  tlsPort = (tls.address() as { port: number }).port;
  serverTcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
  serverTcp.incoming$.subscribe((c) => {
    const l = new Link(c, { role: 'responder', local: advert });
    l.messages$.subscribe((m) => void l.send(m));
  });
  await serverTcp.start();
  clientTcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
  await clientTcp.start();
  server = await createLibp2pNode();
  await server.handle(ECHO, (stream) => stream.addEventListener('message', (e) => stream.send(e.data)));
  client = await createLibp2pNode();
});

afterAll(async () => {
  await Promise.all([client?.stop(), server?.stop(), clientTcp?.stop(), serverTcp?.stop()]);
  await new Promise((r) => raw?.close(r));
  await new Promise((r) => tls?.close(r));
});

/** Writes `total` bytes in 64 KiB chunks, honouring the pipe's backpressure. */
async function writeAll(pipe: Pipe, total: number): Promise<void> {
  const chunk = new Uint8Array(64 * 1024);
  for (let sent = 0, i = 0; sent < total; sent += chunk.length, i++) {
    chunk.fill(i & 0xff);
    const wait = pipe.write(chunk.slice());
    if (wait) await wait;
  }
}

describe('comparison pipes over real loopback sockets', () => {
  it('bare node:tls negotiates TLS 1.3 with colink’s first cipher suite', async () => {
    const pipe = await tlsPipe(tlsPort, sec.tls);
    expect(pipe.cipher).toBe('TLS_AES_128_GCM_SHA256');
    await pipe.close();
  });

  for (const stack of ['raw node:net', 'bare node:tls', 'colink Link', 'js-libp2p'] as const) {
    it(`${stack}: 4 MiB echoed back complete (write backpressure honoured)`, async () => {
      const pipe =
        stack === 'raw node:net'
          ? await rawPipe(rawPort)
          : stack === 'bare node:tls'
            ? await tlsPipe(tlsPort, sec.tls)
            : stack === 'colink Link'
              ? await colinkPipe(clientTcp, serverTcp.localAddress!)
              : await libp2pPipe(client, server.getMultiaddrs()[0]!.toString(), ECHO);
      const total = 4 * 1024 * 1024;
      let received = 0;
      const echoed = new Promise<void>((resolve) =>
        pipe.onBytes((n) => {
          received += n;
          if (received >= total) resolve();
        }),
      );
      await writeAll(pipe, total);
      await echoed;
      expect(received).toBe(total);
      await pipe.close();
    });
  }
});
