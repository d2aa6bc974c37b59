import { Subject } from 'rxjs';
import type { LabEvent } from './protocol.js';

/** How many events the lab keeps for a newly connected UI (older ones are dropped first). */
export const MAX_RECENT_EVENTS = 500;

/**
 * The lab's event log and change signal, shared by its parts (devices, sessions, bindings, faults, linkEnhance,
 * networks): each part writes lines with {@link log} and says {@link changed} when the state it shows may differ.
 */
export class LabJournal {
  /** Events as they happen. */
  readonly events$ = new Subject<LabEvent>();
  /** Emits whenever the state may have changed (the server throttles). */
  readonly changed$ = new Subject<void>();
  private readonly history: LabEvent[] = [];
  private seq = 0;

  /** Records an event of `kind`, attributed to `device` when given, and streams it. */
  log(kind: LabEvent['kind'], text: string, device?: string): void {
    const e: LabEvent = { seq: ++this.seq, at: Date.now(), kind, text, ...(device ? { device } : {}) };
    this.history.push(e);
    if (this.history.length > MAX_RECENT_EVENTS) this.history.shift();
    this.events$.next(e);
  }

  /** Says that the lab's state may have changed. */
  changed(): void {
    this.changed$.next();
  }

  /** Recent events (up to {@link MAX_RECENT_EVENTS}), oldest first. */
  recent(): readonly LabEvent[] {
    return this.history;
  }
}
