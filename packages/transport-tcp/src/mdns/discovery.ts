import type { RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import { clockNow, type DeviceAdvert, type DiscoveryEvent, runEvery } from '@colink/core';
import { Observable, type SchedulerLike, Subject } from 'rxjs';
import {
  HOST_RECORD_TTL_S,
  INTERFACE_SCAN_INTERVAL_MS,
  MDNS_PORT,
  OTHER_RECORD_TTL_S,
} from '../constants.js';
import { mdnsLog } from '../log.js';
import { Browser } from './browser.js';
import { InterfaceSocket, type MdnsPacket } from './interface-socket.js';
import { type InterfaceSelection, type SelectedInterface, scanInterfaces } from './interfaces.js';
import { Responder } from './responder.js';

/** Resolution of discovery's timers (expiry, refresh, POOF, queries), in ms. Goodbye → lost takes 1 s + this. */
export const DISCOVERY_TICK_MS = 100;

/** Options of DNS-SD discovery. Every field is optional. */
export interface DnsSdOptions {
  /**
   * Interfaces to run on, as addresses or interface names (`'eth0'`, `'192.168.1.20'`, `['wlan0', 'eth0']`). A name
   * selects IPv4 and IPv6, an address its own family. Default: every non-loopback interface, followed as they come
   * and go. Loopback mode (tests): `'127.0.0.1'` (IPv4 only).
   */
  readonly interface?: InterfaceSelection;
  /**
   * Address the IPv4 mDNS sockets bind to. Default `'0.0.0.0'` (a socket bound to a unicast address receives no
   * group traffic; toolchain.md). IPv6 sockets bind `::` (IPv6-only).
   */
  readonly bind?: string;
  /** mDNS UDP port. Default {@link MDNS_PORT} (5353). Tests pick a random port so runs do not see each other. */
  readonly port?: number;
  /**
   * Record TTLs in seconds. Defaults RFC 6762 §10: `host` 120 (SRV, A, AAAA), `other` 4500 (PTR, TXT). A peer
   * killed without goodbye is lost when its records expire (or earlier through POOF).
   */
  readonly ttl?: { readonly host?: number; readonly other?: number };
  /**
   * Also run mDNS over IPv6 (group ff02::fb) on every selected non-loopback interface with a link-local IPv6
   * address. Default `true`.
   */
  readonly ipv6?: boolean;
  /** Interval between interface scans in ms. Default {@link INTERFACE_SCAN_INTERVAL_MS} (1000). */
  readonly scanIntervalMs?: number;
  /**
   * Clock of the browser's timers — record expiry and refresh queries (TTL), POOF (RFC 6762 §10.5), query backoff —
   * and of interface scans, as an rxjs scheduler; tests pass core's `VirtualClock` so a 120 s TTL or the 10 s POOF
   * window run in virtual time. Packets still travel in real time. The responder's probing and announcing stay in
   * real time. Default: real time (unref'd Node timers, `performance.now()`).
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * DNS-SD (RFC 6763) over mDNS (RFC 6762) for colink: a `Responder` announcing this device as one
 * `_colink._tcp.local` instance and a `Browser` finding the others, over one mDNS socket per selected
 * interface, following interfaces as they come and go.
 */
export class DnsSdDiscovery {
  /** Hot discovery events; a subscriber first gets `found` for every peer known now. */
  readonly events$: Observable<DiscoveryEvent>;

  readonly #options: DnsSdOptions;
  readonly #events = new Subject<DiscoveryEvent>();
  readonly #responder: Responder;
  readonly #browser: Browser;
  readonly #sockets = new Map<string, InterfaceSocket>();
  #timers: Array<() => void> = [];
  #listenHost = '::';

  constructor(options: DnsSdOptions = {}) {
    this.#options = options;
    this.#responder = new Responder({
      host: options.ttl?.host ?? HOST_RECORD_TTL_S,
      other: options.ttl?.other ?? OTHER_RECORD_TTL_S,
    });
    this.#browser = new Browser(
      () => this.#responder.instanceName,
      (event) => this.#events.next(event),
      () => this.#now(),
    );
    this.events$ = new Observable<DiscoveryEvent>((subscriber) => {
      for (const peer of this.#browser.peers) subscriber.next({ type: 'found', peer });
      return this.#events.subscribe(subscriber);
    });
  }

  /** Interfaces in use now. */
  get interfaces(): SelectedInterface[] {
    return [...this.#sockets.values()].map((s) => s.iface);
  }

  /** True while started. */
  get started(): boolean {
    return this.#timers.length > 0;
  }

  /** Opens a socket per selected interface and starts browsing (and announcing, if an advert is set). Idempotent. */
  start(): void {
    if (this.started) return;
    const scanMs = this.#options.scanIntervalMs ?? INTERFACE_SCAN_INTERVAL_MS;
    const scheduler = this.#options.scheduler;
    this.#timers = [
      runEvery(scanMs, () => this.#scan(), { scheduler, unref: true }),
      runEvery(DISCOVERY_TICK_MS, () => this.#browser.tick(this.#now()), { scheduler, unref: true }),
    ];
    this.#scan();
  }

  /** Says goodbye, reports every peer `lost` (`stopped`), closes every socket. */
  async stop(): Promise<void> {
    if (!this.started) return;
    for (const cancel of this.#timers) cancel();
    this.#timers = [];
    await this.#responder.clear();
    this.#browser.stop();
    for (const key of this.#sockets.keys()) this.#responder.removeInterface(key);
    await Promise.all([...this.#sockets.values()].map((s) => s.close()));
    this.#sockets.clear();
  }

  /**
   * Announces `advert` for a TCP listener on `port`; `listenHost` (the listener's address) decides which interface
   * addresses go into A/AAAA records: all of them for `::`, IPv4 only for `0.0.0.0`, else that address alone.
   * Throws `ERR_INVALID_ARGUMENT` when the advert breaks a DNS-SD limit.
   */
  async advertise(advert: DeviceAdvert, port: number, listenHost = '::'): Promise<void> {
    this.#listenHost = listenHost;
    await this.#responder.set(advert, port, (iface) => this.#addressesOf(iface));
  }

  /** Sends goodbyes and stops answering. */
  async unadvertise(): Promise<void> {
    await this.#responder.clear();
  }

  #addressesOf(iface: SelectedInterface): readonly string[] {
    const host = this.#listenHost;
    if (host === '::' || host === '') return iface.addresses;
    if (host === '0.0.0.0') return iface.addresses.filter((a) => isIP(a) === 4);
    return iface.addresses.includes(host) ? [host] : [];
  }

  #scan(): void {
    const now = scanInterfaces(this.#options.interface, this.#options.ipv6 ?? true);
    const seen = new Set(now.map((i) => i.key));
    for (const [key, socket] of this.#sockets) {
      if (seen.has(key)) continue;
      mdnsLog('interface gone: %s', key);
      this.#sockets.delete(key);
      this.#responder.removeInterface(key);
      this.#browser.removeInterface(key);
      void socket.close();
    }
    for (const iface of now) {
      const existing = this.#sockets.get(iface.key);
      if (existing) {
        if (existing.iface.addresses.join() !== iface.addresses.join()) {
          // Same IPv4, other addresses changed: swap in the new description and re-announce.
          existing.update(iface);
          this.#responder.interfaceChanged(existing);
        }
        continue;
      }
      mdnsLog('interface up: %s', iface.key);
      const socket = new InterfaceSocket(
        iface,
        { bind: this.#options.bind ?? '0.0.0.0', port: this.#options.port ?? MDNS_PORT },
        (packet, from, s) => this.#onPacket(packet, from, s),
      );
      this.#sockets.set(iface.key, socket);
      this.#browser.addInterface(socket, this.#now());
      this.#responder.addInterface(socket);
    }
  }

  /** Now in ms on discovery's clock. */
  #now(): number {
    return clockNow(this.#options.scheduler);
  }

  #onPacket(packet: MdnsPacket, from: RemoteInfo, socket: InterfaceSocket): void {
    const now = this.#now();
    if (packet.type === 'query') {
      this.#responder.handleQuery(packet, from, socket);
      this.#browser.handleQuery(packet, socket, now);
    } else {
      this.#responder.handleResponse(packet);
      this.#browser.handleResponse(packet, socket, now, from.address);
    }
  }
}
