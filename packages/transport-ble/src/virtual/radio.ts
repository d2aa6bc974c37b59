import { ColinkError, ErrorCode } from '@colink/core';
import {
  type AdvertisingState,
  type AirLink,
  type ControllerAir,
  type NewConnection,
  type PendingConnection,
  VirtualController,
  type VirtualControllerOptions,
} from './controller.js';
import { ACL_PB, HCI_STATUS } from './hci.js';
import { DEFAULT_LINK_MODEL, exchangeUs, type LinkModel, LL_DEFAULT_DATA_LENGTH } from './link-model.js';

/** Advertising report event types (Bluetooth Core 5.4 Vol 4 Part E §7.7.65.2). */
const ADV_IND = 0x00;
const SCAN_RSP = 0x04;
/** Shortest advertising interval in ms (Vol 6 Part B §4.4.2.2: 20 ms). */
const MIN_ADVERTISING_INTERVAL_MS = 20;

/** Options of {@link VirtualRadio}. */
export interface VirtualRadioOptions {
  /** Link-layer model (pacing, PHY, data length, interval). Default {@link DEFAULT_LINK_MODEL}. */
  readonly model?: Partial<LinkModel>;
  /** Overrides every advertiser's interval (ms, ≥ 20) to make discovery faster in tests. Default: the host's value. */
  readonly advertisingIntervalMs?: number;
  /** Receives one text line per HCI packet (`<address> host>|<host <hex>`), for debugging. Default: none. */
  readonly trace?: (line: string) => void;
}

/**
 * What the radio needs from a controller on it (owned here; {@link VirtualController} is one): the advertising,
 * scanning and pending connection its host set up, and what happens on the air for its host. The radio speaks no
 * HCI: the controller turns these calls into events for its host.
 */
export interface RadioStation {
  /** Public BD_ADDR (`AA:BB:CC:DD:EE:FF`). */
  readonly address: string;
  /** RSSI (dBm) scanners see in this station's advertising reports. */
  readonly rssi: number;
  readonly advertising: Readonly<AdvertisingState>;
  readonly scanning: { readonly enabled: boolean; readonly active: boolean };
  /** The host's pending LE Create Connection, if any. */
  readonly pendingConnection: PendingConnection | undefined;
  /** An advertising PDU of `type` from `advertiser` reached this station (a scanner). */
  heard(type: number, advertiser: string, data: Buffer, rssi: number): void;
  /** The pending connection failed with `status`. */
  connectionFailed(status: number): void;
  /** A connection is made with this station at one end, which drives it through `link`; returns how it is told. */
  connected(link: AirLink, connection: NewConnection): StationLink;
  /** Loses all state as a power cycle would; its host hears `localReason` for each link when given. */
  hardReset(localReason: number | undefined): void;
  /** Sends its host an HCI Hardware Error event with `code`. */
  hardwareError(code: number): void;
  /** Closes its btsnoop trace, if any. */
  closeTrace(): void;
}

/** What the radio needs from the station at one end of a link (owned here; {@link RadioStation.connected} gives it). */
export interface StationLink {
  /** ACL data from the peer arrived (one LL PDU's payload, packet boundary flag `pb`). */
  dataReceived(pb: number, data: Buffer): void;
  /** `count` ACL packets of this end's host were sent (its buffers are free again). */
  packetsCompleted(count: number): void;
  /** The link ended with `reason` (HCI error code). */
  disconnected(reason: number): void;
  /** The connection parameters changed (units of 1.25 ms and 10 ms, as on HCI). */
  updated(intervalUnits: number, latency: number, timeoutUnits: number): void;
  /** The link-layer data length changed (octets, µs per PDU). */
  dataLengthChanged(octets: number, timeUs: number): void;
  /** The link is gone from the air: the station forgets it (what it is still told comes after, as on a real link). */
  forget(): void;
}

/** One end of a link. */
class LinkEnd {
  /** How the radio tells this end's station (set as soon as the station took the link). */
  host!: StationLink;
  /** ACL packets from this end's host waiting for airtime, each cut into LL PDUs as it goes. */
  readonly queue: { pb: number; data: Buffer; offset: number }[] = [];
  /** ACL packets fully sent since the last Number Of Completed Packets. */
  completed = 0;
  /** Disconnect reason to send once the queue is empty (LL_TERMINATE_IND after pending data). */
  terminateReason: number | undefined;

  constructor(readonly station: RadioStation) {}
}

