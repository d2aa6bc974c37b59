/**
 * `socket.MulticastSocket` (since 11) over `node:dgram`: a `UDPSocket` that joins IP multicast groups. As in netstack
 * (`ExecUdpAddMembership`), the group is joined on any interface (`INADDR_ANY`); `addMembership` before `bind` binds
 * the wildcard address on the group's port (shared with other members, SO_REUSEADDR). Errors: an address that is not
 * multicast 2301022 (EINVAL), otherwise as `UDPSocket`.
 * @module
 */
import net from 'node:net';
import type { AsyncCallback } from '../base.js';
import type { NetAddress } from '../net-connection/types.js';
import { ipVersion, requireNetAddress, socketCall } from './common.js';
import { errnoError, requireArg } from './errors.js';
import { type UDPSocket, UdpSocketImpl } from './udp.js';

/** Hop limit of multicast datagrams by default (Linux `IP_MULTICAST_TTL` default, ip(7)). */
export const DEFAULT_MULTICAST_TTL = 1;
/** Largest multicast TTL (8-bit IPv4 TTL field, RFC 791). */
export const MAX_MULTICAST_TTL = 255;

/** A multicast UDP socket (`socket.constructMulticastSocketInstance()`). */
export interface MulticastSocket extends UDPSocket {
  /** Joins the group `multicastAddress.address`; binds `0.0.0.0:port` first when not bound. */
  addMembership(multicastAddress: NetAddress, callback: AsyncCallback<void>): void;
  addMembership(multicastAddress: NetAddress): Promise<void>;
  dropMembership(multicastAddress: NetAddress, callback: AsyncCallback<void>): void;
  dropMembership(multicastAddress: NetAddress): Promise<void>;
  /** TTL 0–255 of sent multicast datagrams (2301022 outside). */
  setMulticastTTL(ttl: number, callback: AsyncCallback<void>): void;
  setMulticastTTL(ttl: number): Promise<void>;
  getMulticastTTL(callback: AsyncCallback<number>): void;
  getMulticastTTL(): Promise<number>;
  /** Whether this host's own members receive what it sends (default true, ip(7)). */
  setLoopbackMode(flag: boolean, callback: AsyncCallback<void>): void;
  setLoopbackMode(flag: boolean): Promise<void>;
  getLoopbackMode(callback: AsyncCallback<boolean>): void;
  getLoopbackMode(): Promise<boolean>;
}

function isMulticast(address: string): boolean {
  if (net.isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239; // 224.0.0.0/4 (RFC 5771)
  }
  return net.isIPv6(address) && address.toLowerCase().startsWith('ff'); // ff00::/8 (RFC 4291)
}

class MulticastSocketImpl extends UdpSocketImpl {
  #ttl = DEFAULT_MULTICAST_TTL;
  #loopback = true;

  addMembership(multicastAddress: NetAddress, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireNetAddress(multicastAddress, 'multicastAddress');
    return socketCall(callback, async () => {
      const group = multicastAddress.address;
      if (!isMulticast(group)) throw errnoError('EINVAL', undefined, `${group} is not a multicast address`);
      const version = ipVersion(multicastAddress);
      if (!this.bound)
        await this.open(version, version === 6 ? '::' : '0.0.0.0', multicastAddress.port ?? 0, true);
      const s = this.sock!;
      s.setMulticastTTL(this.#ttl);
      s.setMulticastLoopback(this.#loopback);
      s.addMembership(group);
    });
  }

  dropMembership(multicastAddress: NetAddress, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireNetAddress(multicastAddress, 'multicastAddress');
    return socketCall(callback, () => {
      if (!isMulticast(multicastAddress.address))
        throw errnoError('EINVAL', undefined, `${multicastAddress.address} is not a multicast address`);
      if (this.sock === undefined || !this.bound) throw errnoError('ENOTSOCK', undefined, 'no membership');
      this.sock.dropMembership(multicastAddress.address);
    });
  }

  setMulticastTTL(ttl: number, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof ttl === 'number', 'ttl must be a number');
    return socketCall(callback, () => {
      if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_MULTICAST_TTL)
        throw errnoError('EINVAL', undefined, `ttl ${ttl} is outside 0–${MAX_MULTICAST_TTL}`);
      this.#ttl = ttl;
      if (this.bound) this.sock?.setMulticastTTL(ttl);
    });
  }

  getMulticastTTL(callback?: AsyncCallback<number>): Promise<number> | undefined {
    return socketCall(callback, () => this.#ttl, { permission: false });
  }

  setLoopbackMode(flag: boolean, callback?: AsyncCallback<void>): Promise<void> | undefined {
    requireArg(typeof flag === 'boolean', 'flag must be a boolean');
    return socketCall(callback, () => {
      this.#loopback = flag;
      if (this.bound) this.sock?.setMulticastLoopback(flag);
    });
  }

  getLoopbackMode(callback?: AsyncCallback<boolean>): Promise<boolean> | undefined {
    return socketCall(callback, () => this.#loopback, { permission: false });
  }
}

/** Creates a multicast UDP socket. */
export function constructMulticastSocketInstance(): MulticastSocket {
  return new MulticastSocketImpl() as unknown as MulticastSocket;
}
