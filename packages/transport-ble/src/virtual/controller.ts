import { ColinkError, ErrorCode } from '@colink/core';
import { BtsnoopWriter } from './btsnoop.js';
import {
  ACL_PB,
  addressToBytes,
  bytesToAddress,
  COMMAND_PARAMETER_BYTES,
  commandComplete,
  commandStatus,
  EVT,
  eventPacket,
  H4,
  HCI_STATUS,
  OP,
  STATUS_COMMANDS,
} from './hci.js';
import { LL_DEFAULT_DATA_LENGTH, LL_MAX_DATA_LENGTH } from './link-model.js';
import type { RadioLink, VirtualRadio } from './radio.js';

/** HCI version the controller reports: 0x0b = Core 5.2 (noble reports `unsupported` below 0x06). */
export const VIRTUAL_HCI_VERSION = 0x0b;
/** Company identifier reported in Read Local Version: 0x05f1, The Linux Foundation (Bluetooth SIG assigned numbers). */
export const VIRTUAL_MANUFACTURER = 0x05f1;
/** Default LE ACL buffer length in octets (one full DLE PDU, Vol 6 Part B §4.5.10). */
export const DEFAULT_ACL_BUFFER_LENGTH = 251;
/** Default number of LE ACL buffers (real controllers report 4-32). */
export const DEFAULT_ACL_BUFFER_COUNT = 24;

/** Options of {@link VirtualRadio.createController}. */
export interface VirtualControllerOptions {
  /** Public BD_ADDR, `AA:BB:CC:DD:EE:FF` (default: a fresh address from the radio). Two controllers may share one. */
  readonly address?: string;
  /** LE ACL buffer length reported by LE Read Buffer Size, octets (default 251). */
  readonly aclBufferLength?: number;
  /** Number of LE ACL buffers reported by LE Read Buffer Size (default 24). */
  readonly aclBufferCount?: number;
  /** RSSI (dBm) scanners see in this controller's advertising reports (default -50). */
  readonly rssi?: number;
  /**
   * Let several hosts attach at once, each seeing every event, as raw HCI sockets on one Linux adapter do (noble
   * and bleno sharing one adapter). Default false: a second host is refused.
   */
  readonly sharedHosts?: boolean;
  /** Write this controller's HCI traffic to a btsnoop file at this path (Wireshark, `btmon -r`). Default: none. */
  readonly btsnoopPath?: string;
}

/** Advertising state set by the host. */
interface AdvertisingState {
  enabled: boolean;
  intervalMs: number;
  advType: number;
  data: Buffer;
  scanResponse: Buffer;
}

/** Scanning state set by the host. */
interface ScanningState {
  enabled: boolean;
  active: boolean;
  filterDuplicates: boolean;
  seen: Set<string>;
}

/** A pending LE Create Connection. */
export interface PendingConnection {
  readonly peerAddress: string;
  readonly peerAddressType: number;
  readonly minIntervalUnits: number;
  readonly maxIntervalUnits: number;
  readonly latency: number;
  readonly timeoutUnits: number;
}

/** Where a controller sends packets for its host (H4 framed, one packet per call). */
export type HostSink = (packet: Buffer) => void;

/**
 * One virtual LE controller: parses the HCI commands and ACL data its host sends (H4, Bluetooth Core 5.4 Vol 4
 * Part E), answers with the events the host expects, and takes part in its {@link VirtualRadio}'s advertising,
 * connections and data exchange. Attach a host with {@link attach} (the UART shim does that for noble and bleno).
 */
export class VirtualController {
  /** Public BD_ADDR (`AA:BB:CC:DD:EE:FF`). */
  readonly address: string;
  readonly aclBufferLength: number;
  readonly aclBufferCount: number;
  readonly rssi: number;

  /** @internal */ readonly advertising: AdvertisingState = {
    enabled: false,
    intervalMs: 100,
    advType: 0,
    data: Buffer.alloc(0),
    scanResponse: Buffer.alloc(0),
  };
  /** @internal */ readonly scanning: ScanningState = {
    enabled: false,
    active: true,
    filterDuplicates: false,
    seen: new Set(),
  };
  /** @internal */ pendingConnection: PendingConnection | undefined;
  /** @internal */ readonly links = new Map<number, RadioLink>();

