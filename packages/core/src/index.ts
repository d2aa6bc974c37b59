/**
 * @packageDocumentation
 * `@colink/core`: the contracts and machinery of colink — {@link Transport} plug-ins, {@link Conduit}s, Links running
 * the colink wire protocol, multiplexed flow-controlled channels, the device directory, collaboration sessions,
 * one error hierarchy, an in-memory transport and a transport compliance suite.
 */
export {
  type AdmissionOptions,
  type AdmissionStats,
  type HandshakeProgress,
  type ReportingSecurityUpgrade,
  sourceHost,
} from './admission.js';
export * from './advert.js';
export * from './channel.js';
export * from './codec.js';
export * from './device.js';
export * from './directory.js';
export * from './errors.js';
export * from './inbound.js';
export * from './limits.js';
export * from './link.js';
export * from './log.js';
export * from './memory/conduit-pair.js';
export * from './memory/memory-transport.js';
export {
  type CarrierMove,
  PeerConnection,
  type PeerConnectionOptions,
  type PeerConnectionState,
  type PeerQuality,
} from './peer-connection.js';
export * from './session.js';
export * from './testing/virtual-clock.js';
export * from './transport.js';
