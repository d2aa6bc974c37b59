import net from 'node:net';
import {
  assertArgument,
  type CloseReason,
  ColinkError,
  type Conduit,
  clockNow,
  closeReason,
  type DeviceAdvert,
  type DialOptions,
  type DiscoveredPeer,
  type Discovery,
  type DiscoveryEvent,
  ErrorCode,
  isColinkError,
  MAX_FRAME_SIZE,
  peersEqual,
  runAfter,
  socketConduit,
  type Transport,
  type TransportCapabilities,
} from '@colink/core';
import { truncateUtf8 } from '@colink/core/wire';
import { Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { P2P_CONNECT_TIMEOUT_MS, P2P_DEFAULT_TCP_PORT, P2P_DEVICE_NAME_MAX_BYTES } from './constants.js';
import type { GroupAddressing } from './group-addressing.js';
import type { P2pPeer } from './p2p-peer.js';
import { type P2pGroupInfo, P2pService, type P2pServiceOptions } from './p2p-service.js';
import { decodeVendorAdvert, encodeVendorAdvert } from './vendor-advert.js';
import { WpaCtrlClient, type WpaCtrlClientOptions } from './wpa-ctrl-client.js';

/** Capabilities of Wi-Fi P2P conduits: TCP over the group (64 KiB frames + 12-byte header, as transport-tcp). */
export const WIFI_P2P_CAPABILITIES: TransportCapabilities = Object.freeze({
  maxFrameSize: MAX_FRAME_SIZE,
  reliable: true,
  bandwidth: 'high',
  latency: 'low',
  priority: 70,
});

/** Retry period while the peer's listener on the group is not up yet (ECONNREFUSED right after formation), ms. */
export const DIAL_RETRY_MS = 50;

/** Options of {@link WifiP2pTransport}. */
export interface WifiP2pTransportOptions {
  /** The wpa_supplicant control socket of the P2P Device interface, e.g. `/run/wpa_supplicant/p2p-dev-wlan0`. */
  readonly ctrlPath: string;
  /** More {@link WpaCtrlClient} options. */
  readonly client?: Omit<WpaCtrlClientOptions, 'ctrlPath'>;
  /** TCP port of the listener on each group interface. Default {@link P2P_DEFAULT_TCP_PORT} (49228). */
  readonly port?: number;
  /** GO intent 0..15 when this device starts a negotiation or answers one. Default 7. */
  readonly goIntent?: number;
  /** How group addresses are verified. Default: the interfaces of this network namespace. */
  readonly addressing?: GroupAddressing;
  /** Ask for persistent groups when connecting. Default `false`. */
  readonly persistent?: boolean;
  /** Remove the groups this device is in on `stop()`. Default `true`. */
  readonly removeGroupsOnStop?: boolean;
  /**
   * Put group addresses on the group interfaces (GO 192.168.49.1/24, clients their EAPOL address); needs
   * CAP_NET_ADMIN. Default `false`: something else on the host configures them.
   */
  readonly assignAddresses?: boolean;
  /** Hand out client addresses in the EAPOL handshake when GO (`SET ip_addr_go…`). Default `true`. */
  readonly eapolIpAllocation?: boolean;
  /** Address groups without EAPOL allocation by DHCP (dnsmasq on the GO, udhcpc on the client). Default `false`. */
  readonly dhcp?: boolean;
  /** More {@link P2pService} options. */
  readonly service?: Omit<P2pServiceOptions, 'goIntent' | 'addressing' | 'assignAddresses' | 'dhcp'>;
  /**
   * Clock of the transport's dial time limit and TCP connect retries, and of the wpa_supplicant client's and the P2P
   * service's timers (reply timeouts, watchdog, connect timeout) unless `client.scheduler` / `service.scheduler` say
   * otherwise; tests pass core's `VirtualClock`. Default: real time.
   */
  readonly scheduler?: SchedulerLike;
}

interface GroupRuntime {
  readonly info: P2pGroupInfo;
  server: net.Server | undefined;
  readonly conduits: Set<Conduit>;
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/**
 * The colink {@link Transport} over Wi-Fi Direct (medium `'wifi-p2p'`). Addresses are P2P Device Addresses.
 *
 * - `advertise()` sets the WPS device name and puts the colink advert into P2P probe frames as vendor elements,
 *   then listens (`P2P_LISTEN`); `discover()` runs `P2P_FIND` while subscribed and reports peers that carry an advert.
 * - `dial(address)` forms a group with the peer (GO Negotiation, or a push-button join when the peer is already a
 *   GO), waits until the group address is on the interface, then opens TCP to the peer's group address and wraps
 *   the socket with core's `socketConduit` (no second framing).
 * - Each ready group gets a TCP listener on this device's group address; accepted sockets are `incoming$`.
 * - When a group ends, its conduits end: `normal` when this device removed it, otherwise `lost` (remote; the
 *   wpa_supplicant reason in `detail.reason`).
 */
export class WifiP2pTransport implements Transport, Discovery {
  readonly medium = 'wifi-p2p' as const;
  readonly capabilities = WIFI_P2P_CAPABILITIES;
  private readonly opts: WifiP2pTransportOptions;
  private readonly port: number;
  private wpaClient: WpaCtrlClient | undefined;
  private p2p: P2pService | undefined;
  private starting: Promise<void> | undefined;
  private address: string | undefined;
  private readonly groups = new Map<string, GroupRuntime>();
  private readonly incoming = new Subject<Conduit>();
  private readonly discovery = new Subject<DiscoveryEvent>();
  private readonly known = new Map<string, DiscoveredPeer>();
  private discoverers = 0;
  private readonly dials = new Map<string, Promise<P2pGroupInfo>>();
  private readonly subs: Subscription[] = [];

  /** Accepted conduits. */
  readonly incoming$: Observable<Conduit> = this.incoming.asObservable();

  constructor(options: WifiP2pTransportOptions) {
    assertArgument(
      typeof options?.ctrlPath === 'string' && options.ctrlPath.length > 0,
      'ctrlPath is required',
    );
    this.opts = options;
    this.port = options.port ?? P2P_DEFAULT_TCP_PORT;
    assertArgument(
      Number.isInteger(this.port) && this.port > 0 && this.port < 65_536,
      'port must be 1..65535',
    );
  }

  /** This device's P2P Device Address, once started. */
  get localAddress(): string | undefined {
    return this.address;
  }

  /** The P2P service in use (after `start()`), for group and peer details. */
  get service(): P2pService | undefined {
    return this.p2p;
  }

  /** Opens the control connection. Rejects with `ERR_DIAL_FAILED` when no wpa_supplicant answers at `ctrlPath`. */
  start(): Promise<void> {
    this.starting ??= this.doStart().catch(async (e: unknown) => {
      // A failed start leaves nothing open behind, and the next start() tries again.
      for (const s of this.subs.splice(0)) s.unsubscribe();
      this.p2p?.close();
      await this.wpaClient?.close().catch(() => undefined);
      this.p2p = undefined;
      this.wpaClient = undefined;
      this.starting = undefined;
      throw e;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const scheduler = this.opts.scheduler;
    const wpa = await WpaCtrlClient.open({
      ...(scheduler && { scheduler }),
      ...this.opts.client,
      ctrlPath: this.opts.ctrlPath,
    });
    this.wpaClient = wpa;
    const p2p = new P2pService(wpa, {
      ...(scheduler && { scheduler }),
      ...this.opts.service,
      ...(this.opts.goIntent !== undefined && { goIntent: this.opts.goIntent }),
      ...(this.opts.addressing && { addressing: this.opts.addressing }),
      ...(this.opts.assignAddresses !== undefined && { assignAddresses: this.opts.assignAddresses }),
      ...(this.opts.dhcp !== undefined && { dhcp: this.opts.dhcp }),
    });
    this.p2p = p2p;
    this.address = (await p2p.localDevice()).deviceAddress;
    if (this.opts.eapolIpAllocation !== false) await p2p.configureIpAllocation();
    this.subs.push(p2p.groups$.subscribe((gs) => this.onGroups(gs)));
    this.subs.push(p2p.groupRemoved$.subscribe((r) => this.onGroupRemoved(r.group, r.reason, r.local)));
    this.subs.push(p2p.peers$.subscribe((peers) => this.onPeers(peers)));
    // Stay findable so that peers can dial this device (wpa_supplicant refuses to connect to unseen devices).
    await p2p.listen();
  }

  /** Ends discovery, closes listeners, destroys every conduit (`normal`), leaves groups, closes the control connection. */
  async stop(): Promise<void> {
    const starting = this.starting;
    if (!starting) return;
    this.starting = undefined;
    await starting.catch(() => undefined);
    for (const s of this.subs.splice(0)) s.unsubscribe();
    const reason = closeReason('going-away', 'wifi-p2p transport stopped');
    for (const g of this.groups.values()) this.closeGroup(g, reason);
    this.groups.clear();
    const p2p = this.p2p;
    const wpa = this.wpaClient;
    this.p2p = undefined;
    this.wpaClient = undefined;
    if (p2p && wpa && wpa.state === 'attached') {
      if (this.discoverers > 0) await p2p.stopFind().catch(() => undefined);
      if (this.opts.removeGroupsOnStop !== false && p2p.currentGroups.length > 0) {
        await p2p.removeGroup().catch(() => undefined);
      }
      await p2p.setVendorElems('').catch(() => undefined);
    }
    p2p?.close();
    await wpa?.close();
    this.known.clear();
  }

  /** Announces `advert` to P2P discovery (device name + vendor elements) and listens. */
  async advertise(advert: DeviceAdvert): Promise<void> {
    const p2p = this.requireStarted();
    const name = truncateUtf8(advert.deviceName, P2P_DEVICE_NAME_MAX_BYTES);
    if (name.length > 0) await p2p.setDeviceName(name.replace(/[\r\n]/g, ' '));
    let elems: string;
    try {
      elems = encodeVendorAdvert(advert);
    } catch (e) {
      throw new ColinkError(ErrorCode.MESSAGE_TOO_LARGE, (e as Error).message);
    }
    await p2p.setVendorElems(elems);
    await p2p.listen();
  }

  /** Withdraws the advert (peers then report this device `lost` with reason `goodbye`). */
  async unadvertise(): Promise<void> {
    await this.requireStarted().setVendorElems('');
  }

  /** P2P discovery events; `P2P_FIND` runs while at least one subscriber is there. */
  discover(): Observable<DiscoveryEvent> {
    return new Observable<DiscoveryEvent>((subscriber) => {
      for (const peer of this.known.values()) subscriber.next({ type: 'found', peer });
      const sub = this.discovery.subscribe(subscriber);
      this.discoverers += 1;
      if (this.discoverers === 1) this.p2p?.find().catch((e: unknown) => subscriber.error(e));
      return () => {
        sub.unsubscribe();
        this.discoverers -= 1;
        if (this.discoverers === 0) void this.p2p?.stopFind().catch(() => undefined);
      };
    });
  }

  /** Runs `fn` once after `ms` on this clock (`scheduler` option; real time by default); returns the canceller. */
  private after(fn: () => void, ms: number): () => void {
    return runAfter(ms, fn, { scheduler: this.opts.scheduler });
  }

  /** Now in ms on the transport's clock. */
  private now(): number {
    return clockNow(this.opts.scheduler);
  }

  /**
   * Opens a conduit to the device with P2P Device Address `address`, forming a group first when needed.
   * Rejects with `ERR_INVALID_ARGUMENT`, `ERR_NOT_STARTED`, `ERR_DIAL_FAILED` (negotiation/formation failed,
   * TCP refused), `ERR_TIMEOUT`, `ERR_ABORTED`.
   */
  async dial(address: string, options: DialOptions = {}): Promise<Conduit> {
    const addr = String(address).toLowerCase();
    assertArgument(MAC.test(addr), `not a P2P device address: ${address}`);
    const p2p = this.requireStarted();
    const timeoutMs = options.timeoutMs ?? P2P_CONNECT_TIMEOUT_MS;
    const deadline = this.now() + timeoutMs;
    if (options.signal?.aborted) throw new ColinkError(ErrorCode.ABORTED, 'dial aborted');
    let group = p2p.groupWith(addr);
    if (!group) {
      let pending = this.dials.get(addr);
      if (!pending) {
        pending = p2p.connect(addr, { timeoutMs, persistent: this.opts.persistent ?? false });
        this.dials.set(addr, pending);
        const clear = (): void => {
          if (this.dials.get(addr) === pending) this.dials.delete(addr);
        };
        pending.then(clear, clear);
        // Connecting stops wpa_supplicant's find (P2P-FIND-STOPPED); resume it for discover() subscribers.
        pending.then(
          () => this.resumeDiscovery(),
          () => this.resumeDiscovery(),
        );
      }
      group = await abortable(pending, options.signal);
    }
    const remoteIp =
      group.role === 'client'
        ? group.goIpAddress
        : group.clients.find((c) => c.deviceAddress === addr)?.ipAddress;
    if (!remoteIp) {
      throw new ColinkError(
        ErrorCode.DIAL_FAILED,
        `no IP address known for ${addr} in group ${group.ifname}`,
      );
    }
    const socket = await this.connectTcp(remoteIp, group.ipAddress, deadline, options.signal);
    const rt = this.groups.get(group.ifname);
    const conduit = socketConduit(socket, { medium: 'wifi-p2p' });
    if (!rt) {
      conduit.destroy(closeReason('lost', 'P2P group ended while dialling'));
      throw new ColinkError(ErrorCode.DIAL_FAILED, `group ${group.ifname} ended while dialling ${addr}`);
    }
    this.track(rt, conduit);
    return conduit;
  }

  private async connectTcp(
    host: string,
    localAddress: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<net.Socket> {
    for (;;) {
      if (signal?.aborted) throw new ColinkError(ErrorCode.ABORTED, 'dial aborted');
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host, port: this.port, localAddress });
          const fail = (e: Error): void => {
            s.destroy();
            signal?.removeEventListener('abort', onAbort);
            cancelTimer();
            reject(e);
          };
          const onAbort = (): void => fail(new ColinkError(ErrorCode.ABORTED, 'dial aborted'));
          const cancelTimer = this.after(
            () => fail(new ColinkError(ErrorCode.TIMEOUT, `TCP connect to ${host}:${this.port} timed out`)),
            Math.max(1, deadline - this.now()),
          );
          signal?.addEventListener('abort', onAbort, { once: true });
          s.once('error', fail);
          s.once('connect', () => {
            cancelTimer();
            signal?.removeEventListener('abort', onAbort);
            s.removeListener('error', fail);
            resolve(s);
          });
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED' && this.now() + DIAL_RETRY_MS < deadline) {
          // The pause ends early when the dial is aborted; the loop's check then rejects with ERR_ABORTED.
          await new Promise<void>((r) => {
            const cancel = this.after(done, DIAL_RETRY_MS);
            function done(): void {
              cancel?.();
              signal?.removeEventListener('abort', done);
              r();
            }
            signal?.addEventListener('abort', done, { once: true });
          });
          continue;
        }
        if (isColinkError(e)) throw e;
        throw new ColinkError(
          ErrorCode.DIAL_FAILED,
          `TCP connect to ${host}:${this.port} failed: ${code ?? e}`,
          { cause: e },
        );
      }
    }
  }

  // ---------------- groups ----------------

  private onGroups(groups: readonly P2pGroupInfo[]): void {
    for (const info of groups) {
      const rt = this.groups.get(info.ifname);
      if (rt) {
        (rt as { info: P2pGroupInfo }).info = info;
        continue;
      }
      const fresh: GroupRuntime = { info, server: undefined, conduits: new Set() };
      this.groups.set(info.ifname, fresh);
      const server = net.createServer((socket) => {
        if (this.groups.get(info.ifname) !== fresh) return void socket.destroy();
        const conduit = socketConduit(socket, { medium: 'wifi-p2p' });
        this.track(fresh, conduit);
        this.incoming.next(conduit);
      });
      server.on('error', () => {
        // EADDRINUSE / EADDRNOTAVAIL: this group cannot accept; dials from here still work.
        server.close();
        fresh.server = undefined;
      });
      server.listen({ host: info.ipAddress, port: this.port });
      fresh.server = server;
    }
  }

  private onGroupRemoved(info: P2pGroupInfo, reason: string, local: boolean): void {
    const rt = this.groups.get(info.ifname);
    if (!rt) return;
    this.groups.delete(info.ifname);
    this.closeGroup(
      rt,
      local
        ? closeReason('normal', `P2P group ${info.ifname} removed`, { detail: { reason } })
        : closeReason('lost', `P2P group ${info.ifname} ended: ${reason}`, {
            remote: true,
            detail: { reason },
          }),
    );
  }

  private closeGroup(rt: GroupRuntime, reason: CloseReason): void {
    rt.server?.close();
    rt.server = undefined;
    for (const c of rt.conduits) c.destroy(reason);
    rt.conduits.clear();
  }

  private track(rt: GroupRuntime, conduit: Conduit): void {
    rt.conduits.add(conduit);
    conduit.closed$.subscribe(() => rt.conduits.delete(conduit));
  }

  // ---------------- discovery ----------------

  private onPeers(peers: ReadonlyMap<string, P2pPeer>): void {
    for (const [addr, prev] of this.known) {
      const now = peers.get(addr);
      if (!now) {
        this.known.delete(addr);
        this.discovery.next({ type: 'lost', peer: prev, reason: 'expired' });
      } else if (!decodeVendorAdvert(now.vendorElems)) {
        this.known.delete(addr);
        this.discovery.next({ type: 'lost', peer: prev, reason: 'goodbye' });
      }
    }
    for (const [addr, p] of peers) {
      const advert = decodeVendorAdvert(p.vendorElems);
      if (!advert) continue;
      const peer: DiscoveredPeer = { ...advert, medium: 'wifi-p2p', address: addr };
      const prev = this.known.get(addr);
      if (prev && peersEqual(prev, peer)) continue;
      this.known.set(addr, peer);
      this.discovery.next({ type: prev ? 'updated' : 'found', peer });
    }
  }

  private resumeDiscovery(): void {
    const p2p = this.p2p;
    if (!p2p || this.discoverers === 0 || this.dials.size > 0 || p2p.discovering) return;
    p2p.find().catch(() => undefined);
  }

  private requireStarted(): P2pService {
    if (!this.p2p) throw new ColinkError(ErrorCode.NOT_STARTED, 'wifi-p2p transport is not started');
    return this.p2p;
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new ColinkError(ErrorCode.ABORTED, 'dial aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
