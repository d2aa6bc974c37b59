/**
 * `socket.TLSSocketServer` and `socket.TLSSocketConnection` over `node:tls` (interface_sdk-js
 * `@ohos.net.socket.d.ts`, since 10). `listen(TLSConnectOptions)` binds `address` and serves with
 * `secureOptions` (`key`, `cert`, `ca`, `protocols` default TLSv1.2, `cipherSuite`, `signatureAlgorithms`;
 * `isBidirectionalAuthentication` asks every client for a certificate signed by `ca` and refuses those without).
 * Errors: 2303100 + errno (EADDRINUSE 2303198, EADDRNOTAVAIL 2303199), 2303501 for TLS failures, 401 thrown,
 * 201 delivered.
 * @module
 */
import net from 'node:net';
import tls from 'node:tls';
import type { AsyncCallback, Callback, ErrorCallback } from '../base.js';
import { plainError } from '../errors.js';
import type { NetAddress } from '../net-connection/types.js';
import {
  admitClient,
  encodeData,
  Listeners,
  listenOnce,
  requireNetAddress,
  serverState,
  socketCall,
  socketFd,
  streamMessageInfo,
  toNetAddress,
  writeBounded,
} from './common.js';
import { requireArg } from './errors.js';
import {
  EncodingFormat,
  Protocol,
  TLS_ERR_SYS_BASE,
  type TLSConnectOptions,
  type X509CertRawData,
} from './tls.js';
import type { SocketMessageInfo, SocketStateBase, TCPExtraOptions } from './types.js';

