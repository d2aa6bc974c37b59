import { type Channel, closeReason, isColinkError, type Link } from '@colink/core';
import { FRAME_HEADER_BYTES } from '@colink/core/wire';
import { asyncScheduler, filter, firstValueFrom, type Subscription, timeout } from 'rxjs';
import type { Callback } from '../base.js';
import { toArrayBuffer } from '../bytes.js';
import { numericCodeError } from '../errors.js';
import type { DeviceRuntime } from '../runtime/runtime.js';

/** linkEnhance error codes (harmony-api.md §6.2). */
export const LinkEnhanceCode = {
  PERMISSION_DENIED: 201,
  CONNECT_TIMEOUT: 32390200,
  PEER_SERVER_NOT_STARTED: 32390201,
  SERVERS_LIMIT: 32390202,
  DUPLICATE_SERVER_NAME: 32390203,
  CONNECTIONS_LIMIT: 32390204,
  CONNECTION_NOT_READY: 32390205,
  INVALID_PARAMETER: 32390206,
  INTERNAL_ERROR: 32390300,
} as const;

const MESSAGES: Record<number, string> = {
  201: 'Permission denied.',
  32390200: 'Connect timeout.',
  32390201: 'Peer server is not started.',
  32390202: 'The number of servers exceeds the limit.',
  32390203: 'Duplicate server name.',
  32390204: 'The number of connection exceeds the limit.',
  32390205: 'Connection is not ready.',
  32390206:
    'Invalid parameter. Possible causes: 1. Mandatory parameters are left unspecified; 2. Incorrect parameter types; 3. Parameter verification failed.',
  32390300: 'Internal error.',
};

/** At most 10 started servers (harmony-api.md §2.1). */
export const MAX_SERVERS = 10;
/** At most 10 connections (harmony-api.md §2.1). */
export const MAX_CONNECTIONS = 10;
/** Names are 1–255 bytes (harmony-api.md §2.1, §2.4). */
export const MAX_NAME_BYTES = 255;
/** sendData carries at most 1024 bytes (harmony-api.md §2.1). */
export const MAX_DATA_BYTES = 1024;
/** Connect time limit (anchors.md: DSoftBus general connections, 10 s). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Protocol of a linkEnhance connection's channel (core PROTOCOL.md §4.4). */
export const LINK_ENHANCE_PROTO = 'colink.linkenhance/1';

const fail = (code: number): never => {
  throw numericCodeError(code, MESSAGES[code] ?? 'Internal error.');
};

/** `ConnectResult` of linkEnhance (harmony-api.md §2.2). */
export interface ConnectResult {
  deviceId: string;
  success: boolean;
  reason: number;
}

type ServerEvent = 'connectionAccepted' | 'serverStopped';
type ConnectionEvent = 'connectResult' | 'disconnected' | 'dataReceived';

/** Listener registry with linkEnhance's rules: explicit null/undefined callbacks are 32390206; off() without one clears. */
class Listeners<E extends string> {
  private readonly map = new Map<E, Set<Callback<never>>>();
  constructor(private readonly names: readonly E[]) {}

  on(type: unknown, cb: unknown, argc: number): void {
    this.check(type);
    if (argc < 2 || typeof cb !== 'function') fail(LinkEnhanceCode.INVALID_PARAMETER);
    let set = this.map.get(type as E);
    if (!set) {
      set = new Set();
      this.map.set(type as E, set);
    }
    set.add(cb as Callback<never>);
  }

  off(type: unknown, cb: unknown, argc: number): void {
    this.check(type);
    if (argc >= 2 && typeof cb !== 'function') fail(LinkEnhanceCode.INVALID_PARAMETER);
    if (argc < 2) this.map.delete(type as E);
    else this.map.get(type as E)?.delete(cb as Callback<never>);
  }

  /**
   * Calls the listeners of `type` registered when the event happened (a listener added or removed by another one
   * takes effect from the next event). One listener — the usual case on the data path — is called without copying
   * the set.
   */
  emit(type: E, value: unknown): void {
    const set = this.map.get(type);
    if (!set || set.size === 0) return;
    if (set.size === 1) {
      for (const cb of set) call(type, cb, value);
      return;
    }
    for (const cb of [...set]) call(type, cb, value);
  }

  clear(): void {
    this.map.clear();
  }

