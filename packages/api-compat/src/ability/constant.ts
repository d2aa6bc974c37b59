/**
 * `AbilityConstant` of `@kit.AbilityKit` (`@ohos.app.ability.AbilityConstant`): the enums and launch parameters the
 * ability lifecycle uses. Only what collaboration code reads is modelled.
 * @module
 */

/** Why an ability was launched. */
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
}

/** How the last exit happened. */
export enum LastExitReason {
  UNKNOWN = 0,
  NORMAL = 4,
}

/** The answer of `UIAbility.onCollaborate` (API 18): accept or reject the collaboration. */
export enum CollaborateResult {
  ACCEPT = 0,
  REJECT = 1,
}

/** The API 16 draft's name of {@link CollaborateResult}. */
export { CollaborateResult as OnCollaborateResult };

/** Parameters of `onCreate`. */
export interface LaunchParam {
  launchReason: LaunchReason;
  lastExitReason: LastExitReason;
  lastExitMessage: string;
}
