import './with-resolvers.js';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Link, type SecurityUpgrade } from '@colink/core';
import type { TcpTransport } from '@colink/transport-tcp';
import { multiaddr } from '@multiformats/multiaddr';
import type { Libp2p } from 'libp2p';
import type { BareTlsOptions } from './secure.js';
import { sorted } from './stats.js';

/**
 * One open byte pipe of a stack under test, reduced to what the throughput and round-trip loops need, so every
 * stack runs exactly the same loop.
 */
export interface Pipe {
  /** Queues `chunk`. Returns a promise when the caller must wait before writing more (backpressure). */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Called with the size of every received chunk or message. */
  onBytes(listener: (n: number) => void): void;
  close(): Promise<void>;
}

/** How many Link sends may be pending at once (each resolves when handed to the socket). */
const LINK_SENDS_IN_FLIGHT = 16;

/** A Pipe over a connected node:net or node:tls socket: `write` waits for `drain` when the socket says so. */
function socketPipe(s: Socket): Pipe {
  return {
    write: (chunk) => (s.write(chunk) ? undefined : once(s, 'drain').then(() => undefined)),
    onBytes: (listener) => s.on('data', (c: Buffer) => listener(c.length)),
    close: async () => {
      s.destroy();
    },
  };
}

/** A raw node:net socket (noDelay) to 127.0.0.1:`port`. */
export async function rawPipe(port: number): Promise<Pipe> {
  const s = connect({ port, host: '127.0.0.1', noDelay: true });
  await once(s, 'connect');
  return socketPipe(s);
}

/**
 * A bare node:tls client to 127.0.0.1:`port`: a node:net socket (noDelay) upgraded with `tls.connect({ socket })`
 * — the route colink's security stage takes on a TCP Link — resolved once the handshake is done. `cipher` is the
 * negotiated suite, e.g. `TLS_AES_128_GCM_SHA256`.
 */
export async function tlsPipe(port: number, options: BareTlsOptions): Promise<Pipe & { cipher: string }> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  const s = tlsConnect({ ...options, socket, checkServerIdentity: () => undefined });
  await once(s, 'secureConnect');
  return { ...socketPipe(s), cipher: s.getCipher().name };
}

const benchAdvert = { networkId: 'e'.repeat(64), deviceName: 'bench', deviceType: 'pc' };

/**
 * A colink Link (core defaults) over a conduit dialled with `tcp`; with `security`, the Link runs that security
 * stage (the peer must run one too).
 */
export async function colinkPipe(
  tcp: TcpTransport,
  address: string,
  security?: SecurityUpgrade & { networkId: string },
): Promise<Pipe> {
  const link = new Link(await tcp.dial(address), {
    role: 'initiator',
    local: security ? { ...benchAdvert, networkId: security.networkId } : benchAdvert,
    ...(security ? { security } : {}),
  });
  await link.opened;
  const inFlight: Promise<void>[] = [];
  return {
    write: (chunk) => {
      inFlight.push(link.send(chunk));
      return inFlight.length >= LINK_SENDS_IN_FLIGHT ? inFlight.shift() : undefined;
    },
    onBytes: (listener) => link.messages$.subscribe((m) => listener(m.byteLength)),
    close: async () => {
      await Promise.all(inFlight.splice(0));
      await link.close();
    },
  };
}

/** A js-libp2p stream for `protocol` to the node at `address` (dials a new connection when none is open). */
export async function libp2pPipe(node: Libp2p, address: string, protocol: string): Promise<Pipe> {
  const stream = await node.dialProtocol(multiaddr(address), protocol);
  return {
    write: (chunk) => (stream.send(chunk) ? undefined : stream.onDrain()),
    onBytes: (listener) => stream.addEventListener('message', (e) => listener(e.data.byteLength)),
    close: async () => {
      await stream.close();
    },
  };
}

/**
 * `warmup + n` echoes of `ping` on `pipe` (an echo pipe), one at a time, each timed until its last byte is back;
 * closes the pipe. Returns the `n` measured round trips in ascending order, µs.
 */
export async function echoRoundTrips(
  pipe: Pipe,
  ping: Uint8Array,
  n: number,
  warmup: number,
): Promise<number[]> {
  let pending = 0;
  let back: () => void = () => undefined;
  pipe.onBytes((bytes) => {
    pending -= bytes;
    if (pending <= 0) back();
  });
  const times: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    pending = ping.length;
    const arrived = new Promise<void>((resolve) => {
      back = resolve;
    });
    const t0 = performance.now();
    void pipe.write(ping);
    await arrived;
    if (i >= warmup) times.push((performance.now() - t0) * 1e3);
  }
  await pipe.close();
  return sorted(times);
}
