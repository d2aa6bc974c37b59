import { describe, expect, it } from 'vitest';
import { closeReason } from '../src/errors.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import type { Conduit } from '../src/transport.js';
import { advert } from './helpers.js';

/** Wraps a conduit so a test can make the medium silently stop delivering (a pulled cable with no reset). */
function blackholable(c: Conduit): Conduit & { hole: boolean } {
  const w = {
    ...c,
    hole: false,
    write: (chunks: readonly Uint8Array[]) => (w.hole ? true : c.write(chunks)),
  };
  return w;
}

async function pair(clock: VirtualClock) {
  const [ca, cb] = createConduitPair();
  const wa = blackholable(ca);
  const wb = blackholable(cb);
  const opts = { scheduler: clock, keepAliveIntervalMs: 10_000, idleTimeoutMs: 30_000 };
  const a = new Link(wa, { ...opts, role: 'initiator', local: advert('a') });
  const b = new Link(wb, { ...opts, role: 'responder', local: advert('b') });
  await Promise.all([a.opened, b.opened]);
  return { a, b, wa, wb };
}

describe('keep-alive and timeouts in virtual time', () => {
  it('pings every interval and measures RTT; a live link never times out', async () => {
    const clock = new VirtualClock();
    const { a, b } = await pair(clock);
    expect(a.stats().rttMs).toBeUndefined();
    await clock.advance(10_000);
    expect(a.stats().rttMs).toBe(0); // the PONG came back within the same virtual instant
    await clock.advance(10 * 60_000);
    expect(a.state).toBe('open');
    expect(b.state).toBe('open');
    expect(a.stats().framesReceived).toBeGreaterThan(60);
    await a.close();
  });

  it('closes with timeout when the peer goes silent, and only after the idle timeout', async () => {
    const clock = new VirtualClock();
    const { a, wb } = await pair(clock);
    wb.hole = true; // b's frames no longer reach a
    await clock.advance(29_000);
    expect(a.state).toBe('open');
    await clock.advance(11_000);
    expect(a.state).toBe('closed');
    const r = await a.closed;
    expect(r.code).toBe('timeout');
    expect(r.message).toMatch(/no frame from the peer/);
  });

  it('closes with timeout when the peer never completes the handshake', async () => {
    const clock = new VirtualClock();
    const [ca] = createConduitPair(); // nobody runs the protocol on the other end
    const a = new Link(ca, {
      role: 'initiator',
      local: advert('a'),
      scheduler: clock,
      handshakeTimeoutMs: 5_000,
    });
    await clock.advance(4_999);
    expect(a.state).toBe('connecting');
    await clock.advance(1);
    await expect(a.opened).rejects.toMatchObject({ code: 'ERR_CLOSED', reason: { code: 'timeout' } });
  });

  it('rejects a peer that speaks no common version or skips the security stage', async () => {
    const [ca, cb] = createConduitPair();
    const a = new Link(ca, { role: 'initiator', local: advert('a') });
    cb.write([new Uint8Array([0x43, 0x4c, 0x4e, 0x4b, 7, 9, 0, 0])]); // versions 7..9
    expect(await a.closed).toMatchObject({ code: 'version-mismatch' });

    const [cc, cd] = createConduitPair();
    const c = new Link(cc, {
      role: 'initiator',
      local: advert('c'),
      security: {
        name: 'test',
        upgrade: async (conduit) => ({ conduit, peer: { networkId: advert('d').networkId } }),
      },
    });
    const d = new Link(cd, { role: 'responder', local: advert('d') });
    expect((await c.closed).code).toBe('handshake-failed');
    expect((await d.closed).code).toBe('handshake-failed');
  });

  it('rejects garbage instead of the preamble with a protocol error', async () => {
    const [ca, cb] = createConduitPair();
    const a = new Link(ca, { role: 'initiator', local: advert('a') });
    cb.write([new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')]);
    expect(await a.closed).toMatchObject({ code: 'protocol-error' });
    void closeReason;
  });
});
