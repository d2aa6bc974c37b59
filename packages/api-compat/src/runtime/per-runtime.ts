import { type DeviceRuntime, getRuntime } from './runtime.js';

/**
 * A service that exists once per device runtime: the returned function gives `rt`'s instance (default: the process
 * runtime), creating it with `create` on first use.
 */
export function perRuntime<T>(create: (rt: DeviceRuntime) => T): (rt?: DeviceRuntime) => T {
  const instances = new WeakMap<DeviceRuntime, T>();
  return (rt = getRuntime()) => {
    let s = instances.get(rt);
    if (s === undefined) {
      s = create(rt);
      instances.set(rt, s);
    }
    return s;
  };
}
