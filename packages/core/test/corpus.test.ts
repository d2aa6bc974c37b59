// Replays every failing input `pnpm fuzz` saved under test/corpus/ (regression cases of core's decoders).
import { corpusReplay } from '../../../scripts/fuzz/vitest.js';
import { targets } from '../fuzz/targets.js';

corpusReplay(targets, `${import.meta.dirname}/..`);
