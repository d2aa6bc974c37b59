/**
 * Shared pieces of `@ohos.net.socket`: the call convention (callback or promise form, the INTERNET permission
 * check), event listener sets, address conversion and the hook `connection.NetHandle.bindSocket` uses.
 * @module
 */
import net from 'node:net';
import type { AsyncCallback, BusinessError } from '../base.js';
import { toArrayBuffer } from '../bytes.js';
import type { NetAddress } from '../net-connection/types.js';
import { getRuntime } from '../runtime/runtime.js';
import { fromNodeError, permissionError, requireArg } from './errors.js';
import type { SocketMessageInfo, SocketStateBase } from './types.js';

/** `NetAddress.family` for IPv4 (js-apis-socket NetAddress: 1 IPv4, 2 IPv6; default 1). */
export const FAMILY_IPV4 = 1;
/** `NetAddress.family` for IPv6. */
export const FAMILY_IPV6 = 2;
/**
 * Bytes a stream socket may hold in user space waiting for the kernel (sends not yet flushed). netstack's send blocks
 * its worker on the kernel buffer instead; Node queues, so colink bounds the queue: a send past it is refused with
 * EAGAIN (2301011 / TLS 2303111) instead of growing memory without end. 16 MiB: well above the kernel's socket
 * buffers (net.ipv4.tcp_wmem max 4 MiB by default).
 */
export const MAX_PENDING_SEND_BYTES = 16 * 1024 * 1024;

/** Largest port number (RFC 793 16-bit port field). */
export const MAX_PORT = 65_535;

/**
 * Runs `op` in callback form (`callback(err, data)`, `err` undefined on success) or promise form. The INTERNET
 * permission is checked first (201, delivered asynchronously as netstack does). Node errors become 2301000 + errno
 * (`base` for servers).
 */
export function socketCall<T>(
  callback: unknown,
  op: () => T | Promise<T>,
  opts: { permission?: boolean; base?: number } = {},
): Promise<T> | undefined {
  requireArg(callback === undefined || typeof callback === 'function', 'callback must be a function');
  const run = async (): Promise<T> => {
    if (opts.permission !== false && !getRuntime().hasPermission('INTERNET')) throw permissionError();
    try {
      return await op();
    } catch (e) {
      throw fromNodeError(e, opts.base);
    }
  };
  if (callback === undefined) return run();
  const cb = callback as AsyncCallback<T>;
  run().then(
    (data) => cb(undefined as never, data),
    (err: unknown) => cb(err as BusinessError, undefined as never),
  );
  return undefined;
}

/** Throws 401 unless `a` is a `NetAddress` with a string `address` and an optional port 0–65535. */
export function requireNetAddress(a: unknown, what = 'address'): asserts a is NetAddress {
  requireArg(typeof a === 'object' && a !== null, `${what} must be a NetAddress`);
  const { address, port, family } = a as Record<string, unknown>;
  requireArg(typeof address === 'string', `${what}.address must be a string`);
  requireArg(
    port === undefined || (Number.isInteger(port) && (port as number) >= 0 && (port as number) <= MAX_PORT),
    `${what}.port must be an integer 0–${MAX_PORT}`,
  );
  requireArg(
    family === undefined || family === FAMILY_IPV4 || family === FAMILY_IPV6,
    `${what}.family must be 1 or 2`,
  );
}

/** The IP version a NetAddress asks for: the literal's, else its `family` (default IPv4). */
export function ipVersion(a: NetAddress): 4 | 6 {
  const v = net.isIP(a.address);
  if (v === 4 || v === 6) return v;
  return a.family === FAMILY_IPV6 ? 6 : 4;
}

/** A Node address triple as a HarmonyOS `NetAddress` (`family` 1 / 2). */
export function toNetAddress(address: string | undefined, port: number | undefined): NetAddress {
  const addr = address ?? '';
  return { address: addr, family: net.isIPv6(addr) ? FAMILY_IPV6 : FAMILY_IPV4, port: port ?? 0 };
}

/** Listener sets per event name; `off` without a callback removes every listener of the event. */
export class Listeners {
  private readonly sets = new Map<string, Set<(data: never) => void>>();

  on(type: unknown, callback: unknown, allowed: readonly string[]): void {
    requireArg(
      typeof type === 'string' && allowed.includes(type),
      `type must be one of ${allowed.join(', ')}`,
    );
    requireArg(typeof callback === 'function', 'callback must be a function');
    const set = this.sets.get(type) ?? new Set<(data: never) => void>();
    this.sets.set(type, set);
    set.add(callback as (data: never) => void);
  }

  off(type: unknown, callback: unknown, allowed: readonly string[]): void {
    requireArg(
      typeof type === 'string' && allowed.includes(type),
      `type must be one of ${allowed.join(', ')}`,
    );
    requireArg(callback === undefined || typeof callback === 'function', 'callback must be a function');
    if (callback === undefined) this.sets.delete(type);
    else this.sets.get(type)?.delete(callback as (data: never) => void);
  }

  emit(type: string, data?: unknown): void {
    for (const cb of [...(this.sets.get(type) ?? [])]) (cb as (d: unknown) => void)(data);
  }
}

