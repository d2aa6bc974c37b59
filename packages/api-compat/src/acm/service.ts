import { isColinkError, type Session, type SessionEndReason, type SessionRequest } from '@colink/core';
import { isAbilityContext, type UIAbilityContext } from '../ability/context.js';
import type { UIAbility } from '../ability/ui-ability.js';
import type { Callback } from '../base.js';
import { toArrayBuffer } from '../bytes.js';
import { plainError, stringCodeError } from '../errors.js';
import type { DeviceRuntime } from '../runtime/runtime.js';
import {
  type CollaborateEventInfo,
  ConnectErrorCode,
  type ConnectOptions,
  type ConnectResult,
  DisconnectReason,
  type EventCallbackInfo,
  type PeerInfo,
  StartOptionParams,
} from './types.js';

/** Messages of the codes this module throws (harmony-api.md §0.2, §1.5). */
const MSG = {
  401: 'Parameter error.',
  FAILED: 'Failed to execute the function.',
  201: 'Permission denied.',
  202: 'Permission verification failed. A non-system application calls a system API.',
  801: 'Capability not supported.',
} as const;

/** Every string argument is rejected when its UTF-8 length is ≥ 1024 bytes ([impl], harmony-api.md §1.5). */
const MAX_STRING_BYTES = 1024;
/** serviceName limit in characters (docs, harmony-api.md §1.5). */
const MAX_SERVICE_NAME_CHARS = 256;
/** Permissions createAbilityConnectionSession needs (harmony-api.md §1.1). */
const CREATE_PERMISSIONS = ['INTERNET', 'GET_NETWORK_INFO', 'SET_NETWORK_INFO', 'DISTRIBUTED_DATASYNC'];
/** The wantParam key under which the collaboration parameters arrive (harmony-api.md §1.5). */
export const COLLABORATE_INDEX_KEY = 'ohos.extra.param.key.supportCollaborateIndex';
/** The key of the collaboration token in those parameters. */
export const COLLAB_TOKEN_KEY = 'ohos.dms.collabToken';

const PUBLIC_EVENTS = ['connect', 'disconnect', 'receiveMessage', 'receiveData'] as const;
const SYSTEM_EVENTS = ['receiveImage', 'collaborateEvent'] as const;
type EventName = (typeof PUBLIC_EVENTS)[number] | (typeof SYSTEM_EVENTS)[number];

interface AcmSession {
  readonly id: number;
  readonly serviceName: string;
  readonly peerInfo: PeerInfo;
  readonly options: ConnectOptions;
  readonly local: { bundleName: string; moduleName: string; abilityName: string };
  state: 'idle' | 'connecting' | 'connected' | 'closed';
  /**
   * Bumped by every connect(), acceptConnect(), disconnect() and destroy: a connect or accept whose number is no
   * longer current was abandoned, and the session it brings is closed instead of bound.
   */
  attempt: number;
  core?: Session;
  readonly listeners: Map<EventName, Callback<EventCallbackInfo> | Callback<CollaborateEventInfo>>;
}

/** Session ids: a process-wide counter starting at 100 ([impl], harmony-api.md §1.5). */
let nextSessionId = 100;

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
/**
 * Whether `s` is under MAX_STRING_BYTES of UTF-8 without encoding it when its length decides: a UTF-16 code unit is
 * 1–3 bytes of UTF-8 (a surrogate pair 4 bytes for 2 units).
 */
const underStringLimit = (s: string): boolean =>
  s.length * 3 < MAX_STRING_BYTES || (s.length < MAX_STRING_BYTES && utf8Length(s) < MAX_STRING_BYTES);
/** A failed send of a connected session: 401 "Failed to execute the function." (harmony-api.md §1.5). */
const sendFailed = (): never => {
  throw plainError(401, MSG.FAILED);
};
/**
 * A send on an unknown or unconnected session: 401 "Parameter error." — the session has no message or data channel
 * (ability_dmsfwk GetTransChannelInfo answers INVALID_PARAMETERS_ERR).
 */
const notConnected = (): object => plainError(401, MSG[401]);
const bad = (message: string = MSG[401]): never => {
  throw stringCodeError(401, message);
};
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * abilityConnectionManager bound to one {@link DeviceRuntime}: the module functions delegate to the service of the
 * process's runtime. Behaviour and error shapes follow harmony-api.md §1 and §0.2.
 */