  private check(type: unknown): void {
    if (typeof type !== 'string' || !(this.names as readonly string[]).includes(type))
      fail(LinkEnhanceCode.INVALID_PARAMETER);
  }
}

function call(type: string, cb: Callback<never>, value: unknown): void {
  try {
    (cb as Callback<unknown>)(value);
  } catch (e) {
    process.emitWarning(
      `linkEnhance '${type}' listener threw: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** sendData has no result: a failed write shows up as `disconnected` when the channel closes. */
const ignore = (): void => undefined;

const nameOk = (name: unknown): name is string => typeof name === 'string' && name !== '';
const nameLength = (name: string): number => Buffer.byteLength(name, 'utf8');
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

/**
 * `Server` (harmony-api.md §2.1): a named service of this device that peers connect to by name.
 */
export class Server {
  /** @internal */ readonly name: string;
  /** @internal */ started = false;
  /** @internal */ readonly listeners = new Listeners<ServerEvent>(['connectionAccepted', 'serverStopped']);
  private closed = false;

  /** @internal */
  constructor(
    private readonly svc: LinkEnhanceService,
    name: string,
  ) {
    this.name = name;
  }

  /** Serializes like the platform's native object: `{}` (apps log `JSON.stringify(server)`). */
  toJSON(): Record<string, never> {
    return {};
  }

  /** Starts accepting connections. 32390202 past 10 started servers; 32390300 after close(). */
  start(): void {
    this.svc.checkPermission();
    if (this.closed) fail(LinkEnhanceCode.INTERNAL_ERROR);
    if (this.started) return;
    if (this.svc.startedServers() >= MAX_SERVERS) fail(LinkEnhanceCode.SERVERS_LIMIT);
    this.started = true;
  }

  /** Stops accepting connections; live connections stay. The object stays usable (start() again). */
  stop(): void {
    this.svc.checkPermission();
    this.started = false;
  }

  /** Destroys the server; its name becomes free. */
  close(): void {
    this.svc.checkPermission();
    this.started = false;
    this.closed = true;
    this.listeners.clear();
    this.svc.releaseServer(this);
  }

  on(type: 'connectionAccepted', callback: Callback<Connection>): void;
  on(type: 'serverStopped', callback: Callback<number>): void;
  on(type: string, callback: Callback<never>): void {
    this.svc.checkPermission();
    // biome-ignore lint/complexity/noArguments: linkEnhance tells an omitted callback from an explicit undefined
    this.listeners.on(type, callback, arguments.length);
  }

  off(type: 'connectionAccepted', callback?: Callback<Connection>): void;
  off(type: 'serverStopped', callback?: Callback<number>): void;
  off(type: string, callback?: Callback<never>): void {
    this.svc.checkPermission();
    // biome-ignore lint/complexity/noArguments: linkEnhance tells an omitted callback from an explicit undefined
    this.listeners.off(type, callback, arguments.length);
  }

  onConnectionAccepted(cb: Callback<Connection>): void {
    this.on('connectionAccepted', cb);
  }
  offConnectionAccepted(cb?: Callback<Connection>): void {
    if (cb === undefined) this.off('connectionAccepted');
    else this.off('connectionAccepted', cb);
  }
  onServerStopped(cb: Callback<number>): void {
    this.on('serverStopped', cb);
  }
  offServerStopped(cb?: Callback<number>): void {
    if (cb === undefined) this.off('serverStopped');
    else this.off('serverStopped', cb);
  }
}

/**
 * `Connection` (harmony-api.md §2.1): a connection to a named server on the device with BLE MAC `deviceId`. Over
 * colink it is a channel multiplexed on the one Link per device pair — HarmonyOS's "multi-channel merging". Between
 * protocol-v2 devices it is a channel of their peer connection: it survives the loss of its Link while another Link
 * (or a re-dialled one) reaches the peer within the grace period (`COLINK_PEER_GRACE_MS`, default 10 s); after it
 * `'disconnected'` fires once with 32390300.
 */
export class Connection {
  /** @internal */ readonly listeners = new Listeners<ConnectionEvent>([
    'connectResult',
    'disconnected',
    'dataReceived',
  ]);
  private state: 'idle' | 'connecting' | 'connected' | 'closed' = 'idle';
  private everConnected = false;
  private channel: Channel | undefined;
  private attempt = 0;

  /** @internal */
  constructor(
    private readonly svc: LinkEnhanceService,
    private readonly peerMac: string,
    private readonly name: string,
    accepted?: Channel,
  ) {
    if (accepted) this.bind(accepted);
  }

  /**
   * Connects to the peer's server; the outcome arrives as `'connectResult'` (register first). Throws 32390204 past
   * 10 connections, 32390206 for a name over 255 bytes, 32390300 for a malformed device id or after close().
   */
  connect(): void {
    this.svc.checkPermission();
    if (this.state === 'closed') fail(LinkEnhanceCode.INTERNAL_ERROR);
    if (nameLength(this.name) > MAX_NAME_BYTES) fail(LinkEnhanceCode.INVALID_PARAMETER);
    if (!MAC.test(this.peerMac)) fail(LinkEnhanceCode.INTERNAL_ERROR);
    this.svc.reserveConnection(this);
    if (this.state !== 'idle') return; // already connecting or connected: the reservation above counted the call
    this.state = 'connecting';
    const attempt = ++this.attempt;
    void this.svc.dial(this.peerMac, this.name).then(
      (channel) => {
        if (attempt !== this.attempt || this.state !== 'connecting') {
          channel.reset(closeReason('normal', 'connection abandoned'));
          return;
        }
        this.bind(channel);
        this.listeners.emit('connectResult', {
          deviceId: this.peerMac,
          success: true,
          reason: 0,
        } satisfies ConnectResult);
      },
      (reason: number) => {
        if (attempt !== this.attempt) return;
        this.state = this.state === 'closed' ? 'closed' : 'idle';
        this.svc.releaseConnection(this);
        this.listeners.emit('connectResult', {
          deviceId: this.peerMac,
          success: false,
          reason,
        } satisfies ConnectResult);
      },
    );
  }

  /** Serializes like the platform's native object: `{}` (the seed logs `JSON.stringify(connection)`). */
  toJSON(): Record<string, never> {
    return {};
  }

  /** Disconnects; the object stays valid and may connect() again. The peer gets `'disconnected'`. */
  disconnect(): void {
    this.svc.checkPermission();
    this.attempt++;
    const ch = this.channel;
    this.channel = undefined;
    if (this.state !== 'closed') this.state = 'idle';
    this.svc.releaseConnection(this);
    void ch?.close();
  }

  /** Destroys the connection. */
  close(): void {
    this.svc.checkPermission();
    this.disconnect();
    this.state = 'closed';
    this.listeners.clear();
  }

  /** The peer's BLE MAC (`""` if unknown). */
  getPeerDeviceId(): string {
    this.svc.checkPermission();
    return this.peerMac;
  }

  /**
   * Sends ≤ 1024 bytes. 32390206 for a non-ArrayBuffer, an empty or larger buffer, or a never-connected
   * connection; 32390205 while connecting or after disconnect; 32390300 after close().
   */
  sendData(data: ArrayBuffer): void {
    this.svc.checkPermission();
    if (!(data instanceof ArrayBuffer) || data.byteLength === 0 || data.byteLength > MAX_DATA_BYTES)
      fail(LinkEnhanceCode.INVALID_PARAMETER);
    if (this.state === 'closed') fail(LinkEnhanceCode.INTERNAL_ERROR);
    if (!this.everConnected && this.state !== 'connecting') fail(LinkEnhanceCode.INVALID_PARAMETER);
    if (this.state !== 'connected' || !this.channel) fail(LinkEnhanceCode.CONNECTION_NOT_READY);
    // One copy, into Node's buffer pool behind room for the frame header (no new ArrayBuffer per call): the app may
    // reuse its ArrayBuffer once sendData returns, and the Link writes this buffer as the frame (Channel.sendFramed)
    // instead of copying the bytes once more.
    const framed = Buffer.allocUnsafe(FRAME_HEADER_BYTES + data.byteLength);
    framed.set(new Uint8Array(data), FRAME_HEADER_BYTES);
    this.channel!.sendFramed(framed).catch(ignore);
  }

  on(type: 'connectResult', callback: Callback<ConnectResult>): void;
  on(type: 'disconnected', callback: Callback<number>): void;
  on(type: 'dataReceived', callback: Callback<ArrayBuffer>): void;
  on(type: string, callback: Callback<never>): void {
    this.svc.checkPermission();
    // biome-ignore lint/complexity/noArguments: linkEnhance tells an omitted callback from an explicit undefined
    this.listeners.on(type, callback, arguments.length);
  }

  off(type: 'connectResult', callback?: Callback<ConnectResult>): void;
  off(type: 'disconnected', callback?: Callback<number>): void;
  off(type: 'dataReceived', callback?: Callback<ArrayBuffer>): void;
  off(type: string, callback?: Callback<never>): void {
    this.svc.checkPermission();
    // biome-ignore lint/complexity/noArguments: linkEnhance tells an omitted callback from an explicit undefined
    this.listeners.off(type, callback, arguments.length);
  }

  onConnectResult(cb: Callback<ConnectResult>): void {
    this.on('connectResult', cb);
  }
  offConnectResult(cb?: Callback<ConnectResult>): void {
    if (cb === undefined) this.off('connectResult');
    else this.off('connectResult', cb);
  }
  onDisconnected(cb: Callback<number>): void {
    this.on('disconnected', cb);
  }
  offDisconnected(cb?: Callback<number>): void {
    if (cb === undefined) this.off('disconnected');
    else this.off('disconnected', cb);
  }
  onDataReceived(cb: Callback<ArrayBuffer>): void {
    this.on('dataReceived', cb);
  }
  offDataReceived(cb?: Callback<ArrayBuffer>): void {
    if (cb === undefined) this.off('dataReceived');
    else this.off('dataReceived', cb);
  }

  /** @internal the Link carrying this connection, if connected. */
  get via(): Channel | undefined {
    return this.channel;
  }

  private bind(channel: Channel): void {
    this.channel = channel;
    this.state = 'connected';
    this.everConnected = true;
    channel.messages$.subscribe((m) => this.listeners.emit('dataReceived', toArrayBuffer(m)));
    void firstValueFrom(channel.closed$).then((r) => {
      if (this.channel !== channel) return; // our own disconnect()
      this.channel = undefined;
      if (this.state === 'connected') this.state = 'idle';
      this.svc.releaseConnection(this);
      this.listeners.emit(
        'disconnected',
        r.remote && r.code === 'normal' ? 0 : LinkEnhanceCode.INTERNAL_ERROR,
      );
    });
  }
}

/**
 * linkEnhance bound to one device runtime: servers by name, connections by peer BLE MAC, each connection a channel
 * on the shared Link (between protocol-v2 devices, the peer connection) to that device.
 */
/**
 * What linkEnhance needs of a device: the colink device, its BLE MAC (the id peers address it by), a start, and the
 * permission check. A {@link DeviceRuntime} is one; {@link linkEnhanceOn} takes any.
 */
/**
 * What linkEnhance needs of a device: a {@link DeviceRuntime}, or a lab's own device. `scheduler` is the clock of the
 * 10 s connect time limit (`CONNECT_TIMEOUT_MS`); default real time (`asyncScheduler`).
 */
export type LinkEnhanceHost = Pick<DeviceRuntime, 'device' | 'bleMac' | 'start' | 'hasPermission'> &
  Partial<Pick<DeviceRuntime, 'scheduler'>>;

export class LinkEnhanceService {
  private readonly servers = new Map<string, Server>();
  private readonly active = new Map<Connection, number>();

  constructor(private readonly runtime: LinkEnhanceHost) {
    runtime.device.handle(LINK_ENHANCE_PROTO, (channel, link) => this.onIncoming(channel, link));
    void runtime.start().catch(() => undefined);
  }

  createServer(name: string): Server {
    this.checkPermission();
    if (!nameOk(name) || nameLength(name) > MAX_NAME_BYTES) fail(LinkEnhanceCode.INVALID_PARAMETER);
    if (this.servers.has(name)) fail(LinkEnhanceCode.DUPLICATE_SERVER_NAME);
    const s = new Server(this, name);
    this.servers.set(name, s);
    return s;
  }

  createConnection(deviceId: string, name: string): Connection {
    this.checkPermission();
    if (!nameOk(deviceId) || !nameOk(name)) fail(LinkEnhanceCode.INVALID_PARAMETER);
    return new Connection(this, deviceId.toUpperCase(), name);
  }

  /** @internal */
  checkPermission(): void {
    if (!this.runtime.hasPermission('DISTRIBUTED_DATASYNC')) fail(LinkEnhanceCode.PERMISSION_DENIED);
  }

  /** @internal */
  startedServers(): number {
    let n = 0;
    for (const s of this.servers.values()) if (s.started) n++;
    return n;
  }

  /** @internal */
  releaseServer(s: Server): void {
    if (this.servers.get(s.name) === s) this.servers.delete(s.name);
  }

  /** @internal counts a connect() call against the limit of 10; throws 32390204 past it. */
  reserveConnection(c: Connection): void {
    let total = 0;
    for (const n of this.active.values()) total += n;
    if (total >= MAX_CONNECTIONS) fail(LinkEnhanceCode.CONNECTIONS_LIMIT);
    this.active.set(c, (this.active.get(c) ?? 0) + 1);
  }

  /** @internal */
  releaseConnection(c: Connection): void {
    this.active.delete(c);
  }

  /** @internal opens a channel to server `name` on the device with BLE MAC `mac`; rejects with a linkEnhance reason code. */
  async dial(mac: string, name: string): Promise<Channel> {
    // The time limit runs on the runtime's clock (virtual in tests).
    const scheduler = this.runtime.scheduler ?? asyncScheduler;
    const deadline = scheduler.now() + CONNECT_TIMEOUT_MS;
    let timer: Subscription | undefined;
    try {
      await this.runtime.start();
      const dir = this.runtime.device.directory;
      if (!dir.findByBleMac(mac)) {
        // not discovered yet: wait for it within the connect time limit
        await firstValueFrom(
          dir.devices$.pipe(
            filter(() => dir.findByBleMac(mac) !== undefined),
            timeout({ first: CONNECT_TIMEOUT_MS, scheduler }),
          ),
        );
      }
      const entry = dir.findByBleMac(mac);
      if (!entry) throw LinkEnhanceCode.CONNECT_TIMEOUT;
      const link = await this.runtime.device.connect(entry.networkId);
      const meta = { proto: LINK_ENHANCE_PROTO, name, from: this.runtime.bleMac };
      // Between protocol-v2 devices the connection is a channel of the peer connection: it moves to another Link
      // of the peer when its own is lost, and ends (32390300) only when none returns within the grace period.
      const pc = link.resumable ? this.runtime.device.peer(entry.networkId) : undefined;
      const channel = pc ? pc.openChannel(meta) : link.openChannel(meta);
      const closedAnswer = (): Promise<string> =>
        firstValueFrom(channel.closed$).then((r) => (r.code === 'refused' ? 'not-started' : 'closed'));
      const answer = await Promise.race([
        // messages$ completes (no value) when the channel is refused; the close reason then says why
        firstValueFrom(channel.messages$, { defaultValue: undefined }).then((m) =>
          m ? new TextDecoder().decode(m) : closedAnswer(),
        ),
        new Promise<string>((resolve) => {
          timer = scheduler.schedule(() => resolve('timeout'), Math.max(0, deadline - scheduler.now()));
        }),
      ]);
      timer?.unsubscribe();
      if (answer === 'accepted') return channel;
      channel.reset(closeReason('normal', 'connect failed'));
      throw answer === 'not-started'
        ? LinkEnhanceCode.PEER_SERVER_NOT_STARTED
        : answer === 'timeout'
          ? LinkEnhanceCode.CONNECT_TIMEOUT
          : LinkEnhanceCode.INTERNAL_ERROR;
    } catch (e) {
      timer?.unsubscribe();
      if (typeof e === 'number') throw e;
      if (isColinkError(e, 'ERR_TIMEOUT') || (e instanceof Error && e.name === 'TimeoutError'))
        throw LinkEnhanceCode.CONNECT_TIMEOUT;
      throw LinkEnhanceCode.INTERNAL_ERROR;
    }
  }

  private onIncoming(channel: Channel, link: Link): void {
    const name = channel.metadata.name;
    const server = typeof name === 'string' ? this.servers.get(name) : undefined;
    if (!server?.started) {
      channel.reset(closeReason('refused', 'peer server is not started'));
      return;
    }
    const peerMac =
      typeof channel.metadata.from === 'string' ? channel.metadata.from : (link.remote?.bleMac ?? '');
    const conn = new Connection(this, peerMac, server.name, channel);
    // The accept answer must precede any data the server side sends (same channel, in order).
    void channel.send(new TextEncoder().encode('accepted')).catch(() => undefined);
    server.listeners.emit('connectionAccepted', conn);
  }
}
