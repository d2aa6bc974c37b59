import { perRuntime } from '../runtime/per-runtime.js';
import { AbilityConnectionService } from './service.js';

/**
 * The abilityConnectionManager service of a runtime (default: the process runtime), created on first use. Creating it
 * subscribes the runtime's collaboration requests, so a device that only accepts (colink-device) calls it at start.
 */
export const acmService = perRuntime((rt) => new AbilityConnectionService(rt));
