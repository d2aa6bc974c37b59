/**
 * `node --import @colink/api-compat/register app.js`: makes HarmonyOS code run on Node.
 * - resolves `@kit.*` and `@ohos.*` imports to api-compat (see `specifiers.ts`);
 * - loads TypeScript files (through tsx);
 * - installs the ArkTS globals `AppStorage` and `getContext`.
 * - prepares the device's security (identity, trust store; `COLINK_SECURITY=off` skips it).
 * The device runtime starts on first use of an API (or with `colink-device`).
 * @module
 */
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';
import { installGlobals } from './globals.js';
import { prepareRuntime } from './runtime/runtime.js';

register('./hooks.js', import.meta.url);
registerTsx();
installGlobals();
// The device's identity and trust store are made asynchronously; Node finishes this module before the app runs.
await prepareRuntime();
