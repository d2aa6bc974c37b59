import { notImplemented } from './notImplemented.js';

/**
 * `@ohos.distributedsched.linkEnhance` (harmony-api.md §2). Not implemented yet: every function throws 801 naming
 * issue #8, which brings it.
 */
export const linkEnhance = notImplemented('linkEnhance', 'issue #8', [
  'createServer',
  'createConnection',
] as const);
export default linkEnhance;
