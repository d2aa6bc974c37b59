import { closeSync, openSync, writeSync } from 'node:fs';
import { H4 } from './hci.js';

/** Microseconds from 0000-01-01 to 1970-01-01, the btsnoop epoch offset (RFC 1761 §3.2, as used by BlueZ). */
const BTSNOOP_EPOCH_DELTA_US = 0x00dcddb30f2f8000n;
/** btsnoop datalink type for HCI UART (H4) packets, indicator byte included (RFC 1761 §3; BlueZ `btsnoop.h`). */
const DATALINK_H4 = 1002;

/**
 * Writes a controller's HCI traffic as a btsnoop file that Wireshark and `btmon -r` open (RFC 1761 layout, H4
 * datalink). Flags per record: bit 0 = received by the host (controller → host), bit 1 = command or event.
 */
export class BtsnoopWriter {
  private fd: number | undefined;

  /** Creates (truncates) `path` and writes the file header. Throws the file system error if it cannot. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    const header = Buffer.alloc(16);
    header.write('btsnoop\0', 0, 'latin1');
    header.writeUInt32BE(1, 8);
    header.writeUInt32BE(DATALINK_H4, 12);
    writeSync(this.fd, header);
  }

  /** Records one H4 packet; `toHost` is true for controller → host. */
  record(packet: Uint8Array, toHost: boolean): void {
    if (this.fd === undefined) return;
    const rec = Buffer.alloc(24);
    rec.writeUInt32BE(packet.length, 0);
    rec.writeUInt32BE(packet.length, 4);
    const commandOrEvent = packet[0] === H4.COMMAND || packet[0] === H4.EVENT ? 2 : 0;
    rec.writeUInt32BE((toHost ? 1 : 0) | commandOrEvent, 8);
    rec.writeUInt32BE(0, 12);
    rec.writeBigUInt64BE(BigInt(Date.now()) * 1000n + BTSNOOP_EPOCH_DELTA_US, 16);
    writeSync(this.fd, rec);
    writeSync(this.fd, packet);
  }

  /** Closes the file. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
