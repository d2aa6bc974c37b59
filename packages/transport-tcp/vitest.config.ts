import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  {},
  {
    // Its assertions bound times under attack (close deadlines, the trusted peer's RTT): nothing beside it.
    // hostile-mdns asserts no time (counts, caps, names, RSS of its own worker) and runs with the others.
    alone: ['test/hostile-peers.test.ts'],
    slowFirst: [
      'test/hostile-mdns.test.ts',
      'test/trusted-flood.test.ts',
      'test/discovery-lost.test.ts',
      'test/discovery-netns.test.ts',
      'test/tcp-conduit.test.ts',
      'test/transfer-1gib.test.ts',
      'test/discovery-loopback.test.ts',
    ],
  },
);
