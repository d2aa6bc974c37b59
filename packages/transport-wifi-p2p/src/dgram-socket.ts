import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ColinkError, ErrorCode } from '@colink/core';

/** The part of `unix-dgram` 2.0.7's socket this package uses (the package ships no types). */
interface RawUnixDgramSocket {
  bind(path: string): void;
  connect(path: string): void;
  send(buf: Buffer, callback: (err?: Error & { code?: number }) => void): void;
  send(
    buf: Buffer,
    offset: number,
    length: number,
    path: string,
    callback: (err?: Error & { code?: number }) => void,
  ): void;
  close(): void;
  on(event: 'message', listener: (buf: Buffer, rinfo: { size: number; path: string | null }) => void): this;
  on(event: 'error', listener: (err: Error & { code?: number }) => void): this;
  on(event: 'writable', listener: () => void): this;
  removeAllListeners(): this;
}

const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram'): RawUnixDgramSocket;
};

/** Linux `sun_path` is 108 bytes including the terminating NUL (unix(7)). */
export const UNIX_PATH_MAX = 107;

/** Turns unix-dgram's negative errno into the usual `E…` name. */
export function errnoName(code: unknown): string {
  if (typeof code !== 'number') return String(code);
  const n = -code;
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === n) return name;
  return `errno ${n}`;
}

/** A received datagram and the path of the socket that sent it (`undefined` for an unbound sender). */
export interface Datagram {
  readonly data: Buffer;
  readonly from: string | undefined;
}

/**
 * One AF_UNIX SOCK_DGRAM socket bound to its own path (unix(7)), over the `unix-dgram` native addon. Node has no
 * unix datagram sockets of its own. Sends never block: the kernel queue is bounded (`net.unix.max_dgram_qlen`), and
 * a send that finds it full fails with `ERR_SEND_BUFFER_FULL` instead of queueing in memory.
 */
export class UnixDgramSocket {
  readonly path: string;
  private readonly raw: RawUnixDgramSocket;
  private readonly ownDir: string | undefined;
  private closed = false;

  private constructor(raw: RawUnixDgramSocket, boundPath: string, ownDir: string | undefined) {
    this.raw = raw;
    this.path = boundPath;
    this.ownDir = ownDir;
  }

  /**
   * Binds a new socket. Without `bindPath`, a fresh private directory under the OS temp dir holds the socket
   * (as `wpa_ctrl_open()` binds `/tmp/wpa_ctrl_<pid>-<n>`) and is removed again by {@link close}.
   * Throws `ERR_INVALID_ARGUMENT` for a path longer than {@link UNIX_PATH_MAX}, `ERR_INTERNAL` when bind fails.
   */
  static bind(onMessage: (d: Datagram) => void, bindPath?: string, name = 'ctrl'): UnixDgramSocket {
    let ownDir: string | undefined;
    let p = bindPath;
    if (p === undefined) {
      ownDir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-wpa-'));
      p = path.join(ownDir, name);
    }
    if (Buffer.byteLength(p) > UNIX_PATH_MAX) {
      if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `unix socket path longer than ${UNIX_PATH_MAX} bytes: ${p}`,
      );
    }
    const raw = unixDgram.createSocket('unix_dgram');
    let bindError: (Error & { code?: number }) | undefined;
    raw.on('error', (e) => {
      bindError = e;
    });
    raw.bind(p);
    if (bindError) {
      raw.close();
      if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
      throw new ColinkError(ErrorCode.INTERNAL, `cannot bind ${p}: ${errnoName(bindError.code)}`, {
        cause: bindError,
      });
    }
    raw.removeAllListeners();
    const sock = new UnixDgramSocket(raw, p, ownDir);
    raw.on('error', () => {
      // Asynchronous errors of an unconnected socket carry no information we act on; sends report their own.
    });
    raw.on('message', (buf, rinfo) => {
      if (buf) onMessage({ data: buf, from: rinfo.path ?? undefined });
    });
    return sock;
  }

  /**
   * Sends one datagram to `dest`. Resolves when the kernel took it; rejects with `ERR_DIAL_FAILED` when nobody is
   * bound there (ENOENT, ECONNREFUSED), `ERR_SEND_BUFFER_FULL` when the receiver's queue is full (EAGAIN),
   * `ERR_CLOSED`-style `ERR_NOT_CONNECTED` after {@link close}.
   */
  send(dest: string, data: Buffer): Promise<void> {
    if (this.closed)
      return Promise.reject(new ColinkError(ErrorCode.NOT_CONNECTED, `socket ${this.path} is closed`));
    return new Promise((resolve, reject) => {
      this.raw.send(data, 0, data.length, dest, (err) => {
        if (!err) return resolve();
        const name = errnoName(err.code);
        const code =
          name === 'EAGAIN' || name === 'EWOULDBLOCK' || name === 'ENOBUFS'
            ? ErrorCode.SEND_BUFFER_FULL
            : ErrorCode.DIAL_FAILED;
        reject(
          new ColinkError(code, `send to ${dest} failed: ${name}`, { cause: err, detail: { errno: name } }),
        );
      });
    });
  }

  /** Closes the socket and removes its path (and its private directory). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.raw.removeAllListeners();
    try {
      this.raw.close();
    } catch {
      // already closed by the OS
    }
    if (this.ownDir) fs.rmSync(this.ownDir, { recursive: true, force: true });
    else fs.rmSync(this.path, { force: true });
  }
}
