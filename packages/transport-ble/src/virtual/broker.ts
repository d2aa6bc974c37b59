import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColinkError, ErrorCode } from '@colink/core';
import type { VirtualController } from './controller.js';
import { H4Framer } from './h4-framer.js';
import type { VirtualRadio } from './radio.js';

/** Longest hello line a broker accepts, bytes (a JSON object with one address). */
const MAX_HELLO_BYTES = 1024;

/**
 * Shares a {@link VirtualRadio} with other processes over a unix socket. Each connection is one host: it sends a
 * one-line JSON hello `{"address":"AA:BB:CC:DD:EE:FF"}` (address optional), then H4 packets; the broker creates a
 * controller for it on the radio and relays H4 both ways. When the connection closes the controller leaves the
 * radio (its peers see a supervision timeout). Hosts reach it with `virtualHciOptions({ socketPath, address })`.
 */
export class RadioBroker {
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly radio: VirtualRadio,
    /** Path of the unix socket. */
    readonly socketPath: string,
    private readonly server: Server,
    private readonly tempDir: string | undefined,
  ) {
    server.on('connection', (s) => this.accept(s));
  }

  /**
   * Starts a broker for `radio` on `socketPath` (default: `radio.sock` in a fresh temporary directory, removed by
   * {@link close}). Rejects with `ERR_INTERNAL` when the socket cannot be bound.
   */
  static async listen(radio: VirtualRadio, socketPath?: string): Promise<RadioBroker> {
    const tempDir = socketPath ? undefined : await mkdtemp(join(tmpdir(), 'colink-ble-'));
    const path = socketPath ?? join(tempDir!, 'radio.sock');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new ColinkError(ErrorCode.INTERNAL, `radio broker cannot listen on ${path}`, { cause: e })),
      );
      server.listen(path, resolve);
    });
    return new RadioBroker(radio, path, server, tempDir);
  }

  /** Disconnects every host and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    let hello = Buffer.alloc(0);
    let controller: VirtualController | undefined;
    const framer = new H4Framer();
    const onData = (chunk: Buffer): void => {
      if (controller) {
        try {
          for (const p of framer.push(chunk)) controller.receive(p);
        } catch {
          socket.destroy();
        }
        return;
      }
      hello = Buffer.concat([hello, chunk]);
      const nl = hello.indexOf(0x0a);
      if (nl < 0) {
        if (hello.length > MAX_HELLO_BYTES) socket.destroy();
        return;
      }
      try {
        const { address } = JSON.parse(hello.subarray(0, nl).toString('utf8')) as { address?: string };
        controller = this.radio.createController(address ? { address } : {});
        controller.attach((p) => socket.write(p));
      } catch {
        socket.destroy();
        return;
      }
      const rest = hello.subarray(nl + 1);
      if (rest.length > 0) onData(rest);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (controller) this.radio.removeController(controller);
    });
  }
}
