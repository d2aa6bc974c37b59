import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  {},
  {
    // Their assertions bound times under attack (close deadlines, the trusted peer's RTT): nothing beside them.
    alone: ['test/hostile-peers.test.ts', 'test/hostile-mdns.test.ts'],
    slowFirst: [
      'test/trusted-flood.test.ts',
      'test/discovery-lost.test.ts',
      'test/discovery-netns.test.ts',
      'test/tcp-conduit.test.ts',
      'test/transfer-1gib.test.ts',
      'test/discovery-loopback.test.ts',
    ],
  },
);
