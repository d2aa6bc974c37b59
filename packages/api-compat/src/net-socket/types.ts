/**
 * The data shapes of `@ohos.net.socket` (interface_sdk-js `api/@ohos.net.socket.d.ts`), TCP/UDP part.
 * @module
 */
import type { NetAddress } from '../net-connection/types.js';

export type { NetAddress };

/** Socket proxy types (`socket.ProxyTypes`, since 18). */
export enum ProxyTypes {
  /** No proxy. */
  NONE = 0,
  /** SOCKS5 proxy. */
  SOCKS5 = 1,
}

/** Socket proxy information (since 18). colink has no SOCKS5 client: a `SOCKS5` proxy is answered with 801. */
export interface ProxyOptions {
  type: ProxyTypes;
  address: NetAddress;
  username?: string;
  password?: string;
}

/** `UDPSocket.send` options: `data` (string as UTF-8, or bytes) to `address`. */
export interface UDPSendOptions {
  data: string | ArrayBuffer;
  address: NetAddress;
  proxy?: ProxyOptions;
}

/** Options common to every socket: buffer sizes in bytes, `socketTimeout` in ms. */
export interface ExtraOptionsBase {
  receiveBufferSize?: number;
  sendBufferSize?: number;
  reuseAddress?: boolean;
  socketTimeout?: number;
}

/** UDP options: `broadcast` allows sending to broadcast addresses. */
export interface UDPExtraOptions extends ExtraOptionsBase {
  broadcast?: boolean;
}

/** The state of a socket. */
export interface SocketStateBase {
  isBound: boolean;
  isClose: boolean;
  isConnected: boolean;
}

/** The sender of a received message; `size` in bytes. */
export interface SocketRemoteInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  size: number;
}

/** A received message (`on('message')`): the bytes and their sender (since 11). */
export interface SocketMessageInfo {
  message: ArrayBuffer;
  remoteInfo: SocketRemoteInfo;
}

/** `TCPSocket.connect` options: `timeout` in ms (default 5000; 0 = default). */
export interface TCPConnectOptions {
  address: NetAddress;
  timeout?: number;
  proxy?: ProxyOptions;
}

/**
 * `send` options of TCP sockets and connections. `encoding` of a string `data`: UTF-8 (default), UTF-16BE,
 * UTF-16LE, UTF-16, US-ASCII, ISO-8859-1.
 */
export interface TCPSendOptions {
  data: string | ArrayBuffer;
  encoding?: string;
}

/** TCP options; `socketLinger.linger` in ms (0–65535). */
export interface TCPExtraOptions extends ExtraOptionsBase {
  keepAlive?: boolean;
  OOBInline?: boolean;
  TCPNoDelay?: boolean;
  socketLinger?: { on: boolean; linger: number };
  tcpFastOpen?: boolean;
}
