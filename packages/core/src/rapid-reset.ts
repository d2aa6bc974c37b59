/**
 * The rapid-reset bound's token bucket ({@link RAPID_RESET_BURST}, {@link RAPID_RESET_RATE_PER_SECOND}).
 * @module
 */
import { RAPID_RESET_BURST, RAPID_RESET_RATE_PER_SECOND } from './limits.js';

/**
 * @internal Channels a peer churned (see {@link RAPID_RESET_BURST}): a token bucket of {@link RAPID_RESET_BURST}
 * refilled at {@link RAPID_RESET_RATE_PER_SECOND} on the clock it is given (ms). A protocol-v2 Link counts into its
 * peer connection's, which every Link to that peer shares and which outlives each of them (PeerConnection); a Link
 * without one (protocol v1) into the one its device keeps for that peer (`LinkOptions.rapidReset`); a bare Link keeps
 * its own. So a peer that reconnects does not get a full bucket back with every new Link.
 */
export class RapidResetBudget {
  /** Churned channels the peer may still make this side handle now, as of {@link at}. */
  private tokens = RAPID_RESET_BURST;
  private at: number;
  /** Churned channels counted since the bucket was made. */
  total = 0;

  /** @param now the clock, ms (a Link's or peer connection's scheduler). */
  constructor(private readonly now: () => number) {
    this.at = now();
  }

  /** Counts one churned channel; false once the bucket is empty (the peer is past the bound). */
  take(): boolean {
    const now = this.now();
    const refill = (Math.max(0, now - this.at) * RAPID_RESET_RATE_PER_SECOND) / 1000;
    this.at = now;
    this.tokens = Math.min(RAPID_RESET_BURST, this.tokens + refill) - 1;
    this.total++;
    return this.tokens >= 0;
  }
}
