import type { Server } from 'node:net';

/**
 * @internal Starts `server` listening on `host:port`. Without a host: on `::` (every IPv4 and IPv6 address,
 * dual-stack), falling back to `0.0.0.0` when the host has no IPv6 (`EAFNOSUPPORT`, `EADDRNOTAVAIL`). Used by the
 * transport's own listener and by the gatekeeper process.
 * @throws the listen error (`EADDRINUSE`, `EACCES`, …) as node reports it.
 */
export async function listenDualStack(server: Server, host: string | undefined, port: number): Promise<void> {
  try {
    await listenOn(server, host ?? '::', port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
    await listenOn(server, '0.0.0.0', port);
  }
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
