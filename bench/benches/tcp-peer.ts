// The far end of benches/tcp-compare.ts, in its own process: for raw node:net, colink (Link over TcpTransport),
// colink with TLS and bare node:tls (when @colink/core/security is there), js-libp2p (TCP + Noise + yamux), one
// server that sinks bytes — answering one byte every BENCH_SINK_BYTES bytes — and one that echoes everything back.
// Everything listens on 127.0.0.1. Prints its addresses as one JSON line and exits when stdin ends.
import { createServer, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { Link, type SecurityUpgrade } from '@colink/core';
import { TcpTransport } from '@colink/transport-tcp';
import { createLibp2pNode } from '../src/libp2p-node.js';
import { type BenchSecurity, benchSecurity } from '../src/secure.js';

const SINK_BYTES = Number(process.env.BENCH_SINK_BYTES);
if (!Number.isSafeInteger(SINK_BYTES) || SINK_BYTES <= 0) throw new Error('BENCH_SINK_BYTES must be set');
const ACK = Uint8Array.of(1);
const advert = { networkId: 'f'.repeat(64), deviceName: 'bench-peer', deviceType: 'pc' };

/** Counts bytes and calls `ack` every SINK_BYTES. */
function sinkCounter(ack: () => void): (n: number) => void {
  let got = 0;
  return (n) => {
    got += n;
    if (got >= SINK_BYTES) {
      got -= SINK_BYTES;
      ack();
    }
  };
}

function rawServer(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer({ noDelay: true }, onSocket);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

async function linkServer(
  onLink: (l: Link) => void,
  security?: SecurityUpgrade & { networkId: string },
): Promise<string> {
  const t = new TcpTransport({ host: '127.0.0.1', discovery: false });
  const local = security ? { ...advert, networkId: security.networkId } : advert;
  t.incoming$.subscribe((conduit) =>
    onLink(new Link(conduit, { role: 'responder', local, ...(security ? { security } : {}) })),
  );
  await t.start();
  return t.localAddress!;
}
const sink = (l: Link): void => {
  const count = sinkCounter(() => void l.send(ACK));
  l.messages$.subscribe((m) => count(m.byteLength));
};
const echo = (l: Link): void => void l.messages$.subscribe((m) => void l.send(m));

const rawSink = await rawServer((s) => {
  const count = sinkCounter(() => s.write(ACK));
  s.on('data', (chunk: Buffer) => count(chunk.length));
});
const rawEcho = await rawServer((s) => s.on('data', (chunk: Buffer) => s.write(chunk)));
const colinkSink = await linkServer(sink);
const colinkEcho = await linkServer(echo);
// The encrypted variant (TLS 1.3 security stage of @colink/core/security), when that module is there.
const sec = await benchSecurity();
const secure =
  'security' in sec
    ? { sink: await linkServer(sink, sec.security), echo: await linkServer(echo, sec.security) }
    : { unavailable: sec.unavailable };

/**
 * A bare node:tls server: every accepted socket (noDelay) becomes a server-side `TLSSocket` asking for the client's
 * certificate — what colink's security stage does as responder on a TCP Link, without the Link.
 */
function tlsServer(options: BenchSecurity['tls'], onSocket: (s: Socket) => void): Promise<number> {
  const { highWaterMark, ...contextOptions } = options;
  const secureContext = createSecureContext(contextOptions);
  return rawServer((socket) => {
    const s = new TLSSocket(socket, {
      isServer: true,
      requestCert: true,
      rejectUnauthorized: false,
      secureContext,
      ALPNProtocols: options.ALPNProtocols,
      highWaterMark,
    } as ConstructorParameters<typeof TLSSocket>[1]);
    s.on('error', () => undefined); // a bench client hanging up mid-record
    onSocket(s);
  });
}
const tls =
  'tls' in sec
    ? {
        sink: await tlsServer(sec.tls, (s) => {
          const count = sinkCounter(() => s.write(ACK));
          s.on('data', (chunk: Buffer) => count(chunk.length));
        }),
        echo: await tlsServer(sec.tls, (s) => s.on('data', (chunk: Buffer) => s.write(chunk))),
      }
    : { unavailable: sec.unavailable };

const node = await createLibp2pNode();
await node.handle('/colink-bench/sink/1', (stream) => {
  const count = sinkCounter(() => stream.send(ACK));
  stream.addEventListener('message', (e) => count(e.data.byteLength));
});
await node.handle('/colink-bench/echo/1', (stream) => {
  stream.addEventListener('message', (e) => stream.send(e.data));
});
const libp2p = node.getMultiaddrs()[0]!.toString();

process.stdout.write(
  `${JSON.stringify({ rawSink, rawEcho, colinkSink, colinkEcho, secure, tls, libp2p })}\n`,
);
process.stdin.on('end', () => {
  void Promise.resolve(node.stop()).finally(() => process.exit(0));
});
process.stdin.resume();
