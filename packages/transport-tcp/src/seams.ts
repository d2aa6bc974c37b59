import type { Server } from 'node:net';

/**
 * Private parts of node:net (node 20) the listener relies on; `test/seams.test.ts` fails loudly when a node upgrade
 * moves them, and without them the listener falls back to deciding once the `net.Socket` exists:
 * - `Server._handle.onconnection(err, clientHandle)`: libuv's accept callback (`TCPWrap::OnConnection`), where node
 *   builds the `net.Socket` for the accepted connection (`lib/net.js` `onconnection`) — also when called later, with
 *   the listen handle as `this`, for a connection accepted earlier and kept unread meanwhile ({@link AcceptedConnection});
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
 * A connection accepted by the listener whose `net.Socket` is not built yet (see {@link admitBeforeSocket}'s `defer`,
 * for admitted ones, and `hold`, for refused ones): libuv accepted it but nobody reads it (the kernel keeps what the
 * peer sends, up to its receive buffer). Exactly one of {@link AcceptedConnection.build} (admitted ones only) and
 * {@link AcceptedConnection.reset} must follow, or its file descriptor leaks.
 */
export class AcceptedConnection {
  #client: ClientHandle | undefined;

  /** @internal */
  constructor(
    private readonly listenHandle: unknown,
    private readonly onconnection: NonNullable<ListenHandle['onconnection']>,
    client: ClientHandle,
    /** The remote address as `Socket#remoteAddress` gives it (`''` when the peer reset it before it was accepted). */
    readonly address: string,
    /** Whether the server is at `maxConnections` now (node would drop the connection). */
    private readonly full: () => boolean = () => false,
  ) {
    this.#client = client;
  }

  /**
   * Builds the `net.Socket` now: node's own accept path runs and the server emits `connection` synchronously, before
   * this returns. When the server is at `maxConnections` by then, node would drop it with a plain close (a FIN); it
   * is reset instead (a TCP RST, like every connection the listener refuses). Nothing after the first call.
   */
  build(): void {
    const client = this.#client;
    if (!client) return;
    if (this.full()) {
      this.reset();
      return;
    }
    this.#client = undefined;
    this.onconnection.call(this.listenHandle, 0, client);
  }

  /** Ends it with a TCP RST, no socket ever built. Nothing after the first call (or after {@link build}). */
  reset(): void {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    resetHandle(client);
  }
}

/**
 * Closes an accepted handle with a TCP RST; a handle without `reset` is closed (a FIN). The `close()` after a reset
 * that fails is a last resort that frees nothing on node 20 (its `TCPWrap::Reset` marks the handle closing even when
 * libuv's `uv_tcp_close_reset` fails, and `close()` then returns at once), but such a failure needs a pending shutdown
 * or a failing `setsockopt(SO_LINGER)`, and nobody shuts down or writes to a handle accepted here.
 */
function resetHandle(client: ClientHandle): void {
  if (typeof client.reset !== 'function' || client.reset(NOOP) !== 0) client.close?.();
}

/**
 * Decides on every connection `server` accepts before node builds its `net.Socket`: `admit(address)` (the remote
 * address as `Socket#remoteAddress` gives it, e.g. `::ffff:127.0.0.1` on a dual-stack listener, or `''` when the peer
 * reset the connection before it was accepted) returning false resets
 * the connection (TCP RST) on the spot, never emitting `connection`. Building and destroying a `net.Socket` costs
 * 60–90 µs of CPU per connection on node 20 (measured in a connection storm), which a device would otherwise spend on
 * every connection its per-source allowance refuses. A connection that finds the server at `maxConnections` is reset
 * at once too (node would close it with a FIN and emit `drop`; there is no `drop` event for it) and never reaches
 * `admit`, so it spends no allowance. Call once the server listens.
 *
 * `hooks.defer` (optional) is then asked about each admitted connection: returning true, it takes the
 * {@link AcceptedConnection} over — its socket is built when it calls `build()` (later, e.g. in a work slice), or it
 * is reset by `reset()`, having never had one; returning false, the socket is built at once. The `maxConnections`
 * check runs again inside `build()`: a deferred connection admitted while there was room is reset there (a RST, not
 * node's plain close) if the server filled up meanwhile (no `connection`; the caller gives back what `admit` spent
 * on it). `hooks.hold` (optional)
 * is asked likewise about each refused connection: returning true, it takes it over (and resets it later: it must
 * never build it); returning false, it is reset at once.
 * @returns false, changing nothing, when this node does not offer the mechanism (then decide in `connection`).
 */
export function admitBeforeSocket(
  server: Server,
  admit: (address: string) => boolean,
  hooks: {
    readonly defer?: (connection: AcceptedConnection) => boolean;
    readonly hold?: (connection: AcceptedConnection) => boolean;
  } = {},
): boolean {
  const { defer, hold } = hooks;
  const handle = (server as unknown as { _handle?: ListenHandle | null })._handle;
  const build = handle?.onconnection;
  if (!handle || typeof build !== 'function') return false;
  const peer: { address?: string } = {};
  const counts = server as unknown as { maxConnections?: number; _connections?: number };
  // node's own check in onconnection (lib/net.js): such a connection is dropped there, before `admit` would run.
  const full = (): boolean => !!counts.maxConnections && (counts._connections ?? 0) >= counts.maxConnections;
  handle.onconnection = function (this: unknown, err: number, client: ClientHandle | undefined) {
    if (err === 0 && client && typeof client.getpeername === 'function') {
      if (full()) {
        // node's own check would close it (a FIN); refused like every connection the listener refuses: a RST.
        resetHandle(client);
        return undefined;
      }
      peer.address = undefined;
      // No address (the peer reset it while it waited in the accept queue): '' — what Socket#remoteAddress gives then.
      if (client.getpeername(peer) !== 0) peer.address = undefined;
      const address = peer.address ?? '';
      if (!admit(address)) {
        if (!hold?.(new AcceptedConnection(this, build, client, address, full))) resetHandle(client);
        return undefined;
      }
      if (defer?.(new AcceptedConnection(this, build, client, address, full))) return undefined;
    }
    return build.call(this, err, client);
  };
  return true;
}
