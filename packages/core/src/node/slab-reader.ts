// The module's own binding: node's global `Buffer` is an accessor (a getter call at every use).
import { Buffer } from 'node:buffer';
import { Socket } from 'node:net';
import {
  MAX_FRAME_SIZE,
  RECEIVE_SLAB_BYTES,
  RECEIVE_SLAB_SMALL_BYTES,
  RECEIVE_SLAB_SMALL_MIN_FREE_BYTES,
  RECEIVE_SMALL_READS_TO_SHRINK,
  TLS_RECORD_BYTES,
} from '../limits.js';

/**
 * Where `net.Socket` keeps its `onread` option (a caller-supplied read buffer, node ≥ 12.10): the buffer, the
 * callback and the buffer generator, found by their descriptions on a probe socket. `null` when this node keeps them
 * elsewhere (then reading stays on node's default path).
 */
interface OnreadSlots {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

let slots: OnreadSlots | null | undefined;

/** Per socket reading into slabs: replaces where its chunks go. */
const redirect = new WeakMap<Socket, (to: (chunk: Buffer) => boolean | undefined) => void>();

function onreadSlots(): OnreadSlots | null {
  if (slots !== undefined) return slots;
  const onread = { buffer: () => Buffer.alloc(1), callback: () => true };
  const probe = new Socket({ onread } as ConstructorParameters<typeof Socket>[0]);
  const own = Object.getOwnPropertySymbols(probe);
  const find = (name: string): symbol | undefined => own.find((s) => s.description === name);
  const buffer = find('kBuffer');
  const callback = find('kBufferCb');
  const generator = find('kBufferGen');
  probe.destroy();
  slots = buffer && callback && generator ? { buffer, callback, generator } : null;
  return slots;
}

/** The native handle method that makes a stream read into a caller's buffer (node's `onread` uses it). */
interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

/**
 * Makes a connected socket (a `net.Socket`, or a `TLSSocket`, whose native TLS layer decrypts into the buffer) read
 * into slabs: every read lands at the free end of the current slab and is handed to `onChunk` as a view of it, so
 * consecutive chunks are consecutive bytes of one slab (until it is full); a slab lives as long as a view into it.
 * Slabs are {@link RECEIVE_SLAB_SMALL_BYTES} while reads are small and {@link RECEIVE_SLAB_BYTES} while data streams
 * in (a read fills its space or brings a whole TLS record); a new one starts when less than
 * {@link RECEIVE_SLAB_SMALL_MIN_FREE_BYTES} of a small slab, or less than a TLS record ({@link TLS_RECORD_BYTES}) of a
 * large one, is free.
 * This is node's `net.Socket` `onread` option — which `TLSSocket` does not take over an existing socket — applied
 * after construction. Reading then bypasses the socket's readable stream (no `data` events; EOF and errors still end
 * it as before) and never pauses.
 *
 * `frames.bytesToFrameEnd`, when set, tells where the frame being received ends (bytes missing, 0 at a boundary, -1
 * unknown) — on a TCP conduit the Link's decoder (`Conduit.frameBoundaries`), on the secure conduit a
 * {@link FrameTracker} over the plaintext. While data streams, a frame whose rest fits is finished in the current slab,
 * a read ends where a frame ends when a largest frame would not fit behind it, and a new slab starts at a boundary
 * when a largest frame might not fit, so frames are not split over two slabs.
 *
 * Call it with no data waiting in the socket's readable buffer (read that first). Returns false, changing nothing,
 * when this node does not offer the mechanism.
 */
export function readIntoSlabs(
  socket: Socket,
  onChunk: (chunk: Buffer) => void,
  frames?: { bytesToFrameEnd?: () => number },
): boolean {
  const s = onreadSlots();
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (!s || !handle || typeof handle.useUserBuffer !== 'function') return false;
  let streaming = false;
  let smallReads = 0;
  let slab = Buffer.allocUnsafeSlow(RECEIVE_SLAB_SMALL_BYTES);
  let used = 0;
  const next = (): Buffer => {
    const size = streaming ? RECEIVE_SLAB_BYTES : RECEIVE_SLAB_SMALL_BYTES;
    const minFree = streaming ? TLS_RECORD_BYTES : RECEIVE_SLAB_SMALL_MIN_FREE_BYTES;
    let free = slab.length - used;
    let renew = slab.length !== size || free < minFree;
    // Frames should not straddle two slabs (planning for the largest frame): inside a frame whose rest fits, finish
    // it in this slab even in less than `minFree`; at a boundary start a fresh slab when a largest frame might not fit.
    const hint = streaming && slab.length === size ? frames?.bytesToFrameEnd : undefined;
    const left = hint === undefined ? -1 : hint();
    if (left > 0 && left <= free) renew = false;
    else if (left === 0 && free < MAX_FRAME_SIZE) renew = true;
    if (renew) {
      slab = Buffer.allocUnsafeSlow(size);
      used = 0;
      free = size;
    }
    // Inside a frame: stop this read where it ends when a largest frame would not fit behind it.
    if (left > 0 && left < free && free - left < MAX_FRAME_SIZE) return slab.subarray(used, used + left);
    return slab.subarray(used);
  };
  const slots = socket as unknown as Record<symbol, unknown>;
  slots[s.generator] = next;
  let sink: (chunk: Buffer) => boolean | undefined = (chunk) => {
    onChunk(chunk);
    return undefined;
  };
  // Returning false stops the native reads until the readable stream asks for more (only after slabsToStream).
  slots[s.callback] = (n: number, buffer: Buffer): boolean | undefined => {
    used += n;
    if (n === buffer.length || n >= TLS_RECORD_BYTES) {
      streaming = true;
      smallReads = 0;
    } else if (streaming && ++smallReads >= RECEIVE_SMALL_READS_TO_SHRINK) streaming = false;
    return sink(buffer.subarray(0, n));
  };
  redirect.set(socket, (to) => {
    sink = to;
  });
  const first = slab.subarray(0);
  slots[s.buffer] = first;
  handle.useUserBuffer(first);
  return true;
}

/**
 * Hands a socket that {@link readIntoSlabs} set up back to its readable stream: from now on every read is pushed
 * into it (a view of the slab, which is never written twice), so a new owner gets `data` events, `pause()` and
 * `read()` as usual — and node:tls, which wraps the socket's handle, finds what arrived in between there.
 */
export function slabsToStream(socket: Socket): void {
  redirect.get(socket)?.((chunk) => socket.push(chunk));
}
/**
 * Follows the Link's frame boundaries (PROTOCOL.md §3: a u32 length, then that many bytes) through a byte stream,
 * reading nothing but the length fields, so a slab reader can place frames ({@link readIntoSlabs}: `{ bytesToFrameEnd: () => tracker.toBoundary }`). Bytes that are not
 * frames only mislead the placement (a frame may then be copied by the decoder), never what is delivered.
 */
export class FrameTracker {
  /** Bytes of the current frame still to come after its length field; 0 at a boundary or inside a length field. */
  private left = 0;
  /** Bytes of the current length field seen so far (0–3), and its value so far. */
  private lengthBytes = 0;
  private length = 0;
  /** Whole size in bytes (length field included) of the last frame whose length field was read; 0 before one. */
  lastFrame = 0;

  /** Bytes to the next frame boundary: 0 at a boundary, -1 inside a length field. */
  get toBoundary(): number {
    return this.lengthBytes > 0 ? -1 : this.left;
  }

  /** Follows `chunk`, the next bytes of the stream. */
  track(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.left > 0) {
        const k = Math.min(this.left, n - i);
        this.left -= k;
        i += k;
        continue;
      }
      this.length = this.length * 256 + chunk[i++]!;
      if (++this.lengthBytes === 4) {
        this.left = this.length;
        this.lastFrame = 4 + this.length;
        this.lengthBytes = 0;
        this.length = 0;
      }
    }
  }
}
