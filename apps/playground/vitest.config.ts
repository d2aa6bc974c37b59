import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  { testTimeout: 60_000 },
  {
    // CPU-bound (device processes through tsx, one scenario after another) and its `net` scenario has a 30 s limit
    // (measured 21 s of it with the scenarios side by side at load 20): nothing beside it.
    alone: ['test/scenarios.test.ts'],
    slowFirst: [
      'test/no-egress.test.ts',
      'test/lab-bind.test.ts',
      'test/browser.test.ts',
      'test/lab-netns.test.ts',
    ],
  },
);
