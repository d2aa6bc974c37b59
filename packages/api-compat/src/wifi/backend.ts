/**
 * The P2P backend behind `wifiManager`: one wpa_supplicant control client and `P2pService` per process, opened on
 * first use; a serial queue for the platform's fire-and-forget calls (`createGroup`, `p2pConnect`, … return at once
 * and report through events, as on HarmonyOS); and the bridge from the service's observables to the six P2P events.
 * @module
 */
import fs from 'node:fs';
import { logger } from '@colink/core';
import {
  type P2pGroupInfo,
  type P2pGroupRemoval,
  type P2pPeer,
  P2pService,
  WPA_REATTACH_RETRY_MS,
  WpaCtrlClient,
} from '@colink/transport-wifi-p2p';
import { distinctUntilChanged, type Subscription, skip } from 'rxjs';
import {
  type LocalP2pDevice,
  type MacVisibility,
  RandomMacs,
  toLinkedInfo,
  toLocalDevice,
  toP2pDevice,
} from './convert.js';
import { WifiErrorCode, WifiFailure, wifiCodeOf } from './errors.js';
import type { WifiP2pSettings } from './settings.js';
import { P2pDiscoveryState, type P2pEventMap, type P2pEventType, P2pState } from './types.js';

const log = logger('api-compat:wifiManager');

/** Most listeners per P2P event type (our bound, so a leaking `on` loop fails loudly instead of growing forever). */
export const MAX_LISTENERS_PER_EVENT = 1024;

/** Most fire-and-forget operations waiting in the queue (our bound); more fail with 2801000. */
export const MAX_QUEUED_OPERATIONS = 64;

type AnyListener = (data: never) => void;

/**
 * Whether two peer tables hold the same devices in the same states. `getP2pPeerDevices` re-reads the daemon's
 * table; without this, the seed's pattern (on `'p2pPeerDeviceChange'` call `getP2pPeerDevices`) would feed itself.
 */
function samePeers(a: ReadonlyMap<string, P2pPeer>, b: ReadonlyMap<string, P2pPeer>): boolean {
  if (a.size !== b.size) return false;
  for (const [addr, p] of a) {
    const q = b.get(addr);
    if (
      !q ||
      q.status !== p.status ||
      q.deviceName !== p.deviceName ||
      q.groupCapabilities !== p.groupCapabilities ||
      q.primaryDeviceType !== p.primaryDeviceType
    )
      return false;
  }
  return true;
}

/** The P2P layer of one device (process). */
export class P2pBackend {
  readonly macs = new RandomMacs();
  private readonly listeners = new Map<P2pEventType, Set<AnyListener>>();
  private readonly removalListeners = new Set<(r: P2pGroupRemoval) => void>();
  private opening: Promise<P2pService> | undefined;
  private svc: P2pService | undefined;
  private wpa: WpaCtrlClient | undefined;
  private localInfo: LocalP2pDevice = { deviceAddress: '', deviceName: '', primaryDeviceType: '' };
  private readonly announced = new Set<string>();
  private readonly subs: Subscription[] = [];
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private openFailed = false;
  private cancelRetry: (() => void) | undefined;

  constructor(
    readonly settings: WifiP2pSettings,
    private readonly visibility: () => MacVisibility,
  ) {}

  /**
   * Whether Wi-Fi is on, as far as this device can tell (`wifiManager.isWifiActive`): a daemon is configured and its
   * control client is attached; before the first use, whether its control socket exists (the open starts then).
   */
  get wifiActive(): boolean {
    if (!this.configured || this.closed) return false;
    if (this.wpa) return this.wpa.state === 'attached' && !this.openFailed;
    this.ensureOpen().catch(() => undefined);
    try {
      return fs.statSync(this.settings.ctrlPath!).isSocket();
    } catch {
      return false;
    }
  }

  /** Whether a daemon is configured at all (else the device has no P2P: 801). */
  get configured(): boolean {
    return this.settings.ctrlPath !== undefined;
  }

  /**
   * Throws {@link WifiFailure} 801 without a configured daemon, 2801001 when the daemon is known to be gone (the
   * control client lost it and is re-attaching, or the last attempt to reach it failed — then a new attempt starts).
   */
  assertAvailable(): void {
    this.assertReachable();
    if (this.openFailed) {
      this.ensureOpen().catch(() => undefined);
      throw new WifiFailure(WifiErrorCode.P2P_NOT_OPENED, 'wpa_supplicant did not answer');
    }
  }

