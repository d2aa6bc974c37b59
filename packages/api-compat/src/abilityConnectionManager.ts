/**
 * `@ohos.distributedsched.abilityConnectionManager` on Node.js — collaboration sessions between the same app on two
 * devices (harmony-api.md §1). Both generations are accepted: API 18+ `(serviceName, context, PeerInfo,
 * ConnectOptions)` and the API 16 draft `(serverId, context, PeerInfo{serverId}, ConnectOption)`; enums have the
 * API 18 values.
 *
 * Error shapes as the platform's (harmony-api.md §0.2): synchronous throws are `Error`s whose `code` is a string
 * (`"401"`); promise rejections are plain `{ code: <number>, message }` objects.
 *
 * @example
 * ```ts
 * import { abilityConnectionManager } from '@kit.DistributedServiceKit';
 * const id = abilityConnectionManager.createAbilityConnectionSession('collabTest', context, peerInfo, { needSendData: true });
 * abilityConnectionManager.on('receiveMessage', id, (info) => console.log(info.msg));
 * const result = await abilityConnectionManager.connect(id); // { isConnected: true, reason: '' }
 * await abilityConnectionManager.sendMessage(id, 'hello');
 * ```
 * @module
 */

import type { Context } from './ability/context.js';
import { acmService as svc } from './acm/registry.js';
import type {
  CollaborateEventInfo,
  ConnectOption,
  ConnectOptions,
  ConnectResult,
  EventCallbackInfo,
  PeerInfo,
  PeerInfo16,
  StreamParam,
  SurfaceParam,
} from './acm/types.js';
import type { Callback } from './base.js';

export {
  type CollaborateEventInfo,
  CollaborateEventType,
  CollaborationKeys,
  CollaborationValues,
  ConnectErrorCode,
  type ConnectOption,
  ConnectOptionParams,
  type ConnectOptions,
  type ConnectResult,
  DisconnectReason,
  type EventCallbackInfo,
  FlipOptions,
  type PeerInfo,
  StartOptionParams,
  type StreamParam,
  StreamRole,
  type SurfaceParam,
  VideoPixelFormat,
} from './acm/types.js';

/**
 * Creates a collaboration session and returns its id (from 100). `context` is the calling ability's context
 * (`this.context` in a UIAbility, `getContext()`, `getUIContext().getHostContext()`), typed as the SDK's `Context`.
 * Throws 401 on bad arguments (`serviceName` empty, over 256 chars or ≥ 1024 UTF-8 bytes; `context` not an ability
 * context — a plain object, an application-level `Context`, null; `peerInfo` strings empty; `connectOptions`
 * missing; both stream flags; `startOptions` outside 0..1), 202 for system-only options in a normal app, 201 without
 * INTERNET, GET_NETWORK_INFO, SET_NETWORK_INFO and DISTRIBUTED_DATASYNC. Checked in the platform's order: argument
 * types, lengths and `startOptions` (401), then system-only options (202), then empty `peerInfo` strings and both
 * stream flags (401), then permissions (201). (harmony-api.md §1.1, §1.3; ability_dmsfwk)
 */
export function createAbilityConnectionSession(
  serviceName: string,
  context: Context,
  peerInfo: PeerInfo | PeerInfo16,
  connectOptions: ConnectOptions | ConnectOption,
): number {
  return svc().createAbilityConnectionSession(
    serviceName,
    context,
    peerInfo as PeerInfo,
    connectOptions as ConnectOptions,
  );
}

/** Destroys a session (disconnecting it). Throws 401 for a non-number or unknown id ("Failed to execute the function."). */
export function destroyAbilityConnectionSession(sessionId: number): void {
  svc().destroyAbilityConnectionSession(sessionId);
}

/** The session's peer, or `undefined` for an unknown id. Throws 401 for a non-number. */
export function getPeerInfoById(sessionId: number): PeerInfo | undefined {
  return svc().getPeerInfoById(sessionId);
}

/**
 * Connects: the peer device starts the target UIAbility and calls its `onCollaborate`; resolves with
 * `{ isConnected: true, reason: '' }` when the peer app accepts, else `isConnected: false` with `errorCode`
 * PEER_APP_REJECTED (and the app's reason), PEER_ABILITY_NO_ONCOLLABORATE, CONNECTED_SESSION_EXISTS (this session
 * — or another session with the same service name, local ability and peer app — is connecting or connected) or SYSTEM_INTERNAL_ERROR (also when the session is disconnected or destroyed before
 * the connection is made; the peer's session is then closed). Throws 401 for a non-number; rejects with
 * `{ code: 401, message: 'Parameter error.' }` for an unknown session.
 */
export function connect(sessionId: number): Promise<ConnectResult> {
  return svc().connect(sessionId);
}

/**
 * Accepts the connection identified by `token` (from `wantParam`) on session `sessionId`. 401 thrown for bad
 * arguments; rejects `{ code: 401 }` for an unknown session ("Parameter error."), an unknown or answered token ("Failed
 * to execute the function."), a session that is already connecting or connected ("Parameter error."; the request
 * stays open for another session), and when the session is disconnected
 * or destroyed before the accept completes (the requester's session is then closed, this one gets no `'connect'`).
 */
export function acceptConnect(sessionId: number, token: string): Promise<void> {
  return svc().acceptConnect(sessionId, token);
}

/** Rejects the connection identified by `token`; the requester's `connect()` resolves with PEER_APP_REJECTED and `reason`. */
export function reject(token: string, reason: string): void {
  svc().reject(token, reason);
}

