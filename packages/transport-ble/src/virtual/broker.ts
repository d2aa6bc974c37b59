import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColinkError, ErrorCode, isMac } from '@colink/core';
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
 *
 * A connection whose hello is a control command (`{"control":"range","address":"AA:BB:CC:DD:EE:FF","inRange":false}`,
 * see {@link RadioControl}) gets one JSON reply line ({@link RadioControlReply}) and is closed: that is how
 * {@link radioControl} (and `colink-device radio-range`) injects the range fault from another process.
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

  /** Applies one control command (see {@link RadioControl}); never throws. */
  private control(command: RadioControl): RadioControlReply {
    if (command.control === 'range') {
      const { address, inRange } = command;
      if (typeof address !== 'string' || !isMac(address))
        return { ok: false, error: `not a BLE address: ${String(address)}` };
      if (typeof inRange !== 'boolean') return { ok: false, error: '`inRange` must be true or false' };
      return { ok: true, linksDropped: this.radio.setInRange(address, inRange) };
    }
    return { ok: false, error: `unknown control command: ${JSON.stringify(command.control)}` };
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
        const parsed = JSON.parse(hello.subarray(0, nl).toString('utf8')) as {
          address?: string;
          control?: unknown;
        };
        if (parsed.control !== undefined) {
          socket.end(`${JSON.stringify(this.control(parsed as RadioControl))}\n`);
          return;
        }
        const { address } = parsed;
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

/**
 * A control command to a {@link RadioBroker}: `range` moves the device `address` out of radio range (`inRange` false:
 * its adverts are lost, connections to it refused, its links dropped) or back ({@link VirtualRadio.setInRange}).
 */
export interface RadioControl {
  /** The command: `range` (the only one so far). */
  readonly control: 'range';
  /** BLE address of the device, `AA:BB:CC:DD:EE:FF`. */
  readonly address: string;
  /** false: out of range (adverts lost, connections refused, its links dropped); true: back in range. */
  readonly inRange: boolean;
}

/** A broker's answer to a {@link RadioControl}. */
export type RadioControlReply =
  | { readonly ok: true; readonly linksDropped: number }
  | { readonly ok: false; readonly error: string };

/** How long {@link radioControl} waits for the broker's reply, ms. */
export const RADIO_CONTROL_TIMEOUT_MS = 5_000;

/**
 * Sends `command` to the radio broker listening on `socketPath` (another process's {@link RadioBroker}) and resolves
 * with its reply. Rejects with `ERR_UNREACHABLE` when nothing listens there, `ERR_TIMEOUT` after
 * {@link RADIO_CONTROL_TIMEOUT_MS}, `ERR_PROTOCOL` for a reply that is not JSON.
 */
export function radioControl(socketPath: string, command: RadioControl): Promise<RadioControlReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ColinkError(ErrorCode.TIMEOUT, `no reply from the radio broker at ${socketPath}`));
    }, RADIO_CONTROL_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(command)}\n`));
    socket.on('data', (d: string) => {
      reply += d;
      if (reply.length > MAX_HELLO_BYTES) socket.destroy();
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(new ColinkError(ErrorCode.UNREACHABLE, `no radio broker at ${socketPath}`, { cause: e }));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(reply) as RadioControlReply);
      } catch (e) {
        reject(
          new ColinkError(ErrorCode.PROTOCOL, `radio broker reply is not JSON: ${reply.slice(0, 80)}`, {
            cause: e,
          }),
        );
      }
    });
  });
}
