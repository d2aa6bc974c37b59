/**
 * Types of `@ohos.distributedDeviceManager` besides `DeviceBasicInfo` (interface_sdk-js
 * `api/@ohos.distributedDeviceManager.d.ts`, commit 2c550ecc4c): the event payloads the ArkTS-static twins name
 * (since 23) and the shapes of the system-only APIs, which answer 202 on Node (801 for system apps).
 * @module
 */
import { forwardOnly } from '../enums.js';

/** `DeviceStateChange` (since 10): what `'deviceStateChange'` reports. */
export enum DeviceStateChange {
  /** Online, not yet usable. */
  UNKNOWN = 0,
  /** Ready (data synced). */
  AVAILABLE = 1,
  /** Offline. */
  UNAVAILABLE = 2,
}
forwardOnly(DeviceStateChange);

/** `StrategyForHeartbeat` (system-only, since 15): the policy of `setHeartbeatPolicy`. */
export enum StrategyForHeartbeat {
  TEMP_STOP_HEARTBEAT = 100,
  START_HEARTBEAT = 101,
}
forwardOnly(StrategyForHeartbeat);

/** `DeviceBasicInfo` (since 10). `deviceType` is the numeric type code as a string. */
export interface DeviceBasicInfo {
  deviceId: string;
  deviceName: string;
  deviceType: string;
  networkId?: string;
}

/** Payload of `'deviceStateChange'` / `onDeviceStateChange` (named since 23). */
export interface DeviceStateChangeResult {
  action: DeviceStateChange;
  device: DeviceBasicInfo;
}
/** Payload of `'discoverSuccess'` / `onDiscoverSuccess` (named since 23). */
export interface DiscoverySuccessResult {
  device: DeviceBasicInfo;
}
/** Payload of `'discoverFailure'` / `onDiscoverFailure` (named since 23). */
export interface DiscoveryFailureResult {
  reason: number;
}
/** Payload of `'deviceNameChange'` / `onDeviceNameChange` (named since 23). */
export interface DeviceNameChangeResult {
  deviceName: string;
}
/** Payload of `'serviceDie'` / `onServiceDie` (named since 23; empty). */
// biome-ignore lint/suspicious/noEmptyInterface: the SDK's ServiceDieData is an empty interface
export interface ServiceDieData {}
/** Payload of the system-only `'replyResult'` (named since 23). */
export interface ReplyResult {
  param: string;
}
/** Result of the ArkTS-static `bindTarget` (since 23). */
export interface BindTargetResult {
  deviceId: string;
}

/** Filter of the system-only `getDeviceProfileInfoList`. */
export interface DeviceProfileInfoFilterOptions {
  isCloud: boolean;
  deviceIdList?: Array<string>;
}
/** A service of a {@link DeviceProfileInfo} (system-only). */
export interface ServiceProfileInfo {
  deviceId: string;
  serviceId: string;
  serviceType: string;
  data?: string;
}
/** A device's profile (system-only). */
export interface DeviceProfileInfo {
  deviceId: string;
  deviceSn: string;
  mac: string;
  model: string;
  deviceType: string;
  manufacturer: string;
  deviceName: string;
  productId: string;
  subProductId?: string;
  sdkVersion: string;
  bleMac: string;
  brMac: string;
  sleMac: string;
  firmwareVersion: string;
  hardwareVersion: string;
  softwareVersion: string;
  protocolType: number;
  setupType: number;
  wiseDeviceId: string;
  wiseUserId: string;
  registerTime: string;
  modifyTime: string;
  shareTime: string;
  isLocalDevice: boolean;
  services?: Array<ServiceProfileInfo>;
  productName?: string;
  internalModel?: string;
}
/** Filter of the system-only `getDeviceIconInfo`. */
export interface DeviceIconInfoFilterOptions {
  productId: string;
  subProductId?: string;
  imageType: string;
  specName: string;
  internalModel?: string;
}
/** A device icon (system-only). */
export interface DeviceIconInfo {
  productId: string;
  subProductId?: string;
  imageType: string;
  specName: string;
  url: string;
  icon: ArrayBuffer;
  internalModel?: string;
}
/** Filter of the system-only `getDeviceNetworkIdList`. */
export interface NetworkIdQueryFilter {
  wiseDeviceId: string;
  onlineStatus: number;
}
/** A device id with its udid (system-only `getIdentificationByDeviceIds`). */
export interface DeviceIdentification {
  deviceId: string;
  udid: string;
}
