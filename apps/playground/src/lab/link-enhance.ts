import { type LinkEnhanceApi, linkEnhanceOn } from '@colink/api-compat/runtime';
import type { LocalDevice } from '@colink/core';
import type { LabLeConnection, LabLeServer } from './protocol.js';

type Server = ReturnType<LinkEnhanceApi['createServer']>;
type Connection = ReturnType<LinkEnhanceApi['createConnection']>;

/** What the lab tells the user about linkEnhance activity. */
export interface LinkEnhanceSink {
  /** A line for the event log, attributed to a device. */
  log(text: string, device: string): void;
  /** The linkEnhance state changed. */
  changed(): void;
  /** The lab device id whose advert carries `mac`, if any. */
  deviceByMac(mac: string): string | undefined;
  /** A lab device's name. */
  name(device: string): string;
}

interface ServerState {
  readonly device: string;
  readonly name: string;
  readonly server: Server;
  readonly local: LocalDevice;
}

interface ConnectionState {
  readonly id: string;
  readonly device: string;
  readonly peerMac: string;
  readonly name: string;
  readonly role: 'client' | 'server';
  readonly conn: Connection;
  readonly local: LocalDevice;
  state: LabLeConnection['state'];
  reason?: number;
  sent: number;
  received: number;
  lastReceived?: string;
}

/** At most this many connections are listed; the oldest closed ones go first. */
const MAX_LISTED = 30;

/**
 * The lab's linkEnhance panel, driving api-compat's real `@ohos.distributedsched.linkEnhance` (servers by name,
 * connections addressed by the peer's BLE MAC, each a channel on the one colink Link between two devices) on the
 * lab's in-process devices.
 *
 * Each lab {@link LocalDevice} gets its own linkEnhance through api-compat's `linkEnhanceOn` (the device, its BLE
 * MAC, every permission granted).
 */
export class LabLinkEnhance {
  private readonly apis = new WeakMap<LocalDevice, LinkEnhanceApi>();
  private readonly servers = new Map<string, ServerState>();
  private readonly connections = new Map<string, ConnectionState>();
  private seq = 0;

  constructor(private readonly sink: LinkEnhanceSink) {}

  /**
   * Starts server `name` on `device` (linkEnhance `createServer` + `start`).
   * @throws Error `"<code>: <message>"` with linkEnhance's code (32390203 duplicate name, 32390206 bad name, …).
   */
  startServer(device: string, local: LocalDevice, bleMac: string, name: string): void {
    const key = `${device}/${name}`;
    if (this.servers.get(key)?.local === local)
      throw new Error(`32390203: server "${name}" is already started`);
    const server = coded(() => this.api(local, bleMac).createServer(name));
    server.on('connectionAccepted', (conn) => {
      const peerMac = conn.getPeerDeviceId();
      const st = this.track(device, local, conn, peerMac, name, 'server');
      st.state = 'connected';
      this.sink.log(
        `linkEnhance server "${name}" accepted a connection from ${this.peerName(peerMac)}`,
        device,
      );
    });
    coded(() => server.start());
    this.servers.set(key, { device, name, server, local });
    this.sink.log(`linkEnhance server "${name}" started`, device);
    this.sink.changed();
  }

  /** Stops and closes server `name` on `device`; its live connections stay (as on HarmonyOS). */
  stopServer(device: string, name: string): void {
    const s = this.servers.get(`${device}/${name}`);
    if (!s) throw new Error(`no linkEnhance server "${name}" on that device`);
    this.servers.delete(`${device}/${name}`);
    coded(() => s.server.close());
    this.sink.log(`linkEnhance server "${name}" stopped`, device);
    this.sink.changed();
  }

  /**
   * `device` connects to server `name` on the device with BLE MAC `mac` (linkEnhance `createConnection` +
   * `connect`); the outcome arrives as connection state (`connected`, or `failed` with the reason code).
   * @throws Error `"<code>: <message>"` for arguments linkEnhance rejects at once.
   */
  connect(device: string, local: LocalDevice, bleMac: string, mac: string, name: string): string {
    const conn = coded(() => this.api(local, bleMac).createConnection(mac, name));
    const st = this.track(device, local, conn, mac.toUpperCase(), name, 'client');
    conn.on('connectResult', (r) => {
      st.state = r.success ? 'connected' : 'failed';
      if (!r.success) st.reason = r.reason;
      this.sink.log(
        r.success
          ? `linkEnhance connected to "${name}" on ${this.peerName(st.peerMac)}`
          : `linkEnhance connect to "${name}" on ${this.peerName(st.peerMac)} failed: ${r.reason}`,
        device,
      );
      this.sink.changed();
    });
    try {
      coded(() => conn.connect());
    } catch (e) {
      this.connections.delete(st.id);
      throw e;
    }
    this.sink.log(
      `linkEnhance connecting to "${name}" on ${this.peerName(st.peerMac)} (${st.peerMac})`,
      device,
    );
    this.sink.changed();
    return st.id;
  }

