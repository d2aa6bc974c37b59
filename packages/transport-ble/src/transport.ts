import {
  advertsEqual,
  assertArgument,
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
  runAfter,
  runEvery,
  type Transport,
  type TransportCapabilities,
} from '@colink/core';
import { truncateUtf8 } from '@colink/core/wire';
import { Observable, type SchedulerLike, Subject } from 'rxjs';
import { isMac, normalizeMac } from './address.js';
import type { BleConduit } from './ble-conduit.js';
import { CentralRole } from './central.js';
import {
  ATT_MAX_VALUE,
  ATT_MIN_MTU,
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_LOST_AFTER_MS,
  DEFAULT_REQUESTED_MTU,
  DEFAULT_WINDOW_PDUS,
  MAX_ADVERTISED_NAME_BYTES,
  MAX_INFO_BYTES,
  MAX_WINDOW_PDUS,
  PDU_HEADER,
  STOP_WAIT_MS,
} from './constants.js';
import { type HciBindingOptions, loadBleno, loadNoble } from './hosts.js';
import { PeripheralRole } from './peripheral.js';
import { DEFAULT_SERVER_NAME, type ServiceUuids, serviceUuids } from './service-uuid.js';

/** Options of {@link BleTransport}. */
export interface BleTransportOptions {
  /**
   * HCI binding of the central role (noble), or `false` for no central role (no dial, no discovery). When both roles
   * use the same physical adapter, noble's HCI_Reset before its first connection stops bleno's advertising; the
   * transport re-enables advertising after every connection attempt (set `sharedAdapter: true`). Default: native
   * driver, device 0.
   */
  readonly central?: HciBindingOptions | false;
  /** HCI binding of the peripheral role (bleno), or `false` for no peripheral role (no listen, no advertise). */
  readonly peripheral?: HciBindingOptions | false;
  /** Both roles run on one adapter: re-advertise after every connection noble makes (stoprocent/noble#98). */
  readonly sharedAdapter?: boolean;
  /** Server name the GATT service UUID derives from (default `'colink'`); only peers with the same name meet. */
  readonly serverName?: string;
  /** ATT MTU the central requests, 23-517 (default 517). */
  readonly mtu?: number;
  /** Largest ATT MTU the peripheral answers, 23-517 (default 517; bleno alone answers at most 256). */
  readonly maxMtu?: number;
  /** Receive window in PDUs announced to peers (default 64). */
  readonly windowPdus?: number;
  /** Dial timeout when the caller gives none, ms (default 10 000). */
  readonly dialTimeoutMs?: number;
  /** A discovered peer is `lost` after this long without an advertisement, ms (default 10 000). */
  readonly lostAfterMs?: number;
  /** Time to wait for each adapter to power on, ms (default 10 000). */
  readonly poweredOnTimeoutMs?: number;
  /**
   * Clock of the transport's own timers — the dial time limit, discovery's `lostAfterMs` expiry, a conduit's
   * end-flush limit (`END_FLUSH_TIMEOUT_MS`, 5 000 ms) and `stop()`'s wait for graceful ends
   * ({@link STOP_WAIT_MS}, 2 000 ms) — as an rxjs scheduler; tests pass core's `VirtualClock`. The BLE host stacks
   * (noble, bleno), their power-on wait and the radio keep real time. Default: real time.
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * A colink {@link Transport} over Bluetooth LE GATT: the peripheral role (bleno) advertises the colink service and
 * accepts conduits, the central role (noble) discovers peers by scanning for that service and dials them by BLE MAC.
 * Addresses are MACs as HarmonyOS shows them (`AA:BB:CC:DD:EE:FF`).
 *
 * Discovery reads each new peer's device advert from its INFO characteristic over a short connection (the 31-byte
 * advertisement cannot carry a 64-hex-digit networkId), like DSoftBus's basic-info exchange.
 */
export class BleTransport implements Transport, Discovery {
  readonly medium = 'ble';
  readonly capabilities: TransportCapabilities;

