import { asapScheduler, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { type CloseReason, ColinkError, closeReason } from '../errors.js';
import { ConduitInbound } from '../inbound.js';
import { CONDUIT_CLOSE_TIMEOUT_MS, MAX_FRAME_SIZE } from '../limits.js';
import type { Conduit, Medium } from '../transport.js';

/**
 * Physical model of an in-memory medium. All fields optional; the default is an ideal pipe (no latency, unlimited
 * bandwidth, 64 KiB frames, no loss).
 */
export interface LinkModel {
  /** One-way latency in ms. Default 0. */
  readonly latencyMs?: number;
  /** Bandwidth in bytes per second. Default Infinity. */
  readonly bandwidthBytesPerSec?: number;
  /** Largest write carried as one unit (bytes), reported as `maxFrameSize`; e.g. 244 for BLE with ATT MTU 247. Default 65_548. */
  readonly mtu?: number;
  /**
   * Probability (0..1) that a write is lost on the air and retransmitted: the medium stays reliable and ordered,
   * the write (and everything behind it) arrives `retransmitMs` later.
   */
  readonly lossRate?: number;
  /** Extra delay of a retransmission in ms. Default 2 × latency + 10. */
  readonly retransmitMs?: number;
  /** Bytes in flight before `write()` returns false. Default 2 × mtu. */
  readonly highWaterMark?: number;
  /** Seed for the loss generator (deterministic runs). Default 1. */
  readonly seed?: number;
}

/** Options of {@link createConduitPair}. */
export interface ConduitPairOptions {
  readonly medium?: Medium;
  readonly addresses?: readonly [string, string];
  readonly model?: LinkModel;
  /** Scheduler for delivery; a VirtualTimeScheduler gives virtual-time tests. Default: asap for ideal pipes, async otherwise. */
  readonly scheduler?: SchedulerLike;
}

/**
 * One end of an in-memory conduit pair, with fault injection. `pause()` holds what travels to this end in flight
 * (counted against the sender's high-water mark, so its `write()` returns false) until `resume()` — or until the other
 * end has ended (`end()`) {@link CONDUIT_CLOSE_TIMEOUT_MS} (2 s, on the pair's scheduler) ago: then what it sent
 * arrives anyway, and the pipe closes behind it, so a paused end learns that its peer left (with the peer's last
 * frames, e.g. a Link's GOAWAY) instead of only once its reader resumes. A socket conduit's peer destroys the
 * connection after the same time (its close timeout), which a paused socket notices at its next write.
 */
export interface MemoryConduit extends Conduit {
  /** Cuts the pipe: both ends close with `lost` (or `reason`), in-flight bytes are discarded. */
  sever(reason?: CloseReason): void;
}

class Direction {
  inFlight = 0;
  nextDeparture = 0;
  lastArrival = 0;
  pending: Array<{ at: number; chunks: readonly Uint8Array[]; bytes: number }> = [];
  timer: Subscription | undefined;
}

/**
 * Creates two connected {@link Conduit}s that carry bytes in memory according to `model`. Used by
 * `MemoryTransport`, by tests and by the core benchmark (an ideal pipe hands the very same buffers across:
 * no copy).
 */
export function createConduitPair(options: ConduitPairOptions = {}): [MemoryConduit, MemoryConduit] {
  const model = options.model ?? {};
  const latency = model.latencyMs ?? 0;
  const bandwidth = model.bandwidthBytesPerSec ?? Number.POSITIVE_INFINITY;
  const mtu = Math.min(model.mtu ?? MAX_FRAME_SIZE, MAX_FRAME_SIZE);
  const hwm = model.highWaterMark ?? 2 * mtu;
  const lossRate = model.lossRate ?? 0;
  const retransmit = model.retransmitMs ?? 2 * latency + 10;
  const ideal = latency === 0 && bandwidth === Number.POSITIVE_INFINITY && lossRate === 0;
  const scheduler = options.scheduler ?? asapScheduler;
  let seed = model.seed ?? 1;
  const random = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const medium = options.medium ?? 'memory';
  const [addrA, addrB] = options.addresses ?? ['memory:a', 'memory:b'];
  const data = [
    new ConduitInbound(Number.POSITIVE_INFINITY),
    new ConduitInbound(Number.POSITIVE_INFINITY),
  ] as const;
  const drain = [new Subject<void>(), new Subject<void>()] as const;
  const closed = [new Subject<CloseReason>(), new Subject<CloseReason>()] as const;
  const dirs = [new Direction(), new Direction()] as const; // dirs[i]: bytes travelling from end i to end 1-i
  const blocked = [false, false];
  /** paused[i]: end i stopped delivering (`pause()`); what travels to it waits in flight, its sender sees `false`. */
  const paused = [false, false];
  let open = true;
  const ending: [CloseReason | undefined, CloseReason | undefined] = [undefined, undefined];
  /** endTimers[i]: end i ended; at CONDUIT_CLOSE_TIMEOUT_MS what it sent is delivered even to a paused peer. */
  const endTimers: [Subscription | undefined, Subscription | undefined] = [undefined, undefined];
  /** unpaused[i]: end i's pause — current or later — no longer holds (its peer ended that long ago). */
  const unpaused: [boolean, boolean] = [false, false];
  /** Whether what travels to end `i` is held by its pause. */
  const held = (i: 0 | 1): boolean => paused[i] === true && !unpaused[i];

  const shutdown = (reasons: [CloseReason, CloseReason]): void => {
    if (!open) return;
    open = false;
    for (const t of endTimers) t?.unsubscribe();
    for (const d of dirs) {
      d.timer?.unsubscribe();
      d.pending = [];
    }
    for (const i of [0, 1] as const) {
      data[i].complete();
      closed[i].next(reasons[i]);
      closed[i].complete();
      drain[i].complete();
    }
  };

  const flush = (from: 0 | 1): void => {
    const d = dirs[from];
    d.timer = undefined;
    const now = scheduler.now();
    const to = (1 - from) as 0 | 1;
    while (open && !held(to) && d.pending.length > 0 && d.pending[0]!.at <= now) {
      const p = d.pending.shift()!;
      d.inFlight -= p.bytes;
      for (const c of p.chunks) data[to].push(c);
      if (blocked[from] && d.inFlight < hwm) {
        blocked[from] = false;
        drain[from].next();
      }
    }
    if (!open || held(to)) return; // resume() flushes (and closes, once all has arrived)
    if (d.pending.length > 0) {
      d.timer = scheduler.schedule(() => flush(from), Math.max(0, d.pending[0]!.at - now));
    } else if (ending[from]) {
      // everything the ending side wrote has arrived: close both ends
      const r = ending[from]!;
      const remote: CloseReason = { ...r, remote: true };
      shutdown(from === 0 ? [r, remote] : [remote, r]);
    }
  };

  const write = (from: 0 | 1, chunks: readonly Uint8Array[]): boolean => {
    if (!open || ending[from]) {
      throw ColinkError.closed('memory conduit', ending[from] ?? closeReason('lost', 'conduit closed'));
    }
    let bytes = 0;
    for (const c of chunks) bytes += c.length;
    const d = dirs[from];
    const now = scheduler.now();
    let at = now;
    if (!ideal) {
      const departure =
        Math.max(now, d.nextDeparture) +
        (bandwidth === Number.POSITIVE_INFINITY ? 0 : (bytes / bandwidth) * 1000);
      d.nextDeparture = departure;
      at = departure + latency;
      if (lossRate > 0 && random() < lossRate) at += retransmit;
      at = Math.max(at, d.lastArrival);
      d.lastArrival = at;
    }
    d.inFlight += bytes;
    d.pending.push({ at, chunks: [...chunks], bytes });
    if (!d.timer) d.timer = scheduler.schedule(() => flush(from), Math.max(0, at - now));
    const ok = d.inFlight < hwm;
    if (!ok) blocked[from] = true;
    return ok;
  };

  const end = (from: 0 | 1, reason: CloseReason): void => {
    if (!open || ending[from]) return;
    ending[from] = reason;
    if (dirs[from].pending.length === 0 && !dirs[from].timer) flush(from);
    if (!open) return;
    endTimers[from] = scheduler.schedule(() => {
      endTimers[from] = undefined;
      const to = (1 - from) as 0 | 1;
      if (!open) return;
      unpaused[to] = true; // from now on, also for a pause that starts later (bytes may still be arriving)
      if (!paused[to]) return;
      const d = dirs[from];
      d.timer ??= scheduler.schedule(() => flush(from), 0);
    }, CONDUIT_CLOSE_TIMEOUT_MS);
  };

  const make = (i: 0 | 1): MemoryConduit => ({
    medium,
    localAddress: i === 0 ? addrA : addrB,
    remoteAddress: i === 0 ? addrB : addrA,
    maxFrameSize: mtu,
    data$: data[i].data$,
    drain$: drain[i].asObservable(),
    closed$: closed[i].asObservable(),
    write: (chunks) => write(i, chunks),
    end: (reason) => end(i, reason),
    destroy: (reason) => {
      // An abrupt close looks like a lost connection to the peer unless the reason says more.
      const remote: CloseReason = {
        ...reason,
        remote: true,
        code: reason.code === 'normal' ? 'lost' : reason.code,
      };
      shutdown(i === 0 ? [reason, remote] : [remote, reason]);
    },
    sever: (reason = closeReason('lost', 'link severed')) => shutdown([reason, reason]),
    pause: () => {
      paused[i] = true;
    },
    resume: () => {
      if (!paused[i]) return;
      paused[i] = false;
      const from = (1 - i) as 0 | 1;
      const d = dirs[from];
      if (open && !d.timer && (d.pending.length > 0 || ending[from]))
        d.timer = scheduler.schedule(() => flush(from), 0);
    },
  });
  return [make(0), make(1)];
}
