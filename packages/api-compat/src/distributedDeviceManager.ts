/**
 * `@ohos.distributedDeviceManager` subset (harmony-api.md §5): find peer devices and their networkIds, backed by
 * colink's DeviceDirectory. Errors are `Error`s with a numeric `code`: 401 (bad argument), 201 (no
 * DISTRIBUTED_DATASYNC), 11600101 (failed), 11600104 (discovery already running). `'deviceStateChange'` reports
 * AVAILABLE / UNAVAILABLE as a device enters / leaves {@link DeviceManager.getAvailableDeviceListSync} (trusted, online),
 * `'discoverSuccess'` each device a discovery finds; `'discoverFailure'`, `'deviceNameChange'` and `'serviceDie'` are
 * accepted and never fire. Every event has its ArkTS-static
 * twin (`onDeviceStateChange` …); the system APIs (`replyUiAction`, profiles, icons, names, heartbeat policy,
 * `'replyResult'`) throw 202 in a normal app and 801 in a system app (`COLINK_SYSTEM_APP=1`).
 * @module
 */
import { createHash } from 'node:crypto';
import { closeReason, type DeviceEntry, ErrorCode, isColinkError } from '@colink/core';
import { bindDevice } from '@colink/core/security';
import { asapScheduler, observeOn, Subscription } from 'rxjs';
import type { AsyncCallback, BusinessError, Callback } from './base.js';
import {
  type DeviceBasicInfo,
  type DeviceIconInfo,
  type DeviceIconInfoFilterOptions,
  type DeviceIdentification,
  type DeviceNameChangeResult,
  type DeviceProfileInfo,
  type DeviceProfileInfoFilterOptions,
  DeviceStateChange,
  type DeviceStateChangeResult,
  type DiscoveryFailureResult,
  type DiscoverySuccessResult,
  type NetworkIdQueryFilter,
  type ReplyResult,
  type ServiceDieData,
  type StrategyForHeartbeat,
} from './ddm/types.js';
import { numericCodeError, UNIVERSAL_MESSAGES } from './errors.js';
import { type DeviceRuntime, getRuntime } from './runtime/runtime.js';
import { after } from './runtime/timers.js';

export {
  type BindTargetResult,
  type DeviceBasicInfo,
  type DeviceIconInfo,
  type DeviceIconInfoFilterOptions,
  type DeviceIdentification,
  type DeviceNameChangeResult,
  type DeviceProfileInfo,
  type DeviceProfileInfoFilterOptions,
  DeviceStateChange,
  type DeviceStateChangeResult,
  type DiscoveryFailureResult,
  type DiscoverySuccessResult,
  type NetworkIdQueryFilter,
  type ReplyResult,
  type ServiceDieData,
  type ServiceProfileInfo,
  StrategyForHeartbeat,
} from './ddm/types.js';

/** Numeric device type codes (OpenHarmony DmDeviceType). */
const DEVICE_TYPE_CODES: Readonly<Record<string, number>> = {
  unknown: 0x00,
  camera: 0x08,
  speaker: 0x0a,
  pc: 0x0c,
  phone: 0x0e,
  tablet: 0x11,
  wearable: 0x6d,
  car: 0x83,
  tv: 0x9c,
  'smart-display': 0xa02,
  '2in1': 0xa2f,
};

/** Discovery lasts at most 2 minutes and reports ≤ 99 devices (harmony-api.md §5). */
const DISCOVERY_MS = 120_000;
const DISCOVERY_MAX = 99;
const ERR_FAILED = 11600101;
const ERR_DISCOVERY_BUSY = 11600104;
/** DM error 11600103 "Authentication invalid": the binding was declined or is not possible. */
const ERR_AUTH_INVALID = 11600103;

const fail = (code: number, message: string): never => {
  throw numericCodeError(code, message);
};
const typeCode = (t: string): number => DEVICE_TYPE_CODES[t] ?? DEVICE_TYPE_CODES.unknown!;

