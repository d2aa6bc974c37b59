import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(
  import.meta.dirname,
  {},
  {
    slowFirst: [
      'test/compliance-paced.test.ts',
      'test/compliance.test.ts',
      'test/two-processes.test.ts',
      'test/readme-example.test.ts',
    ],
  },
);
