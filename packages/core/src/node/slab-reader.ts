import { Socket } from 'node:net';
import {
  MAX_FRAME_SIZE,
  RECEIVE_SLAB_BYTES,
  RECEIVE_SLAB_SMALL_BYTES,
  RECEIVE_SLAB_SMALL_MIN_FREE_BYTES,
  RECEIVE_SMALL_READS_TO_SHRINK,
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
 * in (a read fills its space or brings a whole TLS record); a new one starts when less than 4 KiB of a small slab,
 * or less than a small slab of a large one, is free.
 * This is node's `net.Socket` `onread` option — which `TLSSocket` does not take over an existing socket — applied
 * after construction. Reading then bypasses the socket's readable stream (no `data` events; EOF and errors still end
 * it as before) and never pauses.
 *
 * `frames.bytesToFrameEnd`, when set (by the Link through `Conduit.frameBoundaries`), tells where the frame being
 * received ends (bytes missing, 0 at a boundary, -1 unknown): while data streams, a read then ends after that frame
 * plus the whole largest frames that fit, and a new slab starts at a boundary when a largest frame might not fit, so
 * frames are not split over two slabs.
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
    const minFree = streaming ? RECEIVE_SLAB_SMALL_BYTES : RECEIVE_SLAB_SMALL_MIN_FREE_BYTES;
    const hint = streaming ? frames?.bytesToFrameEnd : undefined;
    if (hint !== undefined && slab.length === size) {
      // Frames should not straddle two slabs: a new slab starts at a frame boundary when a largest frame might not
      // fit, and a read ends where the current frame plus whole largest frames end (the most that surely fits).
      const free = slab.length - used;
      const need = hint();
      if (need === 0 && free < MAX_FRAME_SIZE) {
        slab = Buffer.allocUnsafeSlow(size);
        used = 0;
      } else if (need >= 0 && need < free) {
        const end = used + need + Math.floor((free - need) / MAX_FRAME_SIZE) * MAX_FRAME_SIZE;
        if (end > used) return slab.subarray(used, end);
      }
    }
    if (slab.length !== size || slab.length - used < minFree) {
      slab = Buffer.allocUnsafeSlow(size);
      used = 0;
    }
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
    if (n === buffer.length || n >= RECEIVE_SLAB_SMALL_BYTES) {
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
