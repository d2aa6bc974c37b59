import { ColinkError, ErrorCode } from '@colink/core';
import { BtsnoopWriter } from './btsnoop.js';
import {
  ACL_PB,
  aclPacket,
  addressToBytes,
  bytesToAddress,
  COMMAND_PARAMETER_BYTES,
  commandComplete,
  commandStatus,
  disconnectionComplete,
  EVT,
  eventPacket,
  H4,
  HCI_STATUS,
  leAdvertisingReport,
  leConnectionComplete,
  leConnectionUpdateComplete,
  leDataLengthChange,
  numberOfCompletedPackets,
  OP,
  STATUS_COMMANDS,
} from './hci.js';
import { type LinkModel, LL_DEFAULT_DATA_LENGTH, LL_MAX_DATA_LENGTH } from './link-model.js';

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

/** Advertising as the host set it up (LE Set Advertising Parameters / Data / Scan Response Data / Enable). */
export interface AdvertisingState {
  enabled: boolean;
  /** Advertising interval the host asked for, ms. */
  intervalMs: number;
  /** Advertising type (0x00 ADV_IND: connectable undirected). */
  advType: number;
  data: Buffer;
  scanResponse: Buffer;
}

/** Scanning as the host set it up (LE Set Scan Parameters / Enable). */
interface ScanningState {
  enabled: boolean;
  /** Active scanning: the scanner asks for scan responses. */
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
 * What a controller needs from the radio it is on (owned here; the radio gives each controller one). Everything
 * about one connection goes through that connection's {@link AirLink}.
 */
export interface ControllerAir {
  /** The link-layer capabilities the radio models (LE Read Local Features, LE Read Maximum Data Length). */
  readonly model: Pick<LinkModel, 'phy' | 'maxDataLength'>;
  /** One H4 packet passed between the host and this controller (`host>` from the host, `<host` to it). */
  trace(direction: 'host>' | '<host', packet: Buffer): void;
  /** The host enabled or disabled advertising: the radio starts or stops this controller's advertising events. */
  advertisingChanged(): void;
  /** The host asked to connect ({@link VirtualController}'s pending LE Create Connection): connect when possible. */
  connectionRequested(): void;
}

/** One connection as the controller at one end drives it (owned here; the radio gives each end one). */
export interface AirLink {
  /** LE Set Data Length: the link moves to the radio's data length; both hosts get LE Data Length Change. */
  requestDataLength(): void;
  /** LE Connection Update (units of 1.25 ms and 10 ms, as on HCI): applied at once, both hosts told. */
  update(maxIntervalUnits: number, latency: number, timeoutUnits: number): void;
  /** HCI Disconnect with `reason`: queued data goes first, then both hosts get Disconnection Complete. */
  terminate(reason: number): void;
  /**
   * This end loses the link without a termination procedure (reset, host gone): this host gets Disconnection
   * Complete with `localReason` at once when given; the peer learns after the supervision timeout (0x08).
   */
  lose(localReason: number | undefined): void;
  /** ACL data from this end's host (one HCI ACL packet's payload, packet boundary flag `pb`). */
  send(pb: number, data: Buffer): void;
}

/** A new connection as the radio reports it to one end ({@link VirtualController.connected}). */
export interface NewConnection {
  /** 0x00 central, 0x01 peripheral. */
  readonly role: 0 | 1;
  readonly peerAddress: string;
  readonly intervalUnits: number;
  readonly latency: number;
  readonly timeoutUnits: number;
}

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

  /** @internal The advertising its host set up (the radio reads it). */
  readonly advertising: AdvertisingState = {
    enabled: false,
    intervalMs: 100,
    advType: 0,
    data: Buffer.alloc(0),
    scanResponse: Buffer.alloc(0),
  };
  /** @internal The scanning its host set up (the radio reads it). */
  readonly scanning: ScanningState = {
    enabled: false,
    active: true,
    filterDuplicates: false,
    seen: new Set(),
  };
  /** @internal The host's pending LE Create Connection (the radio reads it). */
  pendingConnection: PendingConnection | undefined;
  private readonly links = new Map<number, AirLink>();

  private readonly sinks = new Set<HostSink>();
  private readonly sharedHosts: boolean;
  private readonly btsnoop: BtsnoopWriter | undefined;
  private outbox: Buffer[] = [];
  private flushScheduled = false;
  private nextHandle = 0x0040;

  /** @internal Use `VirtualRadio.createController`. */
  constructor(
    private readonly air: ControllerAir,
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
    this.air.trace('host>', packet);
    this.btsnoop?.record(packet, false);
    if (packet[0] === H4.COMMAND) this.command(packet.readUInt16LE(1), packet.subarray(4, size));
    else if (packet[0] === H4.ACL) this.aclFromHost(packet);
  }

