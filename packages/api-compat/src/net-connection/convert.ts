/**
 * `@colink/net-monitor` data → the exact HarmonyOS shapes (fresh objects, so callers cannot alter the service's
 * mirror; the Linux route extras `metric` / `table` are dropped).
 * @module
 */
import type * as nm from '@colink/net-monitor';
import type { ConnectionProperties, NetAddress, NetCapabilities, RouteInfo } from './types.js';

const address = (a: nm.NetAddress): NetAddress => ({ address: a.address, family: a.family, port: a.port });

const route = (r: nm.RouteInfo): RouteInfo => ({
  interface: r.interface,
  destination: { address: address(r.destination.address), prefixLength: r.destination.prefixLength },
  gateway: address(r.gateway),
  hasGateway: r.hasGateway,
  isDefaultRoute: r.isDefaultRoute,
  isExcludedRoute: r.isExcludedRoute,
});

/** HarmonyOS `ConnectionProperties` of a network. */
export function toConnectionProperties(p: nm.ConnectionProperties): ConnectionProperties {
  return {
    interfaceName: p.interfaceName,
    domains: p.domains,
    linkAddresses: p.linkAddresses.map((l) => ({
      address: address(l.address),
      prefixLength: l.prefixLength,
    })),
    dnses: p.dnses.map(address),
    routes: p.routes.map(route),
    mtu: p.mtu,
    isIPv4LinkValid: p.isIPv4LinkValid,
    isIPv6LinkValid: p.isIPv6LinkValid,
  };
}

/** HarmonyOS `NetCapabilities` of a network. */
export function toNetCapabilities(c: nm.NetCapabilities): NetCapabilities {
  return {
    linkUpBandwidthKbps: c.linkUpBandwidthKbps,
    linkDownBandwidthKbps: c.linkDownBandwidthKbps,
    networkCap: [...c.networkCap],
    bearerTypes: [...c.bearerTypes],
  };
}

/** HarmonyOS `NetAddress` list from resolution results. */
export function toNetAddresses(list: readonly nm.NetAddress[]): NetAddress[] {
  return list.map(address);
}