/** A connection between two virtual controllers. */
export class RadioLink {
  readonly id: number;
  readonly central: LinkEnd;
  readonly peripheral: LinkEnd;
  /** Connection interval in ms. */
  intervalMs: number;
  /** Current link-layer payload in octets (27 until a host asks for DLE). */
  dataLength = LL_DEFAULT_DATA_LENGTH;
  /** Supervision timeout in ms. */
  supervisionTimeoutMs: number;
  /** Bytes of ACL payload carried, per direction. */
  readonly stats = { centralToPeripheral: 0, peripheralToCentral: 0, events: 0 };
  /** @internal */ anchor = performance.now();
  /** @internal */ timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** @internal */ closed = false;

  constructor(
    id: number,
    central: LinkEnd,
    peripheral: LinkEnd,
    intervalMs: number,
    supervisionTimeoutMs: number,
  ) {
    this.id = id;
    this.central = central;
    this.peripheral = peripheral;
    this.intervalMs = intervalMs;
    this.supervisionTimeoutMs = supervisionTimeoutMs;
  }

  /** The other end. */
  peerOf(end: LinkEnd): LinkEnd {
    return end === this.central ? this.peripheral : this.central;
  }
}

/** A read-only view of a link, for tests and the playground. */
export interface RadioLinkInfo {
  readonly central: string;
  readonly peripheral: string;
  readonly intervalMs: number;
  readonly dataLength: number;
  readonly phy: LinkModel['phy'];
  readonly bytesCentralToPeripheral: number;
  readonly bytesPeripheralToCentral: number;
}

/**
 * A virtual LE radio: any number of {@link VirtualController}s that see each other's advertising, connect, and
 * exchange ACL data paced by a {@link LinkModel}. Fault injection: {@link dropLink} (supervision timeout 0x08),
 * {@link refuseConnections}, {@link loseAdvertisements}, {@link resetController}.
 *
 * @example
 * ```ts
 * const radio = new VirtualRadio({ model: { pacing: 'instant' } });
 * const a = radio.createController({ address: 'AA:00:00:00:00:01' });
 * const nobleInstance = noble.withBindings('hci', virtualHciOptions(a));
 * ```
 */
export class VirtualRadio {
  /** The link model in force. */
  readonly model: LinkModel;
  private readonly controllers = new Set<RadioStation>();
  private readonly linkSet = new Set<RadioLink>();
  private readonly advertisers = new Map<RadioStation, NodeJS.Timeout>();
  private readonly refusing = new Map<string, number>();
  private readonly advertLoss = new Map<string, number>();
  private readonly options: VirtualRadioOptions;
  private nextLinkId = 1;
  private nextAddress = 1;
  private closed = false;

