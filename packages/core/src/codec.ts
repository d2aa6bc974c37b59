// The module's own binding: node's global `Buffer` is an accessor (a getter call at every use).
import { Buffer, isUtf8, transcode } from 'node:buffer';
import { CLOSE_CODES, type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import {
  FRAME_HEADER_BYTES,
  MAX_CONTROL_PAYLOAD,
  MAX_FRAME_PAYLOAD,
  PREAMBLE_BYTES,
  RECEIVE_SLAB_SMALL_BYTES,
} from './limits.js';

/** Frame types of the colink wire protocol (PROTOCOL.md §4). */
export const FrameType = {
  HELLO: 0x00,
  DATA: 0x01,
  WINDOW: 0x02,
  OPEN: 0x03,
  CLOSE: 0x04,
  RESET: 0x05,
  PING: 0x06,
  PONG: 0x07,
  GOAWAY: 0x08,
  /** Protocol v2: per-channel continuation on another Link (PROTOCOL.md §4.10). */
  RESUME: 0x09,
  /** Protocol v2: cumulative acknowledgement of complete messages (PROTOCOL.md §4.11). */
  ACK: 0x0a,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Frame flag bits (PROTOCOL.md §3). */
export const FrameFlags = {
  /** DATA: this fragment ends its message. */
  FIN: 0x01,
} as const;

/** A decoded frame. `payload` may be a view into a received chunk: copy it before keeping it past the callback. */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly channel: number;
  readonly seq: number;
  readonly payload: Uint8Array;
}

const MAGIC = [0x43, 0x4c, 0x4e, 0x4b]; // "CLNK"

/** Preamble flag: the sender wants the secure (authenticated, encrypted) stage. */
export const PREAMBLE_FLAG_SECURE = 0x0001;

/** The 8-byte connection preamble (PROTOCOL.md §2). */
export interface Preamble {
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flags: number;
}

/** Encodes a preamble. */
export function encodePreamble(p: Preamble): Uint8Array {
  const b = new Uint8Array(PREAMBLE_BYTES);
  b.set(MAGIC, 0);
  b[4] = p.minVersion;
  b[5] = p.maxVersion;
  b[6] = (p.flags >>> 8) & 0xff;
  b[7] = p.flags & 0xff;
  return b;
}

/**
 * Whether the first `Math.min(b.length, 4)` bytes of `b` agree with the preamble's magic ("CLNK", PROTOCOL.md §1): a
 * responder rejects a stranger's garbage on its first byte, without an exception (no `Error` with a stack trace per
 * hostile connection). Also for code that checks a preamble before a Link exists (transport-tcp's gatekeeper
 * process); `decodePreamble` decodes a whole one.
 */
export function preambleMagicPrefixOk(b: Uint8Array): boolean {
  const n = Math.min(b.length, MAGIC.length);
  for (let i = 0; i < n; i++) if (b[i] !== MAGIC[i]) return false;
  return true;
}

/** Decodes a preamble; throws `ERR_PROTOCOL` when the magic is wrong. */
export function decodePreamble(b: Uint8Array): Preamble {
  if (b.length < PREAMBLE_BYTES || MAGIC.some((m, i) => b[i] !== m)) {
    throw new ColinkError(ErrorCode.PROTOCOL, 'peer did not send the colink preamble (bad magic)');
  }
  return { minVersion: b[4]!, maxVersion: b[5]!, flags: (b[6]! << 8) | b[7]! };
}

/** Writes a 12-byte frame header for a payload of `payloadLength` bytes into `into` at `offset`. */
export function writeHeader(
  into: Uint8Array,
  offset: number,
  type: number,
  flags: number,
  channel: number,
  seq: number,
  payloadLength: number,
): void {
  const len = payloadLength + FRAME_HEADER_BYTES - 4;
  into[offset] = len >>> 24;
  into[offset + 1] = (len >>> 16) & 0xff;
  into[offset + 2] = (len >>> 8) & 0xff;
  into[offset + 3] = len & 0xff;
  into[offset + 4] = type;
  into[offset + 5] = flags;
  into[offset + 6] = channel >>> 8;
  into[offset + 7] = channel & 0xff;
  into[offset + 8] = seq >>> 24;
  into[offset + 9] = (seq >>> 16) & 0xff;
  into[offset + 10] = (seq >>> 8) & 0xff;
  into[offset + 11] = seq & 0xff;
}

/**
 * Encodes a 12-byte frame header for a payload of `payloadLength` bytes. The header is a slice of node's Buffer pool:
 * a socket writes it as it is, where a bare `Uint8Array` of 12 bytes (kept inside the JS heap by V8) would first be
 * moved out of the heap into a buffer of its own.
 */
export function encodeHeader(
  type: number,
  flags: number,
  channel: number,
  seq: number,
  payloadLength: number,
): Uint8Array {
  const h: Uint8Array = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  writeHeader(h, 0, type, flags, channel, seq, payloadLength);
  return h;
}

/**
 * Encodes a whole frame into one buffer: control frames, and small DATA frames, which are cheaper copied once than
 * written as header + payload (one socket write instead of a corked writev). Buffers of ≤ 4 KiB come from node's
 * pool.
 */
export function encodeFrame(
  type: number,
  flags: number,
  channel: number,
  seq: number,
  payload: Uint8Array = EMPTY,
): Uint8Array {
  const out: Uint8Array = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeHeader(out, 0, type, flags, channel, seq, payload.length);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export const EMPTY = new Uint8Array(0);

/**
 * Incremental frame decoder over a byte stream with arbitrary chunk boundaries. A payload that lies within one
 * received chunk is handed out as a view (no copy); only payloads split across chunks are copied once.
 * Throws `ERR_PROTOCOL` on a frame larger than `maxPayload`.
 */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Offset into chunks[0]. */
  private offset = 0;
  /** Scratch for a header split over chunks; allocated the first time one is (a Link that never gets a frame has none). */
  private headerScratch: Uint8Array | undefined;

  constructor(private readonly maxPayload: number = MAX_FRAME_PAYLOAD) {}

  /** Bytes held, waiting for the rest of a frame. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Feeds a chunk and calls `onFrame` for every complete frame, in order. When `onFrame` returns `false`, decoding
   * stops after that frame: the bytes behind it stay buffered (see {@link FrameDecoder.takeBuffered}).
   */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => unknown): void {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    while (this.buffered >= FRAME_HEADER_BYTES) {
      // The header is read in place when the first chunk holds all of it (no view per frame), else copied together.
      const first = this.chunks[0]!;
      const inPlace = first.length - this.offset >= FRAME_HEADER_BYTES;
      const head = inPlace ? first : this.peek(FRAME_HEADER_BYTES, this.scratch());
      const o = inPlace ? this.offset : 0;
      const len = ((head[o]! << 24) >>> 0) + (head[o + 1]! << 16) + (head[o + 2]! << 8) + head[o + 3]!;
      const payloadLength = len - (FRAME_HEADER_BYTES - 4);
      if (payloadLength < 0 || payloadLength > this.maxPayload) {
        throw new ColinkError(
          ErrorCode.PROTOCOL,
          `frame payload of ${payloadLength} bytes is outside 0..${this.maxPayload}`,
        );
      }
      if (this.buffered < FRAME_HEADER_BYTES + payloadLength) return;
      const type = head[o + 4]!;
      const flags = head[o + 5]!;
      const channel = (head[o + 6]! << 8) | head[o + 7]!;
      const seq = ((head[o + 8]! << 24) >>> 0) + (head[o + 9]! << 16) + (head[o + 10]! << 8) + head[o + 11]!;
      this.skip(FRAME_HEADER_BYTES);
      const payload = this.take(payloadLength);
      if (onFrame({ type, flags, channel, seq, payload }) === false) return;
    }
  }

  /**
   * Bytes still missing of the frame whose start is buffered: 0 when nothing is buffered (a frame boundary), -1 when
   * its header is not complete yet.
   */
  bytesToFrameEnd(): number {
    if (this.buffered === 0) return 0;
    if (this.buffered < FRAME_HEADER_BYTES) return -1;
    const head = this.peek(4, this.scratch());
    const len = ((head[0]! << 24) >>> 0) + (head[1]! << 16) + (head[2]! << 8) + head[3]!;
    return 4 + len - this.buffered;
  }

  /** Removes and returns the bytes held (the start of the next frames), e.g. to hand the stream to another reader. */
  takeBuffered(): Uint8Array[] {
    const out = this.chunks.splice(0);
    if (out.length > 0 && this.offset > 0) out[0] = out[0]!.subarray(this.offset);
    this.offset = 0;
    this.buffered = 0;
    return out;
  }

  private scratch(): Uint8Array {
    this.headerScratch ??= new Uint8Array(FRAME_HEADER_BYTES);
    return this.headerScratch;
  }

  /** Copies the next `n` buffered bytes into `into` without consuming them (n ≤ buffered). */
  private peek(n: number, into: Uint8Array): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    let filled = 0;
    let off = this.offset;
    for (const c of this.chunks) {
      const take = Math.min(c.length - off, n - filled);
      into.set(c.subarray(off, off + take), filled);
      filled += take;
      off = 0;
      if (filled === n) break;
    }
    return into;
  }

  /** Whether the `n` bytes from the current offset continue in the following chunks as consecutive bytes of one buffer. */
  private adjacent(first: Uint8Array, avail: number, n: number): boolean {
    let end = first.byteOffset + first.length;
    let have = avail;
    for (let i = 1; i < this.chunks.length && have < n; i++) {
      const c = this.chunks[i]!;
      if (c.buffer !== first.buffer || c.byteOffset !== end) return false;
      end += c.length;
      have += c.length;
    }
    return have >= n;
  }

  private skip(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const avail = first.length - this.offset;
      if (avail > n) {
        this.offset += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /**
   * Consumes `n` bytes: a view when they lie in one chunk or in consecutive bytes of one buffer (chunks a reader
   * filled one after the other, as the secure conduit's receive slabs), else one copy. A view of under an eighth of a
   * buffer of 8 KiB or more (`RECEIVE_SLAB_SMALL_BYTES`: a receive slab, a socket read, node's Buffer pool) is copied
   * too, so a payload an app keeps holds at most 8× its size of receive buffer.
   */
  private take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    const avail = first.length - this.offset;
    const start = first.byteOffset + this.offset;
    if (avail >= n || this.adjacent(first, avail, n)) {
      const buffer = first.buffer;
      const view =
        avail >= n ? first.subarray(this.offset, this.offset + n) : new Uint8Array(buffer, start, n);
      this.skip(n);
      if (buffer.byteLength >= RECEIVE_SLAB_SMALL_BYTES && n * 8 < buffer.byteLength) {
        const copy: Uint8Array = Buffer.allocUnsafe(n);
        copy.set(view);
        return copy;
      }
      return view;
    }
    // Every byte is written below: skip the zero-fill of `new Uint8Array(n)` (a memset as large as the frame).
    const out: Uint8Array = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length - this.offset, n - filled);
      out.set(c.subarray(this.offset, this.offset + take), filled);
      filled += take;
      if (this.offset + take === c.length) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += take;
      }
    }
    this.buffered -= n;
    return out;
  }
}

