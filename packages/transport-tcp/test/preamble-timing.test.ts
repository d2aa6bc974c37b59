import { connect, type Socket } from 'node:net';
import { Link } from '@colink/core';
import { decodePreamble, encodePreamble, PREAMBLE_BYTES } from '@colink/core/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { networkId } from './helpers.js';

// PROTOCOL.md §1 over real loopback TCP: the responder (the side that accepted) writes its preamble only once the
// initiator's 8 bytes arrived with the right magic. A raw node:net socket plays the initiator.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TcpTransport whose inbound conduits become responder Links; returns its address and the Links' close codes. */
async function responder(): Promise<{ host: string; port: number; closed: Promise<string> }> {
  const t = new TcpTransport({ host: '127.0.0.1', discovery: false });
  let onClosed!: (code: string) => void;
  const closed = new Promise<string>((r) => {
    onClosed = r;
  });
  t.incoming$.subscribe((conduit) => {
    const l = new Link(conduit, {
      role: 'responder',
      local: { networkId: networkId('responder'), deviceName: 'r', deviceType: 'pc' },
      keepAliveIntervalMs: 0,
    });
    cleanups.push(() => l.abort({ code: 'normal' }));
    void l.closed.then((r) => onClosed(r.code));
  });
  await t.start();
  cleanups.push(() => t.stop());
  const [host, port] = t.localAddress!.split(':');
  return { host: host!, port: Number(port), closed };
}

/** A raw socket to `port` that collects every byte it receives and notes when the server closed it. */
async function rawInitiator(port: number) {
  const s: Socket = connect({ host: '127.0.0.1', port });
  cleanups.push(() => s.destroy());
  await new Promise((r) => s.once('connect', r));
  const got: Buffer[] = [];
  s.on('data', (c: Buffer) => got.push(c));
  s.on('error', () => undefined);
  const ended = new Promise<void>((r) => s.once('close', () => r()));
  return { s, received: () => Buffer.concat(got), ended };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('preamble timing over TCP (PROTOCOL.md §1)', () => {
  it('a silent or slow stranger gets no byte; the 8th byte of its preamble gets ours and the HELLO', async () => {
    const { port } = await responder();
    const { s, received } = await rawInitiator(port);
    await pause(200);
    expect(received().length).toBe(0);
    const theirs = encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 });
    s.write(theirs.subarray(0, PREAMBLE_BYTES - 1));
    await pause(200);
    expect(received().length).toBe(0);
    s.write(theirs.subarray(PREAMBLE_BYTES - 1));
    const deadline = Date.now() + 10_000;
    while (received().length <= PREAMBLE_BYTES && Date.now() < deadline) await pause(10);
    expect(decodePreamble(received().subarray(0, PREAMBLE_BYTES)).maxVersion).toBeGreaterThanOrEqual(2);
    expect(received().length).toBeGreaterThan(PREAMBLE_BYTES); // then its HELLO
  });

  it('garbage gets no byte before the close (protocol-error)', async () => {
    const { port, closed } = await responder();
    const { s, received, ended } = await rawInitiator(port);
    s.write('GET / HTTP/1.1\r\n\r\n');
    expect(await closed).toBe('protocol-error');
    await ended;
    expect(received().length).toBe(0);
  });

  it('a preamble with no common version gets ours before the close, so the peer learns why', async () => {
    const { port, closed } = await responder();
    const { s, received, ended } = await rawInitiator(port);
    s.write(encodePreamble({ minVersion: 7, maxVersion: 9, flags: 0 }));
    expect(await closed).toBe('version-mismatch');
    await ended;
    expect(received().length).toBe(PREAMBLE_BYTES);
    expect(decodePreamble(received()).minVersion).toBe(1);
  });
});
