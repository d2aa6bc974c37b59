import type { SchedulerLike, Subscription } from 'rxjs';
import { closeReason } from './errors.js';
import {
  MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_SOURCE,
  PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS,
  PRE_AUTH_TIMEOUT_MS,
} from './limits.js';
import type { Link, LinkRole, SecurityUpgrade, VerifiedPeer } from './link.js';
import { logger } from './log.js';
import type { BandwidthClass, Conduit } from './transport.js';

const log = logger('admission');

/**
 * How a security stage tells its caller how far a handshake got (see {@link ReportingSecurityUpgrade}). Both calls
 * are optional for the stage to make and may come at most once each.
 */
export interface HandshakeProgress {
  /**
   * This side trusts the peer: its identity is proven (TLS CertificateVerify) and it is on the same account or
   * bound. The handshake leaves the pre-authentication deadline and no longer counts as pending.
   */
  trusted(): void;
  /**
   * The peer's identity is proven but not trusted, and the user is now asked to confirm a binding. The
   * pre-authentication deadline stops (the user's confirmation time is the Link's `handshakeTimeoutMs`); the
   * handshake still counts as pending until the binding is accepted.
   */
  confirmingBinding(): void;
}

/**
 * A {@link SecurityUpgrade} that reports its progress, so that {@link LocalDevice} can bound the unauthenticated part
 * of a handshake separately from a binding confirmation. `TlsSecurity` is one. A stage that does not report is
 * treated as unauthenticated until its Link opens.
 */
export interface ReportingSecurityUpgrade extends SecurityUpgrade {
  /**
   * {@link SecurityUpgrade.upgrade}, and reports to `progress` (when given) when this side trusts the peer or starts a
   * binding confirmation. Rejects like {@link SecurityUpgrade.upgrade} (`ERR_HANDSHAKE_FAILED`, `ERR_UNTRUSTED`).
   */
  upgrade(
    conduit: Conduit,
    role: LinkRole,
    progress?: HandshakeProgress,
  ): Promise<{ conduit: Conduit; peer: VerifiedPeer }>;
}

/** Options of the admission control of inbound handshakes ({@link LocalDeviceOptions.admission}). */
export interface AdmissionOptions {
  /**
   * Time from accepting (or dialling) a connection until the peer is authenticated — preamble, security handshake,
   * trust decision; without a security stage, until the Link opens — in ms. Past it the Link closes with `timeout`.
   * Default {@link PRE_AUTH_TIMEOUT_MS} (5 000) on high- and medium-bandwidth media, {@link
   * PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS} (30 000) on low-bandwidth ones (BLE). It never exceeds the Link's handshake
   * timeout, which alone bounds a binding confirmation.
   */
  readonly preAuthTimeoutMs?: number;
  /**
   * Most inbound handshakes not yet authenticated at once, over all transports. A new inbound connection past it
   * closes the oldest pending one with `refused`. Default {@link MAX_PENDING_HANDSHAKES} (64).
   */
  readonly maxPending?: number;
  /**
   * Most pending inbound handshakes from one source host (the remote address without its port). A new connection
   * past it closes the oldest pending one of that source with `refused`. Default
   * {@link MAX_PENDING_HANDSHAKES_PER_SOURCE} (8).
   */
  readonly maxPendingPerSource?: number;
}

/** Counters of the admission control (see {@link LocalDevice.admissionStats}). */
export interface AdmissionStats {
  /** Inbound handshakes pending now (not yet authenticated). */
  readonly pending: number;
  /** Highest `pending` seen since the device started. */
  readonly pendingHighWater: number;
  /** Pending handshakes closed to make room for newer ones (cap reached). */
  readonly evicted: number;
  /** Handshakes (either role) closed because the pre-authentication deadline passed. */
  readonly timedOut: number;
}

/**
 * The source host of a remote address, for per-source limits: `host` of `host:port`, `v6` of `[v6]:port`, else the
 * whole address (a BLE MAC, a memory address).
 */
export function sourceHost(remoteAddress: string): string {
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(remoteAddress);
  if (v6) return v6[1]!;
  const v4 = /^([^:]+):\d+$/.exec(remoteAddress);
  return v4 ? v4[1]! : remoteAddress;
}

interface Pending {
  readonly link: Link;
  readonly source: string;
  /** Counted in the pending set (inbound and not yet trusted). */
  counted: boolean;
  timer: Subscription | undefined;
}

