import { VirtualAction, VirtualTimeScheduler } from 'rxjs';

/**
 * A virtual clock for tests: an RxJS {@link VirtualTimeScheduler} that can be advanced step by step while promise
 * continuations (microtasks) run between timer callbacks, so code that mixes timers and promises behaves as in real
 * time — only instantly. Pass it as `scheduler` to Links, LocalDevice and memory networks.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const link = new Link(conduit, { role: 'initiator', local, scheduler: clock });
 * await clock.advance(30_000); // keep-alive and timeouts fire, instantly
 * ```
 */
export class VirtualClock extends VirtualTimeScheduler {
  constructor() {
    super(VirtualAction, Number.POSITIVE_INFINITY);
  }

  /** Runs every timer due within the next `ms` virtual milliseconds, settling microtasks between them. */
  async advance(ms: number): Promise<void> {
    const target = this.frame + ms;
    for (;;) {
      await settle();
      const next = this.actions[0];
      if (!next || next.delay > target) break;
      this.maxFrames = next.delay;
      this.flush();
    }
    this.frame = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  // Several rounds: promise chains and queueMicrotask work scheduled by timers.
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
