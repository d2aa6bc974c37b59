/**
 * `@ohos.distributedsched.linkEnhance` on Node.js (harmony-api.md §2): named servers and connections addressed by the
 * peer's BLE MAC. Every connection is a channel on the one colink Link between the two devices (whatever medium
 * carries it: BLE, TCP, P2P) — the "multi-channel merging" of HarmonyOS. Errors are `Error`s with numeric codes:
 * 201, 32390200–32390206, 32390300 (§6.2).
 *
 * @example
 * ```ts
 * import { linkEnhance } from '@kit.DistributedServiceKit';
 * const server = linkEnhance.createServer('demo');
 * server.on('connectionAccepted', (c) => c.on('dataReceived', (d) => console.log(d.byteLength)));
 * server.start();
 * ```
 * @module
 */
import { linkEnhanceService } from './link-enhance/registry.js';
import type { Connection as ConnectionImpl, Server as ServerImpl } from './link-enhance/service.js';

export type { ConnectResult } from './link-enhance/service.js';

/**
 * `linkEnhance.Server` (an interface in the SDK): `start`, `stop`, `close`, `on`/`off` `connectionAccepted` /
 * `serverStopped` (+ twins). Structural: the public members of the class behind it, without colink's internals.
 */
export interface Server extends Omit<ServerImpl, 'name' | 'started' | 'listeners' | 'toJSON'> {}

/**
 * `linkEnhance.Connection` (an interface in the SDK): `connect`, `disconnect`, `close`, `getPeerDeviceId`, `sendData`,
 * `on`/`off` `connectResult` / `disconnected` / `dataReceived` (+ twins). Structural: the public members of the class
 * behind it, without colink's internals.
 */
export interface Connection extends Omit<ConnectionImpl, 'listeners' | 'via' | 'toJSON'> {}

/** Creates a server named `name` (1–255 bytes, else 32390206; a live duplicate → 32390203; no permission → 201). */
export function createServer(name: string): Server {
  return linkEnhanceService().createServer(name);
}

/**
 * Creates a connection to server `name` on the device whose BLE MAC is `deviceId` (empty/null/undefined arguments →
 * 32390206; the MAC's syntax is checked by connect(), as on the platform).
 */
export function createConnection(deviceId: string, name: string): Connection {
  return linkEnhanceService().createConnection(deviceId, name);
}
