import type { CollaborateResult, LaunchParam } from './constant.js';
import type { UIAbilityContext } from './context.js';
import type { Want } from './want.js';

/**
 * `UIAbility` of `@kit.AbilityKit`: the base class of an app's abilities. The colink runtime instantiates the
 * default export of an ability's `srcEntry` when a collaboration request for it arrives, sets `context`,
 * `launchWant` and `lastRequestWant`, calls `onCreate` once, then `onCollaborate(wantParam)`.
 */
export class UIAbility {
  /** Set by the runtime before `onCreate`. */
  context!: UIAbilityContext;
  launchWant!: Want;
  lastRequestWant!: Want;

  onCreate(_want: Want, _launchParam: LaunchParam): void {}
  onDestroy(): void | Promise<void> {}
  onForeground(): void {}
  onBackground(): void {}
  onNewWant(_want: Want, _launchParam: LaunchParam): void {}
  /**
   * Called on the peer device when another device's app connects (abilityConnectionManager). `wantParam`
   * carries `'ohos.extra.param.key.supportCollaborateIndex'` → `{ PeerInfo, ConnectOption, 'ohos.dms.collabToken' }`.
   * Abilities that do not override it make the requester's connect fail with PEER_ABILITY_NO_ONCOLLABORATE.
   */
  onCollaborate?(wantParam: Record<string, Object>): CollaborateResult;
}
