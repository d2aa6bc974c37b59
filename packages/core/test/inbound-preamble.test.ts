import { firstValueFrom, Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { ConduitGate, PreAuthWork, type WorkClock } from '../src/admission.js';
import { encodePreamble, PREAMBLE_FLAG_SECURE, type Preamble } from '../src/codec.js';
import { type CloseReason, closeReason } from '../src/errors.js';
import { negotiatePreamble } from '../src/handshake.js';
import { InboundPreamble } from '../src/inbound-preamble.js';
import { PRE_AUTH_TIMEOUT_MS, PREAMBLE_BYTES } from '../src/limits.js';
import { clientHelloRecordLength } from '../src/security/client-hello.js';
import type { Conduit } from '../src/transport.js';
import { testConduit, virtualServer } from './helpers.js';

// The device's pre-Link stage of an inbound connection: the stranger's 8-byte preamble is read (and its magic
// checked byte by byte) before any Link or handshake is built for it; then every byte reaches the Link in order.

/**
 * A conduit whose bytes the test pushes (chunk identity is kept, so the no-copy hand-off can be checked); with
 * `resettable`, it has `reset()` too (as a TCP conduit has: `Conduit.reset`).
 */
function pushedConduit(resettable = false) {
  const data = new Subject<Uint8Array>();
  const closed = new Subject<CloseReason>();
  const destroyed: CloseReason[] = [];
  const reset: CloseReason[] = [];
  const conduit = testConduit({
    remoteAddress: '127.0.0.9:2',
    data$: data.asObservable(),
    closed$: closed.asObservable(),
    destroy: (r) => {
      destroyed.push(r);
      closed.next(r);
    },
    ...(resettable
      ? {
          reset: (r: CloseReason) => {
            reset.push(r);
            closed.next(r);
          },
        }
      : {}),
  });
  return { conduit, data, closed, destroyed, reset };
}

function stage(conduit: Conduit) {
  const got: Uint8Array[] = [];
  let spoke = 0;
  let gone = 0;
  let handedTo: Conduit | undefined;
  const s = new InboundPreamble(conduit, {
    spoke: (c) => {
      spoke++;
      handedTo = c;
      c.data$.subscribe((chunk) => got.push(chunk));
    },
    gone: () => {
      gone++;
    },
  });
  s.start();
  return { s, got, counts: () => ({ spoke, gone }), handedTo: () => handedTo };
}

const concat = (chunks: readonly Uint8Array[]) => Uint8Array.from(chunks.flatMap((c) => [...c]));

describe('InboundPreamble: no Link before the stranger’s preamble', () => {
  const preamble = encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 });

  it('hands a preamble that came in one chunk on as that very chunk, with the bytes after it', () => {
    const { conduit, data } = pushedConduit();
    const { got, counts } = stage(conduit);
    const chunk = Uint8Array.from([...preamble, 9, 8, 7]);
    data.next(chunk);
    expect(counts()).toEqual({ spoke: 1, gone: 0 });
    expect(got).toHaveLength(1);
    expect(got[0]).toBe(chunk); // no copy
    data.next(Uint8Array.of(6));
    expect([...concat(got)]).toEqual([...chunk, 6]);
  });

  it('gathers a preamble sent byte by byte, hands it on only after the 8th byte, and loses nothing after it', () => {
    const { conduit, data } = pushedConduit();
    const { got, counts } = stage(conduit);
    for (let i = 0; i < PREAMBLE_BYTES - 1; i++) {
      data.next(preamble.subarray(i, i + 1));
      expect(counts().spoke).toBe(0);
    }
    // the last preamble byte and the first bytes after it in one chunk
    data.next(Uint8Array.from([preamble[PREAMBLE_BYTES - 1]!, 1, 2]));
    expect(counts()).toEqual({ spoke: 1, gone: 0 });
    expect(got[0]).toEqual(preamble);
    data.next(Uint8Array.of(3));
    expect([...concat(got)]).toEqual([...preamble, 1, 2, 3]);
  });

  it('closes at the first wrong byte with the handshake’s close reason, building nothing', () => {
    const { conduit, data, destroyed } = pushedConduit();
    const { counts } = stage(conduit);
    data.next(preamble.subarray(0, 2)); // "CL"
    expect(destroyed).toEqual([]);
    data.next(Uint8Array.of(0x00, 0x4b)); // 3rd byte wrong
    expect(counts()).toEqual({ spoke: 0, gone: 1 });
    expect(destroyed).toEqual([
      expect.objectContaining({ code: 'protocol-error', message: expect.stringContaining('bad magic') }),
    ]);
    data.next(preamble); // nothing more is read
    expect(counts()).toEqual({ spoke: 0, gone: 1 });
  });

  it('closes garbage at its first byte', () => {
    const { conduit, data, destroyed } = pushedConduit();
    const { counts } = stage(conduit);
    data.next(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
    expect(counts()).toEqual({ spoke: 0, gone: 1 });
    expect(destroyed[0]?.code).toBe('protocol-error');
  });

  it('abort() closes a stranger still at its preamble; once handed on it is the Link’s to close', () => {
    const a = pushedConduit();
    const sa = stage(a.conduit);
    a.data.next(preamble.subarray(0, 3));
    sa.s.abort(closeReason('refused', 'evicted'));
    expect(a.destroyed.map((r) => r.code)).toEqual(['refused']);
    expect(sa.counts()).toEqual({ spoke: 0, gone: 1 });
    sa.s.abort(closeReason('timeout')); // once only
    expect(a.destroyed).toHaveLength(1);

    const b = pushedConduit();
    const sb = stage(b.conduit);
    b.data.next(preamble);
    sb.s.abort(closeReason('timeout'));
    expect(b.destroyed).toEqual([]);
    expect(sb.counts()).toEqual({ spoke: 1, gone: 0 });
  });

  it('resets (rather than destroys) a stranger it ends when the conduit can be reset: a wrong byte, abort()', () => {
    const a = pushedConduit(true);
    stage(a.conduit);
    a.data.next(Uint8Array.of(0x00));
    expect(a.reset.map((r) => r.code)).toEqual(['protocol-error']);
    expect(a.destroyed).toEqual([]);

    const b = pushedConduit(true);
    const sb = stage(b.conduit);
    b.data.next(preamble.subarray(0, 3));
    sb.s.abort(closeReason('timeout', 'not authenticated'));
    expect(b.reset.map((r) => r.code)).toEqual(['timeout']);
    expect(b.destroyed).toEqual([]);
    expect(sb.counts()).toEqual({ spoke: 0, gone: 1 });
  });

  it('reports a stranger that hangs up before its preamble as gone, once', () => {
    const { conduit, data, closed } = pushedConduit();
    const { counts } = stage(conduit);
    data.next(preamble.subarray(0, 5));
    closed.next(closeReason('lost', 'peer closed'));
    closed.next(closeReason('lost', 'again'));
    expect(counts()).toEqual({ spoke: 0, gone: 1 });
  });
});