export class AbilityConnectionService {
  private readonly runtime: DeviceRuntime;
  private readonly sessions = new Map<number, AcmSession>();
  private readonly pendingRequests = new Map<string, SessionRequest>();

  constructor(runtime: DeviceRuntime) {
    this.runtime = runtime;
    runtime.onCollaboration((req, ability) => this.onCollaborationRequest(req, ability));
    void runtime.start().catch(() => undefined);
  }

  createAbilityConnectionSession(
    serviceName: string,
    context: unknown,
    peerInfo: PeerInfo,
    connectOptions: ConnectOptions,
  ): number {
    if (
      !isStr(serviceName) ||
      serviceName === '' ||
      serviceName.length > MAX_SERVICE_NAME_CHARS ||
      utf8Length(serviceName) >= MAX_STRING_BYTES
    )
      bad();
    // HarmonyOS converts `context` to an AbilityContext (or UIExtensionContext) and answers 401 when it cannot
    // (ability_dmsfwk JsToAbilityInfo): a plain object, an application-level Context or null is a parameter error.
    if (!isAbilityContext(context)) bad();
    const peer = checkPeerInfo(peerInfo);
    if (connectOptions === null || typeof connectOptions !== 'object') bad();
    const opts = connectOptions as ConnectOptions & {
      needSendBigData?: boolean;
      options?: Record<string, string>;
    };
    // The platform's order (ability_dmsfwk): argument types, lengths and the startOptions range (401); then the
    // system-only options (202, CheckConnectOption); then empty PeerInfo strings and both stream flags (401,
    // AbilityConnectionManager::CreateSession); then the permissions (201).
    if (
      opts.startOptions !== undefined &&
      (!isInt(opts.startOptions) || opts.startOptions < 0 || opts.startOptions > 1)
    )
      bad();
    if (opts.parameters !== undefined && (opts.parameters === null || typeof opts.parameters !== 'object'))
      bad();
    const system = this.runtime.config.systemApp;
    if (!system && opts.startOptions === StartOptionParams.START_IN_BACKGROUND)
      throw stringCodeError(202, MSG[202]);
    // The API 16 draft (serverId, ConnectOption with three required booleans and an `options` record) had no
    // system-only stream flags; the 18+ rule (harmony-api.md §1.3 [impl]) applies only to 18+ callers.
    const generation16 = 'serverId' in (peerInfo as object) || 'options' in opts || 'needSendBigData' in opts;
    if (!system && !generation16 && (opts.needSendStream === true || opts.needReceiveStream === true)) {
      throw stringCodeError(202, MSG[202]);
    }
    if (peer.deviceId === '' || peer.bundleName === '' || peer.moduleName === '' || peer.abilityName === '')
      bad();
    if (opts.needSendStream === true && opts.needReceiveStream === true) bad();
    if (!system) {
      for (const p of CREATE_PERMISSIONS)
        if (!this.runtime.hasPermission(p)) throw stringCodeError(201, MSG[201]);
    }
    const info = (context as UIAbilityContext).abilityInfo;
    const id = nextSessionId++;
    this.sessions.set(id, {
      id,
      serviceName,
      // absent or empty: the session's service name (ability_dmsfwk replaces an empty serverId)
      peerInfo: { ...peer, serviceName: peer.serviceName || serviceName },
      options: { ...opts },
      local: {
        bundleName: info.bundleName,
        moduleName: info.moduleName,
        abilityName: info.name,
      },
      state: 'idle',
      attempt: 0,
      listeners: new Map(),
    });
    return id;
  }

  destroyAbilityConnectionSession(sessionId: number): void {
    if (!isInt(sessionId)) bad();
    const s = this.sessions.get(sessionId);
    if (!s) bad(MSG.FAILED);
    this.sessions.delete(sessionId);
    s!.state = 'closed';
    s!.attempt++;
    void s!.core?.close();
  }

  getPeerInfoById(sessionId: number): PeerInfo | undefined {
    if (!isInt(sessionId)) bad();
    const s = this.sessions.get(sessionId);
    return s ? { ...s.peerInfo } : undefined;
  }

