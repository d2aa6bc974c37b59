/**
 * Matching a network against a HarmonyOS `NetSpecifier` (harmony-api.md §3.2): the request an api-compat
 * `createNetConnection(netSpecifier)` watches for.
 * @module
 */
import type { NetBearType, NetCap, Network } from './types.js';

/** The part of a HarmonyOS `NetSpecifier` that can be matched on Linux. */
export interface NetSpecifierLike {
  readonly netCapabilities: {
    readonly bearerTypes?: readonly NetBearType[];
    readonly networkCap?: readonly NetCap[];
  };
  /** Cellular slot (`slot0`) or registered WLAN hotspot: compared with the interface name here. */
  readonly bearerPrivateIdentifier?: string;
}

/**
 * True when `network` satisfies `spec`: its bearer is one of `bearerTypes` (any when empty or absent), it has every
 * capability of `networkCap`, and, when given, `bearerPrivateIdentifier` equals its interface name.
 */
export function matchesNetSpecifier(network: Network, spec: NetSpecifierLike): boolean {
  const { bearerTypes = [], networkCap = [] } = spec.netCapabilities;
  const bearerOk =
    bearerTypes.length === 0 || network.capabilities.bearerTypes.some((b) => bearerTypes.includes(b));
  const capsOk = networkCap.every((c) => network.capabilities.networkCap.includes(c));
  const idOk =
    spec.bearerPrivateIdentifier === undefined || spec.bearerPrivateIdentifier === network.interfaceName;
  return bearerOk && capsOk && idOk;
}
