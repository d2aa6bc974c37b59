/**
 * The time source of `@ohos.net.socket` timeouts (TCP and TLS `connect` `timeout`): an rxjs scheduler, the real one
 * by default; tests replace it with a virtual-time scheduler so the SDK's 5000 ms default is tested without waiting.
 * @module
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';

let scheduler: SchedulerLike = asyncScheduler;

/** Replaces the scheduler of socket timeouts (tests); returns the previous one. */
export function setSocketScheduler(next: SchedulerLike): SchedulerLike {
  const prev = scheduler;
  scheduler = next;
  return prev;
}

/** Runs `fn` after `ms` milliseconds on the socket scheduler; the result cancels it. */
export function after(ms: number, fn: () => void): () => void {
  const sub = scheduler.schedule(fn, ms);
  return () => sub.unsubscribe();
}