/** Disconnects; the peer gets `'disconnect'` with PEER_APP_CLOSE_COLLABORATION. Throws 401 for an unknown id. */
export function disconnect(sessionId: number): void {
  svc().disconnect(sessionId);
}

/**
 * Sends text (< 1024 bytes of UTF-8, else 401 thrown). Rejects `{ code: 401, message: 'Parameter error.' }` when the
 * session is unknown or not connected, `{ code: 401, message: 'Failed to execute the function.' }` when the send fails.
 */
export function sendMessage(sessionId: number, msg: string): Promise<void> {
  return svc().sendMessage(sessionId, msg);
}

/**
 * Sends bytes (≤ 100 MiB per call). Throws 401 unless `data` is an ArrayBuffer; rejects `{ code: 401 }` as
 * {@link sendMessage} ("Parameter error." when unknown or not connected).
 */
export function sendData(sessionId: number, data: ArrayBuffer): Promise<void> {
  return svc().sendData(sessionId, data);
}

/** System API: throws 202 in a normal app (801 in a system app: no images on Node). */
export function sendImage(_sessionId: number, _image: unknown, _quality?: number): Promise<void> {
  return svc().systemOnly();
}
/** System API: throws 202 (801 for system apps). */
export function createStream(_sessionId: number, _param: StreamParam): Promise<number> {
  return svc().systemOnly();
}
/** System API: throws 202 (801 for system apps). */
export function setSurfaceId(_streamId: number, _surfaceId: string, _param: SurfaceParam): void {
  svc().systemOnly();
}
/** System API: throws 202 (801 for system apps). */
export function getSurfaceId(_streamId: number, _param: SurfaceParam): string {
  return svc().systemOnly();
}
/** System API: throws 202 (801 for system apps). */
export function updateSurfaceParam(_streamId: number, _param: SurfaceParam): void {
  svc().systemOnly();
}
/** System API: throws 202 (801 for system apps). */
export function destroyStream(_streamId: number): void {
  svc().systemOnly();
}
/** System API: throws 202 (801 for system apps). */
export function startStream(_streamId: number): void {
  svc().systemOnly();
}
/** System API: throws 202 (801 for system apps). */
export function stopStream(_streamId: number): void {
  svc().systemOnly();
}

/**
 * Registers the listener of `type` for a session; a second `on` replaces the first ([impl]). Types: `'connect'`,
 * `'disconnect'`, `'receiveMessage'`, `'receiveData'`; `'receiveImage'` and `'collaborateEvent'` are system-only
 * (202). Unknown type, unknown session or non-function callback → 401.
 */
export function on(
  type: 'connect' | 'disconnect' | 'receiveMessage' | 'receiveData' | 'receiveImage',
  sessionId: number,
  callback: Callback<EventCallbackInfo>,
): void;
export function on(
  type: 'collaborateEvent',
  sessionId: number,
  callback: Callback<CollaborateEventInfo>,
): void;
export function on(type: string, sessionId: number, callback: Callback<never>): void {
  svc().on(type, sessionId, callback);
}

/** Removes the listener of `type` (the callback argument is ignored, as on the platform). Errors as {@link on}. */
export function off(
  type: 'connect' | 'disconnect' | 'receiveMessage' | 'receiveData' | 'receiveImage',
  sessionId: number,
  callback?: Callback<EventCallbackInfo>,
): void;
export function off(
  type: 'collaborateEvent',
  sessionId: number,
  callback?: Callback<CollaborateEventInfo>,
): void;
export function off(type: string, sessionId: number, callback?: Callback<never>): void {
  svc().off(type, sessionId, callback);
}

// ArkTS-static twins (—/S23).
export const onConnect = (sessionId: number, cb: Callback<EventCallbackInfo>): void =>
  on('connect', sessionId, cb);
export const offConnect = (sessionId: number, cb?: Callback<EventCallbackInfo>): void =>
  off('connect', sessionId, cb);
export const onDisconnect = (sessionId: number, cb: Callback<EventCallbackInfo>): void =>
  on('disconnect', sessionId, cb);
export const offDisconnect = (sessionId: number, cb?: Callback<EventCallbackInfo>): void =>
  off('disconnect', sessionId, cb);
export const onReceiveMessage = (sessionId: number, cb: Callback<EventCallbackInfo>): void =>
  on('receiveMessage', sessionId, cb);
export const offReceiveMessage = (sessionId: number, cb?: Callback<EventCallbackInfo>): void =>
  off('receiveMessage', sessionId, cb);
export const onReceiveData = (sessionId: number, cb: Callback<EventCallbackInfo>): void =>
  on('receiveData', sessionId, cb);
export const offReceiveData = (sessionId: number, cb?: Callback<EventCallbackInfo>): void =>
  off('receiveData', sessionId, cb);
export const onReceiveImage = (sessionId: number, cb: Callback<EventCallbackInfo>): void =>
  on('receiveImage', sessionId, cb);
export const offReceiveImage = (sessionId: number, cb?: Callback<EventCallbackInfo>): void =>
  off('receiveImage', sessionId, cb);
export const onCollaborateEvent = (sessionId: number, cb: Callback<CollaborateEventInfo>): void =>
  on('collaborateEvent', sessionId, cb);
export const offCollaborateEvent = (sessionId: number, cb?: Callback<CollaborateEventInfo>): void =>
  off('collaborateEvent', sessionId, cb);
