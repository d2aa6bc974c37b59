import { UIContext } from './ability/context.js';
import { getRuntime } from './runtime/runtime.js';

/**
 * What an ArkUI `struct` becomes on Node (see `ets.ts`): a class with the component methods app logic calls. There is
 * no UI: `build()` is emptied by the loader, lifecycle hooks are plain methods the app may call.
 */
export class ArkUIComponent {
  /** `this.getUIContext()`: its `getHostContext()` is the device runtime's default UIAbilityContext. */
  getUIContext(): UIContext {
    return new UIContext(getRuntime().defaultContext());
  }
  aboutToAppear(): void {}
  aboutToDisappear(): void {}
  build(): void {}
}
