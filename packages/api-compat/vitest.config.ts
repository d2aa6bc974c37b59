import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  {},
  {
    // Longest first (bench/results/test-durations.md), so the short files fill the other workers meanwhile.
    slowFirst: [
      'test/seed-blocks.test.ts',
      'test/sdk-types.test.ts',
      'test/handover-media.test.ts',
      'test/handover-howto.test.ts',
      'test/handover-harmony.test.ts',
      'test/handover-wifi-p2p-netns.test.ts',
      'test/network-change-netns.test.ts',
      'test/link-enhance-seed-two-processes.test.ts',
      'test/security-binding-two-processes.test.ts',
      'test/ets-loader.test.ts',
      'test/acm-seed-two-processes.test.ts',
      'test/acm16-seed-two-processes.test.ts',
      'test/readme-example.test.ts',
    ],
  },
);
