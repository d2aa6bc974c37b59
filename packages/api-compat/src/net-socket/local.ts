/**
 * `socket.LocalSocket`, `socket.LocalSocketServer` and `socket.LocalSocketConnection` (since 11): Unix domain stream
 * sockets over `node:net` with a path. Promise form only, as the SDK; no permission (local IPC). Errors: 401 thrown,
 * 2301000 + errno delivered (a path nobody listens on: ENOENT 2301002 / ECONNREFUSED 2301111, a path in use
 * 2301098, no access 2301013), a send on a socket not connected 2301009.
 * @module
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Callback, ErrorCallback } from '../base.js';
import { toArrayBuffer } from '../bytes.js';
import { after } from '../runtime/timers.js';
import {
  admitClient,
  encodeData,
  Listeners,
  listenOnce,
  serverState,
  socketCall,
  socketFd,
  writeBounded,
} from './common.js';
import { errnoError, fromNodeError, requireArg } from './errors.js';
import type { ExtraOptionsBase, SocketStateBase } from './types.js';

/** The path of a local socket file. */
export interface LocalAddress {
  address: string;
}

/** `LocalSocket.connect` options; `timeout` in ms (0 = none, the SDK's default). */
export interface LocalConnectOptions {
  address: LocalAddress;
  timeout?: number;
}

/** `send` options of local sockets (`encoding` of a string as TCPSendOptions). */
export interface LocalSendOptions {
  data: string | ArrayBuffer;
  encoding?: string;
}

/** A received message: the bytes, the socket file's path, the length in bytes. */
export interface LocalSocketMessageInfo {
  message: ArrayBuffer;
  address: string;
  size: number;
}