  /**
   * Sends `text` (UTF-8, 1–1024 bytes) on connection `id`.
   * @throws Error `"<code>: <message>"`: 32390205 when not connected, 32390206 for an empty or too long text.
   */
  send(id: string, text: string): void {
    const st = this.get(id);
    const bytes = new TextEncoder().encode(text);
    coded(() => st.conn.sendData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    st.sent += bytes.byteLength;
    this.sink.log(`linkEnhance → ${this.peerName(st.peerMac)}: "${text}"`, st.device);
    this.sink.changed();
  }

  /** Disconnects connection `id` (the peer sees `disconnected`) and removes it from the list. */
  close(id: string): void {
    const st = this.get(id);
    this.connections.delete(id);
    coded(() => st.conn.close());
    this.sink.log(`linkEnhance disconnected from ${this.peerName(st.peerMac)}`, st.device);
    this.sink.changed();
  }

  /** Forgets the servers and connections of `device`'s LocalDevice (it stopped; its channels are gone). */
  deviceStopped(device: string): void {
    for (const [key, s] of this.servers) if (s.device === device) this.servers.delete(key);
    for (const c of this.connections.values()) {
      if (c.device === device && c.state !== 'failed') c.state = 'disconnected';
    }
    this.sink.changed();
  }

  /** The panel's state. */
  state(): { servers: LabLeServer[]; connections: LabLeConnection[] } {
    return {
      servers: [...this.servers.values()].map((s) => ({ device: s.device, name: s.name })),
      connections: [...this.connections.values()].map((c) => ({
        id: c.id,
        device: c.device,
        peerMac: c.peerMac,
        peer: this.sink.deviceByMac(c.peerMac) ?? '',
        name: c.name,
        role: c.role,
        state: c.state,
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        sent: c.sent,
        received: c.received,
        ...(c.lastReceived !== undefined ? { lastReceived: c.lastReceived } : {}),
      })),
    };
  }

  private track(
    device: string,
    local: LocalDevice,
    conn: Connection,
    peerMac: string,
    name: string,
    role: 'client' | 'server',
  ): ConnectionState {
    const st: ConnectionState = {
      id: `le${++this.seq}`,
      device,
      local,
      peerMac,
      name,
      role,
      conn,
      state: 'connecting',
      sent: 0,
      received: 0,
    };
    conn.on('dataReceived', (data) => {
      const text = new TextDecoder().decode(data);
      st.received += data.byteLength;
      st.lastReceived = text;
      this.sink.log(`linkEnhance ← ${this.peerName(peerMac)}: "${text}"`, device);
      this.sink.changed();
    });
    conn.on('disconnected', (reason) => {
      st.state = 'disconnected';
      st.reason = reason;
      this.sink.log(`linkEnhance connection with ${this.peerName(peerMac)} disconnected (${reason})`, device);
      this.sink.changed();
    });
    this.connections.set(st.id, st);
    // Bounded list: drop the oldest finished connections first.
    for (const [id, c] of this.connections) {
      if (this.connections.size <= MAX_LISTED) break;
      if (c.state === 'disconnected' || c.state === 'failed') this.connections.delete(id);
    }
    return st;
  }

  private get(id: string): ConnectionState {
    const st = this.connections.get(id);
    if (!st) throw new Error('no such linkEnhance connection');
    return st;
  }

  private peerName(mac: string): string {
    const id = this.sink.deviceByMac(mac);
    return id === undefined ? mac : this.sink.name(id);
  }

  /** Runs `f` with `local` as api-compat's current device runtime. */
  /** linkEnhance on `local` (one per device, created on first use). */
  private api(local: LocalDevice, bleMac: string): LinkEnhanceApi {
    let api = this.apis.get(local);
    if (!api) {
      api = linkEnhanceOn({
        device: local,
        bleMac,
        start: () => Promise.resolve(), // the lab starts its devices itself
        hasPermission: () => true,
      });
      this.apis.set(local, api);
    }
    return api;
  }
}

/** Runs a linkEnhance call, turning its numeric-coded errors into `Error("<code>: <message>")`. */
function coded<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new Error(typeof code === 'number' ? `${code}: ${(e as Error).message}` : String(e));
  }
}
