import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  {},
  { slowFirst: ['test/netns-data-path.test.ts', 'test/compliance.test.ts'] },
);