  private assertReachable(): void {
    if (!this.configured) throw new WifiFailure(WifiErrorCode.NOT_SUPPORTED, 'no wpa_supplicant configured');
    if (this.closed || (this.wpa && this.wpa.state !== 'attached'))
      throw new WifiFailure(WifiErrorCode.P2P_NOT_OPENED, 'wpa_supplicant is not running');
  }

  /** The open service (opens it, or tries again, first). Rejects with 801 / 2801001 as {@link assertAvailable}. */
  service(): Promise<P2pService> {
    try {
      this.assertReachable();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.ensureOpen();
  }

  private ensureOpen(): Promise<P2pService> {
    this.opening ??= this.open().then(
      (svc) => {
        // P2P came up after an attempt found no daemon: that is the platform's "P2P opened" for listeners
        if (this.openFailed) this.emit('p2pStateChange', P2pState.STARTED);
        this.openFailed = false;
        return svc;
      },
      (e: unknown) => {
        this.opening = undefined;
        this.openFailed = true;
        this.retryWhileListened();
        throw e instanceof WifiFailure ? e : new WifiFailure(WifiErrorCode.P2P_NOT_OPENED, String(e));
      },
    );
    return this.opening;
  }

  /**
   * While listeners wait for events and the daemon did not answer, tries again every re-attach period (the control
   * client's `reattachRetryMs`, default {@link WPA_REATTACH_RETRY_MS}), so an app that subscribed before
   * wpa_supplicant started gets `'p2pStateChange'` 3 and its events once it runs.
   */
  private retryWhileListened(): void {
    if (this.closed || this.cancelRetry || ![...this.listeners.values()].some((l) => l.size > 0)) return;
    const timer = setTimeout(() => {
      this.cancelRetry = undefined;
      if (this.closed || this.wpa) return;
      this.ensureOpen().catch(() => undefined);
    }, this.settings.client?.reattachRetryMs ?? WPA_REATTACH_RETRY_MS);
    timer.unref();
    this.cancelRetry = () => clearTimeout(timer);
  }

  /** The service when already open. */
  get current(): P2pService | undefined {
    return this.svc;
  }

  /** This device's P2P Device Address and name (read when the backend opened, updated by `setDeviceName`). */
  get local(): LocalP2pDevice {
    return this.localInfo;
  }

  private async open(): Promise<P2pService> {
    const wpa = await WpaCtrlClient.open({ ...this.settings.client, ctrlPath: this.settings.ctrlPath! });
    if (this.closed) {
      await wpa.close();
      throw new WifiFailure(WifiErrorCode.P2P_NOT_OPENED, 'closed');
    }
    let svc: P2pService;
    try {
      svc = new P2pService(wpa, this.settings.service); // bad settings (GO intent, address): ERR_INVALID_ARGUMENT
    } catch (e) {
      await wpa.close();
      throw e;
    }
    this.wpa = wpa;
    this.svc = svc;
    if (this.settings.eapolIpAllocation ?? !this.settings.service?.dhcp)
      await svc.configureIpAllocation().catch((e: unknown) => log.warn('EAPOL IP allocation not set: %s', e));
    await this.refreshLocal();
    this.bridge(svc, wpa);
    return svc;
  }

  /** Re-reads this device's address, name and primary device type from the daemon. */
  async refreshLocal(): Promise<void> {
    if (!this.svc || !this.wpa) return;
    const { deviceAddress, deviceName } = await this.svc.localDevice();
    const type = await this.wpa.request('GET device_type').catch(() => 'FAIL\n');
    this.localInfo = {
      deviceAddress,
      deviceName,
      primaryDeviceType: type.startsWith('FAIL') ? '' : type.trim(),
    };
  }

  /**
   * Queues a fire-and-forget operation behind the others (after the backend opened). A failure is logged with its
   * Wi-Fi code and handed to `onFailure` (HarmonyOS reports such outcomes only through events).
   */
  enqueue(name: string, op: (svc: P2pService) => Promise<void>, onFailure?: (code: number) => void): void {
    if (this.queued >= MAX_QUEUED_OPERATIONS)
      throw new WifiFailure(WifiErrorCode.P2P_OPERATION_FAILED, `more than ${MAX_QUEUED_OPERATIONS} queued`);
    this.queued++;
    this.queue = this.queue.then(async () => {
      try {
        await op(await this.service());
      } catch (e) {
        const code = wifiCodeOf(e);
        log.warn('wifiManager.%s failed: %d %s', name, code, e instanceof Error ? e.message : String(e));
        onFailure?.(code);
      } finally {
        this.queued--;
      }
    });
  }

  /** Resolves when every queued operation has run (tests, orderly shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Adds a listener. Throws {@link WifiFailure} 2801000 past {@link MAX_LISTENERS_PER_EVENT}. */
  addListener<K extends P2pEventType>(type: K, cb: (data: P2pEventMap[K]) => void): void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    if (set.size >= MAX_LISTENERS_PER_EVENT && !set.has(cb as AnyListener))
      throw new WifiFailure(
        WifiErrorCode.P2P_OPERATION_FAILED,
        `more than ${MAX_LISTENERS_PER_EVENT} listeners`,
      );
    set.add(cb as AnyListener);
    // events flow once the backend is open; a failure to open shows in the log and in later calls' errors
    this.service().catch((e: unknown) => log.warn('P2P backend not open: %s', e));
  }