const encoder = new TextEncoder();
/** Strict (invalid bytes throw) and exact (a leading U+FEFF is kept: it is part of the text, not a byte-order mark). */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Texts of at least this many bytes whose first {@link UTF8_SAMPLE_BYTES} bytes hold at least
 * {@link UTF8_SAMPLE_NON_ASCII} non-ASCII bytes are decoded by ICU ({@link fromUtf8}).
 */
const UTF8_TRANSCODE_MIN_BYTES = 64;
/** Bytes {@link fromUtf8} samples from the start of a text to choose its decoder. */
const UTF8_SAMPLE_BYTES = 32;
/**
 * Non-ASCII bytes in the sample from which ICU decodes. V8's UTF-8 decoder (behind `TextDecoder` and
 * `Buffer#toString`) copies runs of ASCII fast but costs ~11 ns per other character on node 20: 3.9 µs for 340 CJK
 * characters (1,020 bytes), where validating (`isUtf8`, simdutf, 0.1 µs) and transcoding to UTF-16 with ICU
 * (`transcode`, ~1 ns per byte) cost 1.1 µs. For mostly-ASCII text with a few other characters V8 stays faster
 * (0.3 µs for 997 ASCII + 1 CJK character against 1 µs); a quarter of the sample picks between them.
 */