describe('LocalDevice: inbound strangers before their Link (virtual time, memory medium)', () => {
  async function world() {
    const { clock, net, server } = await virtualServer();
    const attacker = net.createTransport({ address: 'attacker' });
    await attacker.start();
    const dial = async () => {
      const p = attacker.dial('server');
      await clock.advance(1);
      const c = await p;
      const received: Uint8Array[] = [];
      c.data$.subscribe((b) => received.push(b));
      const closed = firstValueFrom(c.closed$);
      return { c, received, closed };
    };
    return { clock, server, dial };
  }

  it('counts a stranger at its preamble as pending and lets it go when it hangs up', async () => {
    const { clock, server, dial } = await world();
    const { c } = await dial();
    c.write([encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 }).subarray(0, 3)]);
    await clock.advance(1);
    expect(server.admissionStats()).toMatchObject({ pending: 1, pendingHighWater: 1 });
    c.destroy(closeReason('normal'));
    await clock.advance(1);
    expect(server.admissionStats()).toMatchObject({ pending: 0, timedOut: 0, evicted: 0 });
    await clock.advance(PRE_AUTH_TIMEOUT_MS);
    expect(server.admissionStats().timedOut).toBe(0);
    await server.stop();
  });

  it('answers a preamble sent in pieces with its own once the 8th byte arrived, and ends garbage at once', async () => {
    const { clock, server, dial } = await world();
    const opened: unknown[] = [];
    server.linkOpened$.subscribe((l) => opened.push(l));
    const ok = await dial();
    const preamble = encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 });
    for (let i = 0; i < PREAMBLE_BYTES; i++) {
      expect(concat(ok.received)).toHaveLength(0); // nothing written to a stranger before its preamble
      ok.c.write([preamble.subarray(i, i + 1)]);
      await clock.advance(1);
    }
    // the server's preamble, then its HELLO (a plain Link)
    expect(concat(ok.received).length).toBeGreaterThan(PREAMBLE_BYTES);
    const bad = await dial();
    bad.c.write([Uint8Array.of(0x43, 0x4c, 0x00)]);
    await clock.advance(1);
    expect(await bad.closed).toMatchObject({ code: 'protocol-error' });
    expect(concat(bad.received)).toHaveLength(0);
    expect(server.admissionStats().pending).toBe(1); // the one under way
    await clock.advance(PRE_AUTH_TIMEOUT_MS);
    expect(await ok.closed).toMatchObject({ code: 'timeout' }); // never sent its HELLO
    expect(server.admissionStats()).toMatchObject({ pending: 0, timedOut: 1 });
    expect(opened).toEqual([]);
    await server.stop();
  });
});

