import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../src/codec.js';
import { FrameTracker } from '../src/node/slab-reader.js';
import { FrameType } from '../src/wire.js';

describe('FrameTracker', () => {
  it('finds every frame boundary of a stream cut anywhere, and the size of the frame it last entered', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 30 }),
        (payloads, cuts) => {
          const frames = payloads.map((n, i) => encodeFrame(FrameType.DATA, 0, 1, i, new Uint8Array(n)));
          const stream = Buffer.concat(frames);
          const ends = new Set<number>();
          let at = 0;
          for (const f of frames) {
            at += f.length;
            ends.add(at);
          }
          const t = new FrameTracker();
          let pos = 0;
          let cut = 0;
          while (pos < stream.length) {
            const n = Math.min(cuts[cut++ % cuts.length]!, stream.length - pos);
            t.track(stream.subarray(pos, pos + n));
            pos += n;
            // Bytes to the next boundary: 0 exactly at a frame end, -1 inside a length field, else the distance.
            const start = [0, ...ends].filter((e) => e <= pos).reduce((a, b) => Math.max(a, b));
            const next = [...ends].find((e) => e > pos);
            if (start === pos) expect(t.toBoundary).toBe(0);
            else if (pos - start < 4) expect(t.toBoundary).toBe(-1);
            else {
              expect(t.toBoundary).toBe(next! - pos);
              expect(t.lastFrame).toBe(next! - start);
            }
          }
          expect(t.toBoundary).toBe(0);
          expect(t.lastFrame).toBe(frames.at(-1)!.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
