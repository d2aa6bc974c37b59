/**
 * `connection.NetHandle` (harmony-api.md §3.2, methods §3.1): a network by its netId (0 = no network; live ids ≥ 100)
 * with DNS resolution on that network and socket binding.
 * @module
 */
import type dgram from 'node:dgram';
import type net from 'node:net';
import { MIN_NET_ID } from '@colink/net-monitor';
import type { AsyncCallback } from '../base.js';
import type { TCPSocket } from '../net-socket/tcp.js';
import type { UDPSocket } from '../net-socket/udp.js';
import { bindToNetwork, isBindableSocket } from './bind-socket.js';
import { callOrPromise, requireArg, requirePermission } from './calls.js';
import { resolve } from './dns.js';
import type { FamilyType } from './enums.js';
import { netError } from './errors.js';
import { netService } from './service.js';
import type { NetAddress, QueryOptions } from './types.js';

/** A socket `bindSocket` accepts: HarmonyOS's `socket.TCPSocket | socket.UDPSocket`, or a Node socket. */
export type BindableSocket = TCPSocket | UDPSocket | net.Socket | dgram.Socket;

/** The netId for resolution: 0 (no network) resolves on the default network like HarmonyOS's netId 0. */
const resolveNetId = (netId: number): number | undefined => (netId === 0 ? undefined : netId);

/**
 * A network handle. `JSON.stringify` gives `{"netId":…}` as on HarmonyOS. Methods accept callback and promise forms
 * where HarmonyOS has both; errors are plain `{ code, message }` objects delivered through the callback or the
 * rejection.
 */
export class NetHandle {
  /** Network id: ≥ 100 for a network, 0 for "no network". */
  netId: number;

  constructor(netId: number) {
    this.netId = netId;
  }

  /**
   * Binds a `socket.TCPSocket` (before `connect`), a `socket.UDPSocket` (before or after a wildcard `bind`), a
   * `node:net` Socket (before `connect`) or a `node:dgram` Socket (before or at `bind`) to this network's source
   * address (see `bind-socket.ts` for the routing caveat). Errors: 401 when `socketParam` is not such a
   * socket; 2100001 for netId < 100 (XTS: 0, 53) or a socket already connected / bound elsewhere. A netId ≥ 100 that
   * names no live network is accepted without binding (XTS accepts 200 and 999999).
   */
  bindSocket(socketParam: BindableSocket, callback: AsyncCallback<void>): void;
  bindSocket(socketParam: BindableSocket): Promise<void>;
  bindSocket(socketParam: BindableSocket, callback?: AsyncCallback<void>): Promise<void> | undefined {
    return callOrPromise(callback, async () => {
      requireArg(
        isBindableSocket(socketParam),
        'socketParam must be a socket.TCPSocket, socket.UDPSocket, node:net or node:dgram Socket',
      );
      if (this.netId < MIN_NET_ID) throw netError(2100001, `netId ${this.netId} is not a network`);
      const service = netService();
      await service.ready();
      const network = service.network(this.netId);
      if (network !== undefined) await bindToNetwork(socketParam, network);
    });
  }

  /**
   * Resolves `host` on this network (its DNS servers, queried from its source address; netId 0: the default
   * network's system resolver). Permission INTERNET (201). Errors: 401 non-string host; 2100001 `""`, unknown netId;
   * 2100002 nothing resolved. An IP literal resolves to itself.
   */
  getAddressesByName(host: string, callback: AsyncCallback<Array<NetAddress>>): void;
  getAddressesByName(host: string): Promise<Array<NetAddress>>;
  getAddressesByName(
    host: string,
    callback?: AsyncCallback<Array<NetAddress>>,
  ): Promise<Array<NetAddress>> | undefined {
    return callOrPromise(callback, () => {
      requirePermission('INTERNET');
      return resolve(host, 0, resolveNetId(this.netId));
    });
  }

  /** {@link getAddressesByName} restricted to `option.family` (default `FAMILY_TYPE_ALL`; since 23). */
  getAddressesByNameWithOptions(host: string, option?: QueryOptions): Promise<Array<NetAddress>> {
    return callOrPromise(undefined, () => {
      requirePermission('INTERNET');
      return resolve(host, familyOf(option), resolveNetId(this.netId));
    }) as Promise<Array<NetAddress>>;
  }

  /** The first address {@link getAddressesByName} finds; same errors. */
  getAddressByName(host: string, callback: AsyncCallback<NetAddress>): void;
  getAddressByName(host: string): Promise<NetAddress>;
  getAddressByName(host: string, callback?: AsyncCallback<NetAddress>): Promise<NetAddress> | undefined {
    return callOrPromise(callback, async () => {
      requirePermission('INTERNET');
      const all = await resolve(host, 0, resolveNetId(this.netId));
      return all[0] as NetAddress;
    });
  }
}

/** `QueryOptions.family`, default 0; anything but an object or undefined → 2100001 (checked by `resolve`). */
export function familyOf(option: unknown): FamilyType {
  if (option === undefined || option === null) return 0;
  if (typeof option !== 'object') throw netError(2100001, 'option must be a QueryOptions object');
  return ((option as QueryOptions).family ?? 0) as FamilyType;
}
