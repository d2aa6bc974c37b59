import type { SchedulerLike } from 'rxjs';
import { normalizeMac } from './address.js';
import { advertisingData, scanResponseData } from './advertising-data.js';
import type { BleConduit } from './ble-conduit.js';
import { ATT_MAX_VALUE } from './constants.js';
import { GattLink } from './gatt-link.js';
import type { Bleno, BlenoApi, HciBindingOptions } from './hosts.js';
import { onBlenoDisconnComplete, setBlenoMaxMtu, stopBlenoPolling } from './seams.js';
import type { ServiceUuids } from './service-uuid.js';
import { withTimeout } from './util.js';

/** ATT result codes bleno passes to write/read callbacks (Bluetooth Core 5.4 Vol 3 Part F §3.4.1.1). */
const ATT_SUCCESS = 0x00;
const ATT_INVALID_OFFSET = 0x07;
/** HCI Connection Terminated By Local Host (Vol 1 Part F §1.3). */
const HCI_LOCAL_HOST_TERMINATED = 0x16;

/** One central connected to us. */
interface Connection {
  readonly address: string;
  link: GattLink | undefined;
}

/** Options of {@link PeripheralRole}. */
export interface PeripheralRoleOptions {
  readonly hci: HciBindingOptions;
  readonly uuids: ServiceUuids;
  readonly window: number;
  /** Largest ATT MTU to answer (raises bleno's 256 through a private seam). */
  readonly maxMtu: number;
  /** Time to wait for the adapter, ms. */
  readonly poweredOnTimeoutMs: number;
  /** A central completed the colink handshake. */
  readonly onConduit: (conduit: BleConduit) => void;
  /** Clock of the conduits' end-flush time limit. Default: real time. */
  readonly scheduler?: SchedulerLike;
}

/**
 * The peripheral role over bleno: one primary service with RX (write without response), TX (notify) and INFO
 * (read: the device advert as JSON); one {@link BleConduit} per subscribed central.
 */
export class PeripheralRole {
  private readonly bleno: Bleno;
  private readonly connections = new Map<number, Connection>();
  private info: Buffer = Buffer.from('{}');
  private advertisedName: string | undefined;
  private offDisconn: (() => void) | undefined;
  /** Local BD_ADDR (`AA:BB:CC:DD:EE:FF`) once started. */
  address: string | undefined;

  constructor(
    blenoApi: BlenoApi,
    private readonly options: PeripheralRoleOptions,
  ) {
    this.bleno = blenoApi.withBindings('hci', options.hci as never);
  }

  async start(): Promise<void> {
    const b = this.bleno;
    setBlenoMaxMtu(b, this.options.maxMtu);
    this.offDisconn = onBlenoDisconnComplete(b, (handle, reason) => this.onDisconnect(handle, reason));
    b.on('accept', (address: string, handle: unknown) => {
      this.connections.set(Number(handle), { address: normalizeMac(address), link: undefined });
    });
    await withTimeout(
      b.waitForPoweredOnAsync(this.options.poweredOnTimeoutMs),
      this.options.poweredOnTimeoutMs,
      'bleno power-on',
    );
    this.address = normalizeMac(b.address);
    const { uuids } = this.options;
    const Characteristic = b.Characteristic;
    const rx = new Characteristic({
      uuid: uuids.rx,
      properties: ['writeWithoutResponse'],
      onWriteRequest: (handle, data, _offset, _withoutResponse, callback) => {
        this.connections.get(Number(handle))?.link?.handleValue(data);
        callback(ATT_SUCCESS);
      },
    });
    const tx = new Characteristic({
      uuid: uuids.tx,
      properties: ['notify'],
      onSubscribe: (handle, maxValueSize, updateValueCallback) =>
        this.onSubscribe(Number(handle), maxValueSize, updateValueCallback),
    });
    const info = new Characteristic({
      uuid: uuids.info,
      properties: ['read'],
      onReadRequest: (_handle, offset, callback) => {
        if (offset > this.info.length) callback(ATT_INVALID_OFFSET);
        else callback(ATT_SUCCESS, this.info.subarray(offset));
      },
    });
    await b.setServicesAsync([
      new b.PrimaryService({ uuid: uuids.service, characteristics: [rx, tx, info] }),
    ]);
  }

  /**
   * Makes the device connectable without announcing the colink service (a started transport accepts conduits
   * even while it does not advertise itself: a peer that knows the MAC can still dial it).
   */
  async listen(): Promise<void> {
    this.advertisedName = undefined;
    await this.startAdvertising('', false);
  }

  /** Advertises the colink service under `name`, serving `info` from the INFO characteristic. */
  async advertise(name: string, info: Buffer): Promise<void> {
    this.info = info;
    this.advertisedName = name;
    await this.startAdvertising(name, true);
  }

  /** Re-enables advertising in the current mode (after noble's HCI_Reset on a shared adapter). */
  async readvertise(): Promise<void> {
    if (this.advertisedName === undefined) await this.listen();
    else await this.startAdvertising(this.advertisedName, true);
  }

  private async startAdvertising(name: string, announcing: boolean): Promise<void> {
    // bleno keeps the GAP Device Name characteristic (0x2A00) in step through startAdvertising only.
    (
      this.bleno as unknown as { _bindings?: { _gatt?: { updateName?(n: string): void } } }
    )._bindings?._gatt?.updateName?.(name);
    await this.bleno.startAdvertisingWithEIRDataAsync(
      advertisingData(this.options.uuids.service, announcing),
      scanResponseData(name),
    );
  }

  /** Stops announcing the colink service; the device stays connectable. */
  async unadvertise(): Promise<void> {
    this.info = Buffer.from('{}');
    await this.listen();
  }

  /** Destroys every conduit, disconnects every central and releases the adapter. */
  stop(): void {
    for (const c of this.connections.values()) c.link?.linkClosed(HCI_LOCAL_HOST_TERMINATED);
    this.connections.clear();
    this.offDisconn?.();
    try {
      stopBlenoPolling(this.bleno);
      this.bleno.stop();
    } catch {
      // bleno.stop() on an adapter that never powered on has nothing to release.
    }
  }

  private onSubscribe(handle: number, maxValueSize: number, notify: (data?: Buffer) => void): void {
    const conn = this.connections.get(handle);
    if (!conn || conn.link) return;
    conn.link = new GattLink(
      {
        valueSize: Math.min(maxValueSize, ATT_MAX_VALUE),
        send: (v) => notify(v),
        disconnect: () => (this.bleno.disconnect as (h: number) => void)(handle),
      },
      {
        localAddress: this.address!,
        remoteAddress: conn.address,
        window: this.options.window,
        onIncoming: this.options.onConduit,
        ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}),
      },
    );
  }

  private onDisconnect(handle: number, reason: number): void {
    const conn = this.connections.get(handle);
    if (!conn) return;
    this.connections.delete(handle);
    conn.link?.linkClosed(reason);
  }
}
