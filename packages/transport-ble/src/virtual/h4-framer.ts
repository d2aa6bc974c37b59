import { ColinkError, ErrorCode } from '@colink/core';
import { H4 } from './hci.js';

/**
 * Splits an H4 byte stream (Bluetooth Core 5.4 Vol 4 Part A §2) into whole packets, in both directions: commands
 * (`01 opcode:2 len:1`), ACL data (`02 handle:2 len:2`) and events (`04 code:1 len:1`). The UART driver's own
 * parser only frames controller-to-host packets (it reads a command's length from the wrong byte), so the virtual
 * controller and the cross-process broker use this one.
 */
export class H4Framer {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the complete packets they finish, each with its H4 indicator. Throws `ERR_PROTOCOL` on an unknown indicator. */
  push(bytes: Uint8Array): Buffer[] {
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    const out: Buffer[] = [];
    for (;;) {
      const size = packetSize(this.pending);
      if (size === undefined || this.pending.length < size) break;
      out.push(this.pending.subarray(0, size));
      this.pending = this.pending.subarray(size);
    }
    return out;
  }
}

/** Total size of the H4 packet at the start of `buf`, or undefined when its header is not complete yet. */
function packetSize(buf: Buffer): number | undefined {
  if (buf.length === 0) return undefined;
  switch (buf[0]) {
    case H4.COMMAND:
      return buf.length < 4 ? undefined : 4 + buf[3]!;
    case H4.ACL:
      return buf.length < 5 ? undefined : 5 + buf.readUInt16LE(3);
    case H4.EVENT:
      return buf.length < 3 ? undefined : 3 + buf[2]!;
    default:
      throw new ColinkError(ErrorCode.PROTOCOL, `H4: unknown packet indicator 0x${buf[0]!.toString(16)}`);
  }
}
