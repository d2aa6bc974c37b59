/**
 * Optional enrichment from NetworkManager over D-Bus (`@jellybrick/dbus-next`): per interface, `Device.Metered`,
 * the DNS servers and search domains of its IP4Config / IP6Config, and the Wi-Fi bitrate. Never required: without a
 * bus or without NetworkManager, {@link NetworkManagerEnricher.connect} fails with `ERR_NOT_STARTED` and the monitor
 * works from the kernel alone. Signals (DeviceAdded / DeviceRemoved, each device's PropertiesChanged) only trigger a
 * re-read, as in the monitor. Source: NetworkManager D-Bus API (`org.freedesktop.NetworkManager*`), linux-net.md
 * "NetworkManager and D-Bus".
 * @module
 */
import { ColinkError, ErrorCode, logger } from '@colink/core';
import * as dbus from '@jellybrick/dbus-next';
import { BehaviorSubject, type Observable } from 'rxjs';
import { bytesToIp } from '../host/ip-bytes.js';
import type { LinkInfo } from '../options.js';

const log = logger('net-monitor:nm');

/** Well-known bus name and root object of NetworkManager. */
export const NM_BUS_NAME = 'org.freedesktop.NetworkManager';
export const NM_PATH = '/org/freedesktop/NetworkManager';
const NM_DEVICE = 'org.freedesktop.NetworkManager.Device';
const NM_WIRELESS = 'org.freedesktop.NetworkManager.Device.Wireless';
const NM_IP4CONFIG = 'org.freedesktop.NetworkManager.IP4Config';
const NM_IP6CONFIG = 'org.freedesktop.NetworkManager.IP6Config';
const DBUS_PROPERTIES = 'org.freedesktop.DBus.Properties';

/** `NMDeviceType` of Wi-Fi devices. */
const NM_DEVICE_TYPE_WIFI = 2;

/** `NMMetered`: 1 yes, 2 no, 3 guess-yes, 4 guess-no; 0 unknown. */
export function meteredFromNm(value: number): boolean | undefined {
  if (value === 1 || value === 3) return true;
  if (value === 2 || value === 4) return false;
  return undefined;
}

/** Delay coalescing a burst of D-Bus signals into one re-read, in ms. */
const RESCAN_DELAY_MS = 20;

/** Options of {@link NetworkManagerEnricher.connect}. */
export interface NetworkManagerOptions {
  /** D-Bus address to use instead of the system bus (e.g. a private bus in tests: `unix:path=/tmp/x.sock`). */
  readonly busAddress?: string;
}

type Bus = ReturnType<typeof dbus.systemBus>;
type Props = Record<string, { value: unknown }>;

interface PropertiesIface {
  GetAll(iface: string): Promise<Props>;
  on(event: 'PropertiesChanged', fn: () => void): void;
}

/** See the module comment. Pass {@link NetworkManagerEnricher.links$} as the monitor's `linkInfo$` option. */
export class NetworkManagerEnricher {
  readonly #bus: Bus;
  readonly #links = new BehaviorSubject<ReadonlyMap<string, LinkInfo>>(new Map());
  readonly #watched = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> = Promise.resolve();
  #closed = false;

  /** Link facts by interface name; replays the latest map. */
  readonly links$: Observable<ReadonlyMap<string, LinkInfo>> = this.#links.asObservable();

  private constructor(bus: Bus) {
    this.#bus = bus;
  }