/** The source addresses of a network, as `NetHandle.bindSocket` hands them to a socket. */
export interface NetworkSource {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/**
 * Implemented by `socket.TCPSocket` / `socket.UDPSocket`: `connection.NetHandle.bindSocket` calls it to make the
 * socket's traffic use the network's source address. Throws an `Error` when the socket can no longer be bound
 * (connected, closed).
 */
export const BIND_TO_NETWORK: unique symbol = Symbol('colink.socket.bindToNetwork');

/** A socket `NetHandle.bindSocket` accepts besides Node's own. */
export interface NetworkBindable {
  [BIND_TO_NETWORK](source: NetworkSource): void | Promise<void>;
}

/** Whether `s` is a socket of this module that `bindSocket` can bind. */
export function isNetworkBindable(s: unknown): s is NetworkBindable {
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof (s as Partial<NetworkBindable>)[BIND_TO_NETWORK] === 'function'
  );
}

/** Encodes `data` (string in `encoding`, default UTF-8, or ArrayBuffer) as bytes; 401 for other types. */
export function encodeData(data: unknown, encoding?: unknown): Buffer {
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  requireArg(typeof data === 'string', 'data must be a string or an ArrayBuffer');
  requireArg(encoding === undefined || typeof encoding === 'string', 'encoding must be a string');
  const enc = (encoding ?? 'UTF-8').toUpperCase();
  switch (enc) {
    case 'UTF-8':
    case 'UTF8':
      return Buffer.from(data, 'utf8');
    case 'UTF-16LE':
    case 'UTF-16':
      return Buffer.from(data, 'utf16le');
    case 'UTF-16BE':
      return Buffer.from(data, 'utf16le').swap16();
    case 'US-ASCII':
      return Buffer.from(data, 'ascii');
    case 'ISO-8859-1':
      return Buffer.from(data, 'latin1');
    default:
      requireArg(
        false,
        `unsupported encoding ${enc} (UTF-8, UTF-16BE, UTF-16LE, UTF-16, US-ASCII, ISO-8859-1)`,
      );
  }
}

/**
 * Writes `bytes` to a stream socket; resolves once handed to the kernel. Refuses with `full()` (EAGAIN) when more
 * than {@link MAX_PENDING_SEND_BYTES} would wait in user space; write errors go through `fail`.
 */
export function writeBounded(
  s: { writableLength: number; write(b: Buffer, cb: (e?: Error | null) => void): boolean },
  bytes: Buffer,
  full: () => unknown,
  fail: (e: Error) => unknown,
): Promise<void> {
  if (s.writableLength + bytes.byteLength > MAX_PENDING_SEND_BYTES) return Promise.reject(full());
  return new Promise((resolve, reject) => {
    s.write(bytes, (err) => (err ? reject(fail(err)) : resolve()));
  });
}

/**
 * Client connections all servers of the process (TCP, TLS, Local) keep open at once; further clients are closed on
 * arrival (netstack socket_exec.cpp `MAX_CLIENTS`, 1024, one count for the process). Bounds the servers' state.
 */
export const MAX_SERVER_CLIENTS = 1024;

let lastClientId = 0;
let openClients = 0;

/**
 * Admits an accepted connection under the process-wide {@link MAX_SERVER_CLIENTS} cap: returns its `clientId`
 * (process-wide, increasing from 1, as netstack's single counter) and releases the slot when `s` closes; `undefined`
 * (and `s` destroyed) when the cap is reached.
 */
export function admitClient(s: {
  destroy(): void;
  once(ev: 'close', fn: () => void): unknown;
}): number | undefined {
  if (openClients >= MAX_SERVER_CLIENTS) {
    s.destroy();
    return undefined;
  }
  openClients++;
  s.once('close', () => {
    openClients--;
  });
  return ++lastClientId;
}

/** The OS file descriptor of a Node socket or server (its libuv handle's), −1 when there is none. */
export function socketFd(s: unknown): number {
  const fd = (s as { _handle?: { fd?: unknown } } | undefined)?._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/** The `SocketMessageInfo` of `bytes` received on a connected stream socket (TCP or TLS). */
export function streamMessageInfo(
  bytes: Buffer,
  s: {
    remoteAddress?: string | undefined;
    remoteFamily?: string | undefined;
    remotePort?: number | undefined;
  },
): SocketMessageInfo {
  return {
    message: toArrayBuffer(bytes),
    remoteInfo: {
      address: s.remoteAddress ?? '',
      family: s.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
      port: s.remotePort ?? 0,
      size: bytes.byteLength,
    },
  };
}

/** A server's `getState()` (TCP, TLS, Local): bound and "connected" while listening (netstack reports both). */
export function serverState(server: { listening: boolean } | undefined, closed: boolean): SocketStateBase {
  const listening = server?.listening === true;
  return { isBound: listening, isClose: closed, isConnected: listening };
}

/**
 * Resolves once `server` listens on `options`; rejects with the first `'error'` the listen raises (EADDRINUSE,
 * EACCES …), which then stays with the caller (no listener is left behind either way).
 */
export function listenOnce(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
