/**
 * `@kit.DistributedServiceKit`: abilityConnectionManager, distributedDeviceManager and linkEnhance.
 * @module
 */
export * as abilityConnectionManager from '../abilityConnectionManager.js';
export * as distributedDeviceManager from '../distributedDeviceManager.js';
export * as linkEnhance from '../linkEnhance.js';
