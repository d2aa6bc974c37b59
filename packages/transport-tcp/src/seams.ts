import type { Server } from 'node:net';

/**
 * Private parts of node:net (node 20) the listener relies on; `test/seams.test.ts` fails loudly when a node upgrade
 * moves them, and without them the listener falls back to deciding once the `net.Socket` exists:
 * - `Server._handle.onconnection(err, clientHandle)`: libuv's accept callback (`TCPWrap::OnConnection`), where node
 *   builds the `net.Socket` for the accepted connection (`lib/net.js` `onconnection`);
 * - the accepted `TCPWrap`'s `getpeername(out)` (fills `out.address`, 0 on success), `reset(onClose)` (closes with a
 *   TCP RST: `uv_tcp_close_reset`, what `Socket#resetAndDestroy` uses) and `close()`;
 * - `Server._connections`, which `onconnection` compares with `maxConnections` to drop a connection (`drop` event)
 *   before anything else looks at it.
 */
interface ListenHandle {
  onconnection?: (this: unknown, err: number, client: ClientHandle | undefined) => unknown;
}

interface ClientHandle {
  getpeername?: (out: { address?: string }) => number;
  reset?: (onClose: () => void) => number;
  close?: () => void;
}

const NOOP = (): void => undefined;

/**
 * Decides on every connection `server` accepts before node builds its `net.Socket`: `admit(address)` (the remote
 * address as `Socket#remoteAddress` gives it, e.g. `::ffff:127.0.0.1` on a dual-stack listener, or `''` when the peer
 * reset the connection before it was accepted) returning false resets
 * the connection (TCP RST) on the spot, never emitting `connection`. Building and destroying a `net.Socket` costs
 * 60–90 µs of CPU per connection on node 20 (measured in a connection storm), which a device would otherwise spend on
 * every connection its per-source allowance refuses. A connection node drops for `maxConnections` is left to node
 * (it drops it first, as without the hook) and never reaches `admit`, so it spends no allowance. Call once the server
 * listens.
 * @returns false, changing nothing, when this node does not offer the mechanism (then decide in `connection`).
 */
export function admitBeforeSocket(server: Server, admit: (address: string) => boolean): boolean {
  const handle = (server as unknown as { _handle?: ListenHandle | null })._handle;
  const build = handle?.onconnection;
  if (!handle || typeof build !== 'function') return false;
  const peer: { address?: string } = {};
  const counts = server as unknown as { maxConnections?: number; _connections?: number };
  // node's own check in onconnection (lib/net.js): such a connection is dropped there, before `admit` would run.
  const full = (): boolean => !!counts.maxConnections && (counts._connections ?? 0) >= counts.maxConnections;
  handle.onconnection = function (this: unknown, err: number, client: ClientHandle | undefined) {
    if (err === 0 && client && typeof client.getpeername === 'function' && !full()) {
      peer.address = undefined;
      // No address (the peer reset it while it waited in the accept queue): '' — what Socket#remoteAddress gives then.
      if (client.getpeername(peer) !== 0) peer.address = undefined;
      if (!admit(peer.address ?? '')) {
        // A reset that fails to start (the handle is closing already) still has to free the handle.
        if (typeof client.reset !== 'function' || client.reset(NOOP) !== 0) client.close?.();
        return undefined;
      }
    }
    return build.call(this, err, client);
  };
  return true;
}
