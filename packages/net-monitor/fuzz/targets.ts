import type { FuzzTarget } from '../../../scripts/fuzz/kit.js';

export const targets: readonly FuzzTarget[] = [];