/** A local client socket (`socket.constructLocalSocketInstance()`). */
export interface LocalSocket {
  /** Records the client's own socket path (Node cannot bind a client to a path: no file is made). */
  bind(address: LocalAddress): Promise<void>;
  connect(options: LocalConnectOptions): Promise<void>;
  send(options: LocalSendOptions): Promise<void>;
  close(): Promise<void>;
  getState(): Promise<SocketStateBase>;
  getSocketFd(): Promise<number>;
  /**
   * Stored and returned by getExtraOptions. socketTimeout (ms) does not close an idle connection (netstack sets it as
   * SO_RCVTIMEO and its receive loop continues on EAGAIN).
   */
  setExtraOptions(options: ExtraOptionsBase): Promise<void>;
  getExtraOptions(): Promise<ExtraOptionsBase>;
  /** The bound path (2301009 before bind). */
  getLocalAddress(): Promise<string>;
  on(type: 'message', callback: Callback<LocalSocketMessageInfo>): void;
  on(type: 'connect' | 'close', callback: Callback<void>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'message', callback?: Callback<LocalSocketMessageInfo>): void;
  off(type: 'connect' | 'close', callback?: Callback<void>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

/** A connection accepted by a {@link LocalSocketServer}. */
export interface LocalSocketConnection {
  clientId: number;
  send(options: LocalSendOptions): Promise<void>;
  close(): Promise<void>;
  /** The server's socket path. */
  getLocalAddress(): Promise<string>;
  getSocketFd(): Promise<number>;
  on(type: 'message', callback: Callback<LocalSocketMessageInfo>): void;
  on(type: 'close', callback: Callback<void>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'message', callback?: Callback<LocalSocketMessageInfo>): void;
  off(type: 'close', callback?: Callback<void>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

/** A local server (`socket.constructLocalSocketServerInstance()`); at most 1024 clients at once across all servers of the process. */
export interface LocalSocketServer {
  /**
   * Creates the socket file at `address.address` and listens (a path in use 2301098; while listening or while another
   * `listen` is under way 2301022, EINVAL; overtaken by `close` 2301009, EBADF).
   */
  listen(address: LocalAddress): Promise<void>;
  getState(): Promise<SocketStateBase>;
  setExtraOptions(options: ExtraOptionsBase): Promise<void>;
  getExtraOptions(): Promise<ExtraOptionsBase>;
  getLocalAddress(): Promise<string>;
  /** Stops listening, closes every connection and removes the socket file. */
  close(): Promise<void>;
  on(type: 'connect', callback: Callback<LocalSocketConnection>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'connect', callback?: Callback<LocalSocketConnection>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

const LOCAL = { permission: false } as const;

function requireLocalAddress(a: unknown, what: string): asserts a is LocalAddress {
  requireArg(
    typeof a === 'object' &&
      a !== null &&
      typeof (a as LocalAddress).address === 'string' &&
      (a as LocalAddress).address !== '',
    `${what} must be a LocalAddress with a path`,
  );
}

function requireSend(o: unknown): asserts o is LocalSendOptions {
  requireArg(typeof o === 'object' && o !== null, 'options must be a LocalSendOptions object');
}

function write(s: net.Socket, bytes: Buffer): Promise<void> {
  return writeBounded(
    s,
    bytes,
    () => errnoError('EAGAIN', undefined, 'too much data waiting to be sent'),
    (e) => fromNodeError(e),
  );
}

function messageInfo(bytes: Buffer, path: string): LocalSocketMessageInfo {
  return { message: toArrayBuffer(bytes), address: path, size: bytes.byteLength };
}

/**
 * `setExtraOptions`/`getExtraOptions` of a local socket or server: the options are kept and returned merged (netstack
 * applies buffer sizes and the socket timeout to the fd; Node's unix sockets expose neither). Not an object → 401.
 */
class LocalExtraOptions {
  #options: ExtraOptionsBase = {};

  set(options: ExtraOptionsBase): Promise<void> {
    requireArg(typeof options === 'object' && options !== null, 'options must be an ExtraOptionsBase object');
    return socketCall(
      undefined,
      () => {
        this.#options = { ...this.#options, ...options };
      },
      LOCAL,
    ) as Promise<void>;
  }

  get(): Promise<ExtraOptionsBase> {
    return socketCall(undefined, () => ({ ...this.#options }), LOCAL) as Promise<ExtraOptionsBase>;
  }
}

class LocalSocketImpl {
  readonly #events = new Listeners();
  #path: string | undefined;
  #socket: net.Socket | undefined;
  #connected = false;
  #closed = false;
  readonly #extra = new LocalExtraOptions();

  bind(address: LocalAddress): Promise<void> {
    requireLocalAddress(address, 'address');
    return socketCall(
      undefined,
      () => {
        this.#path = address.address;
      },
      LOCAL,
    ) as Promise<void>;
  }

  connect(options: LocalConnectOptions): Promise<void> {
    requireArg(
      typeof options === 'object' && options !== null,
      'options must be a LocalConnectOptions object',
    );
    requireLocalAddress(options.address, 'options.address');
    requireArg(
      options.timeout === undefined || (Number.isInteger(options.timeout) && options.timeout >= 0),
      'options.timeout must be a non-negative integer (ms)',
    );
    return socketCall(
      undefined,
      async () => {
        if (this.#connected) throw errnoError('EISCONN');
        const path = options.address.address;
        const s = net.connect({ path });
        this.#socket = s;
        await new Promise<void>((resolve, reject) => {
          const cancel = options.timeout
            ? after(options.timeout, () => {
                s.destroy();
                reject(errnoError('ETIMEDOUT', undefined, `no connection within ${options.timeout} ms`));
              })
            : () => undefined;
          s.once('error', (e) => {
            cancel();
            reject(fromNodeError(e));
          });
          s.once('connect', () => {
            cancel();
            s.removeAllListeners('error');
            resolve();
          });
        });
        this.#connected = true;
        this.#closed = false;
        s.on('data', (b: Buffer) => this.#events.emit('message', messageInfo(b, path)));
        s.on('error', (e) => this.#events.emit('error', fromNodeError(e)));
        s.on('close', () => {
          this.#connected = false;
          this.#closed = true;
          this.#events.emit('close');
        });
        this.#events.emit('connect');
      },
      LOCAL,
    ) as Promise<void>;
  }

  send(options: LocalSendOptions): Promise<void> {
    requireSend(options);
    const bytes = encodeData(options.data, options.encoding);
    return socketCall(
      undefined,
      () => {
        const s = this.#socket;
        if (s === undefined || !this.#connected) throw errnoError('EBADF', undefined, 'not connected');
        return write(s, bytes);
      },
      LOCAL,
    ) as Promise<void>;
  }

  close(): Promise<void> {
    return socketCall(
      undefined,
      async () => {
        this.#closed = true;
        const s = this.#socket;
        if (s === undefined || s.destroyed) return;
        await new Promise<void>((resolve) => {
          s.once('close', () => resolve());
          s.destroy();
        });
      },
      LOCAL,
    ) as Promise<void>;
  }

  getState(): Promise<SocketStateBase> {
    return socketCall(
      undefined,
      () => ({ isBound: this.#path !== undefined, isClose: this.#closed, isConnected: this.#connected }),
      LOCAL,
    ) as Promise<SocketStateBase>;
  }

  getSocketFd(): Promise<number> {
    return socketCall(undefined, () => socketFd(this.#socket), LOCAL) as Promise<number>;
  }

  setExtraOptions(options: ExtraOptionsBase): Promise<void> {
    return this.#extra.set(options);
  }

  getExtraOptions(): Promise<ExtraOptionsBase> {
    return this.#extra.get();
  }

  getLocalAddress(): Promise<string> {
    return socketCall(
      undefined,
      () => {
        if (this.#path === undefined) throw errnoError('EBADF', undefined, 'call bind first');
        return this.#path;
      },
      LOCAL,
    ) as Promise<string>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, ['message', 'connect', 'close', 'error']);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, ['message', 'connect', 'close', 'error']);
  }
}

class LocalConnectionImpl {
  readonly #events = new Listeners();

  constructor(
    readonly socket: net.Socket,
    readonly path: string,
    readonly clientId: number,
  ) {
    socket.on('data', (b: Buffer) => this.#events.emit('message', messageInfo(b, path)));
    socket.on('error', (e) => this.#events.emit('error', fromNodeError(e)));
    socket.on('close', () => this.#events.emit('close'));
  }

  send(options: LocalSendOptions): Promise<void> {
    requireSend(options);
    const bytes = encodeData(options.data, options.encoding);
    return socketCall(
      undefined,
      () => {
        if (this.socket.destroyed) throw errnoError('EBADF', undefined, 'the connection is closed');
        return write(this.socket, bytes);
      },
      LOCAL,
    ) as Promise<void>;
  }

  close(): Promise<void> {
    return socketCall(
      undefined,
      async () => {
        if (this.socket.destroyed) return;
        await new Promise<void>((resolve) => {
          this.socket.once('close', () => resolve());
          this.socket.destroy();
        });
      },
      LOCAL,
    ) as Promise<void>;
  }

  getLocalAddress(): Promise<string> {
    return socketCall(undefined, () => this.path, LOCAL) as Promise<string>;
  }

  getSocketFd(): Promise<number> {
    return socketCall(undefined, () => socketFd(this.socket), LOCAL) as Promise<number>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, ['message', 'close', 'error']);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, ['message', 'close', 'error']);
  }
}

class LocalServerImpl {
  readonly #events = new Listeners();
  readonly #clients = new Set<net.Socket>();
  #server: net.Server | undefined;
  #path: string | undefined;
  readonly #extra = new LocalExtraOptions();
  #closed = false;
  /** A listen is under way (its server is not `#server` yet). */
  #starting = false;
  /** Calls of close(), so a listen under way knows it was closed meanwhile. */
  #closes = 0;

  listen(address: LocalAddress): Promise<void> {
    requireLocalAddress(address, 'address');
    return socketCall(
      undefined,
      async () => {
        // Also while a listen is under way: a second server would be orphaned (listening, never closed).
        if (this.#server?.listening || this.#starting)
          throw errnoError('EINVAL', undefined, 'already listening');
        const path = address.address;
        const server = net.createServer((c) => {
          const clientId = admitClient(c);
          if (clientId === undefined) return;
          this.#clients.add(c);
          c.on('close', () => this.#clients.delete(c));
          this.#events.emit('connect', new LocalConnectionImpl(c, path, clientId));
        });
        const closes = this.#closes;
        this.#starting = true;
        try {
          await listenOnce(server, { path, exclusive: true });
        } finally {
          this.#starting = false;
        }
        if (this.#closes !== closes) {
          // close() came while listening was under way: the listen works on a closed fd (EBADF).
          await new Promise<void>((resolve) => server.close(() => resolve()));
          fs.rmSync(path, { force: true });
          throw errnoError('EBADF', undefined, 'the server was closed while listening');
        }
        server.on('error', (e) => this.#events.emit('error', fromNodeError(e)));
        this.#server = server;
        this.#path = path;
        this.#closed = false;
      },
      LOCAL,
    ) as Promise<void>;
  }

  getState(): Promise<SocketStateBase> {
    return socketCall(
      undefined,
      () => serverState(this.#server, this.#closed),
      LOCAL,
    ) as Promise<SocketStateBase>;
  }

  setExtraOptions(options: ExtraOptionsBase): Promise<void> {
    return this.#extra.set(options);
  }

  getExtraOptions(): Promise<ExtraOptionsBase> {
    return this.#extra.get();
  }

  getLocalAddress(): Promise<string> {
    return socketCall(
      undefined,
      () => {
        if (this.#path === undefined) throw errnoError('EBADF', undefined, 'call listen first');
        return this.#path;
      },
      LOCAL,
    ) as Promise<string>;
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
        if (this.#path !== undefined) fs.rmSync(this.#path, { force: true });
      },
      LOCAL,
    ) as Promise<void>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, ['connect', 'error']);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, ['connect', 'error']);
  }
}

/** Creates a local (Unix domain) client socket. */
export function constructLocalSocketInstance(): LocalSocket {
  return new LocalSocketImpl() as unknown as LocalSocket;
}

/** Creates a local (Unix domain) server socket. */
export function constructLocalSocketServerInstance(): LocalSocketServer {
  return new LocalServerImpl() as unknown as LocalSocketServer;
}
