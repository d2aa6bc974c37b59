/**
 * `@kit.DistributedServiceKit`: abilityConnectionManager, distributedDeviceManager and linkEnhance.
 * @module
 */
export * as abilityConnectionManager from '../abilityConnectionManager.js';
export * as distributedDeviceManager from '../distributedDeviceManager.js';
export { linkEnhance } from '../linkEnhance.js';