  private readonly uuids: ServiceUuids;
  private readonly opts: Required<Omit<BleTransportOptions, 'central' | 'peripheral' | 'scheduler'>> & {
    central: HciBindingOptions | false;
    peripheral: HciBindingOptions | false;
    scheduler: SchedulerLike | undefined;
  };
  private central: CentralRole | undefined;
  private peripheral: PeripheralRole | undefined;
  private readonly conduits = new Set<BleConduit>();
  private readonly incomingSubject = new Subject<Conduit>();
  readonly incoming$: Observable<Conduit> = this.incomingSubject.asObservable();
  private started: Promise<void> | undefined;
  private advert: DeviceAdvert | undefined;
  private readonly discovery = new DiscoveryState();
  private readonly discovery$: Observable<DiscoveryEvent>;

  constructor(options: BleTransportOptions = {}) {
    const mtu = options.mtu ?? DEFAULT_REQUESTED_MTU;
    const maxMtu = options.maxMtu ?? DEFAULT_REQUESTED_MTU;
    const window = options.windowPdus ?? DEFAULT_WINDOW_PDUS;
    assertArgument(
      Number.isInteger(mtu) && mtu >= ATT_MIN_MTU && mtu <= ATT_MAX_VALUE + 5,
      `mtu must be 23-517, got ${mtu}`,
    );
    assertArgument(
      Number.isInteger(maxMtu) && maxMtu >= ATT_MIN_MTU && maxMtu <= ATT_MAX_VALUE + 5,
      `maxMtu must be 23-517, got ${maxMtu}`,
    );
    assertArgument(
      Number.isInteger(window) && window >= 1 && window <= MAX_WINDOW_PDUS,
      `windowPdus must be 1-65535, got ${window}`,
    );
    this.opts = {
      central: options.central ?? {},
      peripheral: options.peripheral ?? {},
      sharedAdapter: options.sharedAdapter ?? false,
      serverName: options.serverName ?? DEFAULT_SERVER_NAME,
      mtu,
      maxMtu,
      windowPdus: window,
      dialTimeoutMs: options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      lostAfterMs: options.lostAfterMs ?? DEFAULT_LOST_AFTER_MS,
      poweredOnTimeoutMs: options.poweredOnTimeoutMs ?? 10_000,
      scheduler: options.scheduler,
    };
    this.uuids = serviceUuids(this.opts.serverName);
    this.capabilities = {
      maxFrameSize: Math.min(Math.min(mtu, maxMtu) - 3, ATT_MAX_VALUE) - PDU_HEADER,
      reliable: true,
      bandwidth: 'low',
      latency: 'medium',
      priority: 20,
    };
    this.discovery$ = this.makeDiscovery();
  }

  /** The GATT service and characteristic UUIDs this transport uses. */
  get serviceUuids(): ServiceUuids {
    return this.uuids;
  }

  /** This device's BLE MAC (`AA:BB:CC:DD:EE:FF`): the peripheral's address, else the central's. */
  get localAddress(): string | undefined {
    return this.peripheral?.address ?? this.central?.address;
  }

  start(): Promise<void> {
    this.started ??= this.doStart().catch((e) => {
      this.started = undefined;
      this.teardown();
      throw isColinkError(e)
        ? e
        : new ColinkError(ErrorCode.INTERNAL, `BLE start failed: ${(e as Error).message}`, { cause: e });
    });
    return this.started;
  }

  private async doStart(): Promise<void> {
    const roles: Promise<void>[] = [];
    if (this.opts.peripheral) {
      this.peripheral = new PeripheralRole(loadBleno(), {
        hci: this.opts.peripheral,
        uuids: this.uuids,
        window: this.opts.windowPdus,
        maxMtu: this.opts.maxMtu,
        poweredOnTimeoutMs: this.opts.poweredOnTimeoutMs,
        onConduit: (c) => this.adopt(c, true),
        ...(this.opts.scheduler ? { scheduler: this.opts.scheduler } : {}),
      });
      roles.push(this.peripheral.start());
    }
    if (this.opts.central) {
      this.central = new CentralRole(loadNoble(), {
        hci: this.opts.central,
        uuids: this.uuids,
        window: this.opts.windowPdus,
        mtu: this.opts.mtu,
        poweredOnTimeoutMs: this.opts.poweredOnTimeoutMs,
        afterConnect: () => this.afterConnect(),
        ...(this.opts.scheduler ? { scheduler: this.opts.scheduler } : {}),
      });
      roles.push(this.central.start());
    }
    await Promise.all(roles);
    if (this.advert) await this.advertise(this.advert);
    else await this.peripheral?.listen();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => {});
    this.started = undefined;
    this.discovery.stopAll(this);
    const closing = [...this.conduits].map(
      (c) => new Promise<void>((resolve) => c.closed$.subscribe({ complete: () => resolve() })),
    );
    for (const c of this.conduits) c.end(closeReason('going-away', 'transport stopped'));
    let cancelWait = (): void => {};
    const waited = new Promise<void>((resolve) => {
      cancelWait = runAfter(STOP_WAIT_MS, resolve, { scheduler: this.opts.scheduler, unref: true });
    });
    await Promise.race([Promise.all(closing), waited]);
    cancelWait();
    this.teardown();
  }