function basicInfo(d: Pick<DeviceEntry, 'networkId' | 'deviceName' | 'deviceType'>): DeviceBasicInfo {
  return {
    deviceId: createHash('sha256').update(`deviceId:${d.networkId}`).digest('hex'),
    deviceName: d.deviceName,
    deviceType: String(typeCode(d.deviceType)),
    networkId: d.networkId,
  };
}

type Events = 'deviceStateChange' | 'discoverSuccess' | 'discoverFailure' | 'deviceNameChange' | 'serviceDie';

/** The class behind {@link DeviceManager}. */
class DeviceManagerImpl {
  private readonly rt: DeviceRuntime;
  private readonly listeners = new Map<Events, Set<Callback<never>>>();
  private readonly subs: Subscription[] = [];
  private discovery: Subscription | undefined;
  private stopDiscoveryTimer: (() => void) | undefined;
  private released = false;
  /** networkIds 'deviceStateChange' last reported AVAILABLE. */
  private readonly available = new Set<string>();

  /** @internal */
  constructor(rt: DeviceRuntime) {
    this.rt = rt;
    void rt.start().catch(() => undefined);
    // 'deviceStateChange' follows getAvailableDeviceListSync (trusted, online devices): AVAILABLE when a device enters
    // it, UNAVAILABLE when it leaves — it went away, or a handshake or unbindTarget made it untrusted.
    for (const d of rt.device.directory.list()) if (d.trust !== 'untrusted') this.available.add(d.networkId);
    this.subs.push(
      rt.device.directory.events$.subscribe((e) => {
        const id = e.device.networkId;
        const available = e.type !== 'lost' && e.device.trust !== 'untrusted';
        if (available === this.available.has(id)) return;
        if (available) this.available.add(id);
        else this.available.delete(id);
        this.emit('deviceStateChange', {
          action: available ? DeviceStateChange.AVAILABLE : DeviceStateChange.UNAVAILABLE,
          device: basicInfo(e.device),
        });
      }),
    );
  }

  /** Trusted, online devices. 201 without DISTRIBUTED_DATASYNC. */
  getAvailableDeviceListSync(): Array<DeviceBasicInfo> {
    this.check();
    // Devices a handshake found untrusted are not "available" (HarmonyOS lists trusted, online devices).
    return this.rt.device.directory
      .list()
      .filter((d) => d.trust !== 'untrusted')
      .map(basicInfo);
  }

  /**
   * Callback and promise forms of {@link DeviceManager.getAvailableDeviceListSync}.
   * @throws BusinessError 401 when `callback` is given but is not a function.
   */
  getAvailableDeviceList(callback: AsyncCallback<Array<DeviceBasicInfo>>): void;
  getAvailableDeviceList(): Promise<Array<DeviceBasicInfo>>;
  getAvailableDeviceList(
    callback?: AsyncCallback<Array<DeviceBasicInfo>>,
  ): Promise<Array<DeviceBasicInfo>> | undefined {
    const run = (): Array<DeviceBasicInfo> => this.getAvailableDeviceListSync();
    // A callback that is not a function would throw later, outside the caller's reach: 401 now, like the NAPI layer.
    if (callback !== undefined && typeof callback !== 'function') fail(401, UNIVERSAL_MESSAGES[401]!);
    if (callback) {
      queueMicrotask(() => {
        let list: Array<DeviceBasicInfo>;
        try {
          list = run();
        } catch (e) {
          callback(e as never, undefined as never);
          return;
        }
        callback(undefined as never, list); // outside the try: a throwing callback is not called twice
      });
      return undefined;
    }
    return new Promise((resolve) => resolve(run()));
  }

  getLocalDeviceNetworkId(): string {
    this.check();
    return this.rt.identity.networkId;
  }

  getLocalDeviceName(): string {
    this.check();
    return this.rt.config.deviceName;
  }

  getLocalDeviceType(): number {
    this.check();
    return typeCode(this.rt.config.deviceType);
  }

  /** SHA-256 of udid + app id ([impl] docs: changes on reinstall). */
  getLocalDeviceId(): string {
    this.check();
    return createHash('sha256').update(`${this.rt.identity.udid}:${this.rt.bundleName}`).digest('hex');
  }

