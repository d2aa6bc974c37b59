// The far end of bench/run.ts, in its own process: raw node:net and colink Link servers that either sink a known
// number of bytes (then ack with one byte / one message) or echo everything back. Prints its ports as one JSON line.
import { createServer, type Socket } from 'node:net';
import { Link } from '@colink/core';
import { TcpTransport } from '@colink/transport-tcp';

const advert = { networkId: 'f'.repeat(64), deviceName: 'bench-peer', deviceType: 'pc' };

function rawServer(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer({ noDelay: true }, onSocket);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

/**
 * Link options of the "wide window" variant: 4 MiB channel window and send buffer set explicitly — the same as core's
 * defaults on TCP (`DEFAULT_CHANNEL_WINDOW_FAST`) since those became 4 MiB; the variant's sender keeps 32 sends in flight.
 */
const WIDE = { channelWindow: 4 * 1024 * 1024, sendBufferBytes: 4 * 1024 * 1024 };

async function linkServer(onLink: (l: Link) => void, wide = false): Promise<string> {
  const t = new TcpTransport({ host: '127.0.0.1', discovery: false });
  t.incoming$.subscribe((conduit) =>
    onLink(new Link(conduit, { role: 'responder', local: advert, ...(wide ? WIDE : {}) })),
  );
  await t.start();
  return t.localAddress!;
}

const rawSink = await rawServer((s) => {
  let expected = -1;
  let got = 0;
  s.on('data', (chunk: Buffer) => {
    if (expected < 0) {
      expected = Number(chunk.readBigUInt64BE(0));
      got = chunk.length - 8;
    } else got += chunk.length;
    if (got >= expected) {
      s.write(Buffer.of(1));
      expected = -1;
    }
  });
});
const rawEcho = await rawServer((s) => s.on('data', (chunk: Buffer) => s.write(chunk)));
function sinkLink(l: Link): void {
  let expected = -1;
  let got = 0;
  l.messages$.subscribe((m) => {
    if (expected < 0) {
      expected = Number(Buffer.from(m.buffer, m.byteOffset, m.byteLength).readBigUInt64BE(0));
      return;
    }
    got += m.byteLength;
    if (got >= expected) {
      void l.send(Uint8Array.of(1));
      expected = -1;
      got = 0;
    }
  });
}
const linkSink = await linkServer(sinkLink);
const wideLinkSink = await linkServer(sinkLink, true);
const linkEcho = await linkServer((l) => l.messages$.subscribe((m) => void l.send(m)));
// A bare TCP conduit (socketConduit, no Link): separates the transport's cost from core's Link.
const conduits = new TcpTransport({ host: '127.0.0.1', discovery: false });
conduits.incoming$.subscribe((c) => {
  let expected = -1;
  let got = 0;
  c.data$.subscribe((chunk) => {
    if (expected < 0) {
      expected = Number(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).readBigUInt64BE(0));
      got = chunk.byteLength - 8;
    } else got += chunk.byteLength;
    if (got >= expected) {
      c.write([Uint8Array.of(1)]);
      expected = -1;
    }
  });
});
await conduits.start();
const conduitSink = conduits.localAddress!;
const echoes = new TcpTransport({ host: '127.0.0.1', discovery: false });
echoes.incoming$.subscribe((c) => c.data$.subscribe((chunk) => c.write([chunk])));
await echoes.start();
const conduitEcho = echoes.localAddress!;

process.stdout.write(
  `${JSON.stringify({ rawSink, rawEcho, linkSink, wideLinkSink, linkEcho, conduitSink, conduitEcho })}\n`,
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
