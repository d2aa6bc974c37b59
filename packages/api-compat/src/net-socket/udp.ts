/**
 * `socket.UDPSocket` over `node:dgram`.
 * @module
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { AsyncCallback, Callback, ErrorCallback } from '../base.js';
import { toArrayBuffer } from '../bytes.js';
import { plainError, UNIVERSAL_MESSAGES } from '../errors.js';
import type { NetAddress } from '../net-connection/types.js';
import {
  BIND_TO_NETWORK,
  encodeData,
  ipVersion,
  Listeners,
  type NetworkSource,
  requireNetAddress,
  socketCall,
  socketFd,
  toNetAddress,
} from './common.js';
import { errnoError, fromNodeError, requireArg } from './errors.js';
import type { SocketMessageInfo, SocketStateBase, UDPExtraOptions, UDPSendOptions } from './types.js';
import { ProxyTypes } from './types.js';

/** Largest UDP payload over IPv4 in bytes (65535 − 8 UDP header − 20 IPv4 header, RFC 768 / RFC 791); larger → EMSGSIZE. */
export const MAX_UDP_PAYLOAD = 65_507;

const UDP_EVENTS = ['message', 'listening', 'close', 'error'] as const;
const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * A UDP socket (`socket.constructUDPSocketInstance()`). `bind` must come first (the socket is made there, as in
 * netstack); `send` before `bind` → 2301009 (EBADF); a second `bind` (also while the first is under way) → 2301022
 * (EINVAL), a `bind` that `close` overtakes → 2301009 (EBADF); a port in use falls back to any port (netstack ExecBind). Errors as `TCPSocket`: 401 thrown, 201 / 2301000 + errno
 * delivered (EMSGSIZE → 2301090 above 65 507 bytes (`MAX_UDP_PAYLOAD`, RFC 768 over IPv4); `send` to port 0 or without
 * a port → 2301022, EINVAL, as Linux sendto).
 */
export interface UDPSocket {
  bind(address: NetAddress, callback: AsyncCallback<void>): void;
  bind(address: NetAddress): Promise<void>;
  getLocalAddress(): Promise<NetAddress>;
  send(options: UDPSendOptions, callback: AsyncCallback<void>): void;
  send(options: UDPSendOptions): Promise<void>;
  close(callback: AsyncCallback<void>): void;
  close(): Promise<void>;
  getState(callback: AsyncCallback<SocketStateBase>): void;
  getState(): Promise<SocketStateBase>;
  /**
   * broadcast and the buffer sizes (bytes) are applied; reuseAddress (SO_REUSEADDR) applies to the next `bind` (Node
   * sets it when the socket is made); socketTimeout is stored without effect (netstack: SO_RCVTIMEO only).
   */
  setExtraOptions(options: UDPExtraOptions, callback: AsyncCallback<void>): void;
  setExtraOptions(options: UDPExtraOptions): Promise<void>;
  getSocketFd(): Promise<number>;
  on(type: 'message', callback: Callback<SocketMessageInfo>): void;
  on(type: 'listening' | 'close', callback: Callback<void>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'message', callback?: Callback<SocketMessageInfo>): void;
  off(type: 'listening' | 'close', callback?: Callback<void>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

function bindDgram(s: dgram.Socket, address: string, port: number, exclusive: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    s.once('error', onError);
    s.bind({ address, port, exclusive }, () => {
      s.off('error', onError);
      resolve();
    });
  });
}

export class UdpSocketImpl {
  readonly #events = new Listeners();
  protected sock: dgram.Socket | undefined;
  protected bound = false;
  #closed = false;
  #network: NetworkSource | undefined;
  #extra: UDPExtraOptions = {};
  /** A bind is under way (its socket is not `sock` yet). */
  #binding = false;
  /** Calls of close(), so a bind under way knows it was closed meanwhile. */
  #closes = 0;

  bind(address: NetAddress, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireNetAddress(address);
    return socketCall(callback, async () => {
      // Also while a bind is under way: a second one would make a second socket and orphan the first (still bound
      // and receiving, never closed by close()).
      if (this.bound || this.#binding) throw errnoError('EINVAL', undefined, 'already bound');
      if (net.isIP(address.address) === 0) throw errnoError('EADDRNOTAVAIL', undefined, address.address);
      const version = ipVersion(address);
      const fromNetwork = version === 4 ? this.#network?.ipv4 : this.#network?.ipv6;
      const host =
        WILDCARDS.has(address.address) && fromNetwork !== undefined ? fromNetwork : address.address;
      this.#binding = true;
      try {
        await this.open(version, host, address.port ?? 0);
      } finally {
        this.#binding = false;
      }
    });
  }

  /**
   * Makes and binds the dgram socket, with SO_REUSEADDR for multicast members and when `reuseAddress` was set by
   * setExtraOptions before bind. A port in use falls back to any port (netstack ExecBind retries on EADDRINUSE).
   */
  protected async open(version: 4 | 6, host: string, port: number, reuseAddr = false): Promise<void> {
    const reuse = reuseAddr || this.#extra.reuseAddress === true;
    const closes = this.#closes;
    const attempt = async (p: number): Promise<dgram.Socket> => {
      const sock = dgram.createSocket({ type: version === 6 ? 'udp6' : 'udp4', reuseAddr: reuse });
      try {
        await bindDgram(sock, host, p, !reuse);
        return sock;
      } catch (e) {
        sock.close();
        throw e;
      }
    };
    let s: dgram.Socket;
    try {
      s = await attempt(port);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EADDRINUSE' || port === 0) throw e;
      s = await attempt(0);
    }
    if (this.#closes !== closes) {
      // close() came while binding was under way: netstack's bind then works on a closed fd (EBADF).
      await new Promise<void>((resolve) => s.close(() => resolve()));
      throw errnoError('EBADF', undefined, 'the socket was closed while binding');
    }
    this.sock = s;
    this.bound = true;
    this.#closed = false;
    this.#apply(this.#extra);
    s.on('message', (bytes: Buffer, rinfo: dgram.RemoteInfo) =>
      this.#events.emit('message', {
        message: toArrayBuffer(bytes),
        remoteInfo: {
          address: rinfo.address,
          family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
          port: rinfo.port,
          size: rinfo.size,
        },
      } satisfies SocketMessageInfo),
    );
    s.on('error', (e) => this.#events.emit('error', fromNodeError(e)));
    s.on('close', () => {
      if (this.sock === s) this.#events.emit('close');
    });
    this.#events.emit('listening');
  }

