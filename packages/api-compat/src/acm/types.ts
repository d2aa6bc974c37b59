/**
 * Types and enums of `@ohos.distributedsched.abilityConnectionManager` (harmony-api.md §1.3, §1.4, §1.6). Enums
 * are plain runtime objects mapping name → value (no reverse mapping, as the NAPI layer exports them).
 * @module
 */

/** `PeerInfo` (API 18): the peer app. `serviceName` is optional (the session's service name is used). */
export interface PeerInfo {
  deviceId: string;
  bundleName: string;
  moduleName: string;
  abilityName: string;
  serviceName?: string;
}

/** `PeerInfo` of the API 16 generation: `serverId` instead of `serviceName`, required. */
export interface PeerInfo16 {
  deviceId: string;
  bundleName: string;
  moduleName: string;
  abilityName: string;
  serverId: string;
}

/** `ConnectOptions` (API 18): every field optional; stream flags and background start are system-only. */
export interface ConnectOptions {
  needSendData?: boolean;
  needSendStream?: boolean;
  needReceiveStream?: boolean;
  startOptions?: StartOptionParams;
  parameters?: Record<string, string>;
}

/** `ConnectOption` of the API 16 generation: three required booleans and a string `options` record. */
export interface ConnectOption {
  needSendData: boolean;
  needSendStream: boolean;
  needReceiveStream: boolean;
  options?: Record<string, string>;
  parameters?: Record<string, string>;
}

/** `ConnectResult`: `errorCode` only when `isConnected` is false; `reason` always a string. */
export interface ConnectResult {
  isConnected: boolean;
  errorCode?: ConnectErrorCode;
  reason?: string;
}

/** `EventCallbackInfo`: the payload of every session event. */
export interface EventCallbackInfo {
  sessionId: number;
  reason?: DisconnectReason;
  msg?: string;
  data?: ArrayBuffer;
  /** System-only member (image.PixelMap). */
  image?: unknown;
}

/** `CollaborateEventInfo` (system-only event `collaborateEvent`). */
export interface CollaborateEventInfo {
  eventType: CollaborateEventType;
  eventMsg?: string;
}

/** `StreamParam` (system-only). */
export interface StreamParam {
  name: string;
  role: StreamRole;
  bitrate?: number;
  colorSpaceConversionTarget?: number;
}

/** `SurfaceParam` (system-only). */
export interface SurfaceParam {
  width: number;
  height: number;
  format?: VideoPixelFormat;
  rotation?: number;
  flip?: FlipOptions;
}

export const ConnectErrorCode = {
  CONNECTED_SESSION_EXISTS: 0,
  PEER_APP_REJECTED: 1,
  LOCAL_WIFI_NOT_OPEN: 2,
  PEER_WIFI_NOT_OPEN: 3,
  PEER_ABILITY_NO_ONCOLLABORATE: 4,
  SYSTEM_INTERNAL_ERROR: 5,
} as const;
export type ConnectErrorCode = (typeof ConnectErrorCode)[keyof typeof ConnectErrorCode];

export const StartOptionParams = { START_IN_FOREGROUND: 0, START_IN_BACKGROUND: 1 } as const;
export type StartOptionParams = (typeof StartOptionParams)[keyof typeof StartOptionParams];

export const CollaborateEventType = { SEND_FAILURE: 0, COLOR_SPACE_CONVERSION_FAILURE: 1 } as const;
export type CollaborateEventType = (typeof CollaborateEventType)[keyof typeof CollaborateEventType];

/** `DisconnectReason` of the API 18 generation (the 16 draft had PEER_APP_EXIT = 0, NETWORK_DISCONNECTED = 1). */
export const DisconnectReason = {
  PEER_APP_CLOSE_COLLABORATION: 0,
  PEER_APP_EXIT: 1,
  NETWORK_DISCONNECTED: 2,
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

export const FlipOptions = { HORIZONTAL: 0, VERTICAL: 1 } as const;
export type FlipOptions = (typeof FlipOptions)[keyof typeof FlipOptions];

export const StreamRole = { SOURCE: 0, SINK: 1 } as const;
export type StreamRole = (typeof StreamRole)[keyof typeof StreamRole];

export const VideoPixelFormat = { UNKNOWN: -1, NV12: 0, NV21: 1 } as const;
export type VideoPixelFormat = (typeof VideoPixelFormat)[keyof typeof VideoPixelFormat];

export const CollaborationKeys = {
  PEER_INFO: 'ohos.collaboration.key.peerInfo',
  CONNECT_OPTIONS: 'ohos.collaboration.key.connectOptions',
  COLLABORATE_TYPE: 'ohos.collaboration.key.abilityCollaborateType',
} as const;
export type CollaborationKeys = (typeof CollaborationKeys)[keyof typeof CollaborationKeys];

export const CollaborationValues = {
  ABILITY_COLLABORATION_TYPE_DEFAULT: 'ohos.collaboration.value.abilityCollab',
  ABILITY_COLLABORATION_TYPE_CONNECT_PROXY: 'ohos.collaboration.value.connectProxy',
} as const;
export type CollaborationValues = (typeof CollaborationValues)[keyof typeof CollaborationValues];

/** Runtime-only object kept by the NAPI layer for the 16 draft (spelling "forefround" sic, harmony-api.md §1.4). */
export const ConnectOptionParams = {
  KEY_START_OPTION: 'ohos.collabrate.key.start.option',
  VALUE_START_OPTION_FOREGROUND: 'ohos.collabrate.value.forefround',
  VALUE_START_OPTION_BACKGROUND: 'ohos.collabrate.value.background',
} as const;