  private teardown(): void {
    for (const c of this.conduits) c.destroy(closeReason('going-away', 'transport stopped'));
    this.conduits.clear();
    this.peripheral?.stop();
    this.central?.stop();
    this.peripheral = undefined;
    this.central = undefined;
  }

  /**
   * Advertises the colink service with `advert.deviceName` (truncated to 29 bytes) and serves `advert` as JSON from
   * the INFO characteristic. Rejects with `ERR_INVALID_ARGUMENT` when the JSON exceeds 512 bytes.
   */
  async advertise(advert: DeviceAdvert): Promise<void> {
    const info = Buffer.from(JSON.stringify(advert), 'utf8');
    assertArgument(
      info.length <= MAX_INFO_BYTES,
      `device advert is ${info.length} bytes as JSON, at most ${MAX_INFO_BYTES}`,
    );
    this.advert = advert;
    if (!this.started || !this.peripheral) return;
    await this.started;
    await this.peripheral.advertise(truncateUtf8(advert.deviceName, MAX_ADVERTISED_NAME_BYTES), info);
  }

  /**
   * Stops announcing this device (advertising goes back to the nameless, connectable listen mode). Resolves after at
   * most {@link STOP_WAIT_MS} (2 000 ms) even when the controller does not answer (adapter or virtual radio gone).
   */
  async unadvertise(): Promise<void> {
    this.advert = undefined;
    const done = this.peripheral?.unadvertise();
    if (!done) return;
    // A controller that is gone (the virtual radio's broker ended, the adapter unplugged) never answers the HCI
    // commands: waiting would hang the device's stop(). Bounded like stop(): STOP_WAIT_MS.
    let cancel = (): void => {};
    const waited = new Promise<void>((resolve) => {
      cancel = runAfter(STOP_WAIT_MS, resolve, { scheduler: this.opts.scheduler, unref: true });
    });
    await Promise.race([done, waited]);
    cancel();
  }

  discover(): Observable<DiscoveryEvent> {
    return this.discovery$;
  }

  /**
   * Dials the device with BLE MAC `address`. Rejects with `ERR_INVALID_ARGUMENT` (not a MAC), `ERR_NOT_STARTED`,
   * `ERR_DIAL_FAILED`, `ERR_TIMEOUT` or `ERR_ABORTED`.
   */
  async dial(address: string, options: DialOptions = {}): Promise<Conduit> {
    assertArgument(isMac(address), `not a BLE MAC address: ${address}`);
    if (!this.started) throw new ColinkError(ErrorCode.NOT_STARTED, 'BLE transport not started');
    await this.started;
    if (!this.central) throw new ColinkError(ErrorCode.NOT_STARTED, 'BLE transport has no central role');
    if (options.signal?.aborted) throw new ColinkError(ErrorCode.ABORTED, 'dial aborted');
    const conduit = await this.central.dial(
      address,
      options.timeoutMs ?? this.opts.dialTimeoutMs,
      options.signal,
    );
    this.adopt(conduit, false);
    return conduit;
  }

  private adopt(conduit: BleConduit, incoming: boolean): void {
    this.conduits.add(conduit);
    conduit.closed$.subscribe({ complete: () => this.conduits.delete(conduit) });
    if (incoming) this.incomingSubject.next(conduit);
  }

  private afterConnect(): void {
    this.central?.resumeScanning();
    if (this.opts.sharedAdapter) this.peripheral?.readvertise().catch(() => {});
  }

