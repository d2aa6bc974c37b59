/** Counters of a Link. Bytes count whole frames (header included), before encryption. */
export interface LinkStats {
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Last keep-alive round-trip time in ms, or undefined before the first PONG. */
  readonly rttMs: number | undefined;
  /** Smoothed RTT (RFC 6298 α = 1/8) in ms. */
  readonly srttMs: number | undefined;
  readonly openChannels: number;
  /** Wall-clock ms when the Link opened. */
  readonly openedAt: number | undefined;
  /**
   * Bytes the Link's channels hold for their apps now: complete messages not taken yet and fragments of messages
   * still arriving (what `LinkOptions.receiveBudget` bounds).
   */
  readonly heldBytes: number;
  /** Times the Link stopped reading its medium because its receive budget was full. */
  readonly receivePauses: number;
}

/** The mutable frame and byte counters behind {@link LinkStats}. @internal */
export class LinkCounters {
  bytesSent = 0;
  bytesReceived = 0;
  framesSent = 0;
  framesReceived = 0;
  receivePauses = 0;

  /** Adds what another stage (the handshake) counted. */
  add(c: { framesSent: number; bytesSent: number; framesReceived: number; bytesReceived: number }): void {
    this.framesSent += c.framesSent;
    this.bytesSent += c.bytesSent;
    this.framesReceived += c.framesReceived;
    this.bytesReceived += c.bytesReceived;
  }

  /** A snapshot with the RTT and channel figures of the Link. */
  snapshot(
    rttMs: number | undefined,
    srttMs: number | undefined,
    openChannels: number,
    openedAt: number | undefined,
    heldBytes: number,
  ): LinkStats {
    return {
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      framesSent: this.framesSent,
      framesReceived: this.framesReceived,
      rttMs,
      srttMs,
      openChannels,
      openedAt,
      heldBytes,
      receivePauses: this.receivePauses,
    };
  }
}
