/**
 * @packageDocumentation
 * `@colink/core/testing`: helpers for testing code built on colink and for proving a custom transport (the shape of
 * `rxjs/testing`): in-memory conduit pairs with a link model, a virtual clock that also settles promises, and the
 * transport compliance suite. The suite registers vitest `describe`/`it` blocks, so this entry point needs `vitest`
 * (an optional peer dependency, `>=3.2`); `@colink/core/compliance` is the same suite alone.
 *
 * @example
 * ```ts
 * import { createConduitPair, VirtualClock } from '@colink/core/testing';
 * import { Link } from '@colink/core';
 *
 * const clock = new VirtualClock();
 * const [x, y] = createConduitPair({ scheduler: clock, model: { latencyMs: 20 } });
 * ```
 */
export {
  type ComplianceOptions,
  type CompliancePair,
  describeTransportCompliance,
} from '../compliance.js';
export {
  type ConduitPairOptions,
  createConduitPair,
  type LinkModel,
  type MemoryConduit,
} from '../memory/conduit-pair.js';
export { VirtualClock } from './virtual-clock.js';
