import type { SchedulerLike, Subscription } from 'rxjs';
import { encodeFrame, FrameType } from './codec.js';
import { PING_PAYLOAD_BYTES } from './limits.js';

/** Unanswered PINGs remembered for RTT; older ones are forgotten (their PONGs no longer count). */
const MAX_OUTSTANDING_PINGS = 16;

/** Round-trip figures of a Link (ms). */
export interface RttSample {
  /** Last keep-alive round trip. */
  readonly rttMs: number;
  /** Smoothed RTT, RFC 6298 §2 with α = 1/8. */
  readonly srttMs: number;
}

/** What {@link KeepAlive} needs from its Link. */
export interface KeepAliveHost {
  /** Queues a control frame (PING). */
  sendControl(frame: Uint8Array): void;
  /** The peer has been silent for `silentMs` ≥ the idle timeout. */
  onIdle(silentMs: number): void;
  /** A PONG answered one of our PINGs. */
  onRtt(sample: RttSample): void;
}

/**
 * Keep-alive and RTT of a Link (PROTOCOL.md §4.6): every `intervalMs` a PING with a fresh id; the PONG's round trip
 * is the RTT (smoothed as in RFC 6298); `idleTimeoutMs` without any received frame calls {@link KeepAliveHost.onIdle}
 * (not while {@link KeepAlive.suspend}ed).
 * Timers run on the injected scheduler, so virtual time drives them in tests. `intervalMs` 0 disables it.
 */
export class KeepAlive {
  private lastReceived: number;
  private timer: Subscription | undefined;
  private readonly pings = new Map<number, number>();
  private pingSeq = 0;
  private srtt: number | undefined;
  private rtt: number | undefined;
  private suspended = false;

  /**
   * @param now clock for RTT in ms (sub-millisecond in real time).
   */
  constructor(
    private readonly host: KeepAliveHost,
    private readonly scheduler: SchedulerLike,
    private readonly now: () => number,
    private readonly intervalMs: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.lastReceived = scheduler.now();
  }

  /** Last RTT in ms, undefined before the first PONG. */
  get rttMs(): number | undefined {
    return this.rtt;
  }

  /** Smoothed RTT in ms. */
  get srttMs(): number | undefined {
    return this.srtt;
  }

  /** Starts the PING timer. */
  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.lastReceived = this.scheduler.now();
    const ka = this;
    this.timer = this.scheduler.schedule(function tick(this: { schedule(s?: unknown, d?: number): void }) {
      if (!ka.timer) return;
      const now = ka.scheduler.now();
      if (ka.suspended) ka.lastReceived = now;
      else if (now - ka.lastReceived >= ka.idleTimeoutMs) {
        ka.host.onIdle(now - ka.lastReceived);
        return;
      }
      ka.pingSeq = (ka.pingSeq + 1) >>> 0;
      const seq = ka.pingSeq;
      ka.pings.set(seq, ka.now());
      if (ka.pings.size > MAX_OUTSTANDING_PINGS) ka.pings.delete(ka.pings.keys().next().value!);
      ka.host.sendControl(encodeFrame(FrameType.PING, 0, 0, seq, new Uint8Array(PING_PAYLOAD_BYTES)));
      this.schedule(undefined, ka.intervalMs);
    }, this.intervalMs);
  }

  /** Any frame arrived. */
  received(): void {
    this.lastReceived = this.scheduler.now();
  }

  /**
   * While `on`, silence is not idleness: the Link stopped reading on purpose (its receive budget is full), so the
   * peer's frames wait unread. PINGs still go out; the idle time starts again when reading resumes.
   */
  suspend(on: boolean): void {
    this.suspended = on;
    if (!on) this.lastReceived = this.scheduler.now();
  }

  /** A PONG arrived with ping id `seq`. */
  pong(seq: number): void {
    const sent = this.pings.get(seq);
    if (sent === undefined) return;
    this.pings.delete(seq);
    const rtt = this.now() - sent;
    this.rtt = rtt;
    this.srtt = this.srtt === undefined ? rtt : this.srtt + (rtt - this.srtt) / 8;
    this.host.onRtt({ rttMs: rtt, srttMs: this.srtt });
  }

  /** Stops the timer. */
  stop(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }
}
