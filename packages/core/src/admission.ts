import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { type CloseReason, closeReason } from './errors.js';
import {
  MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_SOURCE,
  MAX_PRE_AUTH_HELD_BYTES,
  MAX_QUEUED_INBOUND,
  PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS,
  PRE_AUTH_TIMEOUT_MS,
  PRE_AUTH_WORK_GAP_MS,
  PRE_AUTH_WORK_SLICE_MS,
  PREAMBLE_BYTES,
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
   * pre-authentication deadline stops (the user's confirmation time is the Link's `handshakeTimeoutMs`) and the
   * handshake leaves the pending set: a user comparing codes is never evicted to make room for newer connections.
   * (The security stage bounds how many confirmations run at once: `MAX_CONCURRENT_BINDING_PROMPTS`.)
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
   * trust decision; without a security stage, until the Link opens — in ms. Past it the Link closes with `timeout`;
   * an inbound connection is reset (TCP RST: {@link Conduit.reset}), as is every one the caps below refuse.
   * Default {@link PRE_AUTH_TIMEOUT_MS} (5 000) on high- and medium-bandwidth media, {@link
   * PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS} (30 000) on low-bandwidth ones (BLE). It never exceeds the Link's handshake
   * timeout (`LinkOptions.handshakeTimeoutMs`, default 10 000 — so BLE gets 10 s unless that is raised), which alone
   * bounds a binding confirmation.
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
  /**
   * Longest stretch of pre-authentication work (taking in inbound connections, handling strangers' bytes) before
   * the device takes a break of `PRE_AUTH_WORK_GAP_MS` for everything else, while such work is backlogged, in ms.
   * Default {@link PRE_AUTH_WORK_SLICE_MS} (0.25); values below 0.1 count as 0.1. `Infinity` turns the slicing off:
   * all such work runs at once, as it did before the slicing existed (for comparison: transport-tcp's hostile-peer
   * tests take `HOSTILE_WORK_SLICE_MS`).
   */
  readonly workSliceMs?: number;
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
  /**
   * Inbound connections accepted by a transport and waiting for their turn in the pre-authentication work queue now
   * (a connection storm is taken in in slices, so that authenticated Links keep being served; see
   * `PRE_AUTH_WORK_SLICE_MS`).
   */
  readonly queued: number;
  /** Highest `queued` seen since the device started. */
  readonly queuedHighWater: number;
  /**
   * Waiting inbound connections closed (`refused`) because the queue was full: the oldest of the source with the most
   * waiting (see `MAX_QUEUED_INBOUND`).
   */
  readonly queueRefused: number;
  /** Slices of backlogged pre-authentication work run, each followed by a break of `PRE_AUTH_WORK_GAP_MS`. */
  readonly slices: number;
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

/**
 * @internal An inbound connection the admission control tracks before its Link exists (the device's pre-Link stage,
 * `InboundPreamble`, reading the peer's preamble).
 */
export interface Stranger {
  readonly remoteAddress: string;
  /** The local end's address (`host:port`): a vanished local address ends it (`LocalDevice.dropLinksFrom`). */
  readonly localAddress: string;
  /** Closes the connection with `reason` (nothing once its Link has taken over). */
  abort(reason: CloseReason): void;
}

/** @internal A handshake the admission control tracks: from {@link Admission.admitStranger} or {@link Admission.admit}. */
export interface AdmissionEntry {
  /** The Link, once built. */
  readonly link: Link | undefined;
}

class Pending implements AdmissionEntry {
  link: Link | undefined;
  /** Counted in the pending set (inbound and not yet trusted). */
  counted: boolean;
  /** When the pre-authentication deadline passes (scheduler time, ms); in `deadline`'s list while armed. */
  due = 0;
  deadline: Deadlines | undefined;
  released = false;

  constructor(
    /** The inbound connection before its Link exists (none for an outbound dial: that Link exists from the start). */
    readonly stranger: Stranger | undefined,
    link: Link | undefined,
    readonly source: string,
    inbound: boolean,
    /**
     * The inbound connection's gate ({@link ConduitGate}): ungated once tracking ends (trusted, opened or failed), so
     * the peer's bytes stop going through `PreAuthWork`; its byte count tells whether the peer is stuck at its preamble.
     */
    readonly gate?: PreAuthGate,
    /** Called once if tracking ends because the peer authenticated (trusted, or its Link opened). */
    readonly onAuthenticated?: () => void,
  ) {
    this.link = link;
    this.counted = inbound;
  }

  get remoteAddress(): string {
    return this.link?.remoteAddress ?? this.stranger?.remoteAddress ?? '';
  }

  /**
   * Ends the handshake with `reason`: always before the peer authenticated (the admission control stops tracking at
   * that point), so the connection is reset (TCP RST, {@link Conduit.reset}) rather than closed: by the pre-Link stage
   * while the peer's preamble is read, else through its Link, whose destroy of the conduit the gate turns into a reset.
   */
  abort(reason: CloseReason): void {
    if (this.link) {
      this.gate?.resetOnDestroy();
      this.link.abort(reason);
    } else this.stranger?.abort(reason);
  }
}

/**
 * Pending handshakes with the same deadline length, oldest first: their deadlines pass in that order, so one timer
 * (for the oldest) serves them all instead of one per connection.
 */
interface Deadlines {
  readonly ms: number;
  readonly entries: Set<Pending>;
  timer: Subscription | undefined;
}

/**
 * Whether a pending handshake has not got past the peer's preamble: no Link yet (the pre-Link stage still reads the
 * preamble) or its handshake still reads it, and the peer has sent fewer than its 8 bytes (bytes held back by
 * `PreAuthWork` during a storm count as sent: a real peer's preamble waiting for its turn is progress, not a stall).
 */
function stuckAtPreamble(p: Pending): boolean {
  return (
    (p.link === undefined || p.link.handshakeStage === 'preamble') &&
    (p.gate?.received() ?? 0) < PREAMBLE_BYTES
  );
}

/**
 * @internal The admission control of {@link LocalDevice}: the pre-authentication deadline of every handshake and
 * the caps on pending inbound handshakes (global and per source). An inbound connection is tracked from the moment
 * the device takes it in, before its Link exists ({@link Admission.admitStranger}: the device reads the peer's
 * preamble first), and keeps its place, deadline and counts once its Link is built ({@link Admission.attach}).
 * Oldest-pending eviction: an honest handshake completes in milliseconds, so the oldest pending one is the
 * likeliest to be stalled, and refusing the newest instead would let whoever came first (a slowloris) hold every
 * slot for as long as it keeps reconnecting.
 */
export class Admission {
  /** Insertion-ordered (oldest first) pending inbound handshakes. */
  private readonly queue = new Set<Pending>();
  private readonly perSource = new Map<string, number>();
  /** Armed deadlines per deadline length, ms. */
  private readonly deadlines = new Map<number, Deadlines>();
  private readonly maxPending: number;
  private readonly maxPerSource: number;
  private counters = { pendingHighWater: 0, evicted: 0, timedOut: 0 };

  constructor(
    private readonly options: AdmissionOptions,
    private readonly scheduler: SchedulerLike,
    private readonly handshakeTimeoutMs: number,
    workClock?: WorkClock,
  ) {
    this.maxPending = Math.max(1, options.maxPending ?? MAX_PENDING_HANDSHAKES);
    this.maxPerSource = Math.max(1, options.maxPendingPerSource ?? MAX_PENDING_HANDSHAKES_PER_SOURCE);
    this.work = new PreAuthWork(
      workClock ?? realWorkClock,
      Math.max(0.1, options.workSliceMs ?? PRE_AUTH_WORK_SLICE_MS),
    );
  }

  /** The pre-authentication work queue: inbound connections and unauthenticated peers' bytes run through it. */
  readonly work: PreAuthWork;

  /**
   * Inbound connections tracked before their Link exists (the pre-Link stage still reads the peer's preamble or, on a
   * device whose security stage reads one, its first flight).
   */
  strangers(): Stranger[] {
    const out: Stranger[] = [];
    for (const p of this.queue) if (p.link === undefined && p.stranger) out.push(p.stranger);
    return out;
  }

  stats(): AdmissionStats {
    return { pending: this.queue.size, ...this.counters, ...this.work.stats() };
  }

  /** The deadline for a handshake on a medium of `bandwidth`. */
  deadlineMs(bandwidth: BandwidthClass | undefined): number {
    const d =
      this.options.preAuthTimeoutMs ??
      (bandwidth === 'low' ? PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS : PRE_AUTH_TIMEOUT_MS);
    return Math.min(d, this.handshakeTimeoutMs);
  }

  /**
   * Tracks an inbound connection from now, before its Link exists: arms its deadline (past it, `stranger.abort` with
   * `timeout`) and counts it pending (evicting the oldest pending handshake of its source, or overall, when a cap is
   * reached — a connection stuck at its preamble first). {@link Admission.attach} hands it its Link once built;
   * {@link Admission.release} ends the tracking if it ends before.
   */
  admitStranger(
    stranger: Stranger,
    bandwidth: BandwidthClass | undefined,
    gate?: PreAuthGate,
    onAuthenticated?: () => void,
  ): AdmissionEntry {
    const p = new Pending(
      stranger,
      undefined,
      sourceHost(stranger.remoteAddress),
      true,
      gate,
      onAuthenticated,
    );
    this.track(p, bandwidth);
    return p;
  }

  /**
   * The Link of a connection tracked by {@link Admission.admitStranger} was built: it keeps the connection's place,
   * deadline and counts; tracking ends when it opens or fails (or through the returned progress callbacks, which
   * are for its security stage).
   */
  attach(entry: AdmissionEntry, link: Link): HandshakeProgress {
    const p = entry as Pending;
    p.link = link;
    if (p.released) return noProgress;
    const authenticated = () => this.release(p, true);
    void link.opened.then(authenticated, () => this.release(p));
    return {
      trusted: authenticated,
      confirmingBinding: () => {
        this.disarm(p);
        this.uncount(p);
      },
    };
  }

  /**
   * Tracks `link` (one this device dialled; inbound connections come through {@link Admission.admitStranger}) from
   * now: arms its deadline and, for inbound links, counts it pending (evicting the oldest pending
   * handshake of its source, or overall, when a cap is reached). Returns the progress callbacks to hand its security
   * stage.
   */
  admit(link: Link, bandwidth: BandwidthClass | undefined): HandshakeProgress {
    const p = new Pending(undefined, link, sourceHost(link.remoteAddress), link.role === 'responder');
    this.track(p, bandwidth);
    return this.attach(p, link);
  }

  /**
   * Stops tracking `entry`: trusted or opened (`authenticated`: its transport hears of it through `onAuthenticated`),
   * failed, or its connection ended before it had a Link.
   */
  release(entry: AdmissionEntry, authenticated = false): void {
    const p = entry as Pending;
    if (p.released) return;
    p.released = true;
    this.disarm(p);
    this.uncount(p);
    p.gate?.ungate();
    if (authenticated) p.onAuthenticated?.();
  }

  private track(p: Pending, bandwidth: BandwidthClass | undefined): void {
    this.arm(p, this.deadlineMs(bandwidth));
    if (p.counted) {
      this.makeRoom(p.source);
      this.queue.add(p);
      this.perSource.set(p.source, (this.perSource.get(p.source) ?? 0) + 1);
      this.counters.pendingHighWater = Math.max(this.counters.pendingHighWater, this.queue.size);
    }
  }

  private arm(p: Pending, ms: number): void {
    let d = this.deadlines.get(ms);
    if (!d) {
      d = { ms, entries: new Set(), timer: undefined };
      this.deadlines.set(ms, d);
    }
    p.due = this.scheduler.now() + ms;
    p.deadline = d;
    d.entries.add(p);
    if (!d.timer) this.wait(d, ms);
  }

  private disarm(p: Pending): void {
    const d = p.deadline;
    if (!d) return;
    p.deadline = undefined;
    d.entries.delete(p);
    if (d.entries.size === 0) {
      d.timer?.unsubscribe();
      d.timer = undefined;
    }
  }

  private wait(d: Deadlines, ms: number): void {
    d.timer = this.scheduler.schedule(() => this.expire(d), Math.max(0, ms));
  }

  /** The oldest deadlines of `d` passed: closes those handshakes, then waits for the next. */
  private expire(d: Deadlines): void {
    d.timer = undefined;
    const now = this.scheduler.now();
    for (const p of d.entries) {
      if (p.due > now) {
        if (!d.timer) this.wait(d, p.due - now);
        return;
      }
      d.entries.delete(p);
      p.deadline = undefined;
      if (p.link && p.link.state !== 'connecting') continue;
      this.counters.timedOut++;
      log.debug('%s not authenticated after %d ms', p.remoteAddress, d.ms);
      p.abort(closeReason('timeout', `peer not authenticated within ${d.ms} ms`));
    }
  }

  private uncount(p: Pending): void {
    if (!p.counted) return;
    p.counted = false;
    this.queue.delete(p);
    const n = (this.perSource.get(p.source) ?? 1) - 1;
    if (n > 0) this.perSource.set(p.source, n);
    else this.perSource.delete(p.source);
  }

  /**
   * Closes pending handshakes until one more from `source` fits both caps: the oldest of those still waiting for the
   * peer's preamble first (an honest peer sends its 8 bytes at once: one stuck there is stalling), then the oldest
   * of the rest. So a flood of connections that never finish their preamble cannot push out a handshake that is
   * under way (a real device dialling in during a slowloris).
   */
  private makeRoom(source: string): void {
    while ((this.perSource.get(source) ?? 0) >= this.maxPerSource) {
      const victim = this.victim((p) => p.source === source);
      if (!victim) break;
      this.evict(victim, `more than ${this.maxPerSource} pending handshakes from ${source}`);
    }
    while (this.queue.size >= this.maxPending) {
      const victim = this.victim(() => true);
      if (!victim) break;
      this.evict(victim, `more than ${this.maxPending} pending handshakes`);
    }
  }

  /** The pending handshake to evict among those that `match`: see {@link Admission.makeRoom}. */
  private victim(match: (p: Pending) => boolean): Pending | undefined {
    let oldest: Pending | undefined;
    for (const p of this.queue) {
      if (!match(p)) continue;
      if (stuckAtPreamble(p)) return p;
      oldest ??= p;
    }
    return oldest;
  }

  private evict(p: Pending, why: string): void {
    this.counters.evicted++;
    log.debug('evicting %s: %s', p.remoteAddress, why);
    this.uncount(p);
    p.abort(closeReason('refused', why));
  }
}

/** Progress callbacks of a handshake no longer tracked. */
const noProgress: HandshakeProgress = { trusted: () => undefined, confirmingBinding: () => undefined };

/**
 * @internal The time source of {@link PreAuthWork}: real time by default ({@link realWorkClock}); a device on an
 * injected scheduler (virtual time) uses {@link schedulerWorkClock}, where work takes no time, so nothing is ever
 * deferred and tests stay deterministic.
 */
export interface WorkClock {
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  later(fn: () => void, ms: number): () => void;
  /** Runs `fn` in this turn's check phase (after I/O is polled), each such callback followed by its microtasks. */
  soon(fn: () => void): () => void;
}

/** @internal Real time: `performance.now`, `setTimeout`, `setImmediate`. */
export const realWorkClock: WorkClock = {
  now: () => performance.now(),
  later: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  soon: (fn) => {
    const i = setImmediate(fn);
    return () => clearImmediate(i);
  },
};

/** @internal The clock of an rxjs scheduler (a device's injected scheduler, e.g. core's `VirtualClock`). */
export function schedulerWorkClock(scheduler: SchedulerLike): WorkClock {
  return {
    now: () => scheduler.now(),
    later: (fn, ms) => {
      const sub = scheduler.schedule(fn, ms);
      return () => sub.unsubscribe();
    },
    soon: (fn) => {
      const sub = scheduler.schedule(fn, 0);
      return () => sub.unsubscribe();
    },
  };
}

/** @internal Where pre-authentication work waits when it has to: continuations of handshakes in progress, then newcomers. */
export interface WorkItem {
  run(): void;
  /** Called instead of `run` when the device stops while the item waits. */
  drop?(): void;
}

interface AdmitItem extends WorkItem {
  drop(): void;
  readonly source: string;
}

/**
 * @internal Runs pre-authentication work — taking in inbound connections and handling a stranger's bytes before it
 * is authenticated — so that it cannot crowd out authenticated Links on the shared event loop. Work runs at once
 * while there is no backlog. Once a stretch of it has taken {@link PRE_AUTH_WORK_SLICE_MS} of real time, further
 * work waits: after a break of {@link PRE_AUTH_WORK_GAP_MS}, in which the event loop serves everything else, the
 * next slice runs. Steps of handshakes already in progress go before new connections (so a storm of newcomers does
 * not starve a handshake that is nearly done, and the oldest-pending eviction does not catch honest peers stuck in
 * the queue); each queue is first in, first out, so a connection's bytes keep their order. Time is real time
 * (`performance.now`, timers, immediates) unless the device runs on an injected scheduler ({@link WorkClock}).
 */
export class PreAuthWork {
  private readonly steps: WorkItem[] = [];
  private readonly admits: AdmitItem[] = [];
  /** Waiting connections per source host. */
  private readonly perSource = new Map<string, number>();
  /** Work time used in the current stretch, ms. */
  private used = 0;
  /** When the last work item ended (clock time), ms. */
  private lastEnd = Number.NEGATIVE_INFINITY;
  /** Cancels the pending break timer, if any. */
  private timer: (() => void) | undefined;
  /** Callbacks of the current burst not yet run. */
  private burstLeft = 0;
  private readonly burst = new Set<() => void>();
  /** When the current slice of backlogged work began (clock time), ms. */
  private sliceStart = 0;
  private stopped = false;
  private counters = { queuedHighWater: 0, queueRefused: 0, slices: 0 };

  constructor(
    private readonly clock: WorkClock = realWorkClock,
    private readonly sliceMs = PRE_AUTH_WORK_SLICE_MS,
    private readonly gapMs = PRE_AUTH_WORK_GAP_MS,
    private readonly maxQueued = MAX_QUEUED_INBOUND,
    private readonly maxQueuedPerSource = MAX_PENDING_HANDSHAKES_PER_SOURCE,
  ) {}

  stats(): { queued: number; queuedHighWater: number; queueRefused: number; slices: number } {
    return { queued: this.admits.length, ...this.counters };
  }

  /**
   * Takes in a new inbound connection from `source` (a host, see {@link sourceHost}): runs `run` now, or queues it
   * when pre-authentication work is backlogged. With {@link MAX_PENDING_HANDSHAKES_PER_SOURCE} waiting from this
   * source, the oldest of them is closed through its `refuse` (a source only ever replaces its own). With
   * {@link MAX_QUEUED_INBOUND} waiting in all, the connection closed is the oldest of the source with the most
   * waiting, the new one counted (on a tie this source's own oldest if it has any waiting, else the oldest of those
   * tied). So a connection that is its source's only one — a device dialling in once — is never pushed out while a
   * storm's source has two or more waiting: they replace their own. When every waiting connection is its source's
   * only one (a storm from as many hosts as the queue holds), the oldest goes, as before: the newcomer is the one
   * likeliest to be a device that just dialled after the storm's burst, and the queue drains at the pace of the work
   * slices whatever the peers do, so nobody holds it by being first.
   */
  admit(source: string, run: () => void, refuse: () => void): void {
    if (this.ready()) {
      this.exec({ run });
      return;
    }
    if (this.stopped) {
      refuse();
      return;
    }
    while ((this.perSource.get(source) ?? 0) >= this.maxQueuedPerSource) {
      const i = this.admits.findIndex((a) => a.source === source);
      if (i < 0) break;
      this.dropAdmit(i);
    }
    while (this.admits.length >= this.maxQueued) this.dropAdmit(this.fullQueueVictim(source));
    this.admits.push({ run, drop: refuse, source });
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    this.counters.queuedHighWater = Math.max(this.counters.queuedHighWater, this.admits.length);
    this.wake();
  }

  /**
   * A step of a handshake in progress (a stranger's bytes): runs now, or before any queued new connection. `run`
   * may be a {@link WorkItem} (its `run`/`drop` are called as its methods; the same item may be queued more than
   * once, once per step).
   */
  step(run: (() => void) | WorkItem, drop?: () => void): void {
    const item: WorkItem = typeof run === 'function' ? (drop ? { run, drop } : { run }) : run;
    if (this.ready()) {
      this.exec(item);
      return;
    }
    if (this.stopped) {
      item.drop?.();
      return;
    }
    this.steps.push(item);
    this.wake();
  }

  /** Drops every queued item (their `drop`/`refuse` is called); until {@link restart}, work runs at once. */
  stop(): void {
    this.stopped = true;
    this.timer?.();
    this.timer = undefined;
    for (const cancel of this.burst) cancel();
    this.burst.clear();
    this.burstLeft = 0;
    const items = [...this.steps.splice(0), ...this.admits.splice(0)];
    this.perSource.clear();
    for (const item of items) item.drop?.();
  }

  /** Start over after {@link stop}. */
  restart(): void {
    this.stopped = false;
    this.used = 0;
  }

  /**
   * The index of the waiting connection to close so that one from `source` fits a full queue (see
   * {@link PreAuthWork.admit}): the oldest of the source with the most waiting, the new one counted — `source` itself
   * on a tie if it has any waiting, else the oldest of those tied.
   */
  private fullQueueVictim(source: string): number {
    const mine = (this.perSource.get(source) ?? 0) + 1;
    let most = mine;
    for (const n of this.perSource.values()) most = Math.max(most, n);
    if (most === mine && mine > 1) return this.admits.findIndex((a) => a.source === source);
    // Another source has more waiting, or every waiting connection is its source's only one: the oldest of those
    // with the most.
    return this.admits.findIndex((a) => this.perSource.get(a.source) === most);
  }

  private dropAdmit(i: number): void {
    const [a] = this.admits.splice(i, 1);
    if (!a) return;
    this.unqueue(a);
    this.counters.queueRefused++;
    a.drop();
  }

  private unqueue(a: AdmitItem): void {
    const n = (this.perSource.get(a.source) ?? 1) - 1;
    if (n > 0) this.perSource.set(a.source, n);
    else this.perSource.delete(a.source);
  }

  /** Nothing waits, no break is due: work may run now. */
  private ready(): boolean {
    if (this.stopped) return true;
    if (this.timer !== undefined || this.burstLeft > 0 || this.steps.length > 0 || this.admits.length > 0)
      return false;
    // A stretch of work ends when the event loop had a break as long as the gap.
    if (this.clock.now() - this.lastEnd >= this.gapMs) this.used = 0;
    return this.used < this.sliceMs;
  }

  /** Runs `item.run()` (as a method), timing it. */
  private exec(item: WorkItem): void {
    const t0 = this.clock.now();
    try {
      item.run();
    } catch (e) {
      log.warn('pre-authentication work failed: %s', e instanceof Error ? e.message : e);
    } finally {
      this.lastEnd = this.clock.now();
      this.used += this.lastEnd - t0;
    }
  }

  /** Work is backlogged: the current stretch counts as a full slice, so a break comes first. */
  private wake(): void {
    if (this.timer !== undefined || this.burstLeft > 0) return;
    this.timer = this.clock.later(() => this.slice(), this.gapMs);
  }

  /**
   * A slice: one immediate per queued item (at most {@link MAX_QUEUED_INBOUND}), all queued now, so they run back to
   * back in this turn's check phase — node runs each one's microtasks (a TLS stage started after an `await`) before
   * the next — and each runs its item only while the slice's time lasts. Then a break.
   */
  private slice(): void {
    this.timer = undefined;
    this.counters.slices++;
    this.sliceStart = this.clock.now();
    const n = Math.min(this.steps.length + this.admits.length, this.maxQueued);
    this.burstLeft = n;
    for (let k = 0; k < n; k++) {
      const cancel = this.clock.soon(() => {
        this.burst.delete(cancel);
        this.burstItem();
      });
      this.burst.add(cancel);
    }
  }

  private burstItem(): void {
    this.burstLeft--;
    if (!this.stopped && this.clock.now() - this.sliceStart < this.sliceMs) {
      const step = this.steps.shift();
      if (step) this.exec(step);
      else {
        const a = this.admits.shift();
        if (a) {
          this.unqueue(a);
          this.exec(a);
        }
      }
    }
    if (this.burstLeft > 0 || this.stopped) return;
    this.lastEnd = this.clock.now();
    this.used = this.sliceMs;
    if (this.steps.length > 0 || this.admits.length > 0) this.wake();
  }
}

/** @internal What the admission control needs of a {@link ConduitGate}. */
export interface PreAuthGate {
  /** Later bytes go directly to the reader, once those already held are through. */
  ungate(): void;
  /** Bytes the peer sent so far, delivered or still held back. */
  received(): number;
  /**
   * The admission control gives up on this unauthenticated connection through its Link (deadline, eviction): the
   * Link's `destroy()` of the conduit, which follows at once, resets it ({@link Conduit.reset}: TCP RST) instead.
   * (`LocalDevice` already sets it for every inbound connection until its Link opens.)
   */
  resetOnDestroy(): void;
}

/**
 * @internal Ends `conduit` with `reason` abortively where its medium can ({@link Conduit.reset}: TCP RST), else
 * destroys it: how the device ends an inbound connection it refuses before the peer authenticated.
 */
export function resetConduit(conduit: Conduit, reason: CloseReason): void {
  if (conduit.reset) conduit.reset(reason);
  else conduit.destroy(reason);
}

/** A held-back end of the conduit's `data$` (an error, or `END` for completion). */
interface HeldEnd {
  readonly error: unknown;
}
const END: HeldEnd = { error: undefined };

/**
 * @internal A conduit as its reader (the pre-Link stage, then the Link) sees it while its peer is not yet
 * authenticated: its bytes are delivered through `work` (in order), so a stranger's preamble checks and the start of
 * TLS run in the pre-authentication work slices. {@link ConduitGate.ungate} (the peer is trusted, or the Link opened
 * or closed) delivers what is held at once, in order (in a microtask when called while a held chunk is being handed
 * over), and later bytes directly. `detachSocket()` first
 * delivers the queued bytes (they go back into the socket with what the handshake holds), then hands the socket over.
 * Past {@link MAX_PRE_AUTH_HELD_BYTES} held back, the conduit is reset (`refused`, {@link Conduit.reset}: TCP RST)
 * and what it held dropped. `reset()` passes through (destroying a conduit that has none); after
 * {@link ConduitGate.resetOnDestroy}, `destroy()` resets too, until `resetOnDestroy(false)`: `LocalDevice` turns it on
 * when it takes the connection in and off when its Link opens, so that every failure of an inbound handshake — a
 * protocol error, a TLS failure, a refused identity, a timeout — ends with a reset, and an opened Link's `destroy()`
 * with a plain close.
 *
 * One object per connection: it is the conduit (every other member passes through to the underlying one), the
 * observer of the underlying `data$` and the work item queued in `work` for each held chunk — no closures or event
 * objects per connection or chunk (a connection storm builds one of these per stranger).
 */
export class ConduitGate implements Conduit, PreAuthGate, WorkItem {
  private gated = true;
  private receivedBytes = 0;
  private subscriber: Subscriber<Uint8Array> | undefined;
  private upstream: Subscription | undefined;
  /** Chunks (or the end) queued in `work` and not yet delivered, oldest first. */
  private held: Array<Uint8Array | HeldEnd> | undefined;
  private heldBytes = 0;
  private refused = false;
  /** `destroy()` resets the conduit ({@link ConduitGate.resetOnDestroy}). */
  private resetting = false;
  /** A held chunk is being handed over now ({@link ConduitGate.ungate} may be called from within). */
  private delivering = false;
  private data: Observable<Uint8Array> | undefined;

  constructor(
    private readonly raw: Conduit,
    private readonly work: PreAuthWork,
  ) {}

  get medium(): Conduit['medium'] {
    return this.raw.medium;
  }
  get localAddress(): string {
    return this.raw.localAddress;
  }
  get remoteAddress(): string {
    return this.raw.remoteAddress;
  }
  get maxFrameSize(): number {
    return this.raw.maxFrameSize;
  }
  get drain$(): Observable<void> {
    return this.raw.drain$;
  }
  get closed$(): Observable<CloseReason> {
    return this.raw.closed$;
  }

  /** The peer's bytes, through the gate. One subscriber at a time. */
  get data$(): Observable<Uint8Array> {
    this.data ??= new Observable<Uint8Array>((s) => this.attach(s));
    return this.data;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    return this.raw.write(chunks);
  }
  end(reason: CloseReason): void {
    this.raw.end(reason);
  }
  /** Destroys the underlying conduit; resets it after {@link ConduitGate.resetOnDestroy}. */
  destroy(reason: CloseReason): void {
    if (this.resetting) resetConduit(this.raw, reason);
    else this.raw.destroy(reason);
  }
  /** Resets the underlying conduit ({@link Conduit.reset}), or destroys it when it cannot be reset. */
  reset(reason: CloseReason): void {
    resetConduit(this.raw, reason);
  }
  /**
   * From now on `destroy()` resets the underlying conduit ({@link Conduit.reset}: TCP RST) when `reset` (default),
   * or destroys it again when `false` (the device's Link over it opened).
   */
  resetOnDestroy(reset = true): void {
    this.resetting = reset;
  }
  /** The Link's frame boundaries reach the socket's reader through the gate (a hint for where reads end). */
  frameBoundaries(bytesToFrameEnd: () => number): void {
    this.raw.frameBoundaries?.(bytesToFrameEnd);
  }
  /** Stops the underlying conduit's reading (what the gate holds is still delivered). */
  pause(): void {
    this.raw.pause?.();
  }
  resume(): void {
    this.raw.resume?.();
  }
  /** Delivers what the gate holds, then hands the socket over (undefined when the conduit has no socket). */
  detachSocket(): Socket | undefined {
    if (!this.raw.detachSocket) return undefined;
    while (this.held && this.held.length > 0) this.run();
    return this.raw.detachSocket();
  }

  ungate(): void {
    if (!this.gated) return;
    this.gated = false;
    // The peer is authenticated (or its Link opened or ended): what it sent meanwhile no longer waits for a work
    // slice. Left there, (a) a peer that kept sending (a burst of session requests the moment its own end opened)
    // filled MAX_PRE_AUTH_HELD_BYTES and its open Link was refused as a stranger; (b) its bytes reached the Link after
    // later events — another Link to the same peer opening and the merge that drains this one, which then saw none of
    // the channels the peer had opened on it. Delivered now, before the callbacks of the Link's `opened` that come
    // after this one; from within the delivery of a held chunk (a security stage reporting trust, the pre-Link stage
    // handing over) in a microtask instead, so that chunks are never handed over nested.
    if (this.held === undefined || this.held.length === 0) return;
    if (this.delivering) queueMicrotask(() => this.release());
    else this.release();
  }
  /** Delivers everything held (the gate is open). */
  private release(): void {
    while (this.held !== undefined && this.held.length > 0 && !this.refused) this.run();
  }

  /**
   * The reader hands the conduit on (the pre-Link stage to its Link, `InboundPreamble`): from now on the peer's bytes
   * (and the end) go to `subscriber` directly. The current reader's subscription still owns the gate's: ending it
   * ends the delivery.
   */
  handOver(subscriber: Subscriber<Uint8Array>): void {
    if (this.subscriber) this.subscriber = subscriber;
  }
  received(): number {
    return this.receivedBytes;
  }

  /** @internal Observer of the underlying `data$`. */
  next(chunk: Uint8Array): void {
    this.receivedBytes += chunk.length;
    this.pass(chunk, chunk.length);
  }
  /** @internal Observer of the underlying `data$`. */
  error(e: unknown): void {
    this.pass({ error: e }, 0);
  }
  /** @internal Observer of the underlying `data$`. */
  complete(): void {
    this.pass(END, 0);
  }

  /** @internal Work item: delivers the oldest held chunk (or end). */
  run(): void {
    const next = this.held?.shift();
    if (next === undefined) return;
    this.delivering = true;
    try {
      if (next instanceof Uint8Array) {
        this.heldBytes -= next.length;
        this.subscriber?.next(next);
      } else if (next === END) this.subscriber?.complete();
      else this.subscriber?.error(next.error);
    } finally {
      this.delivering = false;
    }
  }

  /** @internal Work item: the device stopped, or the reader left: what is held is dropped. */
  drop(): void {
    if (this.held) this.held.length = 0;
    this.heldBytes = 0;
  }

  private attach(s: Subscriber<Uint8Array>): () => void {
    this.subscriber = s;
    this.upstream = this.raw.data$.subscribe(this);
    return () => {
      this.upstream?.unsubscribe();
      this.upstream = undefined;
      this.drop();
      this.subscriber = undefined;
    };
  }

  private pass(event: Uint8Array | HeldEnd, bytes: number): void {
    if (this.refused) return;
    if (!this.gated && (this.held === undefined || this.held.length === 0)) {
      const s = this.subscriber;
      if (!s) return;
      if (event instanceof Uint8Array) s.next(event);
      else if (event === END) s.complete();
      else s.error(event.error);
      return;
    }
    // The bound is for strangers; once ungated, what waits is on its way out (ungate's microtask).
    if (this.gated && this.heldBytes + bytes > MAX_PRE_AUTH_HELD_BYTES) {
      this.refused = true;
      this.drop();
      resetConduit(
        this.raw,
        closeReason('refused', `more than ${MAX_PRE_AUTH_HELD_BYTES} bytes before authentication`),
      );
      return;
    }
    this.held ??= [];
    this.held.push(event);
    this.heldBytes += bytes;
    this.work.step(this);
  }
}

/**
 * @internal `conduit` as a Link sees it while its peer is not yet authenticated: a {@link ConduitGate} over it
 * (`conduit` is the gate itself; `ungate()` and `received()` as there).
 */
export function gateConduit(
  conduit: Conduit,
  work: PreAuthWork,
): { conduit: Conduit; ungate(): void; received(): number } {
  const gate = new ConduitGate(conduit, work);
  return { conduit: gate, ungate: () => gate.ungate(), received: () => gate.received() };
}
