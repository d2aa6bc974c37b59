import { type DeviceRuntime, getRuntime } from '../runtime/runtime.js';
import { LinkEnhanceService } from './service.js';

const services = new WeakMap<DeviceRuntime, LinkEnhanceService>();

/** The linkEnhance service of `rt` (default: the process runtime), created on first use. */
export function linkEnhanceService(rt: DeviceRuntime = getRuntime()): LinkEnhanceService {
  let s = services.get(rt);
  if (!s) {
    s = new LinkEnhanceService(rt);
    services.set(rt, s);
  }
  return s;
}
