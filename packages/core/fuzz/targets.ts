/**
 * Fuzz targets of @colink/core: every decoder that reads bytes from a peer before (or without) trusting it. Run by
 * `test/decoders.property.test.ts`, replayed from `test/corpus/` by `test/corpus.test.ts`, fuzzed by `pnpm fuzz`.
 * @module
 */
import fc from 'fast-check';
import {
  bytes,
  chunked,
  defineTarget,
  describeError,
  ensure,
  type FuzzTarget,
  hostileString,
  hostileValue,
  typed,
} from '../../../scripts/fuzz/kit.js';
import {
  MAX_DEVICE_NAME_BYTES,
  MAX_DEVICE_TYPE_BYTES,
  NETWORK_ID_PATTERN,
  parseAdvert,
} from '../src/advert.js';
import {
  decodeClosePayload,
  decodeJsonObject,
  decodePreamble,
  encodeClosePayload,
  encodeFrame,
  encodeJson,
  encodePreamble,
  type Frame,
  FrameDecoder,
  fromUtf8,
} from '../src/codec.js';
import { ColinkError, closeReason, ErrorCode } from '../src/errors.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_PAYLOAD, PREAMBLE_BYTES } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import {
  CLIENT_HELLO_HEAD_BYTES,
  clientHelloRecordLength,
  TLS_MAX_PLAINTEXT_BYTES,
  TLS_RECORD_HEADER_BYTES,
} from '../src/security/client-hello.js';
import { MAX_VERDICT_REASON_BYTES, TRUST_MESSAGE_BYTES } from '../src/security/constants.js';
import {
  decodeTrust,
  encodeTrust,
  encodeVerdict,
  TRUST_MAGIC,
  TRUST_VERSION,
  type VerdictCode,
  verdictOf,
} from '../src/security/trust-messages.js';
import { Transfer, type TransferProgress } from '../src/transfer.js';

/** Accepts only `ColinkError`s with one of `codes`. */
function colink(...codes: string[]): (e: unknown) => boolean {
  return (e) => e instanceof ColinkError && codes.includes(e.code);
}
const protocolError = colink(ErrorCode.PROTOCOL);

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  flags: fc.integer({ min: 0, max: 255 }),
  channel: fc.integer({ min: 0, max: 0xffff }),
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: MAX_FRAME_PAYLOAD }).map((n) => new Uint8Array(n)) },
  ),
});

/** A frame header announcing `length` (the u32 after the length field) with nothing after it. */
function headerWithLength(length: number): Uint8Array {
  const h = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(h.buffer).setUint32(0, length >>> 0);
  return h;
}

