/**
 * @packageDocumentation
 * `@colink/core`: the contracts and machinery of colink — {@link Transport} plug-ins, {@link Conduit}s, Links running
 * the colink wire protocol, multiplexed flow-controlled channels, the device directory, collaboration sessions,
 * one error hierarchy and an in-memory transport. Wire-level helpers (frame codec, protocol limits) are in
 * `@colink/core/wire`; test helpers (conduit pairs, the virtual clock, the transport compliance suite) in
 * `@colink/core/testing`; identity and TLS in `@colink/core/security`.
 */
export {
  type AdmissionOptions,
  type AdmissionStats,
  type HandshakeProgress,
  type ReportingSecurityUpgrade,
  sourceHost,
} from './admission.js';
export {
  advertsEqual,
  assertValidAdvert,
  isMac,
  MAX_ADVERT_JSON_BYTES,
  MAX_ADVERT_SERVICES,
  MAX_DEVICE_NAME_BYTES,
  MAX_DEVICE_TYPE_BYTES,
  MAX_SERVICE_NAME_BYTES,
  NETWORK_ID_PATTERN,
  normalizeMac,
  parseAdvert,
  peersEqual,
} from './advert.js';
export { Channel, type ChannelMetadata, type ChannelOptions, type ChannelState } from './channel.js';
export {
  type ChannelHandler,
  type DeviceStopReport,
  LocalDevice,
  type LocalDeviceOptions,
} from './device.js';
export { DeviceDirectory, type DeviceEntry, type DirectoryEvent, type TrustState } from './directory.js';
export {
  assertArgument,
  CLOSE_CODES,
  type CloseCode,
  type CloseReason,
  ColinkError,
  closeReason,
  ErrorCode,
  isColinkError,
} from './errors.js';
export { ConduitInbound } from './inbound.js';
export {
  CONDUIT_CLOSE_TIMEOUT_MS,
  MAX_FIRST_FLIGHT_BYTES,
  MAX_FRAME_SIZE,
  MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_SOURCE,
  MAX_QUEUED_INBOUND,
  MIN_FRAME_SIZE,
  PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS,
  PRE_AUTH_TIMEOUT_MS,
  PRE_AUTH_WORK_GAP_MS,
  PRE_AUTH_WORK_SLICE_MS,
  SESSION_DATA_MAX_BYTES,
  SESSION_MESSAGE_MAX_BYTES,
  TRANSFER_CHUNK_BYTES,
} from './limits.js';
export {
  Link,
  type LinkOptions,
  type LinkOwner,
  type LinkRole,
  type LinkState,
  type LinkStateName,
  type LinkStats,
  type SecurityUpgrade,
  type VerifiedPeer,
} from './link.js';
export { type Logger, logger } from './log.js';
export type { LinkModel } from './memory/conduit-pair.js';
export { MemoryNetwork, type MemoryNetworkOptions, MemoryTransport } from './memory/memory-transport.js';
export {
  LOST_ERRNO,
  REMOTE_FIN,
  type SocketConduitOptions,
  socketConduit,
  socketErrorReason,
} from './node/socket-conduit.js';
export {
  type CarrierMove,
  PeerConnection,
  type PeerConnectionOptions,
  type PeerConnectionState,
  type PeerQuality,
} from './peer-connection.js';
export {
  type AppInfo,
  Session,
  type SessionEndReason,
  SessionManager,
  type SessionRejectCode,
  type SessionRequest,
  type SessionRequestInit,
} from './session.js';
export { clockNow, runAfter, runEvery, type TimerOptions } from './timers.js';
export {
  Transfer,
  type TransferDirection,
  type TransferProgress,
  type TransferSendOptions,
  type TransferState,
} from './transfer.js';
export type {
  BandwidthClass,
  Conduit,
  DeviceAdvert,
  DialOptions,
  DiscoveredPeer,
  Discovery,
  DiscoveryEvent,
  InboundQueue,
  LatencyClass,
  Medium,
  QueuedConnection,
  Transport,
  TransportCapabilities,
} from './transport.js';
export { hasDiscovery } from './transport.js';
