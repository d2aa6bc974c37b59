/**
 * @packageDocumentation
 * `@colink/core/wire`: the wire level of the colink protocol ([PROTOCOL.md](../PROTOCOL.md)) — the frame codec
 * (preamble, 12-byte frame header, control payloads), the protocol limits with their sources, the protocol ids of
 * sessions, and the judge of the TLS record that opens the security stage (`clientHelloRecordLength`). For tools that read or write colink frames directly (fuzzers, dissectors, other implementations) and for
 * transports that need the protocol version; applications and transports otherwise need only `@colink/core`.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoder, FrameType } from '@colink/core/wire';
 *
 * const bytes = encodeFrame(FrameType.DATA, 0, 1, 0, new Uint8Array(3)); // type, flags, channel, seq, payload
 * new FrameDecoder().push(bytes, (frame) => console.log(frame.type, frame.payload.length));
 * ```
 */
export {
  decodeClosePayload,
  decodeJsonObject,
  decodePreamble,
  EMPTY,
  encodeClosePayload,
  encodeFrame,
  encodeHeader,
  encodeJson,
  encodePreamble,
  type Frame,
  FrameDecoder,
  FrameFlags,
  FrameType,
  fromUtf8,
  PREAMBLE_FLAG_SECURE,
  type Preamble,
  preambleMagicPrefixOk,
  readU32,
  truncateUtf8,
  u32,
  utf8,
  writeHeader,
} from './codec.js';
export {
  COALESCE_MAX_PAYLOAD,
  CONDUIT_CLOSE_TIMEOUT_MS,
  CONNECTION_CHANNEL_MIN,
  DEFAULT_CHANNEL_WINDOW,
  DEFAULT_CHANNEL_WINDOW_FAST,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_LINK_RECEIVE_BUDGET,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PEER_GRACE_MS,
  DEFAULT_SEND_BUFFER_BYTES,
  DEFAULT_SESSION_REQUEST_TIMEOUT_MS,
  DEFAULT_UPGRADE_DIAL_MS,
  DEVICE_STOP_FLUSH_MS,
  FRAME_HEADER_BYTES,
  MAX_CHANNELS_PER_LINK,
  MAX_CONTROL_PAYLOAD,
  MAX_FRAME_PAYLOAD,
  MAX_FRAME_SIZE,
  MAX_PEER_METADATA_BYTES,
  MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_SOURCE,
  MAX_PRE_AUTH_HELD_BYTES,
  MAX_QUEUED_ANSWERS,
  MAX_QUEUED_INBOUND,
  MAX_QUEUED_MESSAGES,
  MIN_FRAME_SIZE,
  PING_PAYLOAD_BYTES,
  PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS,
  PRE_AUTH_TIMEOUT_MS,
  PRE_AUTH_WORK_GAP_MS,
  PRE_AUTH_WORK_SLICE_MS,
  PREAMBLE_BYTES,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  RAPID_RESET_BURST,
  RAPID_RESET_RATE_PER_SECOND,
  SESSION_CLOSE_TIMEOUT_MS,
  SESSION_DATA_MAX_BYTES,
  SESSION_HELD_MESSAGE_BYTES,
  SESSION_HELD_TRANSFER_BYTES,
  SESSION_HELD_TRANSFERS,
  SESSION_MESSAGE_MAX_BYTES,
  SESSION_WAITING_TRANSFERS,
  TRANSFER_CHUNK_BYTES,
} from './limits.js';
export { CLIENT_HELLO_HEAD_BYTES, clientHelloRecordLength } from './security/client-hello.js';
export { SESSION_DATA_PROTO, SESSION_PROTO, SESSION_TRANSFER_PROTO } from './session.js';
