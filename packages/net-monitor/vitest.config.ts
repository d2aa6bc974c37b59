import { colinkProject } from '../../vitest.shared';

export default colinkProject(import.meta.dirname);