const UTF8_SAMPLE_NON_ASCII = 8;
/** `buffer.transcode`, where node has ICU (it is undefined in builds without Intl). */
const icuTranscode: typeof transcode | undefined = typeof transcode === 'function' ? transcode : undefined;

/** UTF-8 encodes a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/**
 * Cuts `s` to at most `maxBytes` bytes of UTF-8 without splitting a character (code points, so surrogate pairs
 * stay whole). Used for names with byte limits: DNS labels, TXT strings, P2P device names, SSIDs.
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (encoder.encode(s).length <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = encoder.encode(ch).length;
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * Decodes UTF-8 (RFC 3629, strictly: overlong forms, encoded surrogates and code points past U+10FFFF are invalid) to
 * the exact text: a leading U+FEFF is kept. Mostly non-ASCII text of 64 bytes or more is validated by `isUtf8` and
 * transcoded by ICU, ~3.5× faster than V8's decoder for CJK; the rest goes through `TextDecoder`.
 * @throws ColinkError `ERR_PROTOCOL` on invalid bytes.
 */
export function fromUtf8(b: Uint8Array): string {
  if (
    b.length >= UTF8_TRANSCODE_MIN_BYTES &&
    icuTranscode !== undefined &&
    b instanceof Uint8Array && // `transcode` takes no other view (a Uint8ClampedArray goes to TextDecoder)
    mostlyNonAscii(b)
  ) {
    if (!isUtf8(b)) throw new ColinkError(ErrorCode.PROTOCOL, 'invalid UTF-8');
    return icuTranscode(b, 'utf8', 'utf16le').toString('utf16le');
  }
  try {
    return decoder.decode(b);
  } catch (cause) {
    throw new ColinkError(ErrorCode.PROTOCOL, 'invalid UTF-8', { cause });
  }
}

