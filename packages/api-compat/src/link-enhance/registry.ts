import { perRuntime } from '../runtime/per-runtime.js';
import { LinkEnhanceService } from './service.js';

/** The linkEnhance service of a runtime (default: the process runtime), created on first use. */
export const linkEnhanceService = perRuntime((rt) => new LinkEnhanceService(rt));