  /**
   * Connects to the bus, checks that NetworkManager answers and reads every device once. Throws `ColinkError`
   * `ERR_NOT_STARTED` when there is no bus or no NetworkManager on it.
   */
  static async connect(options: NetworkManagerOptions = {}): Promise<NetworkManagerEnricher> {
    let bus: Bus | undefined;
    try {
      bus =
        options.busAddress === undefined
          ? dbus.systemBus()
          : dbus.sessionBus({ busAddress: options.busAddress });
      // The bus emits 'error' (untyped in the fork's typings) when the connection fails or drops.
      (bus as unknown as NodeJS.EventEmitter).on('error', (e: unknown) => log.debug('bus error: %s', e));
      const nmObject = await bus.getProxyObject(NM_BUS_NAME, NM_PATH);
      const nm = nmObject.getInterface(NM_BUS_NAME) as unknown as {
        on(event: 'DeviceAdded' | 'DeviceRemoved', fn: () => void): void;
      };
      const enricher = new NetworkManagerEnricher(bus);
      nm.on('DeviceAdded', () => enricher.#schedule());
      nm.on('DeviceRemoved', () => enricher.#schedule());
      await enricher.#scan();
      return enricher;
    } catch (e) {
      bus?.disconnect();
      throw new ColinkError(
        ErrorCode.NOT_STARTED,
        `NetworkManager unavailable: ${(e as Error)?.message ?? e}`,
        { cause: e },
      );
    }
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#scanning = this.#scanning
        .then(() => this.#scan())
        .catch((e: unknown) => log.warn('NetworkManager re-read failed: %s', e));
    }, RESCAN_DELAY_MS);
  }

  async #properties(path: string): Promise<PropertiesIface> {
    const obj = await this.#bus.getProxyObject(NM_BUS_NAME, path);
    return obj.getInterface(DBUS_PROPERTIES) as unknown as PropertiesIface;
  }

  async #getAll(path: string, iface: string): Promise<Props | undefined> {
    if (path === '/' || path === '') return undefined;
    try {
      return await (await this.#properties(path)).GetAll(iface);
    } catch {
      return undefined;
    }
  }

  /** Reads every device and publishes a new map. */
  async #scan(): Promise<void> {
    const root = await this.#properties(NM_PATH);
    const all = await root.GetAll(NM_BUS_NAME);
    const devices = (all.Devices?.value as string[] | undefined) ?? [];
    const links = new Map<string, LinkInfo>();
    for (const path of devices) {
      const props = await this.#getAll(path, NM_DEVICE);
      if (props === undefined) continue;
      if (!this.#watched.has(path)) {
        this.#watched.add(path);
        (await this.#properties(path)).on('PropertiesChanged', () => this.#schedule());
      }
      const name =
        (props.IpInterface?.value as string | undefined) || (props.Interface?.value as string | undefined);
      if (!name) continue;
      const [ip4, ip6] = await Promise.all([
        this.#getAll(props.Ip4Config?.value as string, NM_IP4CONFIG),
        this.#getAll(props.Ip6Config?.value as string, NM_IP6CONFIG),
      ]);
      const servers = [...nameservers4(ip4), ...nameservers6(ip6)];
      const domains = [...strings(ip4?.Searches), ...strings(ip6?.Searches), ...strings(ip4?.Domains)];
      let bandwidthKbps: number | undefined;
      if (props.DeviceType?.value === NM_DEVICE_TYPE_WIFI) {
        const wifi = await this.#getAll(path, NM_WIRELESS);
        const bitrate = wifi?.Bitrate?.value;
        if (typeof bitrate === 'number' && bitrate > 0) bandwidthKbps = bitrate;
      }
      const metered = meteredFromNm(Number(props.Metered?.value ?? 0));
      links.set(name, {
        ...(metered === undefined ? {} : { metered }),
        ...(servers.length > 0 ? { dns: { servers, domains: [...new Set(domains)] } } : {}),
        ...(bandwidthKbps === undefined ? {} : { bandwidthKbps }),
      });
    }
    if (!this.#closed) this.#links.next(links);
  }

  /** Disconnects from the bus and completes `links$`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#bus.disconnect();
    this.#links.complete();
  }
}

function strings(v: { value: unknown } | undefined): string[] {
  return Array.isArray(v?.value)
    ? (v.value as unknown[]).filter((s): s is string => typeof s === 'string')
    : [];
}

/** IP4Config `NameserverData` (aa{sv}, `address` entries; NetworkManager ≥ 1.14). */
function nameservers4(p: Props | undefined): string[] {
  const data = p?.NameserverData?.value;
  if (!Array.isArray(data)) return [];
  return data
    .map((d: Record<string, { value: unknown }>) => d.address?.value)
    .filter((a): a is string => typeof a === 'string');
}

/** IP6Config `Nameservers` (aay: 16 bytes each). */
function nameservers6(p: Props | undefined): string[] {
  const data = p?.Nameservers?.value;
  if (!Array.isArray(data)) return [];
  return data
    .map((b: Uint8Array | number[]) => bytesToIp(Uint8Array.from(b)))
    .filter((a): a is string => a !== undefined);
}
