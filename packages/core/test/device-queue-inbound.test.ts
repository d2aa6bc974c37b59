import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { sourceHost } from '../src/admission.js';
import { LocalDevice } from '../src/device.js';
import { closeReason } from '../src/errors.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import type { Conduit, InboundQueue, Transport } from '../src/transport.js';
import { advert, dialVirtual } from './helpers.js';

// Transport.queueInbound: LocalDevice hands a transport that has it its pre-authentication work queue, and the
// transport passes inbound connections to it before their conduit is built (transport-tcp does so with node's raw
// accepted handle; over real TCP: transport-tcp/test/queue-inbound.test.ts). Here a memory transport whose inbound
// conduits go through the queue instead of `incoming$`, in virtual time.

/** `inner`, with every inbound conduit passed to the device's queue; records what the queue did with each. */
function queueing(inner: Transport) {
  const calls: Array<InboundQueue | undefined> = [];
  const taken: string[] = [];
  const refused: string[] = [];
  let queue: InboundQueue | undefined;
  const never = new Subject<Conduit>(); // nothing arrives on incoming$
  inner.incoming$.subscribe((c) => {
    if (!queue) {
      c.destroy(closeReason('refused', 'no queue'));
      return;
    }
    queue.admit(sourceHost(c.remoteAddress), {
      take: () => {
        taken.push(c.remoteAddress);
        return c;
      },
      refuse: () => {
        refused.push(c.remoteAddress);
        c.destroy(closeReason('refused', 'queue'));
      },
    });
  });
  const transport: Transport = {
    medium: inner.medium,
    capabilities: inner.capabilities,
    get localAddress() {
      return inner.localAddress;
    },
    start: () => inner.start(),
    stop: () => inner.stop(),
    incoming$: never,
    dial: (a, o) => inner.dial(a, o),
    queueInbound: (q) => {
      calls.push(q);
      queue = q;
    },
  };
  return { transport, calls, taken, refused, queue: () => queue };
}

describe('LocalDevice and Transport.queueInbound', () => {
  it('hands its queue over on start and takes it back on stop; a queued connection becomes a Link', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ scheduler: clock });
    const q = queueing(net.createTransport({ address: 'server' }));
    const server = new LocalDevice({ advert: advert('server'), transports: [q.transport], scheduler: clock });
    await server.start();
    expect(q.calls).toHaveLength(1);
    const handed = q.calls[0]!;
    expect(typeof handed.admit).toBe('function');
    const { client, link } = await dialVirtual(net, clock);
    expect(link.state).toBe('open');
    await clock.advance(1);
    expect(q.taken).toEqual(['client']);
    expect(server.links().map((l) => l.remoteAddress)).toEqual(['client']);
    await client.stop();
    await server.stop();
    expect(q.calls).toEqual([handed, undefined]);
    // A connection given to the queue of a stopped device is refused, never taken.
    let took = false;
    let refusedIt = false;
    handed.admit('late', {
      take: () => {
        took = true;
        return undefined;
      },
      refuse: () => {
        refusedIt = true;
      },
    });
    expect({ took, refusedIt }).toEqual({ took: false, refusedIt: true });
  });

  it('take() returning undefined (the connection is gone) is no error: nothing is adopted', async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ scheduler: clock });
    const q = queueing(net.createTransport({ address: 'server' }));
    const server = new LocalDevice({ advert: advert('server'), transports: [q.transport], scheduler: clock });
    await server.start();
    q.queue()!.admit('gone', { take: () => undefined, refuse: () => undefined });
    await clock.advance(10);
    expect(server.links()).toEqual([]);
    expect(server.admissionStats()).toMatchObject({ pending: 0, queued: 0, queueRefused: 0 });
    await server.stop();
  });
});
