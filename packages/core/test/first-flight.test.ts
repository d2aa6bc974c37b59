import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColinkError, ErrorCode } from '../src/errors.js';
import { FirstFlight } from '../src/first-flight.js';
import { MAX_FIRST_FLIGHT_BYTES } from '../src/limits.js';
import { clientHelloRecordLength } from '../src/security/client-hello.js';

// FirstFlight: the responder's gathering of the initiator's first security bytes (handshake and pre-Link stage).

/** A ClientHello record of `n` fragment bytes (header + fragment starting with client_hello). */
const record = (n: number) =>
  Uint8Array.from([
    0x16,
    0x03,
    0x01,
    n >> 8,
    n & 0xff,
    0x01,
    ...Array.from({ length: n - 1 }, (_, i) => i & 0xff),
  ]);

describe('FirstFlight', () => {
  it('returns the whole flight, and what came with it, at the chunk that completes it — whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
        fc.uint8Array({ maxLength: 20 }),
        (n, cuts, after) => {
          const bytes = Uint8Array.from([...record(n), ...after]);
          const f = new FirstFlight(clientHelloRecordLength);
          let at = 0;
          let before = 0;
          let got: Uint8Array | undefined;
          for (let i = 0; at < bytes.length && !got; i++) {
            const end = Math.min(bytes.length, at + cuts[i % cuts.length]!);
            before = at;
            got = f.push(bytes.subarray(at, end));
            at = end;
          }
          expect(got).toBeDefined();
          expect(at).toBeGreaterThanOrEqual(5 + n); // not before the record is whole
          expect(before).toBeLessThan(5 + n); // at the chunk that completes it, not later
          expect([...got!]).toEqual([...bytes.subarray(0, at)]);
        },
      ),
    );
  });

  it('passes the stage’s refusal on, and refuses a flight larger than MAX_FIRST_FLIGHT_BYTES or still unsized there', () => {
    const bad = new FirstFlight(clientHelloRecordLength);
    expect(() => bad.push(new TextEncoder().encode('GET / HTTP/1.1'))).toThrow(
      expect.objectContaining({ code: ErrorCode.HANDSHAKE_FAILED }),
    );
    expect(() => new FirstFlight(() => MAX_FIRST_FLIGHT_BYTES + 1).push(Uint8Array.of(1))).toThrow(
      expect.objectContaining({ code: ErrorCode.PROTOCOL }),
    );
    const unsized = new FirstFlight(() => 0);
    expect(unsized.push(new Uint8Array(MAX_FIRST_FLIGHT_BYTES - 1))).toBeUndefined();
    expect(() => unsized.push(Uint8Array.of(0))).toThrow(
      expect.objectContaining({ code: ErrorCode.PROTOCOL }),
    );
    expect(FirstFlight.closeReasonOf(new ColinkError(ErrorCode.PROTOCOL, 'x')).code).toBe('protocol-error');
    expect(FirstFlight.closeReasonOf(new ColinkError(ErrorCode.HANDSHAKE_FAILED, 'y'))).toEqual({
      code: 'handshake-failed',
      message: 'y',
    });
  });
});