  #apply(o: UDPExtraOptions): void {
    const s = this.sock;
    if (s === undefined) return;
    if (o.broadcast !== undefined) s.setBroadcast(o.broadcast);
    if (o.receiveBufferSize !== undefined && o.receiveBufferSize > 0)
      s.setRecvBufferSize(o.receiveBufferSize);
    if (o.sendBufferSize !== undefined && o.sendBufferSize > 0) s.setSendBufferSize(o.sendBufferSize);
  }

  getLocalAddress(): Promise<NetAddress> {
    return socketCall(undefined, () => {
      const s = this.sock;
      if (s === undefined || !this.bound) throw errnoError('EBADF', undefined, 'call bind first');
      const a = s.address();
      return toNetAddress(a.address, a.port);
    }) as Promise<NetAddress>;
  }

  send(options: UDPSendOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof options === 'object' && options !== null, 'options must be a UDPSendOptions object');
    requireNetAddress(options.address, 'options.address');
    const bytes = encodeData(options.data);
    return socketCall(callback, () => {
      if (options.proxy !== undefined && options.proxy.type !== ProxyTypes.NONE)
        throw plainError(801, `${UNIVERSAL_MESSAGES[801]} (colink has no SOCKS5 client)`);
      const s = this.sock;
      if (s === undefined || !this.bound) throw errnoError('EBADF', undefined, 'call bind first');
      if (net.isIP(options.address.address) === 0)
        throw errnoError('EADDRNOTAVAIL', undefined, options.address.address);
      if (bytes.byteLength > MAX_UDP_PAYLOAD)
        throw errnoError('EMSGSIZE', undefined, `${bytes.byteLength} bytes`);
      // Linux sendto refuses a UDP datagram to port 0 with EINVAL (Node throws its own ERR_SOCKET_BAD_PORT).
      const port = options.address.port ?? 0;
      if (port === 0) throw errnoError('EINVAL', undefined, 'destination port 0');
      return new Promise<void>((resolve, reject) =>
        s.send(bytes, port, options.address.address, (err) => (err ? reject(fromNodeError(err)) : resolve())),
      );
    });
  }

  close(callback?: AsyncCallback<void>): Promise<void> | undefined {
    return socketCall(callback, async () => {
      this.#closed = true;
      this.#closes++;
      const s = this.sock;
      if (s === undefined || !this.bound) return;
      this.bound = false;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    });
  }

  getState(callback?: AsyncCallback<SocketStateBase>): Promise<SocketStateBase> | undefined {
    return socketCall(callback, () => ({ isBound: this.bound, isClose: this.#closed, isConnected: false }));
  }

  setExtraOptions(options: UDPExtraOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof options === 'object' && options !== null, 'options must be a UDPExtraOptions object');
    return socketCall(callback, () => {
      this.#extra = { ...this.#extra, ...options };
      this.#apply(options);
    });
  }

  getSocketFd(): Promise<number> {
    return socketCall(
      undefined,
      () => {
        return socketFd(this.sock);
      },
      { permission: false },
    ) as Promise<number>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, UDP_EVENTS);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, UDP_EVENTS);
  }

  /**
   * `NetHandle.bindSocket`: before `bind`, a wildcard bind address becomes the network's source address; after a
   * wildcard `bind`, the socket is re-bound to the network's address on the same port.
   */
  async [BIND_TO_NETWORK](source: NetworkSource): Promise<void> {
    this.#network = source;
    const s = this.sock;
    if (s === undefined || !this.bound) return;
    const a = s.address();
    if (!WILDCARDS.has(a.address)) return;
    const version = a.family === 'IPv6' ? 6 : 4;
    const local = version === 4 ? source.ipv4 : source.ipv6;
    if (local === undefined) throw new Error(`the network has no IPv${version} address`);
    this.sock = undefined;
    this.bound = false;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    await this.open(version, local, a.port);
  }
}

/** Creates a UDP socket. */
export function constructUDPSocketInstance(): UDPSocket {
  return new UdpSocketImpl() as unknown as UDPSocket;
}