/**
 * @internal The admission control of {@link LocalDevice}: the pre-authentication deadline of every handshake and
 * the caps on pending inbound handshakes (global and per source). Oldest-pending eviction: an honest handshake
 * completes in milliseconds, so the oldest pending one is the likeliest to be stalled, and refusing the newest
 * instead would let whoever came first (a slowloris) hold every slot for as long as it keeps reconnecting.
 */
export class Admission {
  private readonly pending = new Map<Link, Pending>();
  /** Insertion-ordered (oldest first) pending inbound handshakes. */
  private readonly queue = new Set<Pending>();
  private readonly perSource = new Map<string, number>();
  private readonly maxPending: number;
  private readonly maxPerSource: number;
  private counters = { pendingHighWater: 0, evicted: 0, timedOut: 0 };

  constructor(
    private readonly options: AdmissionOptions,
    private readonly scheduler: SchedulerLike,
    private readonly handshakeTimeoutMs: number,
  ) {
    this.maxPending = Math.max(1, options.maxPending ?? MAX_PENDING_HANDSHAKES);
    this.maxPerSource = Math.max(1, options.maxPendingPerSource ?? MAX_PENDING_HANDSHAKES_PER_SOURCE);
  }

  stats(): AdmissionStats {
    return { pending: this.queue.size, ...this.counters };
  }

  /** The deadline for a handshake on a medium of `bandwidth`. */
  deadlineMs(bandwidth: BandwidthClass | undefined): number {
    const d =
      this.options.preAuthTimeoutMs ??
      (bandwidth === 'low' ? PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS : PRE_AUTH_TIMEOUT_MS);
    return Math.min(d, this.handshakeTimeoutMs);
  }

  /**
   * Tracks `link` from now: arms its deadline and, for inbound links, counts it pending (evicting the oldest pending
   * handshake of its source, or overall, when a cap is reached). Returns the progress callbacks to hand its security
   * stage.
   */
  admit(link: Link, bandwidth: BandwidthClass | undefined): HandshakeProgress {
    const p: Pending = {
      link,
      source: sourceHost(link.remoteAddress),
      counted: link.role === 'responder',
      timer: undefined,
    };
    this.pending.set(link, p);
    const ms = this.deadlineMs(bandwidth);
    p.timer = this.scheduler.schedule(() => {
      p.timer = undefined;
      if (link.state !== 'connecting') return;
      this.counters.timedOut++;
      log.debug('%s from %s not authenticated after %d ms', link.id, link.remoteAddress, ms);
      link.abort(closeReason('timeout', `peer not authenticated within ${ms} ms`));
    }, ms);
    if (p.counted) {
      this.makeRoom(p.source);
      this.queue.add(p);
      this.perSource.set(p.source, (this.perSource.get(p.source) ?? 0) + 1);
      this.counters.pendingHighWater = Math.max(this.counters.pendingHighWater, this.queue.size);
    }
    void link.opened.then(
      () => this.release(link),
      () => this.release(link),
    );
    return {
      trusted: () => this.release(link),
      confirmingBinding: () => {
        p.timer?.unsubscribe();
        p.timer = undefined;
      },
    };
  }

  /** Stops tracking `link`: trusted, opened or failed. */
  release(link: Link): void {
    const p = this.pending.get(link);
    if (!p) return;
    this.pending.delete(link);
    p.timer?.unsubscribe();
    p.timer = undefined;
    this.uncount(p);
  }

  private uncount(p: Pending): void {
    if (!p.counted) return;
    p.counted = false;
    this.queue.delete(p);
    const n = (this.perSource.get(p.source) ?? 1) - 1;
    if (n > 0) this.perSource.set(p.source, n);
    else this.perSource.delete(p.source);
  }

  /** Closes the oldest pending handshakes until one more from `source` fits both caps. */
  private makeRoom(source: string): void {
    while ((this.perSource.get(source) ?? 0) >= this.maxPerSource) {
      const victim = this.oldest((p) => p.source === source);
      if (!victim) break;
      this.evict(victim, `more than ${this.maxPerSource} pending handshakes from ${source}`);
    }
    while (this.queue.size >= this.maxPending) {
      const victim = this.oldest(() => true);
      if (!victim) break;
      this.evict(victim, `more than ${this.maxPending} pending handshakes`);
    }
  }

  private oldest(match: (p: Pending) => boolean): Pending | undefined {
    for (const p of this.queue) if (match(p)) return p;
    return undefined;
  }

  private evict(p: Pending, why: string): void {
    this.counters.evicted++;
    log.debug('evicting %s from %s: %s', p.link.id, p.link.remoteAddress, why);
    this.uncount(p);
    p.link.abort(closeReason('refused', why));
  }
}