  connect(sessionId: number): Promise<ConnectResult> {
    if (!isInt(sessionId)) bad();
    const s = this.sessions.get(sessionId);
    // ability_dmsfwk: an unknown session's connect callback gets INVALID_SESSION_ID → 401 "Parameter error."
    if (!s) return Promise.reject(plainError(401, MSG[401]));
    if (s.state === 'connected' || s.state === 'connecting') {
      return Promise.resolve({
        isConnected: false,
        errorCode: ConnectErrorCode.CONNECTED_SESSION_EXISTS,
        reason: 'a connection of this session already exists',
      });
    }
    if (this.sameSessionBusy(s)) {
      return Promise.resolve({
        isConnected: false,
        errorCode: ConnectErrorCode.CONNECTED_SESSION_EXISTS,
        reason: 'another session between the same two apps for this service is connecting or connected',
      });
    }
    s.state = 'connecting';
    const attempt = ++s.attempt;
    return this.runtime
      .start()
      .then(() =>
        this.runtime.device.sessions.request({
          peer: s.peerInfo.deviceId,
          service: s.serviceName,
          local: s.local,
          remote: {
            bundleName: s.peerInfo.bundleName,
            moduleName: s.peerInfo.moduleName,
            abilityName: s.peerInfo.abilityName,
          },
          options: { ...s.options, serviceName: s.serviceName },
          maxMessageBytes: MAX_STRING_BYTES - 1,
        }),
      )
      .then(
        (core): ConnectResult => {
          // destroyed, or disconnected (and maybe connected again) while this connect was under way
          if (s.attempt !== attempt || s.state !== 'connecting') {
            void core.close();
            return {
              isConnected: false,
              errorCode: ConnectErrorCode.SYSTEM_INTERNAL_ERROR,
              reason:
                s.state === 'closed'
                  ? 'session was destroyed while connecting'
                  : 'session was disconnected while connecting',
            };
          }
          this.bind(s, core);
          return { isConnected: true, reason: '' };
        },
        (e: unknown): ConnectResult => {
          if (s.attempt === attempt && s.state === 'connecting') s.state = 'idle';
          if (isColinkError(e, 'ERR_REJECTED')) {
            return { isConnected: false, errorCode: ConnectErrorCode.PEER_APP_REJECTED, reason: e.message };
          }
          if (isColinkError(e, 'ERR_NO_HANDLER')) {
            return {
              isConnected: false,
              errorCode: ConnectErrorCode.PEER_ABILITY_NO_ONCOLLABORATE,
              reason: e.message,
            };
          }
          const reason = e instanceof Error ? e.message : String(e);
          return { isConnected: false, errorCode: ConnectErrorCode.SYSTEM_INTERNAL_ERROR, reason };
        },
      );
  }

  acceptConnect(sessionId: number, token: string): Promise<void> {
    if (!isInt(sessionId) || !isStr(token) || utf8Length(token) >= MAX_STRING_BYTES) bad();
    const s = this.sessions.get(sessionId);
    const req = this.pendingRequests.get(token);
    // An unknown session is INVALID_PARAMETERS_ERR ("Parameter error."); an unknown or answered token fails in the
    // service ("Failed to execute the function.").
    if (!s) return Promise.reject(plainError(401, MSG[401]));
    if (!req || req.settled) return Promise.reject(plainError(401, MSG.FAILED));
    // A session that is connecting or connected takes no second connection; the request stays open for another
    // session (ability_dmsfwk AbilityConnectionSession::AcceptConnect: INVALID_PARAMETERS_ERR → 401).
    if (s.state !== 'idle') return Promise.reject(plainError(401, MSG[401]));
    this.pendingRequests.delete(token);
    s.state = 'connecting';
    const attempt = ++s.attempt;
    return req.accept().then(
      (core) => {
        // destroyed or disconnected while accepting: the peer is disconnected, this session gets no events
        if (s.attempt !== attempt || s.state !== 'connecting') {
          void core.close();
          throw plainError(401, MSG.FAILED);
        }
        this.bind(s, core);
      },
      () => {
        if (s.attempt === attempt && s.state === 'connecting') s.state = 'idle';
        throw plainError(401, MSG.FAILED);
      },
    );
  }