/** A client connection of a {@link TLSSocketServer} (`on('connect')`). */
export interface TLSSocketConnection {
  /** Identifier of the client connection, unique per process. */
  clientId: number;
  send(data: string | ArrayBuffer, callback: AsyncCallback<void>): void;
  send(data: string | ArrayBuffer): Promise<void>;
  close(callback: AsyncCallback<void>): void;
  close(): Promise<void>;
  getRemoteAddress(callback: AsyncCallback<NetAddress>): void;
  getRemoteAddress(): Promise<NetAddress>;
  /** The client's certificate (DER); 2303501 when it sent none. */
  getRemoteCertificate(callback: AsyncCallback<X509CertRawData>): void;
  getRemoteCertificate(): Promise<X509CertRawData>;
  getCipherSuite(callback: AsyncCallback<Array<string>>): void;
  getCipherSuite(): Promise<Array<string>>;
  getSignatureAlgorithms(callback: AsyncCallback<Array<string>>): void;
  getSignatureAlgorithms(): Promise<Array<string>>;
  getLocalAddress(): Promise<NetAddress>;
  getSocketFd(): Promise<number>;
  on(type: 'message', callback: Callback<SocketMessageInfo>): void;
  on(type: 'close', callback: Callback<void>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'message', callback?: Callback<SocketMessageInfo>): void;
  off(type: 'close', callback?: Callback<void>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

/** A TLS server (`socket.constructTLSSocketServerInstance()`); see the module comment. */
export interface TLSSocketServer {
  /**
   * Binds and listens; while listening or while another `listen` is under way → 2303122 (EINVAL); overtaken by
   * `close` → 2303109 (EBADF).
   */
  listen(options: TLSConnectOptions, callback: AsyncCallback<void>): void;
  /**
   * Binds and listens; while listening or while another `listen` is under way → 2303122 (EINVAL); overtaken by
   * `close` → 2303109 (EBADF).
   */
  listen(options: TLSConnectOptions): Promise<void>;
  close(): Promise<void>;
  getState(callback: AsyncCallback<SocketStateBase>): void;
  getState(): Promise<SocketStateBase>;
  /** keepAlive and TCPNoDelay apply to connections accepted afterwards; the rest is accepted without effect. */
  setExtraOptions(options: TCPExtraOptions, callback: AsyncCallback<void>): void;
  setExtraOptions(options: TCPExtraOptions): Promise<void>;
  /** The server's certificate, PEM. */
  getCertificate(callback: AsyncCallback<X509CertRawData>): void;
  getCertificate(): Promise<X509CertRawData>;
  /** The highest protocol the server offers (`"TLSv1.2"` / `"TLSv1.3"`). */
  getProtocol(callback: AsyncCallback<string>): void;
  getProtocol(): Promise<string>;
  getLocalAddress(): Promise<NetAddress>;
  getSocketFd(): Promise<number>;
  on(type: 'connect', callback: Callback<TLSSocketConnection>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'connect', callback?: Callback<TLSSocketConnection>): void;
  off(type: 'error', callback?: ErrorCallback): void;
}

const OPTS = { base: TLS_ERR_SYS_BASE };
const tlsFailure = (e: unknown): unknown =>
  plainError(2_303_501, `SSL is null (${e instanceof Error ? e.message : String(e)})`);

function pemBytes(pem: string | Buffer | Array<string | Buffer> | undefined): X509CertRawData | undefined {
  if (pem === undefined) return undefined;
  const first = Array.isArray(pem) ? pem[0] : pem;
  if (first === undefined) return undefined;
  return { data: new Uint8Array(Buffer.from(first)), encodingFormat: EncodingFormat.FORMAT_PEM };
}

class TlsConnectionImpl {
  readonly #events = new Listeners();
  readonly #socket: tls.TLSSocket;

  constructor(
    socket: tls.TLSSocket,
    readonly clientId: number,
  ) {
    this.#socket = socket;
    socket.on('data', (bytes: Buffer) => this.#events.emit('message', streamMessageInfo(bytes, socket)));
    socket.on('error', (e) => this.#events.emit('error', tlsFailure(e)));
    socket.on('close', () => this.#events.emit('close'));
  }

  #live(): tls.TLSSocket {
    if (this.#socket.destroyed) throw plainError(2_303_602, 'Socket is not connected');
    return this.#socket;
  }

  send(data: string | ArrayBuffer, callback?: AsyncCallback<void>): Promise<void> | undefined {
    const bytes = encodeData(data);
    return socketCall(
      callback,
      () => {
        return writeBounded(
          this.#live(),
          bytes,
          () =>
            plainError(
              2_303_111,
              'Resource temporarily unavailable try again (too much data waiting to be sent)',
            ),
          (e) => plainError(2_303_503, e.message),
        );
      },
      OPTS,
    );
  }

  close(callback?: AsyncCallback<void>): Promise<void> | undefined {
    return socketCall(
      callback,
      async () => {
        if (this.#socket.destroyed) return;
        await new Promise<void>((resolve) => {
          this.#socket.once('close', () => resolve());
          this.#socket.destroy();
        });
      },
      OPTS,
    );
  }

  getRemoteAddress(callback?: AsyncCallback<NetAddress>): Promise<NetAddress> | undefined {
    return socketCall(
      callback,
      () => {
        const s = this.#live();
        return toNetAddress(s.remoteAddress, s.remotePort);
      },
      OPTS,
    );
  }

  getRemoteCertificate(callback?: AsyncCallback<X509CertRawData>): Promise<X509CertRawData> | undefined {
    return socketCall(
      callback,
      () => {
        const peer = this.#live().getPeerX509Certificate();
        if (peer === undefined) throw plainError(2_303_501, 'SSL is null (the client sent no certificate)');
        return { data: new Uint8Array(peer.raw), encodingFormat: EncodingFormat.FORMAT_DER };
      },
      OPTS,
    );
  }

  getCipherSuite(callback?: AsyncCallback<Array<string>>): Promise<Array<string>> | undefined {
    return socketCall(callback, () => [this.#live().getCipher().name], OPTS);
  }

  getSignatureAlgorithms(callback?: AsyncCallback<Array<string>>): Promise<Array<string>> | undefined {
    return socketCall(callback, () => this.#live().getSharedSigalgs(), OPTS);
  }

  getLocalAddress(): Promise<NetAddress> {
    return socketCall(
      undefined,
      () => {
        const s = this.#live();
        return toNetAddress(s.localAddress, s.localPort);
      },
      OPTS,
    ) as Promise<NetAddress>;
  }

  getSocketFd(): Promise<number> {
    return socketCall(undefined, () => -1, { permission: false }) as Promise<number>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, ['message', 'close', 'error']);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, ['message', 'close', 'error']);
  }
}

class TlsServerImpl {
  readonly #events = new Listeners();
  readonly #clients = new Set<tls.TLSSocket>();
  #server: tls.Server | undefined;
  #options: TLSConnectOptions | undefined;
  #extra: TCPExtraOptions = {};
  #closed = false;
  /** A listen is under way (its server is not `#server` yet). */
  #starting = false;
  /** Calls of close(), so a listen under way knows it was closed meanwhile. */
  #closes = 0;

  listen(options: TLSConnectOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof options === 'object' && options !== null, 'options must be a TLSConnectOptions object');
    requireNetAddress(options.address, 'options.address');
    requireArg(
      typeof options.secureOptions === 'object' && options.secureOptions !== null,
      'options.secureOptions must be a TLSSecureOptions object',
    );
    return socketCall(
      callback,
      async () => {
        // Also while a listen is under way: a second server would be orphaned (listening, never closed).
        if (this.#server?.listening || this.#starting)
          throw plainError(2_303_122, 'Invalid system argument (already listening)');
        if (net.isIP(options.address.address) === 0)
          throw plainError(2_303_199, `Address not available (${options.address.address})`);
        const s = options.secureOptions;
        const protocols = s.protocols === undefined ? [Protocol.TLSv12] : [s.protocols].flat();
        const versions = [Protocol.TLSv12, Protocol.TLSv13].filter((p) => protocols.includes(p));
        let server: tls.Server;
        try {
          server = tls.createServer(
            {
              ...(s.key !== undefined ? { key: s.key, passphrase: s.password } : {}),
              ...(s.cert !== undefined ? { cert: s.cert } : {}),
              ...(s.ca !== undefined ? { ca: s.ca } : {}),
              ...(s.cipherSuite ? { ciphers: s.cipherSuite } : {}),
              ...(s.signatureAlgorithms ? { sigalgs: s.signatureAlgorithms } : {}),
              ...(options.ALPNProtocols ? { ALPNProtocols: options.ALPNProtocols } : {}),
              minVersion: versions[0] ?? Protocol.TLSv12,
              maxVersion: versions.at(-1) ?? Protocol.TLSv12,
              requestCert: s.isBidirectionalAuthentication === true,
              rejectUnauthorized: s.isBidirectionalAuthentication === true,
            },
            (c) => this.#accept(c),
          );
        } catch (e) {
          throw tlsFailure(e);
        }
        server.on('tlsClientError', (e) => this.#events.emit('error', tlsFailure(e)));
        const closes = this.#closes;
        this.#starting = true;
        try {
          await listenOnce(server, {
            host: options.address.address,
            port: options.address.port ?? 0,
            exclusive: true,
          });
        } finally {
          this.#starting = false;
        }
        if (this.#closes !== closes) {
          // close() came while listening was under way: the listen works on a closed fd (EBADF).
          await new Promise<void>((resolve) => server.close(() => resolve()));
          throw plainError(2_303_109, 'Bad file descriptor (the server was closed while listening)');
        }
        server.on('error', (e) => this.#events.emit('error', tlsFailure(e)));
        this.#server = server;
        this.#options = options;
        this.#closed = false;
      },
      OPTS,
    );
  }

  #accept(c: tls.TLSSocket): void {
    const clientId = admitClient(c);
    if (clientId === undefined) return;
    this.#clients.add(c);
    c.on('close', () => this.#clients.delete(c));
    if (this.#extra.keepAlive !== undefined) c.setKeepAlive(this.#extra.keepAlive);
    if (this.#extra.TCPNoDelay !== undefined) c.setNoDelay(this.#extra.TCPNoDelay);
    this.#events.emit('connect', new TlsConnectionImpl(c, clientId));
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
      OPTS,
    ) as Promise<void>;
  }

  getState(callback?: AsyncCallback<SocketStateBase>): Promise<SocketStateBase> | undefined {
    return socketCall(callback, () => serverState(this.#server, this.#closed), OPTS);
  }

  setExtraOptions(options: TCPExtraOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof options === 'object' && options !== null, 'options must be a TCPExtraOptions object');
    return socketCall(
      callback,
      () => {
        this.#extra = { ...this.#extra, ...options };
      },
      OPTS,
    );
  }

  getCertificate(callback?: AsyncCallback<X509CertRawData>): Promise<X509CertRawData> | undefined {
    return socketCall(
      callback,
      () => {
        const cert = pemBytes(this.#options?.secureOptions.cert);
        if (cert === undefined)
          throw plainError(2_303_501, 'SSL is null (no certificate: call listen first)');
        return cert;
      },
      OPTS,
    );
  }

  getProtocol(callback?: AsyncCallback<string>): Promise<string> | undefined {
    return socketCall(
      callback,
      () => {
        if (this.#options === undefined) throw plainError(2_303_501, 'SSL is null (call listen first)');
        const p = this.#options.secureOptions.protocols;
        const list = p === undefined ? [Protocol.TLSv12] : [p].flat();
        return list.includes(Protocol.TLSv13) ? Protocol.TLSv13 : Protocol.TLSv12;
      },
      OPTS,
    );
  }

  getLocalAddress(): Promise<NetAddress> {
    return socketCall(
      undefined,
      () => {
        const a = this.#server?.address();
        if (a === null || a === undefined || typeof a === 'string')
          throw plainError(2_303_109, 'Bad file number (call listen first)');
        return toNetAddress(a.address, a.port);
      },
      OPTS,
    ) as Promise<NetAddress>;
  }

  getSocketFd(): Promise<number> {
    return socketCall(
      undefined,
      () => {
        const fd = socketFd(this.#server);
        return typeof fd === 'number' ? fd : -1;
      },
      { permission: false },
    ) as Promise<number>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, ['connect', 'error']);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, ['connect', 'error']);
  }
}

/** Creates a TLS server socket. */
export function constructTLSSocketServerInstance(): TLSSocketServer {
  return new TlsServerImpl() as unknown as TLSSocketServer;
}
