import { type DeviceRuntime, getRuntime } from '../runtime/runtime.js';
import { AbilityConnectionService } from './service.js';

const services = new WeakMap<DeviceRuntime, AbilityConnectionService>();

/**
 * The abilityConnectionManager service of `rt` (default: the process runtime), created on first use. Creating it
 * subscribes the runtime's collaboration requests, so a device that only accepts (colink-device) calls it at start.
 */
export function acmService(rt: DeviceRuntime = getRuntime()): AbilityConnectionService {
  let s = services.get(rt);
  if (!s) {
    s = new AbilityConnectionService(rt);
    services.set(rt, s);
  }
  return s;
}
