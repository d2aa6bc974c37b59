/**
 * The tarpit of {@link TcpTransport}'s listener: connections refused at accept, held instead of reset at once.
 * @module
 */
import type { AcceptedConnection } from './seams.js';

/** The clock of a {@link Tarpit}: the time, ms, and a one-shot timer (returns a cancel function). */
export interface TarpitClock {
  now(): number;
  later(fn: () => void, ms: number): () => void;
}

/**
 * Counters of the tarpit of `TcpTransport`'s listener (option `tarpit`): connections refused at accept and held
 * before their reset.
 */
export interface TarpitCounts {
  /** Connections held now. */
  readonly held: number;
  /** Connections reset once their hold ended. */
  readonly released: number;
  /** Held connections reset before their hold ended because the tarpit was full (the oldest went). */
  readonly evicted: number;
}

/**
 * @internal Holds connections the listener refuses at accept (their source's allowance is used up) for `holdMs`
 * before resetting them, instead of resetting them at once: a reset frees the attacker's connection slot at once, so
 * a storm that reopens its connections as fast as the device resets them keeps the device busy with accepts and
 * resets (~15,000 a second from the `hostile` bench's attacking process on loopback: 48,000–63,000 reconnections in
 * its 4 s sustained storm); a held connection keeps its slot busy for the hold (3,900–4,800 reconnections). Nothing is read from a held connection (its raw accepted handle: no `net.Socket`; the
 * kernel keeps up to its receive buffer of what the peer sends) and it has no timer of its own: one coarse timer
 * (`tickMs`) resets those whose hold ended, at most `maxPerTick` at a time (a burst held at once is released over
 * several ticks instead of in one long callback). At most `max` are held (each is a file descriptor); past it the
 * oldest held one is reset to make room.
 */
export class Tarpit {
  /** Held connections and when their hold ends (clock time, ms), oldest first (every hold is as long). */
  readonly #held = new Map<AcceptedConnection, number>();
  #cancel: (() => void) | undefined;
  #released = 0;
  #evicted = 0;

  constructor(
    private readonly clock: TarpitClock,
    private readonly max: number,
    private readonly holdMs: number,
    private readonly tickMs: number,
    private readonly maxPerTick: number,
  ) {}

  counts(): TarpitCounts {
    return { held: this.#held.size, released: this.#released, evicted: this.#evicted };
  }

  /** Holds `connection` (resetting the oldest held one first when `max` are held). */
  hold(connection: AcceptedConnection): void {
    while (this.#held.size >= this.max) {
      const oldest = this.#held.keys().next().value;
      if (oldest === undefined) break;
      this.#held.delete(oldest);
      this.#evicted++;
      oldest.reset();
    }
    this.#held.set(connection, this.clock.now() + this.holdMs);
    this.#cancel ??= this.clock.later(() => this.#tick(), this.tickMs);
  }

  /** Resets every held connection now (the transport stops). */
  clear(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    for (const c of this.#held.keys()) c.reset();
    this.#held.clear();
  }

  #tick(): void {
    this.#cancel = undefined;
    const now = this.clock.now();
    let n = 0;
    for (const [c, due] of this.#held) {
      if (due > now || n >= this.maxPerTick) break;
      this.#held.delete(c);
      this.#released++;
      n++;
      c.reset();
    }
    if (this.#held.size > 0) this.#cancel = this.clock.later(() => this.#tick(), this.tickMs);
  }
}
