/**
 * `@kit.DistributedServiceKit`: abilityConnectionManager, distributedDeviceManager and linkEnhance.
 * @module
 */

import * as abilityConnectionManager from '../abilityConnectionManager.js';
import * as distributedDeviceManager from '../distributedDeviceManager.js';
import * as linkEnhance from '../linkEnhance.js';

export { abilityConnectionManager, distributedDeviceManager, linkEnhance };
