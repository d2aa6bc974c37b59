import os from 'node:os';
import path from 'node:path';

/** `AbilityInfo` subset: who the ability is. */
export interface AbilityInfo {
  readonly bundleName: string;
  readonly moduleName: string;
  readonly name: string;
}

/** `ApplicationInfo` subset. */
export interface ApplicationInfo {
  readonly name: string;
}

/**
 * `common.Context` (`@ohos.app.ability.common`): the app's files and identity. On Node the directories live under the
 * device's state directory (`COLINK_STATE_DIR`).
 */
export class Context {
  /** `BaseContext.stageMode`: always `true` (colink runs the stage model only). */
  readonly stageMode: boolean = true;
  readonly applicationInfo: ApplicationInfo;
  readonly filesDir: string;
  readonly cacheDir: string;
  readonly tempDir: string;

  constructor(bundleName: string, stateDir: string = path.join(os.tmpdir(), 'colink')) {
    this.applicationInfo = { name: bundleName };
    this.filesDir = path.join(stateDir, 'app', bundleName, 'files');
    this.cacheDir = path.join(stateDir, 'app', bundleName, 'cache');
    this.tempDir = path.join(stateDir, 'app', bundleName, 'temp');
  }
}

/** `common.UIAbilityContext`: the context of one UIAbility. */
export class UIAbilityContext extends Context {
  readonly abilityInfo: AbilityInfo;

  constructor(info: AbilityInfo, stateDir?: string) {
    super(info.bundleName, stateDir);
    this.abilityInfo = info;
  }
}

/**
 * Marks ability contexts across copies of this module (a process may load both the source and the built file): the
 * value behind {@link isAbilityContext}.
 */
const ABILITY_CONTEXT = Symbol.for('@colink/api-compat.UIAbilityContext');
Object.defineProperty(UIAbilityContext.prototype, ABILITY_CONTEXT, { value: true });

/**
 * Whether `value` is the context of an ability (`UIAbilityContext`), as HarmonyOS APIs that need one check (e.g.
 * abilityConnectionManager converts its `context` argument to an AbilityContext and answers 401 when it cannot).
 * @internal
 */
export function isAbilityContext(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[ABILITY_CONTEXT] === true
  );
}

/** `common.UIContext` subset used by ArkUI code (`this.getUIContext().getHostContext()`). */
export class UIContext {
  constructor(private readonly host: Context) {}
  getHostContext(): Context {
    return this.host;
  }
}
