import { Socket } from 'node:net';

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
 * Makes a connected socket (a `net.Socket`, or a `TLSSocket`, whose native TLS layer decrypts into the buffer) read into slabs of
 * `slabBytes`: every read lands at the free end of the current slab and is handed to `onChunk` as a view of it; a new
 * slab starts when less than `minFree` bytes are left. Consecutive chunks are consecutive bytes of one slab (until
 * it is full), and a slab lives as long as a view into it. This is node's `net.Socket` `onread` option — which
 * `TLSSocket` does not take over an existing socket — applied after construction. Reading then bypasses the socket's
 * readable stream (no `data` events; EOF and errors still end it as before) and never pauses.
 *
 * Call it with no data waiting in the socket's readable buffer (read that first). Returns false, changing nothing,
 * when this node does not offer the mechanism.
 */
export function readIntoSlabs(
  socket: Socket,
  slabBytes: number,
  minFree: number,
  onChunk: (chunk: Buffer) => void,
): boolean {
  const s = onreadSlots();
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (!s || !handle || typeof handle.useUserBuffer !== 'function') return false;
  let slab = Buffer.allocUnsafeSlow(slabBytes);
  let used = 0;
  const next = (): Buffer => {
    if (slabBytes - used < minFree) {
      slab = Buffer.allocUnsafeSlow(slabBytes);
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
    return sink(buffer.subarray(0, n));
  };
  redirect.set(socket, (to) => {
    sink = to;
  });
  const first = next();
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