  constructor(options: VirtualRadioOptions = {}) {
    this.options = options;
    this.model = { ...DEFAULT_LINK_MODEL, ...options.model };
    if (this.model.maxDataLength < LL_DEFAULT_DATA_LENGTH || this.model.maxDataLength > 251) {
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `maxDataLength must be 27-251, got ${this.model.maxDataLength}`,
      );
    }
    if (
      this.model.intervalMs !== undefined &&
      (this.model.intervalMs < 7.5 || this.model.intervalMs > 4000)
    ) {
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `intervalMs must be 7.5-4000, got ${this.model.intervalMs}`,
      );
    }
  }

  /** Adds a controller to the radio. Throws `ERR_INVALID_ARGUMENT` on a malformed address. */
  createController(options: VirtualControllerOptions = {}): VirtualController {
    if (this.closed) throw new ColinkError(ErrorCode.NOT_STARTED, 'virtual radio is closed');
    const address = options.address ?? this.freshAddress();
    if (!/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i.test(address)) {
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `not a BD_ADDR: ${address}`);
    }
    const traced = address.toUpperCase();
    const air: ControllerAir = {
      model: this.model,
      trace: (direction, packet) => this.options.trace?.(`${traced} ${direction} ${packet.toString('hex')}`),
      advertisingChanged: () => this.advertisingChanged(c),
      connectionRequested: () => this.connectionRequested(c),
    };
    const c = new VirtualController(air, { ...options, address });
    this.controllers.add(c);
    return c;
  }

  /** Removes a controller: its links are lost (peers see 0x08) and it stops advertising. */
  removeController(controller: VirtualController): void {
    this.remove(controller);
  }

  /** Current links. */
  links(): RadioLinkInfo[] {
    return [...this.linkSet].map((l) => ({
      central: l.central.station.address,
      peripheral: l.peripheral.station.address,
      intervalMs: l.intervalMs,
      dataLength: l.dataLength,
      phy: this.model.phy,
      bytesCentralToPeripheral: l.stats.centralToPeripheral,
      bytesPeripheralToCentral: l.stats.peripheralToCentral,
    }));
  }

  /**
   * Fault: the links between `a` and `b` (or every link of `a` when `b` is omitted) are lost. Both hosts get
   * Disconnection Complete with reason 0x08 (Connection Timeout) after the link's supervision timeout (at once with
   * `'instant'` pacing). Returns the number of links dropped.
   */
  dropLink(a: string, b?: string): number {
    const A = a.toUpperCase();
    const B = b?.toUpperCase();
    let n = 0;
    for (const l of [...this.linkSet]) {
      const ends = [l.central.station.address, l.peripheral.station.address];
      if (ends.includes(A) && (B === undefined || ends.includes(B))) {
        this.loseLink(l, undefined, HCI_STATUS.CONNECTION_TIMEOUT);
        n++;
      }
    }
    return n;
  }

  /**
   * Fault: connection attempts to `address` fail with LE Connection Complete status `status` (default 0x3E,
   * Connection Failed to be Established) while `on` is true.
   */
  refuseConnections(
    address: string,
    on = true,
    status: number = HCI_STATUS.CONNECTION_FAILED_TO_BE_ESTABLISHED,
  ): void {
    if (on) this.refusing.set(address.toUpperCase(), status);
    else this.refusing.delete(address.toUpperCase());
  }

  /** Fault: each advertising event of `address` is lost with probability `probability` (0-1; 1 = invisible). */
  loseAdvertisements(address: string, probability = 1): void {
    if (probability <= 0) this.advertLoss.delete(address.toUpperCase());
    else this.advertLoss.set(address.toUpperCase(), Math.min(1, probability));
  }

  /**
   * Fault: the device `address` leaves radio range (`inRange` false) or comes back (true). Out of range, its
   * advertising events are lost, connection attempts to it fail (0x3E) and its links are lost (peers see 0x08, as
   * {@link VirtualRadio.dropLink}); back in range all three end. Returns the number of links dropped.
   */
  setInRange(address: string, inRange: boolean): number {
    if (inRange) {
      this.loseAdvertisements(address, 0);
      this.refuseConnections(address, false);
      return 0;
    }
    this.loseAdvertisements(address, 1);
    this.refuseConnections(address, true);
    return this.dropLink(address);
  }

  /**
   * Fault: every controller with `address` resets as after a crash: its host gets a Hardware Error event and
   * Disconnection Complete (0x08) for each link, peers see 0x08, advertising and scanning stop.
   */
  resetController(address: string): void {
    for (const c of this.controllers) {
      if (c.address !== address.toUpperCase()) continue;
      c.hardwareError(0x00);
      c.hardReset(HCI_STATUS.CONNECTION_TIMEOUT);
    }
  }

  /** Stops every timer and drops every link. */
  close(): void {
    this.closed = true;
    for (const c of [...this.controllers]) this.remove(c);
    for (const t of this.advertisers.values()) clearInterval(t);
    this.advertisers.clear();
  }

  private remove(station: RadioStation): void {
    station.hardReset(undefined);
    station.closeTrace();
    this.controllers.delete(station);
  }

  private freshAddress(): string {
    const n = this.nextAddress++;
    const hex = (0xc0_00_00_00_00_00 + process.pid * 0x10000 + n).toString(16).padStart(12, '0').slice(-12);
    return hex.match(/../g)!.join(':').toUpperCase();
  }

  // ---- advertising and scanning ----

  /** Starts or stops the advertising timer of `c`; may complete pending connections. */
  private advertisingChanged(c: RadioStation): void {
    const timer = this.advertisers.get(c);
    if (timer) clearInterval(timer);
    this.advertisers.delete(c);
    if (!c.advertising.enabled || this.closed) return;
    const interval = Math.max(
      MIN_ADVERTISING_INTERVAL_MS,
      this.options.advertisingIntervalMs ?? c.advertising.intervalMs,
    );
    const t = setInterval(() => this.advertisingEvent(c), interval);
    t.unref();
    this.advertisers.set(c, t);
    setImmediate(() => this.advertisingEvent(c));
    for (const central of this.controllers) if (central.pendingConnection) this.connectionRequested(central);
  }

  private advertisingEvent(adv: RadioStation): void {
    if (!adv.advertising.enabled) return;
    const loss = this.advertLoss.get(adv.address) ?? 0;
    for (const scanner of this.controllers) {
      if (scanner === adv || !scanner.scanning.enabled) continue;
      if (loss > 0 && Math.random() < loss) continue;
      scanner.heard(ADV_IND, adv.address, adv.advertising.data, adv.rssi);
      if (scanner.scanning.active)
        scanner.heard(SCAN_RSP, adv.address, adv.advertising.scanResponse, adv.rssi);
    }
  }

  // ---- connections ----

  /** A central asked to connect (or an advertiser appeared): connect if the target advertises. */
  private connectionRequested(central: RadioStation): void {
    const pending = central.pendingConnection;
    if (!pending) return;
    if (pending.peerAddressType !== 0x00) return; // every virtual controller has a public address
    const target = [...this.controllers].find(
      (c) =>
        c !== central &&
        c.address === pending.peerAddress &&
        c.advertising.enabled &&
        c.advertising.advType === ADV_IND,
    );
    if (!target) return;
    const refusal = this.refusing.get(target.address);
    if (refusal !== undefined) {
      central.connectionFailed(refusal);
      return;
    }
    const intervalUnits = this.model.intervalMs
      ? Math.round(this.model.intervalMs / 1.25)
      : Math.max(pending.minIntervalUnits, Math.min(pending.maxIntervalUnits, 0x0c80));
    const link = new RadioLink(
      this.nextLinkId++,
      new LinkEnd(central),
      new LinkEnd(target),
      intervalUnits * 1.25,
      pending.timeoutUnits * 10,
    );
    this.linkSet.add(link);
    const params = { intervalUnits, latency: pending.latency, timeoutUnits: pending.timeoutUnits };
    link.central.host = central.connected(this.airLink(link, link.central), {
      ...params,
      role: 0,
      peerAddress: target.address,
    });
    // The target stops advertising: a connectable undirected advertiser does when a connection is created.
    link.peripheral.host = target.connected(this.airLink(link, link.peripheral), {
      ...params,
      role: 1,
      peerAddress: central.address,
    });
  }

  /** How the station at `end` drives `link`. */
  private airLink(link: RadioLink, end: LinkEnd): AirLink {
    return {
      requestDataLength: () => this.dataLengthRequested(link),
      update: (maxIntervalUnits, latency, timeoutUnits) =>
        this.updateConnection(link, maxIntervalUnits, latency, timeoutUnits),
      terminate: (reason) => this.terminate(link, end, reason),
      lose: (localReason) => this.loseLink(link, end, localReason),
      send: (pb, data) => this.enqueueAcl(link, end, pb, data),
    };
  }

  /** LE Connection Update: applied at once, both hosts told. */
  private updateConnection(
    link: RadioLink,
    maxIntervalUnits: number,
    latency: number,
    timeoutUnits: number,
  ): void {
    const units = this.model.intervalMs ? Math.round(this.model.intervalMs / 1.25) : maxIntervalUnits;
    link.intervalMs = units * 1.25;
    link.supervisionTimeoutMs = timeoutUnits * 10;
    for (const end of [link.central, link.peripheral]) {
      end.host.updated(units, latency, timeoutUnits);
    }
  }

  /** A host asked for DLE: the link moves to the model's data length, both hosts get Data Length Change. */
  private dataLengthRequested(link: RadioLink): void {
    const octets = this.model.maxDataLength;
    if (link.dataLength === octets) return;
    link.dataLength = octets;
    const timeUs = (octets + 14) * 8;
    for (const end of [link.central, link.peripheral]) end.host.dataLengthChanged(octets, timeUs);
  }

  /** The host at `end` disconnects: queued data goes first, then both hosts get Disconnection Complete. */
  private terminate(link: RadioLink, end: LinkEnd, reason: number): void {
    if (end.terminateReason !== undefined) return;
    end.terminateReason = reason;
    this.schedule(link);
  }

  /**
   * Ends `link` without a termination procedure. The peer of `by` (both ends when `by` is undefined) learns after
   * the supervision timeout with 0x08; `by`'s own host gets `localReason` at once if given.
   */
  private loseLink(link: RadioLink, by: LinkEnd | undefined, localReason: number | undefined): void {
    if (link.closed) return;
    this.finish(link);
    const notify = (end: LinkEnd, reason: number): void => end.host.disconnected(reason);
    const delay = this.model.pacing === 'instant' ? 0 : link.supervisionTimeoutMs;
    const remote = by ? [link.peerOf(by)] : [link.central, link.peripheral];
    if (by && localReason !== undefined) notify(by, localReason);
    const t = setTimeout(() => {
      for (const end of remote) notify(end, HCI_STATUS.CONNECTION_TIMEOUT);
    }, delay);
    t.unref();
  }

  private finish(link: RadioLink): void {
    link.closed = true;
    if (link.timer) {
      clearTimeout(link.timer as NodeJS.Timeout);
      clearImmediate(link.timer as NodeJS.Immediate);
    }
    this.linkSet.delete(link);
    link.central.host.forget();
    link.peripheral.host.forget();
  }

  // ---- data ----

  /** ACL data from the host at `end`. */
  private enqueueAcl(link: RadioLink, end: LinkEnd, pb: number, data: Buffer): void {
    if (link.closed) return;
    end.queue.push({ pb, data, offset: 0 });
    this.schedule(link);
  }

  /** Runs the link's next connection event: on the interval grid (`realtime`) or on the next macrotask (`instant`). */
  private schedule(link: RadioLink): void {
    if (link.timer || link.closed) return;
    if (this.model.pacing === 'instant') {
      link.timer = setImmediate(() => this.connectionEvent(link, Number.POSITIVE_INFINITY));
      return;
    }
    const now = performance.now();
    const k = Math.max(1, Math.ceil((now - link.anchor) / link.intervalMs));
    const at = link.anchor + k * link.intervalMs;
    link.timer = setTimeout(() => this.connectionEvent(link, link.intervalMs * 1000), Math.max(0, at - now));
  }

  /**
   * One connection event (Vol 6 Part B §4.5.1): the central and the peripheral alternate PDUs of up to
   * `dataLength` octets (empty when one side has nothing) while the event fits in `budgetUs`.
   */
  private connectionEvent(link: RadioLink, budgetUs: number): void {
    link.timer = undefined;
    if (link.closed) return;
    const now = performance.now();
    if (this.model.pacing === 'realtime') {
      link.anchor += Math.max(1, Math.round((now - link.anchor) / link.intervalMs)) * link.intervalMs;
    }
    link.stats.events++;
    let used = 0;
    const phy = this.model.phy;
    const dl = this.model.pacing === 'instant' ? Number.POSITIVE_INFINITY : link.dataLength;
    for (;;) {
      const c = link.central.queue[0];
      const p = link.peripheral.queue[0];
      if (!c && !p) break;
      const cLen = c ? Math.min(dl, c.data.length - c.offset) : 0;
      const pLen = p ? Math.min(dl, p.data.length - p.offset) : 0;
      const cost = exchangeUs(phy, Number.isFinite(cLen) ? cLen : 0, Number.isFinite(pLen) ? pLen : 0);
      if (used + cost > budgetUs && used > 0) break;
      used += cost;
      if (c) this.carry(link, link.central, link.peripheral, cLen);
      if (p) this.carry(link, link.peripheral, link.central, pLen);
      if (used >= budgetUs) break;
    }
    for (const end of [link.central, link.peripheral]) {
      if (end.completed > 0) {
        end.host.packetsCompleted(end.completed);
        end.completed = 0;
      }
    }
    for (const end of [link.central, link.peripheral]) {
      if (end.terminateReason !== undefined && end.queue.length === 0) {
        const reason = end.terminateReason;
        this.finish(link);
        end.host.disconnected(HCI_STATUS.LOCAL_HOST_TERMINATED);
        link.peerOf(end).host.disconnected(reason);
        return;
      }
    }
    if (
      link.central.queue.length > 0 ||
      link.peripheral.queue.length > 0 ||
      link.central.terminateReason !== undefined ||
      link.peripheral.terminateReason !== undefined
    ) {
      this.schedule(link);
    }
  }

  /** Moves one LL PDU of `len` octets from `from`'s queue head to `to`'s host. */
  private carry(link: RadioLink, from: LinkEnd, to: LinkEnd, len: number): void {
    const head = from.queue[0]!;
    const start = head.offset;
    const end = Math.min(head.data.length, start + len);
    const pb = start === 0 && head.pb === ACL_PB.START ? ACL_PB.START : ACL_PB.CONTINUATION;
    to.host.dataReceived(pb, head.data.subarray(start, end));
    head.offset = end;
    if (from === link.central) link.stats.centralToPeripheral += end - start;
    else link.stats.peripheralToCentral += end - start;
    if (head.offset >= head.data.length) {
      from.queue.shift();
      from.completed++;
    }
  }
}
