import { concatBytes } from './codec.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import { MAX_FIRST_FLIGHT_BYTES } from './limits.js';

/**
 * @internal Gathers the initiator's first bytes of the security stage until its first flight is whole, as the stage
 * sizes it from its head (`SecurityUpgrade.firstFlightLength`; TLS: the record opening the ClientHello). Used by the
 * responder's handshake and by the device's pre-Link stage, so that a stranger stopped part way through costs only
 * the bytes it sent, at most {@link MAX_FIRST_FLIGHT_BYTES}.
 */
export class FirstFlight {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  /** The flight's size once known from its head, bytes; 0 before. */
  private need = 0;

  constructor(private readonly lengthOf: (head: Uint8Array) => number) {}

  /**
   * Adds the next chunk (kept, not copied). Returns every byte gathered so far once the flight is whole (more than the
   * flight when the chunk went past it), else undefined.
   * @throws what `lengthOf` throws (the bytes cannot start the stage), or ColinkError `ERR_PROTOCOL` when the flight
   *   would exceed {@link MAX_FIRST_FLIGHT_BYTES} (or its size is still unknown at that many bytes).
   */
  push(chunk: Uint8Array): Uint8Array | undefined {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.need === 0) {
      const need = this.lengthOf(this.all());
      if (need > MAX_FIRST_FLIGHT_BYTES || (need === 0 && this.bytes >= MAX_FIRST_FLIGHT_BYTES)) {
        throw new ColinkError(
          ErrorCode.PROTOCOL,
          `security stage's first flight exceeds ${MAX_FIRST_FLIGHT_BYTES} bytes`,
        );
      }
      if (need === 0) return undefined;
      this.need = need;
    }
    if (this.bytes < this.need) return undefined;
    const all = this.all();
    this.parts = [];
    this.bytes = 0;
    return all;
  }

  /** What ends the connection when {@link FirstFlight.push} threw `e`: `protocol-error` for the size, else `handshake-failed`. */
  static closeReasonOf(e: unknown): CloseReason {
    const msg = e instanceof Error ? e.message : String(e);
    return closeReason(
      e instanceof ColinkError && e.code === ErrorCode.PROTOCOL ? 'protocol-error' : 'handshake-failed',
      msg,
    );
  }

  /** The bytes gathered so far in one array (the chunk itself when there is one). */
  private all(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0]!;
    const all = concatBytes(this.parts, this.bytes);
    this.parts = [all];
    return all;
  }
}
