import { colinkProject } from '../vitest.shared.js';

export default colinkProject(import.meta.dirname, {}, { slowFirst: ['test/jobs.test.ts'] });