/** Whether at least {@link UTF8_SAMPLE_NON_ASCII} of the first {@link UTF8_SAMPLE_BYTES} bytes of `b` are not ASCII. */
function mostlyNonAscii(b: Uint8Array): boolean {
  let high = 0;
  for (let i = 0; i < UTF8_SAMPLE_BYTES; i++) high += b[i]! >>> 7;
  return high >= UTF8_SAMPLE_NON_ASCII;
}

/** Encodes a JSON value as UTF-8. */
export function encodeJson(value: unknown): Uint8Array {
  return utf8(JSON.stringify(value));
}

/** Decodes a UTF-8 JSON object; throws `ERR_PROTOCOL` unless it is a plain object. */
export function decodeJsonObject(b: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(b));
  } catch (cause) {
    throw cause instanceof ColinkError
      ? cause
      : new ColinkError(ErrorCode.PROTOCOL, 'invalid JSON in control payload', { cause });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ColinkError(ErrorCode.PROTOCOL, 'control payload is not a JSON object');
  return v as Record<string, unknown>;
}

/** Longest close message in bytes of UTF-8 (PROTOCOL.md §5): a longer one received is cut to it. */
const MAX_CLOSE_MESSAGE_BYTES = 512;

/**
 * Encodes a close payload: u8 close-code wire value + UTF-8 message (PROTOCOL.md §5), cut to 512 bytes at a character
 * boundary (a character across the cut is left out whole).
 */