  reject(token: string, reason: string): void {
    if (
      !isStr(token) ||
      !isStr(reason) ||
      utf8Length(token) >= MAX_STRING_BYTES ||
      utf8Length(reason) >= MAX_STRING_BYTES
    )
      bad();
    const req = this.pendingRequests.get(token);
    if (!req || req.settled) bad(MSG.FAILED);
    this.pendingRequests.delete(token);
    req!.reject(reason, 'rejected');
  }

  disconnect(sessionId: number): void {
    if (!isInt(sessionId)) bad();
    const s = this.sessions.get(sessionId);
    if (!s) bad(MSG.FAILED);
    const core = s!.core;
    s!.core = undefined;
    s!.state = 'idle';
    s!.attempt++;
    void core?.close('closed');
  }

  sendMessage(sessionId: number, msg: string): Promise<void> {
    if (!isInt(sessionId) || !isStr(msg) || !underStringLimit(msg)) bad();
    const core = this.connected(sessionId);
    if (!core) return Promise.reject(notConnected());
    return core.sendMessage(msg).catch(sendFailed);
  }

  sendData(sessionId: number, data: ArrayBuffer): Promise<void> {
    if (!isInt(sessionId) || !(data instanceof ArrayBuffer)) bad();
    const core = this.connected(sessionId);
    if (!core) return Promise.reject(notConnected());
    return core.sendData(new Uint8Array(data)).catch(sendFailed);
  }

  /** System-only API surface: 202 for normal apps, 801 for system apps (no streams or images on Node). */
  systemOnly(): never {
    throw stringCodeError(
      this.runtime.config.systemApp ? 801 : 202,
      this.runtime.config.systemApp ? MSG[801] : MSG[202],
    );
  }

  on(type: string, sessionId: number, callback: unknown): void {
    // The platform's order: type (401, 202), session id type, callback (401), then the session (401 "Failed to …").
    const s = this.eventTarget(type, sessionId, () => {
      if (typeof callback !== 'function') bad();
    });
    s.listeners.set(type as EventName, callback as Callback<EventCallbackInfo>);
  }

  off(type: string, sessionId: number, _callback?: unknown): void {
    // [impl]: the callback argument is ignored; the event's listener is removed.
    const s = this.eventTarget(type, sessionId);
    s.listeners.delete(type as EventName);
  }

  private eventTarget(type: string, sessionId: number, checkCallback?: () => void): AcmSession {
    if (!isStr(type)) bad();
    if ((SYSTEM_EVENTS as readonly string[]).includes(type) && !this.runtime.config.systemApp)
      throw stringCodeError(202, MSG[202]);
    if (
      !(PUBLIC_EVENTS as readonly string[]).includes(type) &&
      !(SYSTEM_EVENTS as readonly string[]).includes(type)
    )
      bad();
    if (!isInt(sessionId)) bad();
    checkCallback?.();
    const s = this.sessions.get(sessionId);
    if (!s) bad(MSG.FAILED);
    return s!;
  }

  /**
   * Whether another session of this device has the same ends — service name, local app, peer device and app — and is
   * connecting or connected: HarmonyOS keeps one connection per such pair (ability_dmsfwk
   * AbilityConnectionManager::UpdateClientSession answers connect() with CONNECTED_SESSION_EXISTS).
   */
  private sameSessionBusy(s: AcmSession): boolean {
    const p = s.peerInfo;
    for (const o of this.sessions.values()) {
      if (o === s || (o.state !== 'connecting' && o.state !== 'connected')) continue;
      const q = o.peerInfo;
      if (
        o.serviceName === s.serviceName &&
        o.local.bundleName === s.local.bundleName &&
        o.local.moduleName === s.local.moduleName &&
        o.local.abilityName === s.local.abilityName &&
        q.deviceId === p.deviceId &&
        q.bundleName === p.bundleName &&
        q.moduleName === p.moduleName &&
        q.abilityName === p.abilityName &&
        q.serviceName === p.serviceName
      )
        return true;
    }
    return false;
  }

  private connected(sessionId: number): Session | undefined {
    const s = this.sessions.get(sessionId);
    return s?.state === 'connected' ? s.core : undefined;
  }

