import {
  ColinkError,
  closeReason,
  type DeviceAdvert,
  ErrorCode,
  isColinkError,
  parseAdvert,
  runAfter,
} from '@colink/core';
import type * as NobleModule from '@stoprocent/noble';
import type { SchedulerLike } from 'rxjs';
import { normalizeMac } from './address.js';
import { announcingFrom } from './advertising-data.js';
import type { BleConduit } from './ble-conduit.js';
import { GattLink } from './gatt-link.js';
import type { HciBindingOptions, Noble, NobleApi } from './hosts.js';
import { onNobleConnectResult } from './seams.js';
import type { ServiceUuids } from './service-uuid.js';
import { valueSizeForMtu, withTimeout } from './util.js';

/** HCI Unspecified Error (Vol 1 Part F §1.3), used when noble reports a non-numeric disconnect reason. */
const HCI_UNSPECIFIED_ERROR = 0x1f;

type Peripheral = NobleModule.Peripheral;
type Characteristic = NobleModule.Characteristic;

/** Options of {@link CentralRole}. */
export interface CentralRoleOptions {
  readonly hci: HciBindingOptions;
  readonly uuids: ServiceUuids;
  readonly window: number;
  /** ATT MTU requested in Exchange MTU. */
  readonly mtu: number;
  readonly poweredOnTimeoutMs: number;
  /** Called after every connection attempt ends (to restart scanning / advertising on a shared adapter). */
  readonly afterConnect: () => void;
  /** Clock of the dial time limit; default real time. */
  readonly scheduler?: SchedulerLike;
}

/** An advertisement of the colink service seen while scanning. */
export interface Sighting {
  /** `AA:BB:CC:DD:EE:FF`. */
  readonly address: string;
  readonly localName: string | undefined;
  readonly rssi: number;
  /** The device announces itself (false: connectable only, the colink goodbye). */
  readonly announcing: boolean;
}

/** The central role over noble: dialling conduits, scanning, reading a peer's INFO characteristic. */
export class CentralRole {
  private readonly noble: Noble;
  private scanning = false;
  private sightingListener: ((p: Peripheral) => void) | undefined;
  private readonly links = new Map<string, LinkRecord>();
  private readonly connecting = new Map<string, Promise<LinkRecord>>();
  /** Local BD_ADDR once started. */
  address: string | undefined;

  constructor(
    nobleApi: NobleApi,
    private readonly options: CentralRoleOptions,
  ) {
    this.noble = nobleApi.withBindings('hci', options.hci as never);
  }

  async start(): Promise<void> {
    await withTimeout(
      this.noble.waitForPoweredOnAsync(this.options.poweredOnTimeoutMs),
      this.options.poweredOnTimeoutMs,
      'noble power-on',
    );
    this.address = normalizeMac(this.noble.address);
  }

  stop(): void {
    this.stopScanning();
    try {
      this.noble.stop();
    } catch {
      // Nothing to release when the adapter never came up.
    }
  }

  /** Scans for the colink service, calling `onSighting` for every advertisement (duplicates included). */
  startScanning(onSighting: (s: Sighting) => void): void {
    this.stopScanning();
    this.sightingListener = (p: Peripheral) => {
      if (!p.advertisement?.serviceUuids?.includes(this.options.uuids.service)) return;
      const announcing = announcingFrom(p.advertisement.manufacturerData);
      if (announcing === undefined) return;
      onSighting({
        address: normalizeMac(p.address),
        localName: p.advertisement.localName,
        rssi: p.rssi,
        announcing,
      });
    };
    this.noble.on('discover', this.sightingListener);
    this.scanning = true;
    this.resumeScanning();
  }

  stopScanning(): void {
    if (this.sightingListener) this.noble.off('discover', this.sightingListener);
    this.sightingListener = undefined;
    if (!this.scanning) return;
    this.scanning = false;
    this.noble.stopScanningAsync().catch(() => {});
  }

