import { EventEmitter } from 'node:events';
import { createRequire, Module } from 'node:module';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ColinkError, ErrorCode } from '@colink/core';
import { VirtualController } from './controller.js';
import { H4Framer } from './h4-framer.js';
import { commandComplete, H4, OP } from './hci.js';

/** Where a host reaches a virtual controller in another process: a radio broker's unix socket. */
export interface RemoteControllerParams {
  /** Path of the broker's unix socket (see {@link RadioBroker}). */
  readonly socketPath: string;
  /** BD_ADDR of the controller the broker creates for this host (default: the broker picks one). */
  readonly address?: string;
}

/** `bindParams.virtual`: an in-process controller, or a broker to ask for one. */
export type VirtualBindTarget = VirtualController | RemoteControllerParams;

/** The options to pass to noble's or bleno's `withBindings('hci', …)` to run them on a virtual controller. */
export interface VirtualHciBindingOptions {
  readonly hciDriver: 'uart';
  readonly bindParams: { readonly virtual: VirtualBindTarget };
}

/**
 * Options for `withBindings('hci', …)` that put a noble or bleno instance on `target` (installs the driver shim
 * first; see {@link installVirtualHciDriver}).
 */
export function virtualHciOptions(target: VirtualBindTarget): VirtualHciBindingOptions {
  installVirtualHciDriver();
  return { hciDriver: 'uart', bindParams: { virtual: target } };
}

/** A connection from the shim to a controller. */
interface ControllerPort {
  send(packet: Buffer): void;
  close(): void;
}

const RESET_PACKET = Buffer.from([H4.COMMAND, OP.RESET & 0xff, OP.RESET >> 8, 0x00]);
const RESET_COMPLETE = commandComplete(OP.RESET, 0);

/**
 * Stand-in for `@stoprocent/bluetooth-hci-socket/lib/uart.js`, same shape (`bindRaw`, `bindUser`, `start`, `stop`,
 * `write`, `isDevUp`, `setFilter`, `reset`; emits `data`, `error`, `state`). When `bindParams.virtual` is set it
 * talks H4 to a virtual controller; otherwise it hands everything to the original UART driver. Like the original,
 * it sends HCI_Reset on bind and reports the device up only once the reset completed.
 */
class VirtualHciSocket extends EventEmitter {
  private port: ControllerPort | undefined;
  private up = false;
  private beforeUp: Buffer[] = [];
  private readonly framer = new H4Framer();
  private delegate: (EventEmitter & Record<string, (...args: unknown[]) => unknown>) | undefined;

  bindRaw(devId: unknown, params?: { virtual?: VirtualBindTarget }): unknown {
    return this.bind(devId, params, 'bindRaw');
  }

  bindUser(devId: unknown, params?: { virtual?: VirtualBindTarget }): unknown {
    return this.bind(devId, params, 'bindUser');
  }

  private bind(
    devId: unknown,
    params: { virtual?: VirtualBindTarget } | undefined,
    how: 'bindRaw' | 'bindUser',
  ): unknown {
    const target = params?.virtual;
    if (!target) {
      const Original = loadOriginalUart();
      const delegate = new Original() as EventEmitter & Record<string, (...args: unknown[]) => unknown>;
      this.delegate = delegate;
      for (const event of ['data', 'error', 'state'])
        delegate.on(event, (...a: unknown[]) => this.emit(event, ...a));
      return delegate[how]!(devId, params);
    }
    this.up = false;
    this.beforeUp = [];
    const deliver = (packet: Buffer): void => this.fromController(packet);
    this.port =
      target instanceof VirtualController
        ? localPort(target, deliver)
        : remotePort(target, deliver, (e) => this.emit('error', e));
    this.port.send(RESET_PACKET);
    return devId;
  }

  private fromController(packet: Buffer): void {
    if (!this.up) {
      if (packet.equals(RESET_COMPLETE)) {
        this.up = true;
        const queued = this.beforeUp;
        this.beforeUp = [];
        for (const p of queued) this.write(p);
        this.emit('state', true);
      }
      return;
    }
    this.emit('data', packet);
  }

  /** Management-channel sockets (bleno's Mgmt for pairing keys) have nothing to do on a virtual controller. */
  bindControl(): void {}

  start(): void {
    this.delegate?.start?.();
  }

  stop(): void {
    if (this.delegate) {
      this.delegate.stop?.();
      return;
    }
    this.up = false;
    this.port?.close();
    this.port = undefined;
  }