/** Byte streams a peer may send after the preamble: garbage, valid frames, corrupted frames, huge lengths. */
const streamArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.array(frameArb, { maxLength: 6 }).map((fs) => Buffer.concat(fs.map((f) => encode(f)))),
  fc
    .tuple(fc.array(frameArb, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
    .map(([fs, at, value]) => {
      const b = Buffer.concat(fs.map((f) => encode(f)));
      b[at % b.length] = value;
      return b;
    }),
  fc
    .constantFrom(0, 1, 7, 8, 9, MAX_FRAME_PAYLOAD + 8, MAX_FRAME_PAYLOAD + 9, 2 ** 31, 2 ** 32 - 1)
    .map(headerWithLength),
);

function encode(f: {
  type: number;
  flags: number;
  channel: number;
  seq: number;
  payload: Uint8Array;
}): Buffer {
  return Buffer.from(encodeFrame(f.type, f.flags, f.channel, f.seq, f.payload));
}

const frameDecoder = defineTarget({
  name: 'core.frame-decoder',
  description:
    'FrameDecoder over any byte stream in any chunking: frames or ERR_PROTOCOL, payloads ≤ the limit, bytes held < one frame',
  arbitrary: fc.record({
    chunks: chunked(streamArb),
    maxPayload: fc.constantFrom(MAX_FRAME_PAYLOAD, 64, 0),
  }),
  check({ chunks, maxPayload }) {
    const decoder = new FrameDecoder(maxPayload);
    let total = 0;
    for (const chunk of chunks) {
      total += chunk.length;
      const r = typed(
        () =>
          decoder.push(chunk, (f) => {
            ensure(f.payload.length <= maxPayload, `payload of ${f.payload.length} bytes > ${maxPayload}`);
            ensure(
              f.channel <= 0xffff && f.seq <= 0xffffffff && f.type <= 255 && f.flags <= 255,
              'field range',
            );
          }),
        protocolError,
      );
      if (!r.ok) return; // a broken stream ends the Link
      ensure(
        decoder.pending < FRAME_HEADER_BYTES + maxPayload || decoder.pending < FRAME_HEADER_BYTES,
        `decoder holds ${decoder.pending} bytes, more than one frame of ≤ ${maxPayload}`,
      );
      ensure(decoder.pending <= total, 'holds more bytes than it received');
    }
  },
});

const frameRoundTrip = defineTarget({
  name: 'core.frame-roundtrip',
  description: 'encodeFrame → any chunking → FrameDecoder gives back every frame, byte for byte',
  arbitrary: fc.array(frameArb, { maxLength: 8 }).chain((frames) =>
    chunked(fc.constant(Buffer.concat([Buffer.alloc(0), ...frames.map((f) => encode(f))]))).map((chunks) => ({
      frames,
      chunks,
    })),
  ),
  testRuns: 300,
  check({ frames, chunks }) {
    const decoder = new FrameDecoder();
    const got: Frame[] = [];
    for (const c of chunks) decoder.push(c, (f) => got.push({ ...f, payload: f.payload.slice() }));
    ensure(got.length === frames.length, `decoded ${got.length} of ${frames.length} frames`);
    ensure(decoder.pending === 0, `${decoder.pending} bytes left over`);
    frames.forEach((f, i) => {
      const g = got[i]!;
      ensure(
        g.type === f.type && g.flags === f.flags && g.channel === f.channel && g.seq === f.seq,
        `frame ${i} header differs`,
      );
      ensure(Buffer.from(g.payload).equals(Buffer.from(f.payload)), `frame ${i} payload differs`);
    });
  },
});

const preamble = defineTarget({
  name: 'core.preamble',
  description: 'decodePreamble of any bytes: a preamble that re-encodes to the same 8 bytes, or ERR_PROTOCOL',
  arbitrary: fc.oneof(
    bytes(16),
    fc.uint8Array({ minLength: 4, maxLength: 12 }).map((b) => Buffer.concat([Buffer.from('CLNK'), b])),
  ),
  check(b) {
    const r = typed(() => decodePreamble(b), protocolError);
    if (!r.ok) {
      ensure(
        b.length < PREAMBLE_BYTES || b.subarray(0, 4).toString('latin1') !== 'CLNK',
        'refused a good preamble',
      );
      return;
    }
    ensure(
      Buffer.from(encodePreamble(r.value)).equals(b.subarray(0, PREAMBLE_BYTES)),
      'preamble does not re-encode to its bytes',
    );
  },
});

/** The head of a TLS record: mostly well-formed ClientHello record headers, with each field sometimes off. */
const clientHelloHeadArb = fc.oneof(
  bytes(12),
  fc
    .tuple(
      fc.constantFrom(22, 22, 22, 21, 23, 0),
      fc.constantFrom(3, 3, 3, 2, 0xfe),
      fc.integer({ min: 0, max: 5 }),
      fc.oneof(
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(0, 1, TLS_MAX_PLAINTEXT_BYTES, TLS_MAX_PLAINTEXT_BYTES + 1),
      ),
      fc.constantFrom(1, 1, 1, 2, 0),
      fc.uint8Array({ maxLength: 8 }),
      fc.integer({ min: 0, max: 14 }),
    )
    .map(([type, major, minor, length, message, rest, cut]) =>
      Buffer.concat([Buffer.of(type, major, minor, length >> 8, length & 0xff, message), rest]).subarray(
        0,
        cut,
      ),
    ),
);

const clientHello = defineTarget({
  name: 'core.client-hello',
  description:
    "clientHelloRecordLength of any head: 0 before 6 bytes, else the record's size (6..16,389) for a handshake record opening a ClientHello, or ERR_HANDSHAKE_FAILED",
  arbitrary: clientHelloHeadArb,
  check(b) {
    const r = typed(() => clientHelloRecordLength(b), colink(ErrorCode.HANDSHAKE_FAILED));
    if (b.length < CLIENT_HELLO_HEAD_BYTES) {
      ensure(r.ok && r.value === 0, 'judged a head shorter than 6 bytes');
      return;
    }
    const length = (b[3]! << 8) | b[4]!;
    const good =
      b[0] === 22 &&
      b[1] === 3 &&
      b[2]! >= 1 &&
      b[2]! <= 3 &&
      length >= 1 &&
      length <= TLS_MAX_PLAINTEXT_BYTES &&
      b[5] === 1;
    if (!r.ok) {
      ensure(!good, 'refused a well-formed ClientHello record header');
      return;
    }
    ensure(good, 'accepted a head that cannot open a TLS ClientHello');
    ensure(r.value === TLS_RECORD_HEADER_BYTES + length, `size ${r.value} is not 5 + ${length}`);
  },
});

/** A UTF-16 code unit no valid UTF-8 decodes to. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const closePayload = defineTarget({
  name: 'core.close-payload',
  description:
    'decodeClosePayload of any bytes: code + valid UTF-8 message that re-encodes identically, or ERR_PROTOCOL',
  arbitrary: fc.oneof(
    bytes(600),
    fc
      .tuple(fc.integer({ min: 0, max: 255 }), hostileString(600))
      .map(([c, m]) => Buffer.from(encodeClosePayload(c, m))),
  ),
  check(b) {
    const r = typed(() => decodeClosePayload(b), protocolError);
    if (!r.ok) return;
    ensure(r.value.code >= 0 && r.value.code <= 255, 'code out of range');
    ensure(!LONE_SURROGATE.test(r.value.message), 'message holds a lone surrogate');
    if (r.value.message.length <= 512)
      ensure(
        Buffer.from(encodeClosePayload(r.value.code, r.value.message)).equals(b),
        'does not re-encode identically',
      );
  },
});

/** The reference: WHATWG's strict UTF-8 decoder, keeping a leading U+FEFF. */
const referenceUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Characters of 1 to 4 UTF-8 bytes, so that texts take every path of fromUtf8 (ASCII, mixed, mostly non-ASCII). */
const utf8CharArb = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
);