  /** Starts scanning again if discovery is on (noble stops scanning to connect). */
  resumeScanning(): void {
    if (!this.scanning) return;
    this.noble.startScanningAsync([this.options.uuids.service], true).catch(() => {});
  }

  /**
   * LE Create Connection to `mac` (public address type, requesting the configured ATT MTU). Rejects with the
   * connection error, also for peripherals noble never scanned (see {@link onNobleConnectResult}).
   */
  private connect(mac: string): Promise<Peripheral> {
    const id = mac.toLowerCase().replace(/:/g, '');
    return new Promise<Peripheral>((resolve, reject) => {
      const off = onNobleConnectResult(this.noble, (peripheralId, error) => {
        if (peripheralId !== id || !error) return;
        off();
        reject(error);
      });
      this.noble
        .connectAsync(mac.toLowerCase(), { addressType: 'public', mtu: this.options.mtu } as never)
        .then(
          (p) => {
            off();
            resolve(p);
          },
          (e) => {
            off();
            reject(e);
          },
        );
    });
  }

  /** The usable link to `mac`, connecting (once, shared by concurrent callers) when there is none. */
  private async link(mac: string, guard: DialGuard): Promise<LinkRecord> {
    for (;;) {
      const rec = this.links.get(mac);
      if (rec?.link.usable) return rec;
      if (rec) {
        await guard.race(rec.link.closed);
        continue;
      }
      let pending = this.connecting.get(mac);
      if (!pending) {
        pending = this.connectLink(mac, guard).finally(() => this.connecting.delete(mac));
        this.connecting.set(mac, pending);
      }
      return await guard.race(pending);
    }
  }

