import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  {},
  { slowFirst: ['test/network-lifecycle.test.ts', 'test/validation-probe.test.ts'] },
);