describe('ConduitGate: a stranger’s bytes and end through the work queue', () => {
  /** Work costs what the test says; breaks and check phases run when the test calls `tick()`. */
  function clock() {
    const due: Array<() => void> = [];
    const c: WorkClock & { t: number; tick(): void } = {
      t: 0,
      now: () => c.t,
      later: (fn) => {
        due.push(fn);
        return () => undefined;
      },
      soon: (fn) => {
        due.push(fn);
        return () => undefined;
      },
      tick: () => {
        c.t += 10;
        for (let i = 0; i < 100 && due.length > 0; i++) due.shift()!();
      },
    };
    return c;
  }

  it('delivers a held end after the chunks held before it, in order, then directly once ungated', () => {
    const c = clock();
    const work = new PreAuthWork(c, 0.25);
    const { conduit, data } = pushedConduit();
    const gate = new ConduitGate(conduit, work);
    const events: string[] = [];
    gate.data$.subscribe({
      next: (b) => {
        events.push(`data ${b[0]}`);
        c.t += 1; // each chunk uses the slice up: the rest wait
      },
      complete: () => events.push('end'),
    });
    data.next(Uint8Array.of(1));
    data.next(Uint8Array.of(2));
    data.complete();
    expect(events).toEqual(['data 1']);
    expect(gate.received()).toBe(2);
    c.tick();
    c.tick();
    expect(events).toEqual(['data 1', 'data 2', 'end']);
  });

  it('behind an InboundPreamble: bytes held before and after the preamble completes reach the Link in order', () => {
    const c = clock();
    const work = new PreAuthWork(c, 0.25);
    const { conduit, data } = pushedConduit();
    const gate = new ConduitGate(conduit, work);
    let spoke = 0;
    const got: number[] = [];
    let ended = false;
    const stranger = new InboundPreamble(gate, {
      spoke: (link) => {
        spoke++;
        link.data$.subscribe({
          next: (b) => {
            got.push(...b);
            c.t += 1; // the Link's handling uses the slice up
          },
          complete: () => {
            ended = true;
          },
        });
      },
      gone: () => undefined,
    });
    const read = vi.spyOn(stranger, 'next');
    stranger.start();
    const preamble = encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 });
    data.next(preamble.subarray(0, 5));
    data.next(Uint8Array.from([...preamble.subarray(5), 1])); // completes it: the Link gets the preamble and 1
    expect(spoke).toBe(1);
    data.next(Uint8Array.of(2)); // the Link's handling used the slice up: 2 waits in the work queue
    expect(got).toEqual([...preamble, 1]);
    gate.ungate(); // authenticated: what waits reaches the Link now, not a slice later
    expect(got).toEqual([...preamble, 1, 2]);
    data.next(Uint8Array.of(3)); // handed over to the Link directly
    data.complete();
    expect(got).toEqual([...preamble, 1, 2, 3]);
    expect(ended).toBe(true);
    for (let i = 0; i < 4; i++) c.tick(); // the queued work items find nothing left
    expect(got).toEqual([...preamble, 1, 2, 3]);
    expect(read).toHaveBeenCalledTimes(2); // the two preamble chunks: later ones went from the gate to the Link
  });

  it('passes a failure on, and leaves the conduit’s other members to the conduit', () => {
    const c = clock();
    const work = new PreAuthWork(c, Number.POSITIVE_INFINITY);
    const { conduit, data, destroyed } = pushedConduit();
    const gate = new ConduitGate(conduit, work);
    const errors: unknown[] = [];
    gate.data$.subscribe({ error: (e) => errors.push(e) });
    gate.ungate();
    data.error(new Error('boom'));
    expect(errors).toHaveLength(1);
    expect([gate.remoteAddress, gate.medium, gate.maxFrameSize]).toEqual(['127.0.0.9:2', 'tcp', 65_548]);
    expect(gate.detachSocket()).toBeUndefined(); // no socket under a memory-like conduit
    gate.destroy(closeReason('normal'));
    expect(destroyed.map((r) => r.code)).toEqual(['normal']);
  });
  it('destroy() resets the conduit only after resetOnDestroy() (the admission control giving up on a stranger)', () => {
    const work = new PreAuthWork(clock(), 0.25);
    const a = pushedConduit(true);
    new ConduitGate(a.conduit, work).destroy(closeReason('normal'));
    expect(a.destroyed.map((r) => r.code)).toEqual(['normal']);
    expect(a.reset).toEqual([]);

    const b = pushedConduit(true);
    const gb = new ConduitGate(b.conduit, work);
    gb.resetOnDestroy();
    gb.destroy(closeReason('timeout'));
    expect(b.reset.map((r) => r.code)).toEqual(['timeout']);
    expect(b.destroyed).toEqual([]);

    // reset() passes through; a conduit that cannot be reset is destroyed.
    const c = pushedConduit(true);
    new ConduitGate(c.conduit, work).reset(closeReason('refused'));
    expect(c.reset.map((r) => r.code)).toEqual(['refused']);
    const d = pushedConduit(false);
    const gd = new ConduitGate(d.conduit, work);
    gd.resetOnDestroy();
    gd.destroy(closeReason('timeout'));
    gd.reset(closeReason('refused'));
    expect(d.destroyed.map((r) => r.code)).toEqual(['timeout', 'refused']);
  });
  it('resetOnDestroy(false) makes destroy() a plain destroy again (the device: its Link over the gate opened)', () => {
    const work = new PreAuthWork(clock(), 0.25);
    const e = pushedConduit(true);
    const ge = new ConduitGate(e.conduit, work);
    ge.resetOnDestroy();
    ge.resetOnDestroy(false);
    ge.destroy(closeReason('protocol-error'));
    expect(e.destroyed.map((r) => r.code)).toEqual(['protocol-error']);
    expect(e.reset).toEqual([]);
  });
});

