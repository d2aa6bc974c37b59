import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncSubject, Subject } from 'rxjs';
import { expect } from 'vitest';
import { type CloseReason, closeReason } from '../src/errors.js';
import { ConduitInbound } from '../src/inbound.js';
import { Link, type LinkOptions } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import { createDeviceSecurity, type DeviceSecurityOptions } from '../src/security/device-security.js';
import type { TlsSecurity } from '../src/security/tls-security.js';
import type { Conduit, DeviceAdvert } from '../src/transport.js';

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs and forgets every cleanup registered by the helpers (call in afterEach). */
export async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** A fresh state directory under the OS temp dir, removed by {@link cleanup}. */
export async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'colink-sec-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A device security setup in a fresh state directory. */
export async function security(
  options: Omit<DeviceSecurityOptions, 'stateDir'> & { stateDir?: string } = {},
) {
  return createDeviceSecurity({ ...options, stateDir: options.stateDir ?? (await stateDir()) });
}

export function advertOf(sec: TlsSecurity, name: string): DeviceAdvert {
  return { networkId: sec.networkId, deviceName: name, deviceType: 'pc' };
}

/**
 * How TLS meets the socket: `'native'` — the conduit offers `detachSocket()` and node:tls wraps the socket's handle
 * (what transport-tcp does); `'stream'` — it does not, and TLS runs over the conduit's `data$`/`write()` (every other
 * medium).
 */
export type TlsPath = 'native' | 'stream';

/**
 * A core Conduit over a connected node:net socket (the test's own adapter, kept small on purpose): corked writes,
 * `drain` as drain$, FIN/errors as closed$, data held until the first subscriber; `detachSocket()` on the native path.
 */
export function socketConduit(socket: Socket, path: TlsPath = 'native'): Conduit {
  socket.setNoDelay(true);
  const inbound = new ConduitInbound();
  const drain = new Subject<void>();
  const closed = new AsyncSubject<CloseReason>();
  let reason: CloseReason | undefined;
  const onData = (c: Buffer): void => {
    if (!inbound.push(c)) socket.pause();
  };
  socket.on('data', onData);
  socket.on('drain', () => drain.next());
  socket.on('end', () => {
    reason ??= closeReason('normal', 'peer closed', { remote: true });
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    reason ??= closeReason('lost', e.code ?? e.message);
  });
  socket.on('close', () => {
    inbound.complete();
    drain.complete();
    closed.next(reason ?? closeReason('lost', 'socket closed'));
    closed.complete();
  });
  return {
    medium: 'tcp',
    localAddress: `${socket.localAddress}:${socket.localPort}`,
    remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
    maxFrameSize: 65_548,
    data$: inbound.data$,
    drain$: drain.asObservable(),
    closed$: closed.asObservable(),
    write(chunks) {
      if (chunks.length === 1) return socket.write(chunks[0]!);
      socket.cork();
      let ok = true;
      for (const c of chunks) ok = socket.write(c);
      socket.uncork();
      return ok;
    },
    end(r) {
      reason ??= r;
      socket.end();
    },
    destroy(r) {
      reason ??= r;
      socket.destroy();
    },
    ...(path === 'native'
      ? {
          detachSocket() {
            socket.pause();
            socket.off('data', onData);
            return socket;
          },
        }
      : {}),
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  );
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** Two Conduits over one real loopback TCP connection: [dialer, acceptor]. */
export async function tcpConduitPair(path: TlsPath = 'native'): Promise<[Conduit, Conduit]> {
  let accept!: (s: Socket) => void;
  const accepted = new Promise<Socket>((r) => {
    accept = r;
  });
  const port = await listen(createServer((s) => accept(s)));
  const c = netConnect(port, '127.0.0.1');
  await new Promise<void>((r) => c.once('connect', () => r()));
  const s = await accepted;
  cleanups.push(() => {
    c.destroy();
    s.destroy();
  });
  return [socketConduit(c, path), socketConduit(s, path)];
}

/** Per-direction byte hook of {@link tcpProxy}: returns the bytes to forward (may alter them). */
export type Tap = (chunk: Buffer, direction: 'a->b' | 'b->a') => Buffer;

/**
 * A loopback TCP relay between a dialer and an acceptor that sees (and may alter) every byte on the wire:
 * [dialer conduit, acceptor conduit]. `tap` runs on each chunk.
 */
export async function tcpProxy(tap: Tap, path: TlsPath = 'native'): Promise<[Conduit, Conduit]> {
  let acceptorSocket!: (s: Socket) => void;
  const acceptor = new Promise<Socket>((r) => {
    acceptorSocket = r;
  });
  const target = createServer((s) => acceptorSocket(s));
  const targetPort = await listen(target);
  const relay = createServer((fromA) => {
    const toB = netConnect(targetPort, '127.0.0.1');
    toB.setNoDelay(true);
    fromA.setNoDelay(true);
    fromA.on('data', (c: Buffer) => toB.write(tap(c, 'a->b')));
    toB.on('data', (c: Buffer) => fromA.write(tap(c, 'b->a')));
    fromA.on('end', () => toB.end());
    toB.on('end', () => fromA.end());
    fromA.on('error', () => toB.destroy());
    toB.on('error', () => fromA.destroy());
    fromA.on('close', () => toB.destroy());
    toB.on('close', () => fromA.destroy());
    cleanups.push(() => {
      fromA.destroy();
      toB.destroy();
    });
  });
  const relayPort = await listen(relay);
  const a = netConnect(relayPort, '127.0.0.1');
  await new Promise<void>((r) => a.once('connect', () => r()));
  const b = await acceptor;
  cleanups.push(() => {
    a.destroy();
    b.destroy();
  });
  return [socketConduit(a, path), socketConduit(b, path)];
}

/** Options of {@link securedLinks}. */
export interface SecuredLinksOptions {
  /** Default: an in-memory conduit pair. */
  readonly conduits?: [Conduit, Conduit];
  /** Device names in HELLO. Default `['alpha', 'beta']`. */
  readonly names?: readonly [string, string];
  readonly link?: Partial<LinkOptions>;
}

/** Two Links (initiator, responder) over a conduit pair, each with its own security (or none); not awaited. */
export function securedLinks(
  secA: TlsSecurity | undefined,
  secB: TlsSecurity | undefined,
  options: SecuredLinksOptions = {},
): [Link, Link] {
  const [ca, cb] = options.conduits ?? createConduitPair();
  const [na, nb] = options.names ?? ['alpha', 'beta'];
  const mk = (
    c: Conduit,
    role: 'initiator' | 'responder',
    sec: TlsSecurity | undefined,
    name: string,
  ): Link =>
    new Link(c, {
      role,
      local: sec ? advertOf(sec, name) : plainAdvert(name),
      keepAliveIntervalMs: 0,
      ...(sec ? { security: sec } : {}),
      ...options.link,
    });
  const a = mk(ca, 'initiator', secA, na);
  const b = mk(cb, 'responder', secB, nb);
  cleanups.push(() => {
    a.abort(closeReason('normal'));
    b.abort(closeReason('normal'));
  });
  return [a, b];
}

/** An advert for a device without security (networkId from the name). */
export function plainAdvert(name: string): DeviceAdvert {
  return { networkId: createHash('sha256').update(name).digest('hex'), deviceName: name, deviceType: 'pc' };
}

/** Registers a cleanup step. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** How `opened` rejects when the handshake is refused: the refusing side's own error, else the close. */
export const HANDSHAKE_REFUSAL = expect.stringMatching(/^ERR_(UNTRUSTED|HANDSHAKE_FAILED|CLOSED)$/);