const utf8Text = defineTarget({
  name: 'core.utf8',
  description:
    'fromUtf8 of any bytes (texts of every script, then corrupted): exactly what the strict WHATWG decoder gives, or ERR_PROTOCOL where it throws',
  arbitrary: fc.oneof(
    bytes(300),
    fc.array(utf8CharArb, { maxLength: 400 }).map((cps) => Buffer.from(String.fromCodePoint(...cps))),
    fc
      .tuple(
        fc.array(utf8CharArb, { minLength: 20, maxLength: 400 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
      )
      .map(([cps, at, value]) => {
        const b = Buffer.from(String.fromCodePoint(...cps));
        b[at % b.length] = value;
        return b;
      }),
    fc.tuple(fc.array(utf8CharArb, { minLength: 20, maxLength: 400 }), fc.nat()).map(([cps, cut]) => {
      const b = Buffer.from(String.fromCodePoint(...cps));
      return b.subarray(0, cut % b.length);
    }),
    fc
      .array(fc.integer({ min: 0x80, max: 0x10ffff }), { minLength: 30, maxLength: 200 })
      .map((cps) =>
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from(String.fromCodePoint(...cps.filter((c) => c < 0xd800 || c > 0xdfff))),
        ]),
      ),
  ),
  check(b) {
    let want: string | undefined;
    try {
      want = referenceUtf8.decode(b);
    } catch {
      want = undefined;
    }
    const r = typed(() => fromUtf8(b), protocolError);
    if (want === undefined) ensure(!r.ok, 'decoded bytes the strict decoder rejects');
    else {
      ensure(r.ok, 'rejected valid UTF-8');
      ensure(r.value === want, 'decodes differently from the strict decoder');
    }
  },
});