  isDevUp(): boolean {
    if (this.delegate) return Boolean(this.delegate.isDevUp?.());
    return this.up;
  }

  setFilter(filter: Buffer): void {
    this.delegate?.setFilter?.(filter);
  }

  getDeviceList(): Promise<unknown[]> {
    return Promise.resolve([]);
  }

  write(data: Buffer): void {
    if (this.delegate) {
      this.delegate.write?.(data);
      return;
    }
    if (!this.port) return;
    if (!this.up) {
      this.beforeUp.push(data);
      return;
    }
    for (const packet of this.framer.push(data)) this.port.send(packet);
  }

  reset(): void {
    if (this.delegate) this.delegate.reset?.();
    else this.write(RESET_PACKET);
  }
}

function localPort(controller: VirtualController, deliver: (p: Buffer) => void): ControllerPort {
  const detach = controller.attach(deliver);
  return {
    send: (p) => controller.receive(p),
    close: detach,
  };
}

/**
 * A controller in a broker process: a one-line JSON hello (`{"address": …}`), then H4 both ways.
 * Packets written before the socket connects are buffered by the socket itself.
 */
function remotePort(
  params: RemoteControllerParams,
  deliver: (p: Buffer) => void,
  onError: (e: Error) => void,
): ControllerPort {
  const socket: Socket = connect(params.socketPath);
  const framer = new H4Framer();
  socket.write(`${JSON.stringify({ address: params.address })}\n`);
  socket.on('data', (chunk) => {
    for (const p of framer.push(chunk)) deliver(p);
  });
  socket.on('error', onError);
  socket.unref();
  return {
    send: (p) => socket.write(p),
    close: () => socket.destroy(),
  };
}

const require = createRequire(import.meta.url);
const installed = new Set<string>();
const originals = new Map<string, unknown>();
let firstUartPath: string | undefined;

/**
 * Paths of `lib/uart.js` in every copy of `@stoprocent/bluetooth-hci-socket` that noble and bleno resolve. Throws
 * `ERR_INTERNAL` if the package layout changed (the canary test then fails loudly).
 */
export function uartDriverPaths(): string[] {
  const paths = new Set<string>();
  for (const host of ['@stoprocent/noble', '@stoprocent/bleno']) {
    const hostRequire = createRequire(require.resolve(host));
    const hciIndex = createRequire(hostRequire.resolve('./lib/hci-socket/hci.js')).resolve(
      '@stoprocent/bluetooth-hci-socket',
    );
    paths.add(join(dirname(hciIndex), 'lib', 'uart.js'));
  }
  return [...paths];
}

/**
 * Replaces `lib/uart.js` of every `@stoprocent/bluetooth-hci-socket` copy noble and bleno load with the virtual
 * driver, in Node's CommonJS module cache. `loadDriver('uart')` requires that file at every `Hci` construction, so
 * instances created with `hciDriver: 'uart'` and `bindParams.virtual` then talk to virtual controllers while other
 * UART users still get the original driver. Idempotent. Source: ble.md, "Running the real host stacks with no radio".
 */
export function installVirtualHciDriver(): void {
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  for (const path of uartDriverPaths()) {
    if (installed.has(path)) continue;
    if (cache[path]) originals.set(path, (cache[path] as { exports: unknown }).exports);
    const m = new Module(path);
    m.filename = path;
    m.loaded = true;
    m.exports = VirtualHciSocket;
    cache[path] = m;
    installed.add(path);
    firstUartPath ??= path;
  }
}

/** The original UART driver class, loaded on first use (it needs `serialport`). */
function loadOriginalUart(): new () => unknown {
  const path = firstUartPath;
  if (!path) throw new ColinkError(ErrorCode.INTERNAL, 'virtual HCI driver not installed');
  const known = originals.get(path);
  if (known) return known as new () => unknown;
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  const ours = cache[path];
  delete cache[path];
  try {
    const original = require(path) as new () => unknown;
    originals.set(path, original);
    return original;
  } finally {
    cache[path] = ours;
  }
}

/** The class `loadDriver('uart')` returns for each copy (for the canary test). */
export function loadedUartDrivers(): unknown[] {
  return uartDriverPaths().map((path) => {
    const hciSocketIndex = join(dirname(dirname(path)), 'index.js');
    return (require(hciSocketIndex) as { loadDriver(t: string): unknown }).loadDriver('uart');
  });
}

/** True when `driver` is the virtual driver class. */
export function isVirtualHciDriver(driver: unknown): boolean {
  return driver === VirtualHciSocket;
}