  private readonly sinks = new Set<HostSink>();
  private readonly sharedHosts: boolean;
  private readonly btsnoop: BtsnoopWriter | undefined;
  private outbox: Buffer[] = [];
  private flushScheduled = false;
  private nextHandle = 0x0040;
  private dleRequested = new Set<number>();

  /** @internal Use {@link VirtualRadio.createController}. */
  constructor(
    readonly radio: VirtualRadio,
    options: VirtualControllerOptions & { address: string },
  ) {
    this.address = options.address.toUpperCase();
    this.aclBufferLength = options.aclBufferLength ?? DEFAULT_ACL_BUFFER_LENGTH;
    this.aclBufferCount = options.aclBufferCount ?? DEFAULT_ACL_BUFFER_COUNT;
    this.rssi = options.rssi ?? -50;
    this.sharedHosts = options.sharedHosts ?? false;
    this.btsnoop = options.btsnoopPath ? new BtsnoopWriter(options.btsnoopPath) : undefined;
  }

  /** Closes the btsnoop file, if any. @internal */
  closeTrace(): void {
    this.btsnoop?.close();
  }

  /** Whether a host is attached. */
  get attached(): boolean {
    return this.sinks.size > 0;
  }

  /**
   * Attaches the host: from now on the controller's events and ACL data go to `sink`. Throws `ERR_CONFLICT` when a
   * host is already attached. Returns a function that detaches it.
   */
  attach(sink: HostSink): () => void {
    if (this.sinks.size > 0 && !this.sharedHosts) {
      throw new ColinkError(ErrorCode.CONFLICT, `virtual controller ${this.address} already has a host`);
    }
    this.sinks.add(sink);
    return () => {
      if (!this.sinks.delete(sink) || this.sinks.size > 0) return;
      this.outbox = [];
      this.hardReset(HCI_STATUS.CONNECTION_TIMEOUT);
    };
  }

  /**
   * Receives one whole H4 packet from the host (command or ACL data, as `H4Framer` cuts them). Unknown packet
   * types are ignored; a command with too few parameters is refused with status 0x12 (Invalid HCI Command
   * Parameters), as a real controller does.
   * @throws ColinkError `ERR_PROTOCOL` for a packet shorter than its H4 header says.
   */
  receive(packet: Buffer): void {
    const header = packet[0] === H4.COMMAND ? 4 : packet[0] === H4.ACL ? 5 : 0;
    const size =
      header === 0 || packet.length < header
        ? undefined
        : header + (header === 4 ? packet[3]! : packet.readUInt16LE(3));
    if (header > 0 && (size === undefined || packet.length < size)) {
      throw new ColinkError(
        ErrorCode.PROTOCOL,
        `H4 packet of ${packet.length} bytes is shorter than its header says`,
      );
    }
    this.radio.trace(this, 'host>', packet);
    this.btsnoop?.record(packet, false);
    if (packet[0] === H4.COMMAND) this.command(packet.readUInt16LE(1), packet.subarray(4, size));
    else if (packet[0] === H4.ACL) this.aclFromHost(packet);
  }

