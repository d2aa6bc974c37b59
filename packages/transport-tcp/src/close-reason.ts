import { type CloseReason, closeReason } from '@colink/core';

/**
 * errno codes meaning the path to the peer failed (Linux `errno(3)`; Node reports them as `err.code`). They all map
 * to core's `lost`.
 */
export const LOST_ERRNO: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'ECONNABORTED',
  'ECONNREFUSED',
  'EADDRNOTAVAIL',
  'ENOTCONN',
]);

/**
 * Maps a socket error to a core {@link CloseReason}: every errno of {@link LOST_ERRNO} (and any other socket
 * failure) is `lost`, with the errno in `detail.errno`. A `ECONNRESET` is the peer's doing and is marked `remote`.
 */
export function socketErrorReason(err: NodeJS.ErrnoException): CloseReason {
  const errno = err.code ?? 'UNKNOWN';
  return closeReason('lost', `TCP ${errno}: ${err.message}`, {
    ...(errno === 'ECONNRESET' ? { remote: true } : {}),
    detail: { errno, known: LOST_ERRNO.has(errno) },
  });
}

/** The reason of a conduit the peer closed cleanly (FIN): `normal`, reported by the remote side. */
export const REMOTE_FIN: CloseReason = closeReason('normal', 'peer closed the TCP connection', {
  remote: true,
});