  getDeviceName(networkId: string): string {
    return this.lookup(networkId).deviceName;
  }

  getDeviceType(networkId: string): number {
    return typeCode(this.lookup(networkId).deviceType);
  }

  /**
   * Starts discovering; `discoverSuccess` fires per device found (those present now and new ones) for up to 2
   * minutes and 99 devices, always after this call returns (HarmonyOS queues the results to the JS thread), so a
   * listener may call {@link DeviceManager.stopDiscovering} to end it. 401 for a non-object `discoverParam`, 11600104
   * while a discovery runs.
   */
  startDiscovering(discoverParam: Record<string, Object>, filterOptions?: Record<string, Object>): void {
    this.check();
    if (discoverParam === null || typeof discoverParam !== 'object') fail(401, UNIVERSAL_MESSAGES[401]!);
    if (filterOptions !== undefined && (filterOptions === null || typeof filterOptions !== 'object'))
      fail(401, UNIVERSAL_MESSAGES[401]!);
    if (this.discovery) fail(ERR_DISCOVERY_BUSY, 'Discovery unavailable.');
    const seen = new Set<string>();
    const discovery = new Subscription();
    this.discovery = discovery;
    // Found devices reach the listeners later, as HarmonyOS queues them to the JS thread (uv_queue_work): never inside
    // startDiscovering, and a listener's stopDiscovering ends this discovery (no further devices, no 11600104).
    discovery.add(
      this.rt.device.directory.devices$.pipe(observeOn(asapScheduler)).subscribe((list) => {
        for (const d of list) {
          if (this.discovery !== discovery) return;
          if (seen.has(d.networkId) || seen.size >= DISCOVERY_MAX) continue;
          seen.add(d.networkId);
          this.emit('discoverSuccess', { device: basicInfo(d) });
        }
      }),
    );
    // Discovery ends by itself after 2 min, on the runtime's clock (virtual in tests).
    this.stopDiscoveryTimer = after(DISCOVERY_MS, () => this.endDiscovery(), {
      runtime: this.rt,
      unref: true,
    });
  }

  stopDiscovering(): void {
    this.check();
    this.endDiscovery();
  }

  private endDiscovery(): void {
    this.discovery?.unsubscribe();
    this.discovery = undefined;
    this.stopDiscoveryTimer?.();
    this.stopDiscoveryTimer = undefined;
  }

  on(
    type: 'deviceStateChange',
    callback: Callback<{ action: DeviceStateChange; device: DeviceBasicInfo }>,
  ): void;
  on(type: 'discoverSuccess', callback: Callback<{ device: DeviceBasicInfo }>): void;
  on(type: 'discoverFailure', callback: Callback<{ reason: number }>): void;
  on(type: 'deviceNameChange', callback: Callback<{ deviceName: string }>): void;
  on(type: 'serviceDie', callback?: Callback<{}>): void;
  /** System API: 202 in a normal app (801 in a system app: colink has no PIN dialog of its own to reply to). */
  on(type: 'replyResult', callback: Callback<{ param: string }>): void;
  on(type: string, callback?: Callback<never>): void {
    if (type === 'replyResult') this.systemOnly();
    this.check();
    if (typeof type !== 'string' || type.length > 255) fail(401, UNIVERSAL_MESSAGES[401]!);
    if (
      !['deviceStateChange', 'discoverSuccess', 'discoverFailure', 'deviceNameChange', 'serviceDie'].includes(
        type,
      )
    )
      fail(401, UNIVERSAL_MESSAGES[401]!);
    if (callback === undefined && type === 'serviceDie') return;
    if (typeof callback !== 'function') fail(401, UNIVERSAL_MESSAGES[401]!);
    let set = this.listeners.get(type as Events);
    if (!set) {
      set = new Set();
      this.listeners.set(type as Events, set);
    }
    set.add(callback as Callback<never>);
  }

