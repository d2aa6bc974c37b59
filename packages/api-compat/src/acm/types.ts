/**
 * Types and enums of `@ohos.distributedsched.abilityConnectionManager` (harmony-api.md §1.3, §1.4, §1.6). Enums
 * are TypeScript `enum`s with the SDK's values; at run time they map name → value only (no reverse mapping, as the
 * NAPI layer exports them).
 * @module
 */
import { forwardOnly } from '../enums.js';

/** `PeerInfo` (API 18): the peer app. `serviceName` is optional (the session's service name is used). */
export interface PeerInfo {
  deviceId: string;
  bundleName: string;
  moduleName: string;
  abilityName: string;
  serviceName?: string;
}

/**
 * `PeerInfo` of the API 16 draft: `serverId` instead of `serviceName`, required. Accepted at run time; not exported
 * from the HarmonyOS entry points (the SDK names it `PeerInfo`).
 */
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

/** `ConnectOption` of the API 16 draft SDK: three required booleans and a string `options` record. */
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

/** `ConnectErrorCode` (API 18): why `connect()` resolved with `isConnected: false`. */
export enum ConnectErrorCode {
  CONNECTED_SESSION_EXISTS = 0,
  PEER_APP_REJECTED = 1,
  LOCAL_WIFI_NOT_OPEN = 2,
  PEER_WIFI_NOT_OPEN = 3,
  PEER_ABILITY_NO_ONCOLLABORATE = 4,
  SYSTEM_INTERNAL_ERROR = 5,
}
forwardOnly(ConnectErrorCode);

/** `StartOptionParams` (API 18): how the peer ability starts; `START_IN_BACKGROUND` is system-only (202). */
export enum StartOptionParams {
  START_IN_FOREGROUND = 0,
  START_IN_BACKGROUND = 1,
}
forwardOnly(StartOptionParams);

/** `CollaborateEventType` (API 18, payload of the system-only `'collaborateEvent'`). */
export enum CollaborateEventType {
  SEND_FAILURE = 0,
  COLOR_SPACE_CONVERSION_FAILURE = 1,
}
forwardOnly(CollaborateEventType);

/** `DisconnectReason` of the API 18 generation (the 16 draft had PEER_APP_EXIT = 0, NETWORK_DISCONNECTED = 1). */
export enum DisconnectReason {
  PEER_APP_CLOSE_COLLABORATION = 0,
  PEER_APP_EXIT = 1,
  NETWORK_DISCONNECTED = 2,
}
forwardOnly(DisconnectReason);

/** `FlipOptions` (API 18, system-only). */
export enum FlipOptions {
  HORIZONTAL = 0,
  VERTICAL = 1,
}
forwardOnly(FlipOptions);

/** `StreamRole` (API 18, system-only): 0 sends, 1 receives. */
export enum StreamRole {
  SOURCE = 0,
  SINK = 1,
}
forwardOnly(StreamRole);

/** `VideoPixelFormat` (API 18, system-only). */
export enum VideoPixelFormat {
  UNKNOWN = -1,
  NV12 = 0,
  NV21 = 1,
}
forwardOnly(VideoPixelFormat);

/** `CollaborationKeys` (API 18, string enum): keys of the collaboration `want` parameters. */
export enum CollaborationKeys {
  PEER_INFO = 'ohos.collaboration.key.peerInfo',
  CONNECT_OPTIONS = 'ohos.collaboration.key.connectOptions',
  COLLABORATE_TYPE = 'ohos.collaboration.key.abilityCollaborateType',
}

/** `CollaborationValues` (API 18, string enum): values of `CollaborationKeys.COLLABORATE_TYPE`. */
export enum CollaborationValues {
  ABILITY_COLLABORATION_TYPE_DEFAULT = 'ohos.collaboration.value.abilityCollab',
  ABILITY_COLLABORATION_TYPE_CONNECT_PROXY = 'ohos.collaboration.value.connectProxy',
}

/**
 * `ConnectOptionParams` (string enum of the API 16 draft; the NAPI layer still exports the object, harmony-api.md
 * §1.4): the start option of a draft `ConnectOption.options` record. The spelling "forefround" is the platform's (sic).
 */
export enum ConnectOptionParams {
  KEY_START_OPTION = 'ohos.collabrate.key.start.option',
  VALUE_START_OPTION_FOREGROUND = 'ohos.collabrate.value.forefround',
  VALUE_START_OPTION_BACKGROUND = 'ohos.collabrate.value.background',
}