  /**
   * The session is connected: `'connect'` now (before connect()/acceptConnect() resolves, as HarmonyOS), its messages,
   * data and end from the next macrotask — after the promise's continuations ran. What the peer sent meanwhile waits
   * in the core session (nothing is dropped): HarmonyOS delivers a session's messages only once connect() has
   * resolved (ability_dmsfwk ExeuteMessageEventCallback waits for FinishSessionConnect), so an app may register
   * `'receiveMessage'` after `await connect()`.
   */
  private bind(s: AcmSession, core: Session): void {
    s.core = core;
    s.state = 'connected';
    this.emit(s, 'connect', { sessionId: s.id });
    setImmediate(() => {
      if (s.core !== core || s.state !== 'connected') return; // disconnected or destroyed meanwhile
      core.messages$.subscribe((msg) => this.emit(s, 'receiveMessage', { sessionId: s.id, msg }));
      core.data$.subscribe((d) => this.emit(s, 'receiveData', { sessionId: s.id, data: toArrayBuffer(d) }));
      core.ended$.subscribe((why) => {
        if (s.core !== core) return;
        s.core = undefined;
        s.state = 'idle';
        if (why !== 'local') this.emit(s, 'disconnect', { sessionId: s.id, reason: toDisconnectReason(why) });
      });
    });
  }

  private emit(s: AcmSession, event: EventName, info: EventCallbackInfo): void {
    const cb = s.listeners.get(event) as Callback<EventCallbackInfo> | undefined;
    if (!cb) return;
    try {
      cb(info);
    } catch (e) {
      process.emitWarning(
        `abilityConnectionManager '${event}' listener threw: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** Builds the wantParam HarmonyOS gives onCollaborate and calls it (harmony-api.md §1.5). */
  private onCollaborationRequest(req: SessionRequest, ability: UIAbility): void {
    const o = req.options as ConnectOptions & { serviceName?: string };
    const service = o.serviceName ?? req.service;
    const connectOption: Record<string, unknown> = {
      needSendData: o.needSendData ?? false,
      needSendStream: o.needSendStream ?? false,
      needReceiveStream: o.needReceiveStream ?? false,
      ...(o.startOptions !== undefined ? { startOptions: o.startOptions } : {}),
      parameters: o.parameters ?? {},
    };
    const wantParam: Record<string, Object> = {
      [COLLABORATE_INDEX_KEY]: {
        PeerInfo: {
          deviceId: req.peer.networkId,
          bundleName: req.from.bundleName,
          moduleName: req.from.moduleName,
          abilityName: req.from.abilityName,
          serverId: service,
          serviceName: service,
        },
        ConnectOption: connectOption,
        [COLLAB_TOKEN_KEY]: req.key,
      },
    };
    this.pendingRequests.set(req.key, req);
    let result: unknown;
    try {
      result = ability.onCollaborate!(wantParam);
    } catch (e) {
      this.pendingRequests.delete(req.key);
      req.reject(`onCollaborate threw: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return;
    }
    if (result === 1 /* CollaborateResult.REJECT */ && !req.settled) {
      this.pendingRequests.delete(req.key);
      req.reject('the peer app rejected the collaboration in onCollaborate', 'rejected');
    }
  }
}

function checkPeerInfo(p: unknown): PeerInfo {
  if (p === null || typeof p !== 'object') bad();
  const x = p as Record<string, unknown>;
  // Types and lengths only: empty strings are refused after the system-only options (see the create).
  for (const k of ['deviceId', 'bundleName', 'moduleName', 'abilityName']) {
    const v = x[k];
    if (!isStr(v) || utf8Length(v) >= MAX_STRING_BYTES) bad();
  }
  // API 18 `serviceName`, API 16 `serverId`, legacy `serviceId`: the first present wins.
  const sn = x.serviceName ?? x.serverId ?? x.serviceId;
  if (sn !== undefined && (!isStr(sn) || utf8Length(sn) >= MAX_STRING_BYTES)) bad();
  return {
    deviceId: x.deviceId as string,
    bundleName: x.bundleName as string,
    moduleName: x.moduleName as string,
    abilityName: x.abilityName as string,
    ...(sn !== undefined ? { serviceName: sn as string } : {}),
  };
}

function toDisconnectReason(why: SessionEndReason): DisconnectReason {
  switch (why) {
    case 'peer-closed':
      return DisconnectReason.PEER_APP_CLOSE_COLLABORATION;
    case 'peer-exit':
      return DisconnectReason.PEER_APP_EXIT;
    default:
      return DisconnectReason.NETWORK_DISCONNECTED;
  }
}
