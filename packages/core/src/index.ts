/**
 * @packageDocumentation
 * `@colink/core`: the contracts and machinery of colink — {@link Transport} plug-ins, {@link Conduit}s, Links running
 * the colink wire protocol, multiplexed flow-controlled channels, the device directory, collaboration sessions,
 * one error hierarchy, an in-memory transport and a transport compliance suite.
 */
export * from './errors.js';
export * from './transport.js';