export function encodeClosePayload(code: number, message = ''): Uint8Array {
  const m = utf8(truncateUtf8(message, MAX_CLOSE_MESSAGE_BYTES));
  const out = new Uint8Array(1 + m.length);
  out[0] = code;
  out.set(m, 1);
  return out;
}

/**
 * Decodes a close payload (PROTOCOL.md §5): a message over 512 bytes of UTF-8 is cut to them at a character boundary.
 * @throws ColinkError `ERR_PROTOCOL` when the payload is empty (no close code).
 */
export function decodeClosePayload(b: Uint8Array): { code: number; message: string } {
  if (b.length < 1) throw new ColinkError(ErrorCode.PROTOCOL, 'empty close payload');
  // A longer message is cut (at a character boundary): a peer's reasons are kept (a PeerConnection remembers those of
  // its last ended channels), and without a cut each could be a whole frame.
  let end = b.length;
  if (end - 1 > MAX_CLOSE_MESSAGE_BYTES) {
    end = 1 + MAX_CLOSE_MESSAGE_BYTES;
    while (end > 1 && (b[end]! & 0xc0) === 0x80) end--; // b[end] continues the character before it
  }
  return { code: b[0]!, message: fromUtf8(b.subarray(1, end)) };
}

/** Reads a big-endian u32. */
export function readU32(b: Uint8Array, at = 0): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

/** Encodes a big-endian u32. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = n >>> 24;
  b[1] = (n >>> 16) & 0xff;
  b[2] = (n >>> 8) & 0xff;
  b[3] = n & 0xff;
  return b;
}

/** Wire values of the close codes (PROTOCOL.md §5), the inverse of {@link CLOSE_CODES}. */
const CLOSE_WIRE: Readonly<Record<string, number>> = Object.fromEntries(CLOSE_CODES.map((c, i) => [c, i]));

/** Largest message in a close payload, in bytes of UTF-8 (PROTOCOL.md §5). */
export const CLOSE_MESSAGE_MAX_BYTES = 512;

/**
 * Encodes a CLOSE, RESET or GOAWAY frame (12-byte header + close payload: u8 code, ≤ 512 bytes of UTF-8 message,
 * PROTOCOL.md §5). Unknown close codes are sent as `normal` (0).
 */
export function encodeCloseFrame(type: number, channel: number, reason: CloseReason): Uint8Array {
  const msg = truncateUtf8(reason.message ?? '', CLOSE_MESSAGE_MAX_BYTES);
  const body = utf8(msg);
  const f: Uint8Array = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 1 + body.length); // every byte written below
  writeHeader(f, 0, type, 0, channel, 0, 1 + body.length);
  f[FRAME_HEADER_BYTES] = CLOSE_WIRE[reason.code] ?? 0;
  f.set(body, FRAME_HEADER_BYTES + 1);
  return f;
}

/** Decodes a close payload into a {@link CloseReason} marked `remote` (unknown codes read as `normal`). */
export function decodeCloseReason(payload: Uint8Array): CloseReason {
  const { code, message } = decodeClosePayload(payload);
  return closeReason(CLOSE_CODES[code] ?? 'normal', message || undefined, { remote: true });
}

/** Encodes a WINDOW frame: `increment` bytes of credit for `channel` (u32 payload, PROTOCOL.md §6). */
export function encodeWindowFrame(channel: number, increment: number): Uint8Array {
  // Off the JS heap (node's pool), like every frame: a typed array this small lives in V8's heap, and the socket write
  // would first move it out (a backing store made and filled per frame). Every byte is written below.
  const f: Uint8Array = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeHeader(f, 0, FrameType.WINDOW, 0, channel, 0, 4);
  writeU32(f, FRAME_HEADER_BYTES, increment);
  return f;
}