  private async connectLink(mac: string, guard: DialGuard): Promise<LinkRecord> {
    let peripheral: Peripheral | undefined;
    let link: GattLink | undefined;
    try {
      try {
        peripheral = await guard.race(this.connect(mac));
      } catch (e) {
        if (isColinkError(e)) this.noble.cancelConnect(mac.toLowerCase());
        throw e;
      } finally {
        this.options.afterConnect();
      }
      const p = peripheral;
      const down = new Promise<never>((_, reject) => {
        p.once('disconnect', (reason: unknown) => {
          const hci = typeof reason === 'number' ? reason : HCI_UNSPECIFIED_ERROR;
          if (this.links.get(mac)?.link === link) this.links.delete(mac);
          link?.linkClosed(hci);
          reject(
            new ColinkError(ErrorCode.DIAL_FAILED, `BLE link to ${mac} lost while connecting`, {
              detail: { hciReason: hci },
            }),
          );
        });
      });
      down.catch(() => {});
      const { uuids } = this.options;
      const found = await guard.race(
        Promise.race([
          p.discoverSomeServicesAndCharacteristicsAsync([uuids.service], [uuids.rx, uuids.tx, uuids.info]),
          down,
        ]),
      );
      const rx = found.characteristics.find((c: Characteristic) => c.uuid === uuids.rx);
      const tx = found.characteristics.find((c: Characteristic) => c.uuid === uuids.tx);
      const info = found.characteristics.find((c: Characteristic) => c.uuid === uuids.info);
      if (!rx || !tx || !info)
        throw new ColinkError(ErrorCode.DIAL_FAILED, `${mac} has no colink service ${uuids.service}`);
      const l = new GattLink(
        {
          valueSize: valueSizeForMtu(p.mtu ?? 23),
          send: (v) => rx.write(v, true),
          disconnect: () => p.disconnect(),
        },
        {
          localAddress: this.address!,
          remoteAddress: mac,
          window: this.options.window,
          ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}),
        },
      );
      link = l;
      const onData = (data: Buffer): void => l.handleValue(data);
      tx.on('data', onData);
      void l.closed.then(() => tx.off('data', onData));
      await guard.race(Promise.race([tx.subscribeAsync(), down]));
      const rec: LinkRecord = { link: l, info, users: 0 };
      this.links.set(mac, rec);
      return rec;
    } catch (e) {
      peripheral?.disconnect();
      if (isColinkError(e)) throw e;
      throw new ColinkError(ErrorCode.DIAL_FAILED, `BLE connect to ${mac} failed: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /**
   * Opens a conduit to `address` over the BLE link to it (connecting first when there is none: LE Create
   * Connection, MTU exchange, service discovery, TX subscription), then completes the HELLO exchange.
   * Rejects with `ERR_DIAL_FAILED` (connection refused or failed, no colink service, link lost), `ERR_TIMEOUT` or
   * `ERR_ABORTED` (a pending LE Create Connection is cancelled in both cases).
   */
  async dial(address: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<BleConduit> {
    const mac = normalizeMac(address);
    const guard = new DialGuard(timeoutMs, signal, mac, this.options.scheduler);
    try {
      for (let attempt = 0; ; attempt++) {
        const reused = this.links.get(mac)?.link.usable === true;
        const rec = await this.link(mac, guard);
        rec.users++;
        const c = rec.link.open();
        try {
          await guard.race(c.ready);
          return c;
        } catch (e) {
          if (!c.isClosed) c.destroy(closeReason('normal', 'dial failed'));
          // The peer may have dropped an idle link just as we reused it: one fresh attempt.
          if (
            reused &&
            attempt === 0 &&
            !isColinkError(e, ErrorCode.TIMEOUT) &&
            !isColinkError(e, ErrorCode.ABORTED)
          )
            continue;
          if (isColinkError(e, ErrorCode.TIMEOUT) || isColinkError(e, ErrorCode.ABORTED)) throw e;
          throw new ColinkError(
            ErrorCode.DIAL_FAILED,
            `BLE conduit to ${mac} failed: ${(e as Error).message}`,
            { cause: e },
          );
        } finally {
          rec.users--;
        }
      }
    } finally {
      guard.dispose();
    }
  }

  /**
   * Reads a peer's INFO characteristic (its device advert), over the existing link or a short one. Rejects with
   * `ERR_DIAL_FAILED`, `ERR_TIMEOUT` or `ERR_PROTOCOL` (unparseable advert).
   */
  async readAdvert(address: string, timeoutMs: number): Promise<DeviceAdvert> {
    const mac = normalizeMac(address);
    const guard = new DialGuard(timeoutMs, undefined, mac, this.options.scheduler);
    let rec: LinkRecord | undefined;
    try {
      rec = await this.link(mac, guard);
      rec.users++;
      const raw = await guard.race(rec.info.readAsync());
      let value: unknown;
      try {
        value = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw new ColinkError(ErrorCode.PROTOCOL, `${mac} served an unreadable device advert`, { cause: e });
      }
      return parseAdvert(value, `the INFO characteristic of ${mac}`);
    } finally {
      guard.dispose();
      if (rec) {
        rec.users--;
        if (rec.users === 0) rec.link.disconnectIfIdle();
      }
    }
  }
}

/** A live link to a peripheral. */
interface LinkRecord {
  readonly link: GattLink;
  readonly info: Characteristic;
  /** Dials and probes using the link right now. */
  users: number;
}

/** A deadline and an abort signal shared by the steps of one dial. */
class DialGuard {
  private cancelTimer: (() => void) | undefined;
  private readonly stopped: Promise<never>;
  private onAbort: (() => void) | undefined;

  constructor(
    timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    mac: string,
    scheduler?: SchedulerLike,
  ) {
    this.stopped = new Promise<never>((_, reject) => {
      const expire = (): void =>
        reject(new ColinkError(ErrorCode.TIMEOUT, `BLE dial to ${mac} timed out after ${timeoutMs} ms`));
      this.cancelTimer = runAfter(timeoutMs, expire, { scheduler });
      if (signal) {
        this.onAbort = () => reject(new ColinkError(ErrorCode.ABORTED, `BLE dial to ${mac} aborted`));
        if (signal.aborted) this.onAbort();
        else signal.addEventListener('abort', this.onAbort, { once: true });
      }
    });
    this.stopped.catch(() => {});
  }

  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.stopped]);
  }

  dispose(): void {
    this.cancelTimer?.();
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
  }
}
