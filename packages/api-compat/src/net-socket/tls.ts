/**
 * `socket.TLSSocket` over `node:tls` (interface_sdk-js `@ohos.net.socket.d.ts`, netstack `tls_socket.cpp`).
 * As in netstack, `bind` makes the socket (connect without bind → 2303600 "No bind socket") unless the TLSSocket
 * was made from a connected `TCPSocket`; `bind` checks the address like TCP's but a port in use is an error (2303198),
 * not a fallback. Errors (netstack `socket_error.h`): every system error is 2303100 + errno (ECONNREFUSED → 2303211,
 * ECONNRESET → 2303204, not an IP address → 2303199, a connect not finished within `timeout` → 2303210, a second
 * connect while connected or connecting → 2303206 (EISCONN), a connect ended by `close` → 2303109), a failed
 * handshake or certificate check 2303501 (`SSL_ERROR_SSL`), 2303600 before bind, 2303602 on a socket not connected;
 * 401 thrown, 201 delivered.
 * @module
 */
import type { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { AsyncCallback, Callback, ErrorCallback } from '../base.js';
import { plainError, UNIVERSAL_MESSAGES } from '../errors.js';
import type { NetAddress } from '../net-connection/types.js';
import { after } from '../runtime/timers.js';
import {
  encodeData,
  Listeners,
  requireNetAddress,
  socketCall,
  socketFd,
  streamMessageInfo,
  toNetAddress,
  writeBounded,
} from './common.js';
import { errnoError, isErrnoName, isSocketError, requireArg } from './errors.js';
import { probeBind, TAKE_SOCKET, type TCPSocket } from './tcp.js';
import type { ProxyOptions, SocketMessageInfo, SocketStateBase, TCPExtraOptions } from './types.js';
import { ProxyTypes } from './types.js';

/** TLS error base for system errors (netstack `TLS_ERR_SYS_BASE`): 2303100 + errno. */
export const TLS_ERR_SYS_BASE = 2_303_100;

/** netstack `socket_error.cpp` texts of the TLS codes that are not `TLS_ERR_SYS_BASE + errno`. */
const TLS_MESSAGES: Readonly<Record<number, string>> = {
  2303501: 'SSL is null',
  2303600: 'No bind socket',
  2303602: 'Socket is not connected',
};

function tlsError(code: number, detail?: string): unknown {
  const text = TLS_MESSAGES[code] ?? 'System internal error';
  return plainError(code, detail === undefined ? text : `${text} (${detail})`);
}

/**
 * Maps a Node TLS / socket error to netstack's code: a system error (a Node `code` that is a Linux errno name) is
 * `TLS_ERR_SYS_BASE + errno` with its strerror text (netstack tls_socket.cpp `ConvertErrno`: ECONNREFUSED → 2303211,
 * ECONNRESET → 2303204, EPIPE → 2303132), everything else (handshake and certificate failures) 2303501
 * (`SSL_ERROR_SSL`).
 */
function fromTlsError(e: unknown): unknown {
  if (isSocketError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && isErrnoName(code)) return errnoError(code, TLS_ERR_SYS_BASE, message);
  return tlsError(2_303_501, message);
}

/** TLS protocol versions (`socket.Protocol`). */
export enum Protocol {
  TLSv12 = 'TLSv1.2',
  TLSv13 = 'TLSv1.3',
}

/** `cert.EncodingFormat` of {@link X509CertRawData}: DER 0, PEM 1 (@ohos.security.cert). */
export enum EncodingFormat {
  FORMAT_DER = 0,
  FORMAT_PEM = 1,
}

/** `socket.X509CertRawData` (= `cert.EncodingBlob`): the certificate bytes and their format. */
export interface X509CertRawData {
  data: Uint8Array;
  encodingFormat: EncodingFormat;
}

/** TLS options: PEM strings; `protocols` default TLSv1.2 (SDK); `ca` default the system's roots. */
export interface TLSSecureOptions {
  ca?: string | Array<string>;
  cert?: string | Array<string>;
  key?: string;
  password?: string;
  protocols?: Protocol | Array<Protocol>;
  useRemoteCipherPrefer?: boolean;
  signatureAlgorithms?: string;
  cipherSuite?: string;
  isBidirectionalAuthentication?: boolean;
}

/** `TLSSocket.connect` options; `timeout` in ms (0 = none). */
export interface TLSConnectOptions {
  address: NetAddress;
  secureOptions: TLSSecureOptions;
  ALPNProtocols?: Array<string>;
  skipRemoteValidation?: boolean;
  proxy?: ProxyOptions;
  timeout?: number;
}

/** A TLS client socket (`socket.constructTLSSocketInstance()`); see the module comment for errors. */
export interface TLSSocket {
  bind(address: NetAddress, callback: AsyncCallback<void>): void;
  bind(address: NetAddress): Promise<void>;
  getRemoteAddress(callback: AsyncCallback<NetAddress>): void;
  getRemoteAddress(): Promise<NetAddress>;
  getState(callback: AsyncCallback<SocketStateBase>): void;
  getState(): Promise<SocketStateBase>;
  setExtraOptions(options: TCPExtraOptions, callback: AsyncCallback<void>): void;
  setExtraOptions(options: TCPExtraOptions): Promise<void>;
  getLocalAddress(): Promise<NetAddress>;
  on(type: 'message', callback: Callback<SocketMessageInfo>): void;
  on(type: 'connect' | 'close', callback: Callback<void>): void;
  on(type: 'error', callback: ErrorCallback): void;
  off(type: 'message', callback?: Callback<SocketMessageInfo>): void;
  off(type: 'connect' | 'close', callback?: Callback<void>): void;
  off(type: 'error', callback?: ErrorCallback): void;
  /** The local certificate, PEM (netstack reports the local one as PEM). */
  getCertificate(callback: AsyncCallback<X509CertRawData>): void;
  getCertificate(): Promise<X509CertRawData>;
  /** The peer's certificate, DER. */
  getRemoteCertificate(callback: AsyncCallback<X509CertRawData>): void;
  getRemoteCertificate(): Promise<X509CertRawData>;
  /** `"TLSv1.2"` or `"TLSv1.3"`. */
  getProtocol(callback: AsyncCallback<string>): void;
  getProtocol(): Promise<string>;
  /** The negotiated cipher suite (OpenSSL name). */
  getCipherSuite(callback: AsyncCallback<Array<string>>): void;
  getCipherSuite(): Promise<Array<string>>;
  /** The signature algorithms both sides share. */
  getSignatureAlgorithms(callback: AsyncCallback<Array<string>>): void;
  getSignatureAlgorithms(): Promise<Array<string>>;
  getSocketFd(): Promise<number>;
  connect(options: TLSConnectOptions, callback: AsyncCallback<void>): void;
  connect(options: TLSConnectOptions): Promise<void>;
  send(data: string | ArrayBuffer, callback: AsyncCallback<void>): void;
  send(data: string | ArrayBuffer): Promise<void>;
  close(callback: AsyncCallback<void>): void;
  close(): Promise<void>;
}

const TLS_EVENTS = ['message', 'connect', 'close', 'error'] as const;
const TLS_OPTS = { base: TLS_ERR_SYS_BASE };

class TlsSocketImpl {
  readonly #events = new Listeners();
  #local: { host: string; port: number } | undefined;
  #tcp: net.Socket | undefined;
  #socket: tls.TLSSocket | undefined;
  #connected = false;
  #closed = false;
  /** Settles the connect in progress with an error (close while connecting); undefined when none is pending. */
  #abortConnect: ((err: unknown) => void) | undefined;

  constructor(tcp?: net.Socket) {
    this.#tcp = tcp;
  }

  bind(address: NetAddress, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireNetAddress(address);
    return socketCall(
      callback,
      async () => {
        if (net.isIP(address.address) === 0)
          throw errnoError('EADDRNOTAVAIL', TLS_ERR_SYS_BASE, address.address);
        // netstack binds the socket here and does not retry on EADDRINUSE: a port in use is 2303198.
        const port = await probeBind(address.address, address.port ?? 0, false);
        this.#local = { host: address.address, port };
      },
      TLS_OPTS,
    );
  }

  connect(options: TLSConnectOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof options === 'object' && options !== null, 'options must be a TLSConnectOptions object');
    requireNetAddress(options.address, 'options.address');
    requireArg(
      typeof options.secureOptions === 'object' && options.secureOptions !== null,
      'options.secureOptions must be a TLSSecureOptions object',
    );
    requireArg(
      options.timeout === undefined || (Number.isInteger(options.timeout) && options.timeout >= 0),
      'options.timeout must be a non-negative integer (ms)',
    );
    return socketCall(
      callback,
      async () => {
        if (options.proxy !== undefined && options.proxy.type !== ProxyTypes.NONE)
          throw plainError(801, `${UNIVERSAL_MESSAGES[801]} (colink has no SOCKS5 client)`);
        if (this.#local === undefined && this.#tcp === undefined) throw tlsError(2_303_600);
        if (this.#connected || this.#abortConnect !== undefined)
          throw errnoError('EISCONN', TLS_ERR_SYS_BASE);
        await this.#connect(options).catch((e: unknown) => Promise.reject(fromTlsError(e)));
      },
      TLS_OPTS,
    );
  }

  async #connect(o: TLSConnectOptions): Promise<void> {
    const s = o.secureOptions;
    const protocols = s.protocols === undefined ? [Protocol.TLSv12] : [s.protocols].flat();
    const order = [Protocol.TLSv12, Protocol.TLSv13];
    const versions = order.filter((p) => protocols.includes(p));
    const common: tls.ConnectionOptions = {
      ...(s.ca !== undefined ? { ca: s.ca } : {}),
      ...(s.cert !== undefined ? { cert: s.cert } : {}),
      ...(s.key !== undefined ? { key: s.key, passphrase: s.password } : {}),
      ...(s.cipherSuite ? { ciphers: s.cipherSuite } : {}),
      ...(s.signatureAlgorithms ? { sigalgs: s.signatureAlgorithms } : {}),
      ...(o.ALPNProtocols ? { ALPNProtocols: o.ALPNProtocols } : {}),
      minVersion: versions[0] ?? Protocol.TLSv12,
      maxVersion: versions.at(-1) ?? Protocol.TLSv12,
      rejectUnauthorized: o.skipRemoteValidation !== true,
    };
    const timeoutMs = o.timeout ?? 0;
    const s2 = this.#tcp
      ? tls.connect({ ...common, socket: this.#tcp, host: o.address.address })
      : tls.connect({
          ...common,
          host: o.address.address,
          port: o.address.port ?? 0,
          ...(this.#local && this.#local.host !== '0.0.0.0' && this.#local.host !== '::'
            ? { localAddress: this.#local.host }
            : {}),
          ...(this.#local?.port ? { localPort: this.#local.port } : {}),
        });
    this.#socket = s2;
    await new Promise<void>((resolve, reject) => {
      const cancel =
        timeoutMs > 0
          ? after(timeoutMs, () => {
              this.#abortConnect = undefined;
              s2.destroy();
              reject(Object.assign(new Error(`no connection within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
            })
          : () => undefined;
      this.#abortConnect = (err) => {
        this.#abortConnect = undefined;
        cancel();
        s2.destroy();
        reject(err);
      };
      s2.once('error', (e) => {
        this.#abortConnect = undefined;
        cancel();
        reject(e);
      });
      s2.once('secureConnect', () => {
        this.#abortConnect = undefined;
        cancel();
        s2.removeAllListeners('error');
        resolve();
      });
    });
    this.#connected = true;
    this.#closed = false;
    s2.on('data', (bytes: Buffer) => this.#events.emit('message', streamMessageInfo(bytes, s2)));
    s2.on('error', (e) => this.#events.emit('error', fromTlsError(e)));
    s2.on('close', () => {
      this.#connected = false;
      this.#closed = true;
      this.#events.emit('close');
    });
    this.#events.emit('connect');
  }

  #live(): tls.TLSSocket {
    if (this.#socket === undefined && this.#local === undefined && this.#tcp === undefined)
      throw tlsError(2_303_600);
    if (this.#socket === undefined || !this.#connected) throw tlsError(2_303_602);
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
          () => errnoError('EAGAIN', TLS_ERR_SYS_BASE, 'too much data waiting to be sent'),
          (e) => fromTlsError(e),
        );
      },
      TLS_OPTS,
    );
  }

  close(callback?: AsyncCallback<void>): Promise<void> | undefined {
    return socketCall(
      callback,
      async () => {
        this.#closed = true;
        // A connect in progress fails with EBADF (2303109), as netstack's when its fd is closed.
        this.#abortConnect?.(errnoError('EBADF', TLS_ERR_SYS_BASE, 'the socket was closed while connecting'));
        const s = this.#socket;
        if (s === undefined || s.destroyed) return;
        await new Promise<void>((resolve) => {
          s.once('close', () => resolve());
          s.destroy();
        });
      },
      TLS_OPTS,
    );
  }

  getRemoteAddress(callback?: AsyncCallback<NetAddress>): Promise<NetAddress> | undefined {
    return socketCall(
      callback,
      () => {
        const s = this.#live();
        return toNetAddress(s.remoteAddress, s.remotePort);
      },
      TLS_OPTS,
    );
  }

  getLocalAddress(): Promise<NetAddress> {
    return socketCall(
      undefined,
      () => {
        if (this.#socket !== undefined && this.#connected)
          return toNetAddress(this.#socket.localAddress, this.#socket.localPort);
        if (this.#local !== undefined) return toNetAddress(this.#local.host, this.#local.port);
        throw tlsError(2_303_600);
      },
      TLS_OPTS,
    ) as Promise<NetAddress>;
  }

  getState(callback?: AsyncCallback<SocketStateBase>): Promise<SocketStateBase> | undefined {
    return socketCall(
      callback,
      () => ({
        isBound: this.#local !== undefined || this.#connected,
        isClose: this.#closed,
        isConnected: this.#connected,
      }),
      TLS_OPTS,
    );
  }

  setExtraOptions(options: TCPExtraOptions, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof options === 'object' && options !== null, 'options must be a TCPExtraOptions object');
    return socketCall(
      callback,
      () => {
        const s = this.#socket;
        if (s === undefined) return;
        if (options.keepAlive !== undefined) s.setKeepAlive(options.keepAlive);
        if (options.TCPNoDelay !== undefined) s.setNoDelay(options.TCPNoDelay);
      },
      TLS_OPTS,
    );
  }

  getCertificate(callback?: AsyncCallback<X509CertRawData>): Promise<X509CertRawData> | undefined {
    return socketCall(
      callback,
      () => {
        const raw = this.#live().getX509Certificate();
        if (raw === undefined) throw tlsError(2_303_501, 'no local certificate');
        return {
          data: new Uint8Array(Buffer.from(raw.toString())),
          encodingFormat: EncodingFormat.FORMAT_PEM,
        };
      },
      TLS_OPTS,
    );
  }

  getRemoteCertificate(callback?: AsyncCallback<X509CertRawData>): Promise<X509CertRawData> | undefined {
    return socketCall(
      callback,
      () => {
        const peer: X509Certificate | undefined = this.#live().getPeerX509Certificate();
        if (peer === undefined) throw tlsError(2_303_501, 'no peer certificate');
        return { data: new Uint8Array(peer.raw), encodingFormat: EncodingFormat.FORMAT_DER };
      },
      TLS_OPTS,
    );
  }

  getProtocol(callback?: AsyncCallback<string>): Promise<string> | undefined {
    return socketCall(callback, () => this.#live().getProtocol() ?? '', TLS_OPTS);
  }

  getCipherSuite(callback?: AsyncCallback<Array<string>>): Promise<Array<string>> | undefined {
    return socketCall(callback, () => [this.#live().getCipher().name], TLS_OPTS);
  }

  getSignatureAlgorithms(callback?: AsyncCallback<Array<string>>): Promise<Array<string>> | undefined {
    return socketCall(callback, () => this.#live().getSharedSigalgs(), TLS_OPTS);
  }

  getSocketFd(): Promise<number> {
    return socketCall(
      undefined,
      () => {
        return socketFd(this.#socket);
      },
      { permission: false },
    ) as Promise<number>;
  }

  on(type: string, callback: (data: never) => void): void {
    this.#events.on(type, callback, TLS_EVENTS);
  }

  off(type: string, callback?: (data: never) => void): void {
    this.#events.off(type, callback, TLS_EVENTS);
  }
}

/**
 * Creates a TLS client socket; with `tcpSocket` (a connected `TCPSocket`, since 12) the TLS session runs over that
 * connection, which the TCPSocket no longer reads (401 when it is not connected).
 */
export function constructTLSSocketInstance(tcpSocket?: TCPSocket): TLSSocket {
  if (tcpSocket === undefined) return new TlsSocketImpl() as unknown as TLSSocket;
  const take = (tcpSocket as unknown as { [TAKE_SOCKET]?: () => net.Socket | undefined })[TAKE_SOCKET];
  requireArg(typeof take === 'function', 'tcpSocket must be a socket.TCPSocket');
  const raw = take.call(tcpSocket);
  requireArg(raw !== undefined, 'tcpSocket must be connected');
  return new TlsSocketImpl(raw) as unknown as TLSSocket;
}
