/**
 * One-shot timers on a runtime's clock ({@link DeviceRuntime.scheduler}): the real clock by default, core's
 * `VirtualClock` (or any rxjs virtual-time scheduler) when the runtime was made with one, so long timeouts (the
 * socket connect default of 5000 ms, DeviceManager's 2 min discovery) are tested in virtual time.
 * @module
 */
import { runAfter } from '@colink/core';
import { type DeviceRuntime, getRuntime } from './runtime.js';

/** Options of {@link after}. */
export interface AfterOptions {
  /** The runtime whose clock runs the timer; default the process's current runtime (`getRuntime()`). */
  readonly runtime?: Pick<DeviceRuntime, 'scheduler'>;
  /** On the real clock, let the process exit while the timer is pending (`Timeout#unref`). Default false. */
  readonly unref?: boolean;
}

/** Runs `fn` after `ms` milliseconds on the runtime's clock; the returned function cancels it (idempotent). */
export function after(ms: number, fn: () => void, opts: AfterOptions = {}): () => void {
  return runAfter(ms, fn, {
    scheduler: (opts.runtime ?? getRuntime()).scheduler,
    unref: opts.unref === true,
  });
}
