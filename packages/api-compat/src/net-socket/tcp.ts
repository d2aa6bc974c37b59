/**
 * `socket.TCPSocket`, `socket.TCPSocketServer` and `socket.TCPSocketConnection` over `node:net`.
 * @module
 */
import net from 'node:net';
import type { AsyncCallback, Callback, ErrorCallback } from '../base.js';
import { plainError, UNIVERSAL_MESSAGES } from '../errors.js';
import type { NetAddress } from '../net-connection/types.js';
import { after } from '../runtime/timers.js';
import {
  admitClient,
  BIND_TO_NETWORK,
  encodeData,
  ipVersion,
  Listeners,
  listenOnce,
  MAX_SERVER_CLIENTS,
  type NetworkSource,
  requireNetAddress,
  serverState,
  socketCall,
  socketFd,
  streamMessageInfo,
  toNetAddress,
  writeBounded,
} from './common.js';
import {
  errnoError,
  fromNodeError,
  requireArg,
  SOCKET_ERROR_CODE_BASE,
  SOCKET_SERVER_ERROR_CODE_BASE,
} from './errors.js';
import type {
  SocketMessageInfo,
  SocketStateBase,
  TCPConnectOptions,
  TCPExtraOptions,
  TCPSendOptions,
} from './types.js';
import { ProxyTypes } from './types.js';

/** Hands a connected TCPSocket's `net.Socket` to a TLSSocket (`constructTLSSocketInstance(tcpSocket)`). */
export const TAKE_SOCKET: unique symbol = Symbol('colink.socket.takeSocket');

/** `TCPConnectOptions.timeout` when absent or 0, in ms (netstack tcp_connect_options.h DEFAULT_CONNECT_TIMEOUT). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Client connections of all servers of the process at once (netstack `MAX_CLIENTS`; see common.ts). */
export { MAX_SERVER_CLIENTS };
/** Listen backlog (netstack socket_exec.cpp `USER_LIMIT`, 511). */
export const LISTEN_BACKLOG = 511;

const TCP_EVENTS = ['message', 'connect', 'close', 'error'] as const;
const CONNECTION_EVENTS = ['message', 'close', 'error'] as const;
const SERVER_EVENTS = ['connect', 'error'] as const;

/**
 * A TCP client socket (`socket.constructTCPSocketInstance()`). Methods take a callback or return a promise; 401 is
 * thrown synchronously, everything else is delivered as `{ code, message }`: 201 without ohos.permission.INTERNET,
 * 2301000 + errno for socket errors (ECONNREFUSED → 2301111, a connect that does not finish within `timeout` →
 * 2301115 EINPROGRESS as netstack's connect monitor reports it, a send or getRemoteAddress on a socket that is not
 * connected → 2301009 EBADF, not an IP address → 2301099, connect on a closed socket → 2301009, on a connected one or
 * while another connect is in progress → 2301106 EISCONN). `close` is idempotent; a connect in progress then fails
 * with 2301009.
 */
