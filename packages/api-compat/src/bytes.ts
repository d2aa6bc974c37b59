/**
 * A fresh ArrayBuffer holding exactly the bytes of `view`. Received bytes are often views into larger pooled
 * buffers (Node's `Buffer#slice` does not copy), so `view.buffer` or `view.slice().buffer` may expose other data.
 */
export function toArrayBuffer(view: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy.buffer;
}
