#!/usr/bin/env node
// What a session's text steps cost with cold caches (bench README, "Issue 19, session 11").
//
// Between two device processes that sleep between messages, the caches a round trip needs are cold, and a step costs
// mostly the memory and code it touches. This times each step one call at a time, after writing over EVICT_MIB of
// memory (default 2 MiB: past a core's L2; 64: past the L3), p50 per round in ns; EVICT_MIB=0 times them warm.
// Steps: 800 multiply-adds (no memory, the control), `TextDecoder` and core's `fromUtf8` on 1,000 ASCII bytes and
// on 340 CJK characters, node's UTF-8 and Latin-1 writers on 1,000 ASCII characters (with the buffer allocation).
// Needs `pnpm build` (imports dist/).
//
//   EVICT_MIB=64 N=300 node bench/cold-text.mjs
const { fromUtf8 } = await import(new URL('../dist/codec.js', import.meta.url).href);

const EVICT_MIB = Number(process.env.EVICT_MIB ?? 2);
const N = Number(process.env.N ?? 2_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const evictee = new Float64Array((EVICT_MIB * 1024 * 1024) / 8);
/** Writes one word per cache line (64 bytes) of `evictee`. */
function evict() {
  for (let i = 0; i < evictee.length; i += 8) evictee[i] += 1;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const ascii = 'm'.repeat(1000);
const asciiBytes = Buffer.from(ascii);
const cjkBytes = Buffer.from('你好世界'.repeat(85));
/** @type {Record<string, () => unknown>} */
const steps = {
  'multiply-adds (control)': () => {
    let a = 0;
    for (let i = 0; i < 800; i++) a = (a * 31 + i) | 0;
    return a;
  },
  'TextDecoder, 1,000 ASCII bytes': () => decoder.decode(asciiBytes),
  'fromUtf8, 1,000 ASCII bytes': () => fromUtf8(asciiBytes),
  'UTF-8 writer, 1,000 ASCII chars': () => {
    const m = Buffer.allocUnsafe(13 + ascii.length);
    m.write(ascii, 13, ascii.length, 'utf8');
    return m;
  },
  'Latin-1 writer, 1,000 ASCII chars': () => {
    const m = Buffer.allocUnsafe(13 + ascii.length);
    m.write(ascii, 13, ascii.length, 'latin1');
    return m;
  },
  'TextDecoder, 340 CJK chars': () => decoder.decode(cjkBytes),
  'fromUtf8, 340 CJK chars': () => fromUtf8(cjkBytes),
};

let sink = 0;
for (const step of Object.values(steps)) for (let i = 0; i < 2_000; i++) sink += step() ? 1 : 0;
/** @type {Map<string, number[]>} */
const p50s = new Map();
for (let r = 0; r < ROUNDS; r++)
  for (const [name, step] of Object.entries(steps)) {
    const t = [];
    for (let i = 0; i < N; i++) {
      if (EVICT_MIB > 0) evict();
      const t0 = process.hrtime.bigint();
      sink += step() ? 1 : 0;
      t.push(Number(process.hrtime.bigint() - t0));
    }
    t.sort((a, b) => a - b);
    p50s.set(name, [...(p50s.get(name) ?? []), t[t.length >> 1]]);
  }
console.log(`# p50 ns per call, ${EVICT_MIB} MiB evicted before each call (${ROUNDS} rounds × ${N})`);
for (const [name, v] of p50s) console.log(`${name.padEnd(36)} ${v.join(' ')}`);
if (sink < 0) console.log(sink);
