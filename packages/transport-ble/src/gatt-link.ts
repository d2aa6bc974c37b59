import { CLOSE_CODES, type CloseReason, closeReason, isColinkError } from '@colink/core';
import type { SchedulerLike } from 'rxjs';
import { BleConduit, type ConduitHost } from './ble-conduit.js';
import { MAX_CONDUIT_ID, PROTOCOL_VERSION } from './constants.js';
import { decodePdu, encodeClose, encodeHello, type Pdu } from './frames.js';

/** What a {@link GattLink} needs from one LE connection (noble peripheral or bleno connection). */
export interface GattPipe {
  /** Largest ATT value this link carries: min(ATT MTU - 3, 512). */
  readonly valueSize: number;
  /** Sends one ATT value (write without response to RX, or notification on TX), in order. */
  send(value: Buffer): void;
  /** Ends the link (HCI Disconnect, reason 0x13). The role then calls {@link GattLink.linkClosed}. */
  disconnect(): void;
}

/** Options of {@link GattLink}. */
export interface GattLinkOptions {
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly window: number;
  /** Clock of the conduits' end-flush time limit (see {@link BleConduitOptions.scheduler}). Default: real time. */
  readonly scheduler?: SchedulerLike;
  /** Peripheral side: a central opened a conduit. Undefined on the central side (only centrals open). */
  readonly onIncoming?: (conduit: BleConduit) => void;
}

/**
 * One LE connection between two devices, carrying any number of {@link BleConduit}s (one BLE link per pair of
 * devices, as linkEnhance multiplexes its logical connections). The central opens conduits with HELLO; the
 * peripheral answers HELLO and announces the conduit. A conduit that ends while others remain sends CLOSE; the last
 * one disconnects the link, so the peer sees HCI 0x13.
 */
export class GattLink implements ConduitHost {
  private readonly conduits = new Map<number, BleConduit>();
  private nextId = 1;
  private closing = false;
  private done = false;
  private resolveClosed!: () => void;
  /** Resolves when the LE connection is down. */
  readonly closed: Promise<void> = new Promise((r) => {
    this.resolveClosed = r;
  });

  constructor(
    private readonly pipe: GattPipe,
    private readonly options: GattLinkOptions,
  ) {}

  get valueSize(): number {
    return this.pipe.valueSize;
  }

  /** True when the link can carry a new conduit (not disconnecting). */
  get usable(): boolean {
    return !this.closing && !this.done;
  }

  /** Conduits open on this link. */
  get conduitCount(): number {
    return this.conduits.size;
  }

  /** Disconnects the link if it carries no conduit (after a discovery probe). */
  disconnectIfIdle(): void {
    if (this.conduits.size > 0 || this.closing || this.done) return;
    this.closing = true;
    this.pipe.disconnect();
  }

  /** Central side: opens a conduit (await its `ready`). */
  open(): BleConduit {
    let id = this.nextId;
    while (this.conduits.has(id)) id = id >= MAX_CONDUIT_ID ? 1 : id + 1;
    this.nextId = id >= MAX_CONDUIT_ID ? 1 : id + 1;
    const c = this.create(id);
    this.pipe.send(encodeHello(id, c.receiveWindow));
    return c;
  }

  send(value: Buffer): void {
    if (!this.done) this.pipe.send(value);
  }

  release(conduit: BleConduit, reason: CloseReason): 'pdu' | 'link' {
    const others = [...this.conduits.values()].some((c) => c !== conduit && !c.isClosed);
    if (others || this.done) {
      this.conduits.delete(conduit.id);
      const code = CLOSE_CODES.indexOf(reason.code);
      if (!this.done) this.pipe.send(encodeClose(conduit.id, Math.max(0, code)));
      return 'pdu';
    }
    this.closing = true;
    this.pipe.disconnect();
    return 'link';
  }

  /** Every value the peer sends on this link. A malformed PDU ends every conduit (`protocol-error`) and the link. */
  handleValue(value: Uint8Array): void {
    if (this.done) return;
    let pdu: Pdu;
    try {
      pdu = decodePdu(value);
    } catch (e) {
      this.fail(closeReason('protocol-error', isColinkError(e) ? e.message : String(e)));
      return;
    }
    const c = this.conduits.get(pdu.id);
    switch (pdu.type) {
      case 'hello': {
        if (pdu.version !== PROTOCOL_VERSION) {
          this.fail(closeReason('version-mismatch', `peer speaks colink BLE protocol ${pdu.version}`));
          return;
        }
        if (c) {
          c.peerHello(pdu.window);
          return;
        }
        if (!this.options.onIncoming || this.closing) return;
        const accepted = this.create(pdu.id);
        this.pipe.send(encodeHello(pdu.id, accepted.receiveWindow));
        accepted.peerHello(pdu.window);
        this.options.onIncoming(accepted);
        return;
      }
      case 'data':
        c?.handleData(pdu.payload);
        return;
      case 'ack':
        c?.handleAck(pdu.count);
        return;
      case 'close':
        if (c) {
          this.conduits.delete(pdu.id);
          c.remoteClosed(pdu.code);
        }
        return;
    }
  }

  /** The LE connection is down with `hciReason`: every conduit on it closes. */
  linkClosed(hciReason: number): void {
    if (this.done) return;
    this.done = true;
    for (const c of this.conduits.values()) c.linkClosed(hciReason);
    this.conduits.clear();
    this.resolveClosed();
  }

  private create(id: number): BleConduit {
    const c = new BleConduit(this, id, this.options);
    this.conduits.set(id, c);
    return c;
  }

  private fail(reason: CloseReason): void {
    for (const c of [...this.conduits.values()]) c.destroy(reason);
    if (!this.closing) {
      this.closing = true;
      this.pipe.disconnect();
    }
  }
}