  /** Removes one listener, or all of `type` without `cb`. */
  removeListener(type: P2pEventType, cb?: AnyListener): void {
    if (cb) this.listeners.get(type)?.delete(cb);
    else this.listeners.delete(type);
  }

  /** colink extension: every group end with wpa_supplicant's reason. Returns the unsubscribe function. */
  onGroupRemoved(cb: (r: P2pGroupRemoval) => void): () => void {
    this.removalListeners.add(cb);
    return () => this.removalListeners.delete(cb);
  }

  private emit<K extends P2pEventType>(type: K, data: P2pEventMap[K]): void {
    for (const cb of [...(this.listeners.get(type) ?? [])]) {
      try {
        (cb as (d: P2pEventMap[K]) => void)(data);
      } catch (e) {
        log.warn('a %s listener threw: %s', type, e instanceof Error ? (e.stack ?? e.message) : String(e));
      }
    }
  }

  private bridge(svc: P2pService, wpa: WpaCtrlClient): void {
    this.subs.push(
      wpa.state$.pipe(skip(1), distinctUntilChanged()).subscribe((s) => {
        this.emit('p2pStateChange', s === 'attached' ? P2pState.STARTED : P2pState.CLOSED);
      }),
      svc.peers$.pipe(skip(1), distinctUntilChanged(samePeers)).subscribe((peers) => {
        const vis = this.visibility();
        this.emit(
          'p2pPeerDeviceChange',
          [...peers.values()].map((p) => toP2pDevice(p, vis, this.macs)),
        );
      }),
      svc.discovering$.pipe(skip(1), distinctUntilChanged()).subscribe((on) => {
        this.emit('p2pDiscoveryChange', on ? P2pDiscoveryState.STARTED : P2pDiscoveryState.STOPPED);
      }),
      svc.groups$.subscribe((groups) => this.groupsChanged(groups)),
      svc.groupRemoved$.subscribe((r) => this.groupRemoved(r)),
      svc.persistentGroupsChanged$.subscribe(() => this.emit('p2pPersistentGroupChange', undefined)),
      svc.connectionFailed$.subscribe(() => {
        if (svc.currentGroups.length === 0) this.connectionFailed();
      }),
    );
  }

  private groupsChanged(groups: readonly P2pGroupInfo[]): void {
    for (const g of groups) {
      if (this.announced.has(g.ifname)) continue;
      this.announced.add(g.ifname);
      const vis = this.visibility();
      // OpenHarmony's ChangeConnectedStatus: this device's new status first, then the connection
      this.emit('p2pDeviceChange', toLocalDevice(this.localInfo, groups, vis));
      this.emit('p2pConnectionChange', toLinkedInfo(g, vis));
    }
  }

  private groupRemoved(r: P2pGroupRemoval): void {
    for (const cb of [...this.removalListeners]) {
      try {
        cb(r);
      } catch (e) {
        log.warn('a group-removal listener threw: %s', e);
      }
    }
    if (!this.announced.delete(r.group.ifname)) return;
    const vis = this.visibility();
    const rest = this.svc?.currentGroups ?? [];
    this.emit('p2pDeviceChange', toLocalDevice(this.localInfo, rest, vis));
    this.emit('p2pConnectionChange', toLinkedInfo(rest[0], vis));
  }

  /** A connect that did not form a group: `'p2pConnectionChange'` with DISCONNECTED, as the platform reports it. */
  connectionFailed(): void {
    this.emit('p2pConnectionChange', toLinkedInfo(undefined, this.visibility()));
  }

  /** Re-announces this device after a change of its own (device name). */
  localChanged(): void {
    this.emit(
      'p2pDeviceChange',
      toLocalDevice(this.localInfo, this.svc?.currentGroups ?? [], this.visibility()),
    );
  }

  /** Closes the service and the control client; listeners are dropped. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelRetry?.();
    await this.opening?.catch(() => undefined);
    for (const s of this.subs) s.unsubscribe();
    this.listeners.clear();
    this.removalListeners.clear();
    this.svc?.close();
    await this.wpa?.close();
  }
}
