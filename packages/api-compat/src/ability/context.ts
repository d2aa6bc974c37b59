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

/** `common.UIContext` subset used by ArkUI code (`this.getUIContext().getHostContext()`). */
export class UIContext {
  constructor(private readonly host: Context) {}
  getHostContext(): Context {
    return this.host;
  }
}