  /** @internal Queues a packet for the host; packets leave asynchronously and in order, like a real transport. */
  toHost(packet: Buffer): void {
    if (this.sinks.size === 0) return;
    this.outbox.push(packet);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.outbox;
      this.outbox = [];
      for (const p of batch) {
        this.radio.trace(this, '<host', p);
        this.btsnoop?.record(p, true);
        for (const sink of [...this.sinks]) sink(p);
      }
    });
  }

  /** @internal Allocates a connection handle. */
  allocateHandle(): number {
    while (this.links.has(this.nextHandle))
      this.nextHandle = this.nextHandle >= 0x0eff ? 0x0040 : this.nextHandle + 1;
    const h = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0x0eff ? 0x0040 : this.nextHandle + 1;
    return h;
  }

  /** @internal True when the host asked for DLE on `handle` (LE Set Data Length). */
  wantsDataLength(handle: number): boolean {
    return this.dleRequested.has(handle);
  }

  /** @internal Forgets per-link state when a link ends. */
  forgetLink(handle: number): void {
    this.links.delete(handle);
    this.dleRequested.delete(handle);
  }

  /**
   * Loses all state as a power cycle would: links end (the peers see a supervision timeout; this host gets
   * Disconnection Complete with `localReason`), advertising, scanning and a pending connection stop.
   * @internal
   */
  hardReset(localReason: number | undefined): void {
    this.advertising.enabled = false;
    this.radio.advertisingChanged(this);
    this.scanning.enabled = false;
    this.scanning.seen.clear();
    this.pendingConnection = undefined;
    for (const link of [...this.links.values()]) this.radio.loseLink(link, this, localReason);
  }

  private complete(opcode: number, ret?: Uint8Array, status: number = HCI_STATUS.SUCCESS): void {
    this.toHost(commandComplete(opcode, status, ret));
  }

  private command(opcode: number, p: Buffer): void {
    if (p.length < (COMMAND_PARAMETER_BYTES.get(opcode) ?? 0)) {
      const status = HCI_STATUS.INVALID_HCI_COMMAND_PARAMETERS;
      if (STATUS_COMMANDS.has(opcode)) this.toHost(commandStatus(opcode, status));
      else this.complete(opcode, undefined, status);
      return;
    }
    switch (opcode) {
      case OP.RESET:
        this.hardReset(undefined);
        this.complete(opcode);
        return;
      case OP.READ_LOCAL_VERSION: {
        const r = Buffer.alloc(8);
        r[0] = VIRTUAL_HCI_VERSION;
        r.writeUInt16LE(0x0000, 1);
        r[3] = VIRTUAL_HCI_VERSION;
        r.writeUInt16LE(VIRTUAL_MANUFACTURER, 4);
        r.writeUInt16LE(0x0000, 6);
        this.complete(opcode, r);
        return;
      }
      case OP.READ_BD_ADDR:
        this.complete(opcode, addressToBytes(this.address));
        return;
      case OP.READ_LE_HOST_SUPPORTED:
        this.complete(opcode, Buffer.from([0x01, 0x00]));
        return;
      case OP.READ_SUPPORTED_COMMANDS:
        this.complete(opcode, Buffer.alloc(64));
        return;
      case OP.READ_BUFFER_SIZE: {
        const r = Buffer.alloc(7);
        r.writeUInt16LE(this.aclBufferLength, 0);
        r[2] = 0;
        r.writeUInt16LE(this.aclBufferCount, 3);
        r.writeUInt16LE(0, 5);
        this.complete(opcode, r);
        return;
      }
      case OP.LE_READ_BUFFER_SIZE: {
        const r = Buffer.alloc(3);
        r.writeUInt16LE(this.aclBufferLength, 0);
        r[2] = this.aclBufferCount;
        this.complete(opcode, r);
        return;
      }
      case OP.LE_READ_LOCAL_FEATURES: {
        // Byte 0 bit 5: LE Data Packet Length Extension; byte 1 bit 0: LE 2M PHY. Extended advertising and
        // Coded PHY are not modelled, so their bits stay 0 (noble would switch to the extended commands).
        const f = Buffer.alloc(8);
        if (this.radio.model.maxDataLength > LL_DEFAULT_DATA_LENGTH) f[0] = 1 << 5;
        if (this.radio.model.phy === '2M') f[1] = 1 << 0;
        this.complete(opcode, f);
        return;
      }
      case OP.LE_READ_MAX_DATA_LENGTH: {
        const r = Buffer.alloc(8);
        const octets = Math.min(this.radio.model.maxDataLength, LL_MAX_DATA_LENGTH);
        const time = (octets + 14) * 8;
        r.writeUInt16LE(octets, 0);
        r.writeUInt16LE(time, 2);
        r.writeUInt16LE(octets, 4);
        r.writeUInt16LE(time, 6);
        this.complete(opcode, r);
        return;
      }
      case OP.LE_SET_DATA_LENGTH: {
        const handle = p.readUInt16LE(0) & 0x0fff;
        const link = this.links.get(handle);
        this.complete(opcode, p.subarray(0, 2), link ? HCI_STATUS.SUCCESS : HCI_STATUS.UNKNOWN_CONNECTION_ID);
        if (link) {
          this.dleRequested.add(handle);
          this.radio.dataLengthRequested(link);
        }
        return;
      }
      case OP.LE_SET_ADV_PARAMS: {
        this.advertising.intervalMs = (p.readUInt16LE(2) * 0.625) | 0;
        this.advertising.advType = p[4]!;
        this.complete(opcode);
        return;
      }
      case OP.LE_SET_ADV_DATA:
        this.advertising.data = Buffer.from(p.subarray(1, 1 + p[0]!));
        this.complete(opcode);
        return;
      case OP.LE_SET_SCAN_RSP_DATA:
        this.advertising.scanResponse = Buffer.from(p.subarray(1, 1 + p[0]!));
        this.complete(opcode);
        return;
      case OP.LE_SET_ADV_ENABLE:
        this.advertising.enabled = p[0] === 1;
        this.complete(opcode);
        this.radio.advertisingChanged(this);
        return;
      case OP.LE_SET_SCAN_PARAMS:
        this.scanning.active = p[0] === 1;
        this.complete(opcode);
        return;
      case OP.LE_SET_SCAN_ENABLE:
        this.scanning.enabled = p[0] === 1;
        this.scanning.filterDuplicates = p[1] === 1;
        this.scanning.seen.clear();
        this.complete(opcode);
        return;
      case OP.LE_CREATE_CONN: {
        if (this.pendingConnection) {
          this.toHost(commandStatus(opcode, HCI_STATUS.COMMAND_DISALLOWED));
          return;
        }
        this.pendingConnection = {
          peerAddressType: p[5]!,
          peerAddress: bytesToAddress(p.subarray(6, 12)),
          minIntervalUnits: p.readUInt16LE(13),
          maxIntervalUnits: p.readUInt16LE(15),
          latency: p.readUInt16LE(17),
          timeoutUnits: p.readUInt16LE(19),
        };
        this.toHost(commandStatus(opcode, HCI_STATUS.SUCCESS));
        this.radio.connectionRequested(this);
        return;
      }
      case OP.LE_CREATE_CONN_CANCEL:
        if (!this.pendingConnection) {
          this.complete(opcode, undefined, HCI_STATUS.COMMAND_DISALLOWED);
          return;
        }
        this.complete(opcode);
        this.radio.connectionCancelled(this, HCI_STATUS.UNKNOWN_CONNECTION_ID);
        return;
      case OP.DISCONNECT: {
        const handle = p.readUInt16LE(0) & 0x0fff;
        const link = this.links.get(handle);
        this.toHost(commandStatus(opcode, link ? HCI_STATUS.SUCCESS : HCI_STATUS.UNKNOWN_CONNECTION_ID));
        if (link) this.radio.terminate(link, this, p[2]!);
        return;
      }
      case OP.LE_CONN_UPDATE: {
        const handle = p.readUInt16LE(0) & 0x0fff;
        const link = this.links.get(handle);
        this.toHost(commandStatus(opcode, link ? HCI_STATUS.SUCCESS : HCI_STATUS.UNKNOWN_CONNECTION_ID));
        if (link) this.radio.updateConnection(link, p.readUInt16LE(4), p.readUInt16LE(6), p.readUInt16LE(8));
        return;
      }
      case OP.READ_RSSI: {
        const handle = p.readUInt16LE(0) & 0x0fff;
        const r = Buffer.alloc(3);
        r.writeUInt16LE(handle, 0);
        r.writeInt8(this.links.has(handle) ? this.rssi : 0, 2);
        this.complete(
          opcode,
          r,
          this.links.has(handle) ? HCI_STATUS.SUCCESS : HCI_STATUS.UNKNOWN_CONNECTION_ID,
        );
        return;
      }
      default:
        // Set Event Mask, LE Set Event Mask, Write LE Host Supported, LE Set Random Address and anything else the
        // hosts may send: accepted with a zero status (ble.md, "Other commands a controller should answer").
        this.complete(opcode);
    }
  }

  private aclFromHost(packet: Buffer): void {
    const hf = packet.readUInt16LE(1);
    const handle = hf & 0x0fff;
    const pb = hf >> 12 === ACL_PB.CONTINUATION ? ACL_PB.CONTINUATION : ACL_PB.START;
    const link = this.links.get(handle);
    if (!link) {
      // Data for a link that just ended: the host already dropped its buffers with Disconnection Complete.
      return;
    }
    this.radio.enqueueAcl(link, this, pb, Buffer.from(packet.subarray(5, 5 + packet.readUInt16LE(3))));
  }

  /** @internal Sends an HCI Hardware Error event (Vol 4 Part E §7.7.16). */
  hardwareError(code: number): void {
    this.toHost(eventPacket(EVT.HARDWARE_ERROR, Buffer.from([code])));
  }
}
