import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  {},
  { slowFirst: ['test/security-tls.test.ts', 'test/compliance.test.ts', 'test/link-depth.test.ts'] },
);