  off(
    type: 'deviceStateChange',
    callback?: Callback<{ action: DeviceStateChange; device: DeviceBasicInfo }>,
  ): void;
  off(type: 'discoverSuccess', callback?: Callback<{ device: DeviceBasicInfo }>): void;
  off(type: 'discoverFailure', callback?: Callback<{ reason: number }>): void;
  off(type: 'deviceNameChange', callback?: Callback<{ deviceName: string }>): void;
  off(type: 'serviceDie', callback?: Callback<{}>): void;
  /** System API: 202 in a normal app (801 in a system app). */
  off(type: 'replyResult', callback?: Callback<{ param: string }>): void;
  off(type: Events | 'replyResult', callback?: Callback<never>): void {
    if (type === 'replyResult') this.systemOnly();
    this.check();
    if (typeof type !== 'string' || type.length > 255) fail(401, UNIVERSAL_MESSAGES[401]!);
    if (callback === undefined) this.listeners.delete(type as Events);
    else this.listeners.get(type as Events)?.delete(callback);
  }

  // ArkTS-static twins (since 23): the same listeners as on/off (harmony-api.md §5).
  /** `on('deviceStateChange', callback)`. */
  onDeviceStateChange(callback: Callback<DeviceStateChangeResult>): void {
    this.on('deviceStateChange', callback);
  }
  /** `off('deviceStateChange', callback)`. */
  offDeviceStateChange(callback?: Callback<DeviceStateChangeResult>): void {
    this.off('deviceStateChange', callback);
  }
  /** `on('discoverSuccess', callback)`. */
  onDiscoverSuccess(callback: Callback<DiscoverySuccessResult>): void {
    this.on('discoverSuccess', callback);
  }
  /** `off('discoverSuccess', callback)`. */
  offDiscoverSuccess(callback?: Callback<DiscoverySuccessResult>): void {
    this.off('discoverSuccess', callback);
  }
  /** `on('discoverFailure', callback)`. */
  onDiscoverFailure(callback: Callback<DiscoveryFailureResult>): void {
    this.on('discoverFailure', callback);
  }
  /** `off('discoverFailure', callback)`. */
  offDiscoverFailure(callback?: Callback<DiscoveryFailureResult>): void {
    this.off('discoverFailure', callback);
  }
  /** `on('deviceNameChange', callback)`. */
  onDeviceNameChange(callback: Callback<DeviceNameChangeResult>): void {
    this.on('deviceNameChange', callback);
  }
  /** `off('deviceNameChange', callback)`. */
  offDeviceNameChange(callback?: Callback<DeviceNameChangeResult>): void {
    this.off('deviceNameChange', callback);
  }
  /** `on('serviceDie', callback)`. */
  onServiceDie(callback: Callback<ServiceDieData>): void {
    this.on('serviceDie', callback);
  }
  /** `off('serviceDie', callback)`. */
  offServiceDie(callback?: Callback<ServiceDieData>): void {
    this.off('serviceDie', callback);
  }
  /** System API: 202 (801 for system apps). */
  onReplyResult(_callback: Callback<ReplyResult>): void {
    this.systemOnly();
  }
  /** System API: 202 (801 for system apps). */
  offReplyResult(_callback?: Callback<ReplyResult>): void {
    this.systemOnly();
  }