  private makeDiscovery(): Observable<DiscoveryEvent> {
    return new Observable<DiscoveryEvent>((subscriber) => {
      for (const peer of this.discovery.known()) subscriber.next({ type: 'found', peer });
      const sub = this.discovery.events.subscribe(subscriber);
      this.discovery.addSubscriber(this);
      return () => {
        sub.unsubscribe();
        this.discovery.removeSubscriber(this);
      };
    });
  }

  /** @internal Used by discovery. */
  get centralRole(): CentralRole | undefined {
    return this.central;
  }

  /** @internal */
  get options(): { lostAfterMs: number; dialTimeoutMs: number; scheduler: SchedulerLike | undefined } {
    return this.opts;
  }

  /** @internal now in ms on the transport's clock. */
  now(): number {
    return clockNow(this.opts.scheduler);
  }
}

/** Peers seen by scanning, their adverts (read once over INFO) and last sighting. */
class DiscoveryState {
  readonly events = new Subject<DiscoveryEvent>();
  private readonly peers = new Map<
    string,
    { peer: DiscoveredPeer; lastSeen: number; name: string | undefined }
  >();
  private readonly probing = new Set<string>();
  private readonly failed = new Map<string, number>();
  private subscribers = 0;
  private sweep: (() => void) | undefined;

  known(): DiscoveredPeer[] {
    return [...this.peers.values()].map((p) => p.peer);
  }

  addSubscriber(t: BleTransport): void {
    this.subscribers++;
    if (this.subscribers === 1) this.begin(t);
  }

  removeSubscriber(t: BleTransport): void {
    this.subscribers--;
    if (this.subscribers === 0) this.end(t, false);
  }

  stopAll(t: BleTransport): void {
    this.end(t, true);
  }

  private begin(t: BleTransport): void {
    const central = t.centralRole;
    if (!central) return;
    central.startScanning((s) => this.sighted(t, s.address, s.localName, s.announcing));
    const lostAfter = t.options.lostAfterMs;
    const period = Math.max(50, lostAfter / 4);
    const sweep = (): void => {
      const now = t.now();
      for (const [address, p] of this.peers) {
        if (now - p.lastSeen > lostAfter) {
          this.peers.delete(address);
          this.events.next({ type: 'lost', peer: p.peer, reason: 'expired' });
        }
      }
    };
    this.sweep = runEvery(period, sweep, { scheduler: t.options.scheduler, unref: true });
  }

  private end(t: BleTransport, emitLost: boolean): void {
    t.centralRole?.stopScanning();
    this.sweep?.();
    this.sweep = undefined;
    if (emitLost)
      for (const p of this.peers.values())
        this.events.next({ type: 'lost', peer: p.peer, reason: 'stopped' });
    this.peers.clear();
  }

  private sighted(t: BleTransport, address: string, name: string | undefined, announcing: boolean): void {
    if (address === t.localAddress) return;
    const known = this.peers.get(address);
    if (!announcing) {
      if (known) {
        this.peers.delete(address);
        this.events.next({ type: 'lost', peer: known.peer, reason: 'goodbye' });
      }
      return;
    }
    if (known) {
      known.lastSeen = t.now();
      if (name === known.name) return;
    }
    if (this.probing.has(address)) return;
    const failedAt = this.failed.get(address);
    if (failedAt !== undefined && t.now() - failedAt < t.options.lostAfterMs) return;
    const central = t.centralRole;
    if (!central) return;
    this.probing.add(address);
    central
      .readAdvert(address, t.options.dialTimeoutMs)
      .then((advert) => {
        if (this.subscribers === 0) return;
        const peer: DiscoveredPeer = { ...advert, bleMac: normalizeMac(address), medium: 'ble', address };
        const prev = this.peers.get(address);
        this.peers.set(address, { peer, lastSeen: t.now(), name });
        // A new advertising name may announce nothing new (e.g. the same advert re-read): no event then.
        if (!prev) this.events.next({ type: 'found', peer });
        else if (!advertsEqual(prev.peer, peer)) this.events.next({ type: 'updated', peer });
      })
      .catch(() => this.failed.set(address, t.now()))
      .finally(() => this.probing.delete(address));
  }
}
