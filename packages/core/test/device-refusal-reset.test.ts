import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { encodeFrame, encodePreamble, FrameType } from '../src/codec.js';
import { LocalDevice } from '../src/device.js';
import { closeReason } from '../src/errors.js';
import { FRAME_HEADER_BYTES } from '../src/limits.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import type { Conduit, Transport } from '../src/transport.js';
import { advert, dialVirtual } from './helpers.js';

// Where LocalDevice decides how an inbound connection ends (virtual time, memory medium): a connection whose Link
// fails before it opened is reset (`Conduit.reset`: TCP RST on a socket), however the handshake failed; one whose
// Link opened, and every Link the device dialled, is destroyed or ended as before. The memory medium has no reset, so
// the server's transport here wraps each inbound conduit with one that records the call (and then destroys it).
// Over real TCP (ECONNRESET, no TIME_WAIT): transport-tcp/test/stranger-reset.test.ts.

/** How each inbound conduit of the server ended: `reset:<code>` or `destroy:<code>` (or `end:<code>`). */
type Ends = Map<string, string[]>;

function recording(t: Transport, ends: Ends): Transport {
  const wrap = (c: Conduit): Conduit => {
    const log = (how: string) => {
      const list = ends.get(c.remoteAddress) ?? [];
      list.push(how);
      ends.set(c.remoteAddress, list);
    };
    return {
      medium: c.medium,
      get localAddress() {
        return c.localAddress;
      },
      remoteAddress: c.remoteAddress,
      maxFrameSize: c.maxFrameSize,
      data$: c.data$,
      drain$: c.drain$,
      closed$: c.closed$,
      write: (chunks) => c.write(chunks),
      end: (r) => {
        log(`end:${r.code}`);
        c.end(r);
      },
      destroy: (r) => {
        log(`destroy:${r.code}`);
        c.destroy(r);
      },
      reset: (r) => {
        log(`reset:${r.code}`);
        c.destroy(r);
      },
    };
  };
  return {
    medium: t.medium,
    capabilities: t.capabilities,
    get localAddress() {
      return t.localAddress;
    },
    start: () => t.start(),
    stop: () => t.stop(),
    incoming$: t.incoming$.pipe(map(wrap)),
    dial: (a, o) => t.dial(a, o),
  };
}

async function world() {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ scheduler: clock });
  const ends: Ends = new Map();
  const server = new LocalDevice({
    advert: advert('server'),
    transports: [recording(net.createTransport({ address: 'server' }), ends)],
    scheduler: clock,
    // Long pre-authentication deadline: what ends these handshakes is the handshake itself.
    admission: { preAuthTimeoutMs: 60_000 },
    link: { handshakeTimeoutMs: 60_000 },
  });
  await server.start();
  /** A raw connection from `address` that sends a right preamble, then `then`; returns it once the server answered. */
  const raw = async (address: string, then: Uint8Array) => {
    const t = net.createTransport({ address });
    await t.start();
    const dialling = t.dial('server');
    await clock.advance(1);
    const c = await dialling;
    let answered = 0;
    c.data$.subscribe((b) => {
      answered += b.length;
    });
    c.write([encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 })]);
    await clock.advance(1);
    expect(answered).toBeGreaterThan(FRAME_HEADER_BYTES); // its preamble and HELLO
    c.write([then]);
    await clock.advance(1);
    return c;
  };
  /** A device `client` that dials the server: its Link once open, and the server's end of it. */
  const dialIn = async () => {
    const { client, link: dialled } = await dialVirtual(net, clock);
    expect(dialled.state).toBe('open');
    await clock.advance(1);
    return { client, dialled, accepted: server.links()[0]! };
  };
  return { clock, net, server, ends, raw, dialIn };
}

describe('LocalDevice: an inbound Link that fails before it opened is reset, one that opened is not', () => {
  it('a HELLO-stage frame announcing 2^31 bytes: protocol-error, reset', async () => {
    const { server, ends, raw } = await world();
    const header = new Uint8Array(FRAME_HEADER_BYTES);
    new DataView(header.buffer).setUint32(0, 2 ** 31);
    await raw('huge', header);
    expect(ends.get('huge')).toEqual(['reset:protocol-error']);
    expect(server.links()).toEqual([]);
    expect(server.admissionStats()).toMatchObject({ pending: 0, timedOut: 0 });
    await server.stop();
  });

  it('a HELLO that is not JSON: protocol-error, reset', async () => {
    const { server, ends, raw } = await world();
    await raw('garbage-hello', encodeFrame(FrameType.HELLO, 0, 0, 0, new TextEncoder().encode('{not json')));
    expect(ends.get('garbage-hello')).toEqual(['reset:protocol-error']);
    await server.stop();
  });

  it('an inbound Link that opened is destroyed, not reset, when aborted', async () => {
    const { clock, server, ends, dialIn } = await world();
    const { client, dialled, accepted } = await dialIn();
    accepted.abort(closeReason('protocol-error', 'test abort'));
    await clock.advance(10);
    expect(ends.get('client')).toEqual(['destroy:protocol-error']);
    expect((await dialled.closed).code).toBe('protocol-error');
    await client.stop();
    await server.stop();
  });

  it('an inbound Link that opened ends with GOAWAY and end() on close()', async () => {
    const { clock, server, ends, dialIn } = await world();
    const { client, dialled, accepted } = await dialIn();
    const closing = accepted.close();
    await clock.advance(100);
    await closing;
    expect(ends.get('client')).toEqual(['end:normal']);
    expect((await dialled.closed).code).toBe('normal');
    await client.stop();
    await server.stop();
  });
});