  /** Queues a packet for the host; packets leave asynchronously and in order, like a real transport. */
  private toHost(packet: Buffer): void {
    if (this.sinks.size === 0) return;
    this.outbox.push(packet);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.outbox;
      this.outbox = [];
      for (const p of batch) {
        this.air.trace('<host', p);
        this.btsnoop?.record(p, true);
        for (const sink of [...this.sinks]) sink(p);
      }
    });
  }

  /**
   * @internal The radio heard an advertising PDU of `type` from `advertiser`: an LE Advertising Report to the host,
   * unless the host filters duplicates and already had this one.
   */
  heard(type: number, advertiser: string, data: Buffer, rssi: number): void {
    if (this.scanning.filterDuplicates) {
      const key = `${advertiser}/${type}/${data.toString('hex')}`;
      if (this.scanning.seen.has(key)) return;
      this.scanning.seen.add(key);
    }
    this.toHost(leAdvertisingReport(type, 0x00, advertiser, data, rssi));
  }

  /** @internal The pending connection failed (refused, cancelled): LE Connection Complete with `status`. */
  connectionFailed(status: number): void {
    this.pendingConnection = undefined;
    this.toHost(
      leConnectionComplete({
        status,
        handle: 0,
        role: 0,
        peerAddressType: 0,
        peerAddress: '00:00:00:00:00:00',
        intervalUnits: 0,
        latency: 0,
        timeoutUnits: 0,
      }),
    );
  }

  /**
   * @internal A connection is made with this controller at one end: it takes a handle for `link`, ends its pending
   * connection (central) or its advertising (peripheral: a connectable undirected advertiser stops when a connection
   * is created, Vol 6 Part B §4.4.2.3) and sends its host LE Connection Complete. Returns how the radio tells this
   * end what happens on the link, each call an HCI event (or ACL data) for the host on that handle.
   */
  connected(link: AirLink, c: NewConnection) {
    const handle = this.allocateHandle();
    this.links.set(handle, link);
    if (c.role === 0) {
      this.pendingConnection = undefined;
    } else {
      this.advertising.enabled = false;
      this.air.advertisingChanged();
    }
    this.toHost(
      leConnectionComplete({
        status: HCI_STATUS.SUCCESS,
        handle,
        role: c.role,
        peerAddressType: 0x00,
        peerAddress: c.peerAddress,
        intervalUnits: c.intervalUnits,
        latency: c.latency,
        timeoutUnits: c.timeoutUnits,
      }),
    );
    return {
      dataReceived: (pb: number, data: Buffer): void => this.toHost(aclPacket(handle, pb, data)),
      packetsCompleted: (count: number): void =>
        this.toHost(numberOfCompletedPackets(new Map([[handle, count]]))),
      disconnected: (reason: number): void => this.toHost(disconnectionComplete(handle, reason)),
      updated: (intervalUnits: number, latency: number, timeoutUnits: number): void =>
        this.toHost(leConnectionUpdateComplete(handle, intervalUnits, latency, timeoutUnits)),
      dataLengthChanged: (octets: number, timeUs: number): void =>
        this.toHost(leDataLengthChange(handle, octets, timeUs)),
      forget: (): void => {
        this.links.delete(handle);
      },
    };
  }

  /**
   * Loses all state as a power cycle would: links end (the peers see a supervision timeout; this host gets
   * Disconnection Complete with `localReason`), advertising, scanning and a pending connection stop.
   * @internal
   */
  hardReset(localReason: number | undefined): void {
    this.advertising.enabled = false;
    this.air.advertisingChanged();
    this.scanning.enabled = false;
    this.scanning.seen.clear();
    this.pendingConnection = undefined;
    for (const link of [...this.links.values()]) link.lose(localReason);
  }

  /** Allocates a connection handle (0x0040-0x0EFF, the next free one). */
  private allocateHandle(): number {
    while (this.links.has(this.nextHandle))
      this.nextHandle = this.nextHandle >= 0x0eff ? 0x0040 : this.nextHandle + 1;
    const h = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0x0eff ? 0x0040 : this.nextHandle + 1;
    return h;
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
        if (this.air.model.maxDataLength > LL_DEFAULT_DATA_LENGTH) f[0] = 1 << 5;
        if (this.air.model.phy === '2M') f[1] = 1 << 0;
        this.complete(opcode, f);
        return;
      }
      case OP.LE_READ_MAX_DATA_LENGTH: {
        const r = Buffer.alloc(8);
        const octets = Math.min(this.air.model.maxDataLength, LL_MAX_DATA_LENGTH);
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
        link?.requestDataLength();
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
        this.air.advertisingChanged();
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
        this.air.connectionRequested();
        return;
      }
      case OP.LE_CREATE_CONN_CANCEL:
        if (!this.pendingConnection) {
          this.complete(opcode, undefined, HCI_STATUS.COMMAND_DISALLOWED);
          return;
        }
        this.complete(opcode);
        this.connectionFailed(HCI_STATUS.UNKNOWN_CONNECTION_ID);
        return;
      case OP.DISCONNECT: {
        const handle = p.readUInt16LE(0) & 0x0fff;
        const link = this.links.get(handle);
        this.toHost(commandStatus(opcode, link ? HCI_STATUS.SUCCESS : HCI_STATUS.UNKNOWN_CONNECTION_ID));
        if (link) link.terminate(p[2]!);
        return;
      }
      case OP.LE_CONN_UPDATE: {
        const handle = p.readUInt16LE(0) & 0x0fff;
        const link = this.links.get(handle);
        this.toHost(commandStatus(opcode, link ? HCI_STATUS.SUCCESS : HCI_STATUS.UNKNOWN_CONNECTION_ID));
        if (link) link.update(p.readUInt16LE(4), p.readUInt16LE(6), p.readUInt16LE(8));
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
    link.send(pb, Buffer.from(packet.subarray(5, 5 + packet.readUInt16LE(3))));
  }

  /** @internal Sends an HCI Hardware Error event (Vol 4 Part E §7.7.16). */
  hardwareError(code: number): void {
    this.toHost(eventPacket(EVT.HARDWARE_ERROR, Buffer.from([code])));
  }
}
