/**
 * The per-source accept allowance of a TCP listener, shared by {@link TcpTransport}'s own listener and its
 * gatekeeper process (`gatekeeper/child.ts`): a token bucket per source host.
 * @module
 */

/** Size and refill of a source host's allowance: `burst` connections, refilled at `perSecond`. */
export interface AcceptLimit {
  readonly burst: number;
  readonly perSecond: number;
}

/**
 * @internal A token bucket of inbound connections per source host (the remote address without its port). {@link take}
 * spends one token (false when the host has none left: reset that connection at accept); {@link refund} gives one back
 * when the connection authenticated, so only connections that never authenticate use the allowance up. At most
 * `maxSources` hosts are tracked, the least recently seen forgotten first (a forgotten host starts with a full bucket).
 */
export class AcceptAllowance {
  /** Tokens left and when they were counted (ms), per host; least recently seen first. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * @param limit the bucket of every host
   * @param maxSources most hosts tracked at once
   * @param now the clock, ms (monotonic)
   */
  constructor(
    readonly limit: AcceptLimit,
    private readonly maxSources: number,
    private readonly now: () => number,
  ) {}

  /** Takes one token of `host`'s allowance; false when it has none left. */
  take(host: string): boolean {
    const { burst, perSecond } = this.limit;
    const now = this.now();
    const b = this.#buckets.get(host);
    const tokens = b ? Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond) : burst;
    // Re-inserted so the map stays ordered by last sight; the least recently seen goes when it is full.
    this.#buckets.delete(host);
    if (this.#buckets.size >= this.maxSources) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    const ok = tokens >= 1;
    this.#buckets.set(host, { tokens: ok ? tokens - 1 : tokens, at: now });
    return ok;
  }

  /** `host`'s connection authenticated: its token goes back (a host no longer tracked already has a full bucket). */
  refund(host: string): void {
    const b = this.#buckets.get(host);
    if (b !== undefined) b.tokens = Math.min(this.limit.burst, b.tokens + 1);
  }
}
