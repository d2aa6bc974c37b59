import { asyncScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** Options of {@link runAfter} and {@link runEvery}. */
export interface TimerOptions {
  /**
   * The clock: an rxjs scheduler (core's `VirtualClock` in tests, so long time limits run in virtual time). Absent or
   * rxjs `asyncScheduler`: real time, on Node timers.
   */
  readonly scheduler?: SchedulerLike | undefined;
  /** On real time, let the process exit while the timer is pending (`Timeout#unref`). Default false. */
  readonly unref?: boolean;
}

/** Whether `scheduler` means real time (so Node timers can run it, and `unref` applies). */
function isRealTime(scheduler: SchedulerLike | undefined): scheduler is undefined {
  return scheduler === undefined || scheduler === asyncScheduler;
}

/**
 * Runs `fn` once after `ms` milliseconds on `options.scheduler` (real time without one): the one-shot timer of a
 * component that takes an injected clock, as transports do for their dial time limits and stop waits. Returns the
 * canceller (idempotent; a no-op once `fn` ran).
 */
export function runAfter(ms: number, fn: () => void, options: TimerOptions = {}): () => void {
  const { scheduler } = options;
  if (isRealTime(scheduler)) {
    const t = setTimeout(fn, ms);
    if (options.unref) t.unref();
    return () => clearTimeout(t);
  }
  const sub = scheduler.schedule(fn, ms);
  return () => sub.unsubscribe();
}

/**
 * Runs `fn` every `ms` milliseconds (first after `ms`) on `options.scheduler` (real time without one) until the
 * returned canceller is called (idempotent). On a scheduler it is one action rescheduled after each run.
 */
export function runEvery(ms: number, fn: () => void, options: TimerOptions = {}): () => void {
  const { scheduler } = options;
  if (isRealTime(scheduler)) {
    const t = setInterval(fn, ms);
    if (options.unref) t.unref();
    return () => clearInterval(t);
  }
  const sub = scheduler.schedule(function (this: SchedulerAction<undefined>) {
    fn();
    this.schedule(undefined, ms);
  }, ms);
  return () => sub.unsubscribe();
}

/**
 * Now, in ms, on `scheduler`'s clock; without one (or on `asyncScheduler`) the monotonic `performance.now()`. For
 * deadlines that go with {@link runAfter} timers on the same injected clock.
 */
export function clockNow(scheduler?: SchedulerLike): number {
  return isRealTime(scheduler) ? performance.now() : scheduler.now();
}
