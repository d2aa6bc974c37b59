#!/usr/bin/env node
/**
 * `colink-device [appDir]`: runs a HarmonyOS app directory as a device on this machine. Starts the device runtime
 * (configured by COLINK_* environment variables), announces it, and waits for collaboration requests. The abilities'
 * `srcEntry` modules are imported at start, before the `ready` line (`COLINK_PRELOAD_ABILITIES=off`: when the first
 * request arrives), and the connect path is warmed up (`COLINK_WARM_UP=off`: not); each ability is created (`onCreate`)
 * when a request for it arrives. Stops cleanly on SIGINT/SIGTERM (peers see PEER_APP_EXIT).
 * Run with `--import @colink/api-compat/register` for TypeScript sources (the `colink-device` bin does that itself).
 *
 * `colink-device radio <socket>` and `colink-device radio-range <socket> <BLE address> out|in` run a virtual BLE radio
 * for device processes and inject its range fault (`radio-cli.ts`); an app directory named `radio` or
 * `radio-range` is given as `./radio`.
 */
import { register } from 'node:module';
import path from 'node:path';
import { register as registerTsx } from 'tsx/esm/api';
import { acmService } from '../acm/registry.js';
import { installGlobals } from '../globals.js';
import { configure, getRuntime, prepareRuntime } from '../runtime/runtime.js';

const sub = process.argv[2];
if (sub === 'radio' || sub === 'radio-range') {
  const { radioCommand } = await import('./radio-cli.js');
  process.exit(await radioCommand(process.argv.slice(2)));
}

register('../hooks.js', import.meta.url);
registerTsx();
installGlobals();

const dir = process.argv[2];
if (dir) configure({ appDir: path.resolve(dir) });
await prepareRuntime();
const rt = getRuntime();
// abilityConnectionManager must be listening before the first request arrives.
acmService(rt);
await rt.start();
if (rt.config.preloadAbilities) await rt.abilitiesLoaded();
await rt.connectPathWarmed();
process.stdout.write(
  `${JSON.stringify({ event: 'ready', deviceName: rt.config.deviceName, networkId: rt.identity.networkId, abilities: rt.listAbilities() })}\n`,
);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await rt.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