/** Encodes an ACK frame (protocol v2): `received` = the number of complete messages received, mod 2³² (§4.11). */
export function encodeAckFrame(channel: number, received: number): Uint8Array {
  return encodeFrame(FrameType.ACK, 0, channel, received >>> 0);
}

/**
 * Encodes an ACK (§4.11) and then a WINDOW (§6) for the same channel into one 28-byte buffer: the two frames a
 * receiver that keeps up sends together, as one chunk of a write.
 */
export function encodeAckWindowFrames(channel: number, received: number, increment: number): Uint8Array {
  const f: Uint8Array = Buffer.allocUnsafe(2 * FRAME_HEADER_BYTES + 4); // off the JS heap, as encodeWindowFrame
  writeHeader(f, 0, FrameType.ACK, 0, channel, received >>> 0, 0);
  writeHeader(f, FRAME_HEADER_BYTES, FrameType.WINDOW, 0, channel, 0, 4);
  writeU32(f, 2 * FRAME_HEADER_BYTES, increment);
  return f;
}

/** A RESUME frame's content (protocol v2, PROTOCOL.md §4.10). */
export interface ResumeInfo {
  /** The channel. */
  readonly channel: number;
  /** Complete messages the sender received on this channel so far (mod 2³²): the peer resends from this seq. */
  readonly received: number;
  /** Bytes of credit the sender grants the peer on this channel from now on. */
  readonly credit: number;
  /**
   * The move this RESUME belongs to: the leader numbers its moves (u32, increasing), the follower echoes the number
   * it answers; a RESUME of an older move is stale and ignored (PROTOCOL.md §8.1).
   */
  readonly epoch: number;
  /** The sender opened the channel (it carries the OPEN metadata, for a peer that never saw the OPEN). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** RESUME flag bit 0: the payload carries the opener's metadata JSON after the credit. */
export const RESUME_FLAG_OPENER = 0x01;

/**
 * Encodes a RESUME frame: header (flags bit 0 = opener, seq = received), payload u32 credit, u32 epoch
 * [+ metadata JSON].
 */
export function encodeResumeFrame(info: ResumeInfo): Uint8Array {
  const meta = info.metadata ? encodeJson(info.metadata) : EMPTY;
  const payload = new Uint8Array(8 + meta.length);
  writeU32(payload, 0, info.credit);
  writeU32(payload, 4, info.epoch);
  payload.set(meta, 8);
  return encodeFrame(
    FrameType.RESUME,
    info.metadata ? RESUME_FLAG_OPENER : 0,
    info.channel,
    info.received >>> 0,
    payload,
  );
}

/** Decodes a RESUME frame; throws `ERR_PROTOCOL` on a short payload or bad metadata. */
export function decodeResumeFrame(f: Frame): ResumeInfo {
  if (f.payload.length < 8) throw new ColinkError(ErrorCode.PROTOCOL, 'RESUME payload shorter than 8 bytes');
  const credit = readU32(f.payload);
  const epoch = readU32(f.payload, 4);
  if ((f.flags & RESUME_FLAG_OPENER) === 0) return { channel: f.channel, received: f.seq, credit, epoch };
  if (f.payload.length - 8 > MAX_CONTROL_PAYLOAD)
    throw new ColinkError(ErrorCode.PROTOCOL, `RESUME metadata over ${MAX_CONTROL_PAYLOAD} bytes`);
  const metadata = decodeJsonObject(f.payload.subarray(8));
  if (typeof metadata.proto !== 'string')
    throw new ColinkError(ErrorCode.PROTOCOL, 'RESUME metadata without proto');
  return { channel: f.channel, received: f.seq, credit, epoch, metadata };
}

/** Writes a big-endian u32 into `into` at `at`. */
export function writeU32(into: Uint8Array, at: number, n: number): void {
  into[at] = n >>> 24;
  into[at + 1] = (n >>> 16) & 0xff;
  into[at + 2] = (n >>> 8) & 0xff;
  into[at + 3] = n & 0xff;
}

/** @internal `parts` (of `total` bytes in all) in one new buffer, in order. */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
