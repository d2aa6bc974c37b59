/**
 * A fresh ArrayBuffer holding exactly the bytes of `view`. Received bytes are often views into larger pooled
 * buffers (Node's `Buffer#slice` does not copy), so `view.buffer` or `view.slice().buffer` may expose other data.
 */
export function toArrayBuffer(view: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = view;
  // ArrayBuffer#slice copies once (no zero-filled allocation first); a SharedArrayBuffer's would stay shared.
  if (buffer instanceof ArrayBuffer) return buffer.slice(byteOffset, byteOffset + byteLength);
  const copy = new Uint8Array(byteLength);
  copy.set(view);
  return copy.buffer;
}
