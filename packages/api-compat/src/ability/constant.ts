/**
 * `AbilityConstant` of `@kit.AbilityKit` (`@ohos.app.ability.AbilityConstant`): the enums and launch parameters of
 * the ability lifecycle, with every member and value of the SDK declaration (interface_sdk-js
 * `api/@ohos.app.ability.AbilityConstant.d.ts`, commit 2c550ecc4c). Enums are TypeScript `enum`s whose run-time
 * objects map name → value only (see `enums.ts`).
 * @module
 */
import { forwardOnly } from '../enums.js';

/** Why an ability was launched (`LaunchParam.launchReason`; since 9, PRELOAD since 20). */
export enum LaunchReason {
  UNKNOWN = 0,
  START_ABILITY = 1,
  CALL = 2,
  CONTINUATION = 3,
  APP_RECOVERY = 4,
  SHARE = 5,
  AUTO_STARTUP = 8,
  INSIGHT_INTENT = 9,
  PREPARE_CONTINUATION = 10,
  PRELOAD = 11,
}
forwardOnly(LaunchReason);

/** How the app's last run ended (`LaunchParam.lastExitReason`; since 9). `ABILITY_NOT_RESPONDING` is deprecated since 10 (use `APP_FREEZE`). */
export enum LastExitReason {
  UNKNOWN = 0,
  ABILITY_NOT_RESPONDING = 1,
  NORMAL = 2,
  CPP_CRASH = 3,
  JS_ERROR = 4,
  APP_FREEZE = 5,
  PERFORMANCE_CONTROL = 6,
  RESOURCE_CONTROL = 7,
  UPGRADE = 8,
  USER_REQUEST = 9,
  SIGNAL = 10,
}
forwardOnly(LastExitReason);

/** The answer of `UIAbility.onContinue` (since 9). */
export enum OnContinueResult {
  AGREE = 0,
  REJECT = 1,
  MISMATCH = 2,
}
forwardOnly(OnContinueResult);

/** The level of `UIAbility.onMemoryLevel` (since 9; the BACKGROUND_* levels since 24). */
export enum MemoryLevel {
  MEMORY_LEVEL_MODERATE = 0,
  MEMORY_LEVEL_LOW = 1,
  MEMORY_LEVEL_CRITICAL = 2,
  MEMORY_LEVEL_UI_HIDDEN = 3,
  MEMORY_LEVEL_BACKGROUND_MODERATE = 4,
  MEMORY_LEVEL_BACKGROUND_LOW = 5,
  MEMORY_LEVEL_BACKGROUND_CRITICAL = 6,
}
forwardOnly(MemoryLevel);

/** The window mode an ability starts in (since 12; UNDEFINED and FLOATING are system-only members, SPLIT since 26.0.0). */
export enum WindowMode {
  WINDOW_MODE_UNDEFINED = 0,
  WINDOW_MODE_FULLSCREEN = 1,
  WINDOW_MODE_SPLIT_PRIMARY = 100,
  WINDOW_MODE_SPLIT_SECONDARY = 101,
  WINDOW_MODE_FLOATING = 102,
  WINDOW_MODE_SPLIT = 105,
}
forwardOnly(WindowMode);

/** The answer of `UIAbility.onSaveState` (since 9). */
export enum OnSaveResult {
  ALL_AGREE = 0,
  CONTINUATION_REJECT = 1,
  CONTINUATION_MISMATCH = 2,
  RECOVERY_AGREE = 3,
  RECOVERY_REJECT = 4,
  ALL_REJECT = 5,
}
forwardOnly(OnSaveResult);

/** Why `UIAbility.onSaveState` is called (since 9). */
export enum StateType {
  CONTINUATION = 0,
  APP_RECOVERY = 1,
}
forwardOnly(StateType);

/** Whether an ability can be continued (`setMissionContinueState`; since 10). */
export enum ContinueState {
  ACTIVE = 0,
  INACTIVE = 1,
}
forwardOnly(ContinueState);

/** The answer of `UIAbility.onCollaborate` (API 18): accept or reject the collaboration. */
export enum CollaborateResult {
  ACCEPT = 0,
  REJECT = 1,
}
forwardOnly(CollaborateResult);

/**
 * The API 16 draft's name of {@link CollaborateResult} (`onCollaborate(): AbilityConstant.OnCollaborateResult` in the
 * API 16 guide; renamed before any release). Kept so that generation's code runs.
 */
export { CollaborateResult as OnCollaborateResult };

/** The answer of `AbilityStage.onPrepareTermination` (since 15). */
export enum PrepareTermination {
  TERMINATE_IMMEDIATELY = 0,
  CANCEL = 1,
}
forwardOnly(PrepareTermination);

/** `REASON_MESSAGE_DESKTOP_SHORTCUT` (since 20): `launchReasonMessage` of a start from a desktop shortcut. */
export const REASON_MESSAGE_DESKTOP_SHORTCUT = 'ReasonMessage_DesktopShortcut';

/** `LastExitDetailInfo` (since 18): details of how the app's process last exited. */
export interface LastExitDetailInfo {
  pid: number;
  processName: string;
  uid: number;
  exitSubReason: number;
  exitMsg: string;
  /** Resident set size at exit, KiB. */
  rss: number;
  /** Proportional set size at exit, KiB. */
  pss: number;
  /** Exit time, ms since the epoch. */
  timestamp: number;
  /** `appManager.ProcessState` of the process when it exited (since 20). */
  processState?: number;
  killReason?: string;
}

/** Parameters of `onCreate` / `onNewWant`. */
export interface LaunchParam {
  launchReason: LaunchReason;
  launchReasonMessage?: string;
  lastExitReason: LastExitReason;
  lastExitMessage: string;
  lastExitDetailInfo?: LastExitDetailInfo;
  /** Launch time, ms since the epoch (UTC) (since 23). */
  launchUTCTime?: number;
  /** Launch time, ms of system uptime (since 23). */
  launchUptime?: number;
}
