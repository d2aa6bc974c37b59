import { type Connection, type LinkEnhanceHost, LinkEnhanceService, type Server } from './service.js';

export type { LinkEnhanceHost } from './service.js';

/** linkEnhance's two factories, bound to one device. */
export interface LinkEnhanceApi {
  /** `linkEnhance.createServer` on this device (same codes: 32390203 duplicate, 32390206 bad name, 201). */
  createServer(name: string): Server;
  /** `linkEnhance.createConnection` from this device to the device whose BLE MAC is `deviceId`. */
  createConnection(deviceId: string, name: string): Connection;
}

const services = new WeakMap<LinkEnhanceHost, LinkEnhanceService>();

/**
 * linkEnhance (harmony-api.md §2) on a device of your own instead of the process's runtime: several in-process
 * devices (a lab, a test) each get their own servers and connections. The host must stay the same object for one
 * device (its service is created once per host and registers the device's linkEnhance channel handler).
 *
 * @example
 * ```ts
 * const le = linkEnhanceOn({ device, bleMac: 'AA:BB:CC:DD:EE:01', start: () => device.start(), hasPermission: () => true });
 * le.createServer('demo').start();
 * ```
 */
export function linkEnhanceOn(host: LinkEnhanceHost): LinkEnhanceApi {
  let service = services.get(host);
  if (!service) {
    service = new LinkEnhanceService(host);
    services.set(host, service);
  }
  const s = service;
  return {
    createServer: (name) => s.createServer(name),
    createConnection: (deviceId, name) => s.createConnection(deviceId, name),
  };
}
