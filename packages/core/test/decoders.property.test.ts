// Property tests of core's decoders: each fuzz target of fuzz/targets.ts with a few hundred random inputs.
import { propertyTests } from '../../../scripts/fuzz/vitest.js';
import { targets } from '../fuzz/targets.js';

propertyTests(targets);