export interface TCPSocket {
  /**
   * Checks that `address` can be bound and records it for the next `connect` (port 0 = any; a port in use falls back
   * to any, as the SDK says). Node cannot hold a bound, unconnected TCP socket: the bind happens at `connect`.
   */
  bind(address: NetAddress, callback: AsyncCallback<void>): void;
  bind(address: NetAddress): Promise<void>;
  /** Connects to `options.address` within `options.timeout` ms. */
  connect(options: TCPConnectOptions, callback: AsyncCallback<void>): void;
  connect(options: TCPConnectOptions): Promise<void>;
  /** Sends `options.data`; resolves once handed to the kernel. */
  send(options: TCPSendOptions, callback: AsyncCallback<void>): void;
  send(options: TCPSendOptions): Promise<void>;
  /** Closes the connection (idempotent). */
  close(callback: AsyncCallback<void>): void;
  close(): Promise<void>;
  getRemoteAddress(callback: AsyncCallback<NetAddress>): void;
  getRemoteAddress(): Promise<NetAddress>;
  getState(callback: AsyncCallback<SocketStateBase>): void;
  getState(): Promise<SocketStateBase>;
  /** The OS file descriptor, −1 when there is none. */
  getSocketFd(callback: AsyncCallback<number>): void;
  getSocketFd(): Promise<number>;
  /**
   * keepAlive and TCPNoDelay are applied. socketTimeout (ms) is stored only: netstack sets it as SO_RCVTIMEO and its
   * receive loop keeps going on EAGAIN, so an idle connection is never closed by it. Buffer sizes, OOBInline, linger
   * and TFO are accepted without effect (Node exposes no such socket options).
   */
  setExtraOptions(options: TCPExtraOptions, callback: AsyncCallback<void>): void;
  setExtraOptions(options: TCPExtraOptions): Promise<void>;
  getLocalAddress(): Promise<NetAddress>;
  on(type: 'message', callback: Callback<SocketMessageInfo>): void;
  on(type: 'connect' | 'close', callback: Callback<void>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'message', callback?: Callback<SocketMessageInfo>): void;
  off(type: 'connect' | 'close', callback?: Callback<void>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

/**
 * A connection accepted by a `TCPSocketServer` (`on('connect')`). Errors as {@link TCPSocket}, except `send`, which
 * reports the server base 2303100 + errno as netstack does (closed connection 2303109, queue full 2303111).
 */
export interface TCPSocketConnection {
  /** Identifier of the client connection, unique per process. */
  clientId: number;
  send(options: TCPSendOptions, callback: AsyncCallback<void>): void;
  send(options: TCPSendOptions): Promise<void>;
  close(callback: AsyncCallback<void>): void;
  close(): Promise<void>;
  getRemoteAddress(callback: AsyncCallback<NetAddress>): void;
  getRemoteAddress(): Promise<NetAddress>;
  getLocalAddress(): Promise<NetAddress>;
  getSocketFd(): Promise<number>;
  on(type: 'message', callback: Callback<SocketMessageInfo>): void;
  on(type: 'close', callback: Callback<void>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'message', callback?: Callback<SocketMessageInfo>): void;
  off(type: 'close', callback?: Callback<void>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

/**
 * A TCP server (`socket.constructTCPSocketServerInstance()`). `listen` binds, listens and accepts; errors
 * 2303100 + errno (EADDRNOTAVAIL → 2303199; a port in use falls back to a random port, as the SDK documents; a
 * `listen` while listening or while another `listen` is under way → 2303122, EINVAL; a `listen` that `close` overtakes →
 * 2303109, EBADF).
 * At most 1 024 clients (`MAX_SERVER_CLIENTS`, netstack MAX_CLIENTS) at once across all servers of the process. `getLocalAddress` before `listen` → 2301009 (EBADF, the
 * client base, as netstack).
 */
export interface TCPSocketServer {
  listen(address: NetAddress, callback: AsyncCallback<void>): void;
  listen(address: NetAddress): Promise<void>;
  /** Stops listening and closes every accepted connection (since 20). */
  close(): Promise<void>;
  getState(callback: AsyncCallback<SocketStateBase>): void;
  getState(): Promise<SocketStateBase>;
  /** Applied to every connection accepted afterwards (see {@link TCPSocket.setExtraOptions}). */
  setExtraOptions(options: TCPExtraOptions, callback: AsyncCallback<void>): void;
  setExtraOptions(options: TCPExtraOptions): Promise<void>;
  getLocalAddress(): Promise<NetAddress>;
  getSocketFd(): Promise<number>;
  on(type: 'connect', callback: Callback<TCPSocketConnection>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'connect', callback?: Callback<TCPSocketConnection>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

function requireExtraOptions(options: unknown): asserts options is TCPExtraOptions {
  requireArg(typeof options === 'object' && options !== null, 'options must be a TCPExtraOptions object');
}

function applyExtraOptions(s: net.Socket, o: TCPExtraOptions): void {
  if (o.keepAlive !== undefined) s.setKeepAlive(o.keepAlive);
  if (o.TCPNoDelay !== undefined) s.setNoDelay(o.TCPNoDelay);
}

function requireSendOptions(options: unknown): asserts options is TCPSendOptions {
  requireArg(typeof options === 'object' && options !== null, 'options must be a TCPSendOptions object');
}

function writeAll(s: net.Socket, bytes: Buffer, base = SOCKET_ERROR_CODE_BASE): Promise<void> {
  return writeBounded(
    s,
    bytes,
    () => errnoError('EAGAIN', base, 'too much data waiting to be sent'),
    (e) => fromNodeError(e, base),
  );
}

/**
 * Finds a free local port on `host` (and checks the address is assignable): the SDK's `bind` before `connect`. A
 * `port` in use falls back to any port when `fallback` (TCP, netstack ExecBind), else rejects with EADDRINUSE (TLS).
 */
export async function probeBind(host: string, port: number, fallback = true): Promise<number> {
  const attempt = (p: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen({ host, port: p, exclusive: true }, () => {
        const bound = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(bound));
      });
    });
  try {
    return await attempt(port);
  } catch (e) {
    if (fallback && (e as { code?: string }).code === 'EADDRINUSE' && port !== 0) return attempt(0);
    throw e;
  }
}

class TcpSocketImpl {
  readonly #events = new Listeners();
  #socket: net.Socket | undefined;
  #local: { host: string; port: number } | undefined;
  #network: NetworkSource | undefined;
  #extra: TCPExtraOptions = {};
  #closed = false;
  #connected = false;
  /** Settles the connect in progress with an error (close while connecting); undefined when none is pending. */
  #abortConnect: ((err: unknown) => void) | undefined;

  bind(address: NetAddress, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireNetAddress(address);
    return socketCall(callback, async () => {
      if (net.isIP(address.address) === 0) throw errnoError('EADDRNOTAVAIL', undefined, address.address);
      const port = await probeBind(address.address, address.port ?? 0);
      this.#local = { host: address.address, port };
    });
  }

  connect(options: TCPConnectOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof options === 'object' && options !== null, 'options must be a TCPConnectOptions object');
    requireNetAddress(options.address, 'options.address');
    requireArg(
      options.timeout === undefined || (Number.isInteger(options.timeout) && options.timeout >= 0),
      'options.timeout must be a non-negative integer (ms)',
    );
    return socketCall(callback, () => this.#connect(options));
  }

  async #connect(options: TCPConnectOptions): Promise<void> {
    if (options.proxy !== undefined && options.proxy.type !== ProxyTypes.NONE)
      throw plainError(801, `${UNIVERSAL_MESSAGES[801]} (colink has no SOCKS5 client)`);
    if (this.#connected || this.#abortConnect !== undefined) throw errnoError('EISCONN');
    if (this.#closed && this.#socket !== undefined)
      throw errnoError('EBADF', undefined, 'the socket is closed');
    const { address } = options;
    if (net.isIP(address.address) === 0)
      throw errnoError('EADDRNOTAVAIL', undefined, `not an IP address: ${address.address}`);
    const version = ipVersion(address);
    const localAddress =
      this.#local?.host ?? (version === 4 ? this.#network?.ipv4 : this.#network?.ipv6) ?? undefined;
    const timeoutMs = options.timeout ? options.timeout : DEFAULT_CONNECT_TIMEOUT_MS;
    const s = new net.Socket();
    this.#socket = s;
    this.#closed = false;
    await new Promise<void>((resolve, reject) => {
      const cancel = after(timeoutMs, () => {
        this.#abortConnect = undefined;
        s.destroy();
        reject(errnoError('EINPROGRESS', undefined, `no connection within ${timeoutMs} ms`));
      });
      this.#abortConnect = (err) => {
        this.#abortConnect = undefined;
        cancel();
        s.destroy();
        reject(err);
      };
      s.once('error', (e) => {
        this.#abortConnect = undefined;
        cancel();
        reject(fromNodeError(e));
      });
      s.connect(
        {
          host: address.address,
          port: address.port ?? 0,
          family: version,
          ...(localAddress !== undefined ? { localAddress } : {}),
          ...(this.#local !== undefined && this.#local.port !== 0 ? { localPort: this.#local.port } : {}),
        },
        () => {
          this.#abortConnect = undefined;
          cancel();
          s.removeAllListeners('error');
          resolve();
        },
      );
    });
    this.#connected = true;
    applyExtraOptions(s, this.#extra);
    s.on('data', (bytes: Buffer) => this.#events.emit('message', streamMessageInfo(bytes, s)));
    s.on('error', (e) => this.#events.emit('error', fromNodeError(e)));
    s.on('close', () => {
      this.#connected = false;
      this.#closed = true;
      this.#events.emit('close');
    });
    this.#events.emit('connect');
  }

  send(options: TCPSendOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireSendOptions(options);
    const bytes = encodeData(options.data, options.encoding);
    return socketCall(callback, () => {
      const s = this.#socket;
      if (s === undefined || !this.#connected || s.destroyed)
        throw errnoError('EBADF', undefined, 'the socket is not connected');
      return writeAll(s, bytes);
    });
  }

  close(callback?: AsyncCallback<void>): Promise<void> | undefined {
    return socketCall(callback, async () => {
      this.#closed = true;
      // A connect in progress fails as netstack's does when its fd is closed: EBADF (2301009).
      this.#abortConnect?.(errnoError('EBADF', undefined, 'the socket was closed while connecting'));
      const s = this.#socket;
      if (s === undefined || s.destroyed) return;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.destroy();
      });
    });
  }

  getRemoteAddress(callback?: AsyncCallback<NetAddress>): Promise<NetAddress> | undefined {
    return socketCall(callback, () => {
      const s = this.#socket;
      if (s === undefined || !this.#connected)
        throw errnoError('EBADF', undefined, 'the socket is not connected');
      return toNetAddress(s.remoteAddress, s.remotePort);
    });
  }

  getLocalAddress(): Promise<NetAddress> {
    return socketCall(undefined, () => {
      const s = this.#socket;
      if (s !== undefined && this.#connected) return toNetAddress(s.localAddress, s.localPort);
      if (this.#local !== undefined) return toNetAddress(this.#local.host, this.#local.port);
      throw errnoError('EBADF', undefined, 'call bind or connect first');
    }) as Promise<NetAddress>;
  }

  getState(callback?: AsyncCallback<SocketStateBase>): Promise<SocketStateBase> | undefined {
    return socketCall(callback, () => ({
      isBound: this.#local !== undefined || this.#connected,
      isClose: this.#closed,
      isConnected: this.#connected,
    }));
  }

  getSocketFd(callback?: AsyncCallback<number>): Promise<number> | undefined {
    return socketCall(callback, () => socketFd(this.#socket), { permission: false });
  }

  setExtraOptions(options: TCPExtraOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireExtraOptions(options);
    return socketCall(callback, () => {
      this.#extra = { ...this.#extra, ...options };
      if (this.#socket !== undefined && this.#connected) applyExtraOptions(this.#socket, options);
    });
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, TCP_EVENTS);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, TCP_EVENTS);
  }

  /** The connected `net.Socket`, detached from this TCPSocket (its data now goes to the TLS layer). */
  [TAKE_SOCKET](): net.Socket | undefined {
    const s = this.#socket;
    if (s === undefined || !this.#connected) return undefined;
    s.removeAllListeners('data');
    return s;
  }

  /** `NetHandle.bindSocket`: the next `connect` leaves from the network's source address. */
  [BIND_TO_NETWORK](source: NetworkSource): void {
    if (this.#connected) throw new Error('bindSocket needs a TCPSocket that is not connected yet');
    this.#network = source;
  }
}

class TcpConnectionImpl {
  readonly #events = new Listeners();
  readonly #socket: net.Socket;

  constructor(
    socket: net.Socket,
    readonly clientId: number,
  ) {
    this.#socket = socket;
    socket.on('data', (bytes: Buffer) => this.#events.emit('message', streamMessageInfo(bytes, socket)));
    socket.on('error', (e) => this.#events.emit('error', fromNodeError(e)));
    socket.on('close', () => this.#events.emit('close'));
  }

  send(options: TCPSendOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireSendOptions(options);
    const bytes = encodeData(options.data, options.encoding);
    // netstack's TCPSocketConnection send reports the server base (TcpServerSendContext): 2303109, 2303111.
    return socketCall(
      callback,
      () => {
        if (this.#socket.destroyed)
          throw errnoError('EBADF', SOCKET_SERVER_ERROR_CODE_BASE, 'the connection is closed');
        return writeAll(this.#socket, bytes, SOCKET_SERVER_ERROR_CODE_BASE);
      },
      { base: SOCKET_SERVER_ERROR_CODE_BASE },
    );
  }

  close(callback?: AsyncCallback<void>): Promise<void> | undefined {
    return socketCall(callback, async () => {
      if (this.#socket.destroyed) return;
      await new Promise<void>((resolve) => {
        this.#socket.once('close', () => resolve());
        this.#socket.destroy();
      });
    });
  }

  getRemoteAddress(callback?: AsyncCallback<NetAddress>): Promise<NetAddress> | undefined {
    return socketCall(callback, () => {
      if (this.#socket.destroyed) throw errnoError('EBADF', undefined, 'the connection is closed');
      return toNetAddress(this.#socket.remoteAddress, this.#socket.remotePort);
    });
  }

  getLocalAddress(): Promise<NetAddress> {
    return socketCall(undefined, () => {
      if (this.#socket.destroyed) throw errnoError('EBADF', undefined, 'the connection is closed');
      return toNetAddress(this.#socket.localAddress, this.#socket.localPort);
    }) as Promise<NetAddress>;
  }

  getSocketFd(): Promise<number> {
    return socketCall(undefined, () => socketFd(this.#socket), { permission: false }) as Promise<number>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, CONNECTION_EVENTS);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, CONNECTION_EVENTS);
  }
}

class TcpServerImpl {
  readonly #events = new Listeners();
  readonly #clients = new Set<net.Socket>();
  #server: net.Server | undefined;
  #extra: TCPExtraOptions = {};
  #closed = false;
  /** A listen is under way (its server is not `#server` yet). */
  #starting = false;
  /** Calls of close(), so a listen under way knows it was closed meanwhile. */
  #closes = 0;

  listen(address: NetAddress, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireNetAddress(address);
    return socketCall(
      callback,
      async () => {
        // Also while a listen is under way: a second one would make a second server, orphaned (still listening,
        // never closed by close()).
        if (this.#server?.listening || this.#starting)
          throw errnoError('EINVAL', SOCKET_SERVER_ERROR_CODE_BASE, 'already listening');
        if (net.isIP(address.address) === 0)
          throw errnoError('EADDRNOTAVAIL', SOCKET_SERVER_ERROR_CODE_BASE, address.address);
        this.#starting = true;
        try {
          await this.#listen(address, this.#closes);
        } finally {
          this.#starting = false;
        }
      },
      { base: SOCKET_SERVER_ERROR_CODE_BASE },
    );
  }

  async #listen(address: NetAddress, closes: number): Promise<void> {
    const server = net.createServer((s) => this.#accept(s));
    const listenOn = (port: number): Promise<void> =>
      listenOnce(server, { host: address.address, port, exclusive: true, backlog: LISTEN_BACKLOG });
    try {
      await listenOn(address.port ?? 0);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EADDRINUSE' || !address.port) throw e;
      await listenOn(0); // the SDK: "If the bind operation fails, the system randomly allocates a port number."
    }
    if (this.#closes !== closes) {
      // close() came while listening was under way: netstack's listen then works on a closed fd (EBADF).
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw errnoError('EBADF', SOCKET_SERVER_ERROR_CODE_BASE, 'the server was closed while listening');
    }
    // Attached once listening, so a port in use that falls back is not reported as an 'error' event.
    server.on('error', (e) => this.#events.emit('error', fromNodeError(e, SOCKET_SERVER_ERROR_CODE_BASE)));
    this.#server = server;
    this.#closed = false;
  }

  #accept(s: net.Socket): void {
    const clientId = admitClient(s);
    if (clientId === undefined) return;
    this.#clients.add(s);
    s.on('close', () => this.#clients.delete(s));
    applyExtraOptions(s, this.#extra);
    this.#events.emit('connect', new TcpConnectionImpl(s, clientId));
  }

  close(): Promise<void> {
    return socketCall(
      undefined,
      async () => {
        this.#closed = true;
        this.#closes++;
        for (const c of this.#clients) c.destroy();
        const server = this.#server;
        if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      },
      { base: SOCKET_SERVER_ERROR_CODE_BASE },
    ) as Promise<void>;
  }

  getState(callback?: AsyncCallback<SocketStateBase>): Promise<SocketStateBase> | undefined {
    return socketCall(callback, () => serverState(this.#server, this.#closed));
  }

  setExtraOptions(options: TCPExtraOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireExtraOptions(options);
    return socketCall(callback, () => {
      this.#extra = { ...this.#extra, ...options };
    });
  }

  getLocalAddress(): Promise<NetAddress> {
    return socketCall(
      undefined,
      () => {
        const a = this.#server?.address();
        // netstack answers before listen with SOCKET_ERROR_CODE_BASE + EBADF (2301009), not the server base.
        if (a === null || a === undefined || typeof a === 'string')
          throw errnoError('EBADF', SOCKET_ERROR_CODE_BASE, 'call listen first');
        return toNetAddress(a.address, a.port);
      },
      { base: SOCKET_SERVER_ERROR_CODE_BASE },
    ) as Promise<NetAddress>;
  }

  getSocketFd(): Promise<number> {
    return socketCall(undefined, () => socketFd(this.#server), { permission: false }) as Promise<number>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, SERVER_EVENTS);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, SERVER_EVENTS);
  }
}

/** Creates a TCP client socket. */
export function constructTCPSocketInstance(): TCPSocket {
  return new TcpSocketImpl() as unknown as TCPSocket;
}

/** Creates a TCP server socket. */
export function constructTCPSocketServerInstance(): TCPSocketServer {
  return new TcpServerImpl() as unknown as TCPSocketServer;
}