  // System APIs (harmony-api.md §5: all @systemapi). A normal app gets 202, as on HarmonyOS; a system app
  // (`COLINK_SYSTEM_APP=1`) gets 801: colink has no device profiles, icons, heartbeat policy or PIN UI of its own.
  /** System API: 202 (801 for system apps). */
  replyUiAction(_action: number, _actionResult: string): void {
    this.systemOnly();
  }
  /** System API: 202 (801 for system apps), thrown synchronously. */
  getDeviceProfileInfoList(
    _filterOptions: DeviceProfileInfoFilterOptions,
  ): Promise<Array<DeviceProfileInfo>> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps), thrown synchronously. */
  putDeviceProfileInfoList(_deviceProfileInfoList: Array<DeviceProfileInfo>): Promise<number> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps), thrown synchronously. */
  getDeviceIconInfo(_filterOptions: DeviceIconInfoFilterOptions): Promise<DeviceIconInfo> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps), thrown synchronously. */
  getLocalDisplayDeviceName(_maxNameLength: number): Promise<string> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps), thrown synchronously. */
  setLocalDeviceName(_deviceName: string): Promise<number> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps), thrown synchronously. */
  setRemoteDeviceName(_deviceId: string, _deviceName: string): Promise<number> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps). */
  setHeartbeatPolicy(_policy: StrategyForHeartbeat, _delayTime: number): void {
    this.systemOnly();
  }
  /**
   * System API: 202 (801 for system apps).
   * @deprecated since 24 (the SDK's misspelling); use {@link DeviceManager.restoreLocalDeviceName}.
   */
  restoreLocalDeivceName(): void {
    this.systemOnly();
  }
  /** System API: 202 (801 for system apps). */
  restoreLocalDeviceName(): void {
    this.systemOnly();
  }
  /** System API: 202 (801 for system apps), thrown synchronously. */
  getDeviceNetworkIdList(_filterOptions: NetworkIdQueryFilter): Promise<Array<string>> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps). */
  getIdentificationByDeviceIds(_deviceIds: Array<string>): Array<DeviceIdentification> {
    return this.systemOnly();
  }
  /** System API: 202 (801 for system apps). */
  getOsTypeByNetworkId(_networkId: string): number {
    return this.systemOnly();
  }

  private systemOnly(): never {
    const code = this.rt.config.systemApp ? 801 : 202;
    return fail(code, UNIVERSAL_MESSAGES[code]!);
  }

  /**
   * Binds this device with the device `deviceId` (a `DeviceBasicInfo.deviceId` from discovery, or its networkId) so
   * the two trust each other across accounts (harmony-api.md §5; HarmonyOS "Device binding"). colink runs the
   * binding in the security handshake: both devices derive the same 6-digit code from the TLS 1.3 transcript
   * (exporter), each side's {@link DeviceRuntime.confirmBinding} shows it (the PIN dialog; `COLINK_BIND_CONFIRM`),
   * and when both confirm the binding is stored in both trust stores (it survives restarts).
   *
   * `bindParam`: `{ bindType: 1 }` (PIN; colink's code comparison) plus the optional `targetPkgName`, `appName`,
   * `appOperation`, `customDescription`, which only label the request.
   * The callback gets `{ deviceId }` once both confirmed; an already bound or same-account device succeeds at once.
   * @throws BusinessError 401 for a bad `deviceId` (1–255 chars), `bindParam` without a numeric `bindType`, or no
   *   callback; 201 without DISTRIBUTED_DATASYNC.
   *   Through the callback: 11600103 (authentication invalid) when either user declines or the peer does not accept
   *   bindings; 11600101 when the device is unknown, security is off, or the connection fails.
   */
  bindTarget(
    deviceId: string,
    bindParam: Record<string, Object>,
    callback: AsyncCallback<{ deviceId: string }>,
  ): void {
    this.check();
    if (typeof deviceId !== 'string' || deviceId.length < 1 || deviceId.length > 255)
      fail(401, UNIVERSAL_MESSAGES[401]!);
    if (bindParam === null || typeof bindParam !== 'object' || typeof bindParam.bindType !== 'number')
      fail(401, UNIVERSAL_MESSAGES[401]!);
    if (typeof callback !== 'function') fail(401, UNIVERSAL_MESSAGES[401]!);
    const done = (err: BusinessError | undefined): void => {
      if (err) callback(err as never, undefined as never);
      else callback(undefined as never, { deviceId });
    };
    const security = this.rt.security;
    const peer = this.findDevice(deviceId);
    if (!security || !peer) {
      queueMicrotask(() =>
        done(numericCodeError(ERR_FAILED, security ? 'Failed to execute the function.' : 'Security is off.')),
      );
      return;
    }
    const rt = this.rt;
    void (async () => {
      if (security.isBound(peer.networkId)) return;
      // A plain connect first (it returns a Link that is up, or joins one under way): it succeeds when the device is
      // trusted through the account, and one that started before the binding was armed settles before we arm it.
      const trusted = await rt.device.connect(peer.networkId).then(
        () => true,
        () => false,
      );
      if (trusted) return;
      // Arms the binding and dials again: this handshake runs the code comparison.
      await bindDevice(rt.device, security, peer.networkId, (request) => rt.confirmBinding(request));
    })().then(
      () => done(undefined),
      (e: unknown) =>
        done(
          numericCodeError(
            isColinkError(e, ErrorCode.UNTRUSTED) ? ERR_AUTH_INVALID : ERR_FAILED,
            e instanceof Error ? e.message : String(e),
          ),
        ),
    );
  }

  /**
   * Removes the binding with `deviceId` (a `DeviceBasicInfo.deviceId` or networkId) from this device's trust store
   * and closes its Links: the next connect needs the same account or a new binding (harmony-api.md §5).
   * @throws BusinessError 401 for a bad `deviceId`; 201 without DISTRIBUTED_DATASYNC; 11600101 when the device is
   *   not bound.
   */
  unbindTarget(deviceId: string): void {
    this.check();
    if (typeof deviceId !== 'string' || deviceId.length < 1 || deviceId.length > 255)
      fail(401, UNIVERSAL_MESSAGES[401]!);
    const security = this.rt.security;
    const networkId = this.findDevice(deviceId)?.networkId ?? deviceId;
    if (!security?.trustStore?.has(networkId)) fail(ERR_FAILED, 'Failed to execute the function.');
    security!.trustStore!.revoke(networkId).catch((e: unknown) => {
      // The binding is already gone in memory (next connects are refused); only the file kept it.
      process.stderr.write(
        `colink: unbind: could not rewrite the trust store: ${e instanceof Error ? e.message : String(e)}\n`,
      );
    });
    for (const l of this.rt.device.links(networkId)) void l.close(closeReason('normal', 'binding revoked'));
  }

  /** A directory entry by `DeviceBasicInfo.deviceId` or networkId. */
  private findDevice(deviceId: string): DeviceEntry | undefined {
    const dir = this.rt.device.directory;
    return dir.get(deviceId) ?? dir.list().find((d) => basicInfo(d).deviceId === deviceId);
  }

  /** @internal */
  release(): void {
    // Not stopDiscovering(): its checks would refuse a released manager (releaseDeviceManager always threw 11600101).
    this.released = true;
    this.endDiscovery();
    for (const s of this.subs) s.unsubscribe();
    this.listeners.clear();
  }

  private emit(type: Events, payload: unknown): void {
    for (const cb of this.listeners.get(type) ?? []) (cb as Callback<unknown>)(payload);
  }

  private lookup(networkId: string): DeviceEntry {
    this.check();
    if (typeof networkId !== 'string' || networkId.length < 1 || networkId.length > 255)
      fail(401, UNIVERSAL_MESSAGES[401]!);
    const d = this.rt.device.directory.get(networkId);
    if (!d) fail(ERR_FAILED, 'Failed to execute the function.');
    return d!;
  }

  private check(): void {
    if (this.released) fail(ERR_FAILED, 'Failed to execute the function.');
    if (!this.rt.hasPermission('DISTRIBUTED_DATASYNC')) fail(201, UNIVERSAL_MESSAGES[201]!);
  }
}

/** Creates a DeviceManager for `bundleName` (1–255 chars, else 401). */
export function createDeviceManager(bundleName: string): DeviceManager {
  if (typeof bundleName !== 'string' || bundleName.length < 1 || bundleName.length > 255)
    fail(401, UNIVERSAL_MESSAGES[401]!);
  return new DeviceManagerImpl(getRuntime());
}

/** Releases a DeviceManager (401 for anything else). */
export function releaseDeviceManager(deviceManager: DeviceManager): void {
  if (!(deviceManager instanceof DeviceManagerImpl)) fail(401, UNIVERSAL_MESSAGES[401]!);
  (deviceManager as DeviceManagerImpl).release();
}

/**
 * `DeviceManager` (an interface in the SDK): created by {@link createDeviceManager}. Structural: the public members of
 * the class behind it.
 */
export interface DeviceManager extends Omit<DeviceManagerImpl, 'release'> {}
