import { colinkProject } from '../../vitest.shared.js';

export default colinkProject(import.meta.dirname, { testTimeout: 60_000 });