const jsonObject = defineTarget({
  name: 'core.json-object',
  description: 'decodeJsonObject of any bytes (JSON-looking or not): a plain object, or ERR_PROTOCOL',
  arbitrary: fc.oneof(
    bytes(300),
    fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify({ v }))),
    fc.string({ unit: 'binary', maxLength: 60 }).map((s) => Buffer.from(`{"a":"${s}"}`)),
    fc.integer({ min: 1, max: 20_000 }).map((n) => Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`)),
    fc.integer({ min: 1, max: 20_000 }).map((n) => Buffer.from(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)),
  ),
  check(b) {
    const r = typed(() => decodeJsonObject(b), protocolError);
    if (!r.ok) return;
    ensure(r.value !== null && typeof r.value === 'object' && !Array.isArray(r.value), 'not a plain object');
  },
});

const NID = 'a1'.repeat(32);
const advertArb: fc.Arbitrary<unknown> = fc.oneof(
  hostileValue(),
  fc.record(
    {
      networkId: fc.oneof(
        fc.constant(NID),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.string({ maxLength: 70 }),
        hostileValue(),
      ),
      deviceName: fc.oneof(
        hostileString(140),
        fc.constant('x'.repeat(MAX_DEVICE_NAME_BYTES + 1)),
        hostileValue(),
      ),
      deviceType: fc.oneof(fc.constantFrom('phone', 'pc', '2in1'), hostileString(40), hostileValue()),
      bleMac: fc.oneof(
        fc.constantFrom('AA:BB:CC:DD:EE:FF', 'aa-bb-cc-dd-ee-ff', 'aabbccddeeff', 'AA:BB:CC:DD:EE'),
        hostileValue(),
      ),
      services: fc.oneof(
        fc.array(hostileString(30), { maxLength: 70 }),
        fc.array(fc.constantFrom('', 'x'.repeat(256), 's'), { maxLength: 70 }),
        hostileValue(),
      ),
      extra: hostileValue(),
    },
    { requiredKeys: [] },
  ),
);

/** Checks a parsed advert against the limits parseAdvert promises. */
function checkAdvert(a: ReturnType<typeof parseAdvert>): void {
  ensure(NETWORK_ID_PATTERN.test(a.networkId), 'networkId');
  ensure(Buffer.byteLength(a.deviceName) <= MAX_DEVICE_NAME_BYTES, 'deviceName too long');
  ensure(Buffer.byteLength(a.deviceType) <= MAX_DEVICE_TYPE_BYTES, 'deviceType too long');
  ensure(a.bleMac === undefined || /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/.test(a.bleMac), 'bleMac not normalized');
  ensure(
    Object.keys(a).every((k) => ['networkId', 'deviceName', 'deviceType', 'bleMac', 'services'].includes(k)),
    'extra keys',
  );
  const again = parseAdvert(a, 'parsed');
  ensure(JSON.stringify(again) === JSON.stringify(a), 'parseAdvert is not idempotent');
}

const advert = defineTarget({
  name: 'core.advert',
  description: 'parseAdvert of any value: an advert within every limit (and idempotent), or ERR_PROTOCOL',
  arbitrary: advertArb,
  check(v) {
    const r = typed(() => parseAdvert(v, 'fuzz'), protocolError);
    if (r.ok) checkAdvert(r.value);
  },
});

const hello = defineTarget({
  name: 'core.hello',
  description:
    "a HELLO frame's payload as the Link reads it (JSON object → advert): an advert or ERR_PROTOCOL",
  arbitrary: fc.oneof(
    bytes(300),
    fc
      .record({ advert: advertArb, window: hostileValue() }, { requiredKeys: [] })
      .map((h) => Buffer.from(JSON.stringify(h, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) ?? '')),
  ),
  check(b) {
    const r = typed(() => {
      const h = decodeJsonObject(b);
      return parseAdvert(h.advert, 'HELLO');
    }, protocolError);
    if (r.ok) checkAdvert(r.value);
  },
});

const trustArb = fc.oneof(
  bytes(48),
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean())
    .map(([flags, proof, version]) =>
      Buffer.concat([Buffer.from(TRUST_MAGIC), Buffer.of(version ? TRUST_VERSION : 2, flags), proof]),
    ),
);

const trust = defineTarget({
  name: 'core.trust-message',
  description:
    'decodeTrust of any bytes: a TRUST message that re-encodes identically, or ERR_HANDSHAKE_FAILED',
  arbitrary: trustArb,
  check(b) {
    const r = typed(() => decodeTrust(b), colink(ErrorCode.HANDSHAKE_FAILED));
    if (!r.ok) return;
    ensure(b.length === TRUST_MESSAGE_BYTES, 'accepted a message of the wrong size');
    ensure(r.value.account === undefined || r.value.account.length === 32, 'proof is not 32 bytes');
    const flags = b[5]!;
    const proofZero = b.subarray(6).every((x) => x === 0);
    if ((flags & ~3) === 0 && (r.value.account !== undefined || proofZero))
      ensure(encodeTrust(r.value.account, r.value.bind).equals(b), 'does not re-encode identically');
  },
});

const VERDICT_CODES: readonly VerdictCode[] = ['accept', 'untrusted', 'declined'];

const verdict = defineTarget({
  name: 'core.verdict',
  description:
    'VERDICT: any verdict byte reads as a known verdict (unknown → untrusted); encodeVerdict keeps ≤ 255 bytes of whole UTF-8 characters',
  arbitrary: fc.record({
    byte: fc.integer({ min: 0, max: 255 }),
    verdict: fc.constantFrom(...VERDICT_CODES),
    reason: fc.oneof(hostileString(300), fc.string({ unit: 'grapheme', minLength: 60, maxLength: 200 })),
  }),
  check({ byte, verdict: v, reason }) {
    const read = verdictOf(byte);
    ensure(VERDICT_CODES.includes(read), `verdict byte ${byte} read as ${read}`);
    if (byte > 2) ensure(read === 'untrusted', 'an unknown verdict must fail closed');
    const b = encodeVerdict({ verdict: v, reason });
    ensure(verdictOf(b[0]!) === v, 'verdict does not round-trip');
    ensure(b[1] === b.length - 2 && b[1]! <= MAX_VERDICT_REASON_BYTES, 'reason length byte');
    const sent = b.subarray(2);
    const full = Buffer.from(reason, 'utf8');
    ensure(full.subarray(0, sent.length).equals(sent), 'reason is not a prefix of the UTF-8 reason');
    ensure(
      Buffer.from(sent.toString('utf8'), 'utf8').equals(sent),
      'reason was cut inside a UTF-8 character',
    );
    ensure(
      full.length <= MAX_VERDICT_REASON_BYTES
        ? sent.length === full.length
        : sent.length > MAX_VERDICT_REASON_BYTES - 4,
      'reason cut shorter than needed',
    );
  },
});

const LOCAL = { networkId: 'b2'.repeat(32), deviceName: 'fuzz-device', deviceType: 'pc' };
const PEER_HELLO = { advert: { networkId: NID, deviceName: 'peer', deviceType: 'phone' }, window: 262_144 };

const linkInbound = defineTarget({
  name: 'core.link-inbound',
  description:
    "a Link (responder) fed a peer's bytes: preamble, HELLO (valid or fuzzed), then any frames in any chunking; no throw escapes, it ends cleanly",
  arbitrary: fc.record({
    preamble: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constant(Buffer.from(encodePreamble({ minVersion: 1, maxVersion: 1, flags: 0 }))),
      },
      { weight: 1, arbitrary: bytes(10) },
    ),
    hello: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constant(
          encode({ type: 0, flags: 0, channel: 0, seq: 0, payload: encodeJson(PEER_HELLO) }),
        ),
      },
      {
        weight: 2,
        arbitrary: fc
          .record(
            { advert: advertArb, window: fc.oneof(fc.integer(), fc.double(), fc.constant(0)) },
            { requiredKeys: [] },
          )
          .map((h) =>
            encode({
              type: 0,
              flags: 0,
              channel: 0,
              seq: 0,
              payload: Buffer.from(
                JSON.stringify(h, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) ?? '',
              ),
            }),
          ),
      },
      { weight: 1, arbitrary: streamArb },
    ),
    rest: chunked(streamArb),
    accept: fc.boolean(),
  }),
  async: true,
  testRuns: 200,
  async check({ preamble, hello, rest, accept }) {
    const [mine, theirs] = createConduitPair();
    const link = new Link(mine, {
      role: 'responder',
      local: LOCAL,
      keepAliveIntervalMs: 0,
      handshakeTimeoutMs: 1_000,
    });
    link.opened.catch(() => {});
    const sub = accept
      ? link.incomingChannels$.subscribe((ch) => ch.reset(closeReason('refused')))
      : undefined;
    const drained = theirs.data$.subscribe(() => {});
    theirs.write([preamble]);
    theirs.write([hello]);
    for (const c of rest) theirs.write([c]);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    ensure(['connecting', 'open', 'closing', 'closed'].includes(link.state), `state ${link.state}`);
    link.abort(closeReason('normal'));
    const reason = await Promise.race([
      link.closed,
      new Promise((r) => setTimeout(() => r(undefined), 2_000)),
    ]);
    ensure(reason !== undefined, 'the Link did not close within 2 s of abort()');
    ensure(link.state === 'closed', `state ${link.state} after abort()`);
    sub?.unsubscribe();
    drained.unsubscribe();
    theirs.destroy(closeReason('normal'));
  },
});

const transferInbound = defineTarget({
  name: 'core.transfer-inbound',
  description:
    'Transfer.receive of any announced size fed any chunk sizes, then CLOSE or not: done with exactly the bytes when they add up, ERR_PROTOCOL past the size or on an early CLOSE, else still running; progress only grows, never past the size',
  // Chunks that add up to the size give or take a little (the boundaries matter), or to anything, then maybe more.
  arbitrary: fc
    .record({
      total: fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.constantFrom(0, 1, 1024)),
      delta: fc.oneof(fc.constantFrom(-2, -1, 0, 0, 1, 2), fc.integer({ min: -3000, max: 3000 })),
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
      tail: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 3 }),
      close: fc.boolean(),
    })
    .map(({ total, delta, cuts, tail, close }) => {
      const target = Math.max(0, total + delta);
      const at = [0, ...cuts.map((c) => Math.floor(c * target)).sort((x, y) => x - y), target];
      const chunks = at.slice(1).map((end, i) => end - at[i]!);
      return { total, chunks: [...chunks, ...tail], close };
    }),
  async: true,
  testRuns: 100,
  async check({ total, chunks, close }) {
    const [ca, cb] = createConduitPair();
    const opts = { keepAliveIntervalMs: 0 };
    const a = new Link(ca, { role: 'initiator', local: LOCAL, ...opts });
    const b = new Link(cb, { role: 'responder', local: { ...LOCAL, networkId: NID }, ...opts });
    const incoming = new Promise<Transfer>((resolve) =>
      b.incomingChannels$.subscribe((ch) => resolve(Transfer.receive(ch, total))),
    );
    await Promise.all([a.opened, b.opened]);
    const ch = a.openChannel({ proto: 'fuzz-transfer' });
    const sent: Buffer[] = [];
    for (const [i, n] of chunks.entries()) {
      const c = Buffer.alloc(n, i + 1);
      sent.push(c);
      void ch.send(c).catch(() => undefined);
    }
    if (close) void ch.close();
    const t = await incoming;
    const seen: TransferProgress[] = [];
    t.progress$.subscribe((p) => seen.push(p));
    // what must happen, message by message
    let sum = 0;
    let want: { done: Buffer } | { error: string } | undefined;
    for (const [k, n] of chunks.entries()) {
      sum += n;
      if (sum > total) want = { error: ErrorCode.PROTOCOL };
      else if (sum === total) want = { done: Buffer.concat(sent.slice(0, k + 1)) };
      if (want) break;
    }
    if (!want && close) want = { error: ErrorCode.PROTOCOL };
    const outcome = t.done.then(
      (d) => ({ d }),
      (e: unknown) => ({ e }),
    );
    // Short of the size: wait until every chunk sent was delivered (a few event-loop turns over the in-memory pair),
    // then one turn more in which a wrong ending would show — not a fixed real-time wait per input.
    const turn = (): Promise<undefined> => new Promise((r) => setImmediate(() => r(undefined)));
    const settled = await Promise.race([
      outcome,
      want
        ? new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_000))
        : (async () => {
            for (let i = 0; i < 1_000 && t.bytes < sum; i++) await turn();
            return turn();
          })(),
    ]);
    if (want === undefined) {
      ensure(settled === undefined && t.state === 'running', `settled (${t.state}) short of the size`);
      ensure(t.bytes === sum, `progress ${t.bytes}, received ${sum}`);
    } else if ('done' in want) {
      ensure(
        settled && 'd' in settled,
        () => `not done: ${settled && 'e' in settled ? describeError(settled.e) : 'hung'}`,
      );
      ensure(Buffer.from((settled as { d: Uint8Array }).d).equals(want.done), 'bytes differ from those sent');
    } else {
      ensure(settled && 'e' in settled, `no error (${t.state})`);
      const e = (settled as { e: unknown }).e;
      ensure(e instanceof ColinkError && e.code === want.error, () => `wrong error ${describeError(e)}`);
    }
    for (let i = 0; i < seen.length; i++) {
      ensure(seen[i]!.bytes <= total, `progress ${seen[i]!.bytes} past the size ${total}`);
      if (i > 0) ensure(seen[i]!.bytes >= seen[i - 1]!.bytes, 'progress went back');
    }
    a.abort(closeReason('normal'));
    await b.closed;
  },
});

/** Targets of @colink/core. */
export const targets: readonly FuzzTarget[] = [
  frameDecoder,
  frameRoundTrip,
  preamble,
  clientHello,
  closePayload,
  utf8Text,
  jsonObject,
  advert,
  hello,
  trust,
  verdict,
  linkInbound,
  transferInbound,
];