describe('InboundPreamble with a PreambleAnswer: no Link before the security stage’s first flight', () => {
  const secure = encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE });
  const ours = encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE });
  /** A TLS record header opening a ClientHello of 12 bytes, and those 12 bytes (17 in all). */
  const flight = Uint8Array.from([
    0x16,
    0x03,
    0x01,
    0x00,
    0x0c,
    0x01,
    ...Array.from({ length: 11 }, (_, i) => i),
  ]);
  const answer = {
    preamble: ours,
    secure: (p: Preamble) => 'version' in negotiatePreamble(p, 2, true),
    firstFlightLength: clientHelloRecordLength,
  };

  function answering() {
    const { conduit, data, destroyed } = pushedConduit();
    const written: Uint8Array[] = [];
    const c = {
      ...conduit,
      write: (chunks: readonly Uint8Array[]) => {
        written.push(...chunks);
        return true;
      },
    };
    const got: Uint8Array[] = [];
    const calls: { spoke: number; gone: number; answered?: boolean } = { spoke: 0, gone: 0 };
    const s = new InboundPreamble(
      c,
      {
        spoke: (h, answered) => {
          calls.spoke++;
          calls.answered = answered;
          h.data$.subscribe((chunk) => got.push(chunk));
        },
        gone: () => {
          calls.gone++;
        },
      },
      answer,
    );
    s.start();
    return { s, data, destroyed, written, got, calls };
  }

  it('answers a right preamble at once and builds the Link only when the first record is whole, bytes in order', () => {
    const { s, data, written, got, calls } = answering();
    data.next(secure);
    expect(written).toEqual([ours]); // answered as the handshake would, before any Link
    expect(calls.spoke).toBe(0);
    for (let i = 0; i < flight.length - 1; i++) {
      data.next(flight.subarray(i, i + 1));
      expect(calls.spoke).toBe(0);
    }
    expect(s.handed).toBe(false);
    data.next(Uint8Array.from([flight.at(-1)!, 0xaa])); // the record's last byte and what follows it
    expect(calls).toMatchObject({ spoke: 1, gone: 0, answered: true });
    expect(s.handed).toBe(true);
    data.next(Uint8Array.of(0xbb));
    expect([...concat(got)]).toEqual([...secure, ...flight, 0xaa, 0xbb]);
    expect(written).toHaveLength(1); // written once
  });

  it('closes with handshake-failed when the first bytes after the preamble cannot open a ClientHello', () => {
    const { data, destroyed, calls } = answering();
    data.next(Uint8Array.from([...secure, ...new TextEncoder().encode('GET / HTTP/1.1')]));
    expect(calls).toMatchObject({ spoke: 0, gone: 1 });
    expect(destroyed).toEqual([
      closeReason(
        'handshake-failed',
        'not a TLS ClientHello: record content type 71, expected 22 (handshake)',
      ),
    ]);
  });

  it('hands a preamble that does not lead to the security stage on at once (answered: the Link reports why)', () => {
    const { data, written, got, calls } = answering();
    const plain = encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 });
    data.next(plain);
    expect(written).toEqual([ours]);
    expect(calls).toMatchObject({ spoke: 1, answered: true });
    expect([...concat(got)]).toEqual([...plain]);
  });

  it('can be aborted while it reads the first flight (the pre-authentication deadline), and reports gone once', () => {
    const { s, data, destroyed, calls } = answering();
    data.next(Uint8Array.from([...secure, ...flight.subarray(0, 7)]));
    s.abort(closeReason('timeout', 'pre-authentication deadline'));
    expect(calls).toMatchObject({ spoke: 0, gone: 1 });
    expect(destroyed.map((r) => r.code)).toEqual(['timeout']);
    data.next(flight.subarray(7));
    expect(calls).toMatchObject({ spoke: 0, gone: 1 });
  });
});
