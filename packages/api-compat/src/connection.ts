/**
 * `@ohos.net.connection` on Node.js (harmony-api.md §3): networks, the default network, their capabilities and link
 * properties, change events, DNS and proxy settings, from Linux through `@colink/net-monitor`.
 *
 * Import it as HarmonyOS code does: `import { connection } from '@kit.NetworkKit'` (or `@colink/api-compat`).
 * State comes from one net service per process (a worker thread owning a `NetMonitor`, started on first use; see
 * `net-connection/service.ts` for its `COLINK_NET_*` environment options). Errors are plain `{ code, message }`
 * objects (harmony-api.md §0.2): thrown by synchronous functions, delivered through the callback or the rejection by
 * asynchronous ones — except the argument checks HarmonyOS makes synchronously (noted per function). Permissions
 * are the device runtime's (`COLINK_PERMISSIONS`); missing ones give 201. System APIs throw 202.
 * @module
 */
import { MIN_NET_ID } from '@colink/net-monitor';
import type { AsyncCallback } from './base.js';
import {
  callOrPromise,
  handleNetId,
  requireArg,
  requirePermission,
  systemOnly,
} from './net-connection/calls.js';
import { toConnectionProperties, toNetAddresses, toNetCapabilities } from './net-connection/convert.js';
import { addRule, clearRules, removeRule, resolve } from './net-connection/dns.js';
import type { ConversionProcess, ProtocolType, ProxyMode } from './net-connection/enums.js';
import { NetCap } from './net-connection/enums.js';
import { netError } from './net-connection/errors.js';
import { toAscii, toUnicode } from './net-connection/idna.js';
import { readNeighbours } from './net-connection/neighbours.js';
import { NetConnection as NetConnectionImpl } from './net-connection/net-connection.js';
import { familyOf, NetHandle } from './net-connection/net-handle.js';
import { readPortStates } from './net-connection/port-states.js';
import {
  defaultProxy,
  getPac,
  getPacFile,
  proxyForUrl,
  setAppProxy,
  setPac,
  setPacFile,
} from './net-connection/proxy.js';
import { netService, serviceOptionsFromEnv } from './net-connection/service.js';
import type {
  ConnectionProperties,
  HttpProxy,
  LinkAddress,
  NetAddress,
  NetCapabilities,
  NetIpMacInfo,
  NetPortStatesInfo,
  NetSpecifier,
  ProbeResultInfo,
  QueryOptions,
  TraceRouteInfo,
  TraceRouteOptions,
} from './net-connection/types.js';

export {
  ConversionProcess,
  FamilyType,
  NetBearType,
  NetCap,
  PacketsType,
  ProtocolType,
  ProxyMode,
  Socks5DnsStrategy,
  TcpState,
} from './net-connection/enums.js';
// NetConnection and NetHandle are interfaces in the SDK: their classes are not exported as values.
export type { NetHandle } from './net-connection/net-handle.js';

/**
 * `connection.NetConnection` (an interface in the SDK): what {@link createNetConnection} returns — `on` (and the
 * `onNetBlockStatusChange` / `onNetLost` / `onNetUnavailable` twins), `register`, `unregister`. Structural: the public
 * members of the class behind it.
 */
export interface NetConnection extends Pick<NetConnectionImpl, keyof NetConnectionImpl> {}
export type {
  ConnectionProperties,
  HttpProxy,
  LinkAddress,
  NetAddress,
  NetBlockStatusInfo,
  NetCapabilities,
  NetCapabilityInfo,
  NetConnectionPropertyInfo,
  NetIpMacInfo,
  NetPortStatesInfo,
  NetSpecifier,
  ProbeResultInfo,
  QueryOptions,
  RouteInfo,
  Socks5Proxy,
  TcpNetPortStatesInfo,
  TraceRouteInfo,
  TraceRouteOptions,
  UdpNetPortStatesInfo,
} from './net-connection/types.js';

/** The service, started and with its first state (blocking on the very first call; 2100002 if it cannot start). */
function serviceSync() {
  const s = netService();
  s.readySync();
  return s;
}

async function serviceAsync() {
  const s = netService();
  await s.ready();
  return s;
}

/** The live network of a handle; 2100001 when none (netId 0, < 100, or not alive: XTS 0/23/200/9999999). */
function networkOf(s: ReturnType<typeof netService>, netId: number) {
  const n = s.network(netId);
  if (n === undefined) throw netError(2100001, `no network with netId ${netId}`);
  return n;
}

const handles = (ids: readonly { netId: number }[]): NetHandle[] => ids.map((n) => new NetHandle(n.netId));

// ————————————————————————————————————————————— NetConnection —————————————————————————————————————————————

/**
 * A NetConnection watching the default network (no `netSpecifier`) or every network matching `netSpecifier`.
 * `timeout` (ms, uint32, default 0) is honoured only with a specifier: `netUnavailable` fires when no matching network
 * appeared within it after `register`. Never throws (harmony-api.md §3.1 declares no error): anything but an object as
 * specifier, or a specifier whose `netCapabilities` is not an object, watches the default network; `bearerTypes` /
 * `networkCap` that are not arrays and a `bearerPrivateIdentifier` that is not a string count as absent (match any
 * network); a non-number or out-of-range timeout counts as 0. The specifier is copied: changing it afterwards
 * changes nothing.
 */
export function createNetConnection(netSpecifier?: NetSpecifier, timeout?: number): NetConnection {
  const spec = toNetSpecifier(netSpecifier);
  const ms =
    typeof timeout === 'number' && Number.isInteger(timeout) && timeout > 0 && timeout <= 0xffff_ffff
      ? timeout
      : 0;
  return new NetConnectionImpl(spec, ms);
}

/** A clean copy of a `NetSpecifier` argument (wrong-typed fields dropped), or undefined for the default network. */
function toNetSpecifier(value: unknown): NetSpecifier | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { netCapabilities: caps, bearerPrivateIdentifier: id } = value as Record<string, unknown>;
  if (typeof caps !== 'object' || caps === null) return undefined;
  const { bearerTypes, networkCap } = caps as Record<string, unknown>;
  return {
    netCapabilities: {
      bearerTypes: Array.isArray(bearerTypes) ? [...bearerTypes] : [],
      ...(Array.isArray(networkCap) ? { networkCap: [...networkCap] } : {}),
    },
    ...(typeof id === 'string' ? { bearerPrivateIdentifier: id } : {}),
  };
}

// —————————————————————————————————————————— default network / all networks ——————————————————————————————————————————

/**
 * The default network's handle; netId 0 when there is none (not an error). As on HarmonyOS the default network has
 * NET_CAPABILITY_INTERNET and is not a VPN: when Linux routes through a VPN (or a network without a default route),
 * it is the qualifying network whose default route wins (main table, lowest metric). Permission GET_NETWORK_INFO (201).
 */
export function getDefaultNet(callback: AsyncCallback<NetHandle>): void;
export function getDefaultNet(): Promise<NetHandle>;
export function getDefaultNet(callback?: AsyncCallback<NetHandle>): Promise<NetHandle> | undefined {
  return callOrPromise(callback, async () => {
    requirePermission('GET_NETWORK_INFO');
    return new NetHandle((await serviceAsync()).defaultNetId);
  });
}

/** Synchronous {@link getDefaultNet}; throws 201 / 2100002. */
export function getDefaultNetSync(): NetHandle {
  requirePermission('GET_NETWORK_INFO');
  return new NetHandle(serviceSync().defaultNetId);
}

/** Whether a default network exists. Permission GET_NETWORK_INFO (201). */
export function hasDefaultNet(callback: AsyncCallback<boolean>): void;
export function hasDefaultNet(): Promise<boolean>;
export function hasDefaultNet(callback?: AsyncCallback<boolean>): Promise<boolean> | undefined {
  return callOrPromise(callback, async () => {
    requirePermission('GET_NETWORK_INFO');
    return (await serviceAsync()).defaultNetId !== 0;
  });
}

/** Synchronous {@link hasDefaultNet}; throws 201 / 2100002. */
export function hasDefaultNetSync(): boolean {
  requirePermission('GET_NETWORK_INFO');
  return serviceSync().defaultNetId !== 0;
}

/** Every network (sorted by netId; `[]` when none). Permission GET_NETWORK_INFO (201). */
export function getAllNets(callback: AsyncCallback<Array<NetHandle>>): void;
export function getAllNets(): Promise<Array<NetHandle>>;
export function getAllNets(
  callback?: AsyncCallback<Array<NetHandle>>,
): Promise<Array<NetHandle>> | undefined {
  return callOrPromise(callback, async () => {
    requirePermission('GET_NETWORK_INFO');
    return handles((await serviceAsync()).networks);
  });
}

/** Synchronous {@link getAllNets}; throws 201 / 2100002. */
export function getAllNetsSync(): Array<NetHandle> {
  requirePermission('GET_NETWORK_INFO');
  return handles(serviceSync().networks);
}

/**
 * Whether the default network is metered (lacks NET_CAPABILITY_NOT_METERED); `true` when there is no default network
 * (OpenHarmony netmanager). Permission GET_NETWORK_INFO (201).
 */
export function isDefaultNetMetered(callback: AsyncCallback<boolean>): void;
export function isDefaultNetMetered(): Promise<boolean>;
export function isDefaultNetMetered(callback?: AsyncCallback<boolean>): Promise<boolean> | undefined {
  return callOrPromise(callback, async () => {
    requirePermission('GET_NETWORK_INFO');
    return metered(await serviceAsync());
  });
}

/** Synchronous {@link isDefaultNetMetered}; throws 201 / 2100002. */
export function isDefaultNetMeteredSync(): boolean {
  requirePermission('GET_NETWORK_INFO');
  return metered(serviceSync());
}

function metered(s: ReturnType<typeof netService>): boolean {
  const n = s.network(s.defaultNetId);
  return !n?.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_NOT_METERED);
}

// ——————————————————————————————————————————————— per-network queries ———————————————————————————————————————————————

/**
 * Capabilities of a network. Errors (callback / rejection): 401 for a null/undefined handle, 201 without
 * GET_NETWORK_INFO, 2100001 for a netId naming no live network (0, 23, 200, 9999999 in XTS).
 */
export function getNetCapabilities(netHandle: NetHandle, callback: AsyncCallback<NetCapabilities>): void;
export function getNetCapabilities(netHandle: NetHandle): Promise<NetCapabilities>;
export function getNetCapabilities(
  netHandle: NetHandle,
  callback?: AsyncCallback<NetCapabilities>,
): Promise<NetCapabilities> | undefined {
  return callOrPromise(callback, async () => {
    const netId = handleNetId(netHandle);
    requirePermission('GET_NETWORK_INFO');
    return toNetCapabilities(networkOf(await serviceAsync(), netId).capabilities);
  });
}

/** Synchronous {@link getNetCapabilities}; throws 401 / 201 / 2100001. */
export function getNetCapabilitiesSync(netHandle: NetHandle): NetCapabilities {
  const netId = handleNetId(netHandle);
  requirePermission('GET_NETWORK_INFO');
  return toNetCapabilities(networkOf(serviceSync(), netId).capabilities);
}

/** Link properties of a network; errors as {@link getNetCapabilities}. */
export function getConnectionProperties(
  netHandle: NetHandle,
  callback: AsyncCallback<ConnectionProperties>,
): void;
export function getConnectionProperties(netHandle: NetHandle): Promise<ConnectionProperties>;
export function getConnectionProperties(
  netHandle: NetHandle,
  callback?: AsyncCallback<ConnectionProperties>,
): Promise<ConnectionProperties> | undefined {
  return callOrPromise(callback, async () => {
    const netId = handleNetId(netHandle);
    requirePermission('GET_NETWORK_INFO');
    return toConnectionProperties(networkOf(await serviceAsync(), netId).properties);
  });
}

/** Synchronous {@link getConnectionProperties}; throws 401 / 201 / 2100001. */
export function getConnectionPropertiesSync(netHandle: NetHandle): ConnectionProperties {
  const netId = handleNetId(netHandle);
  requirePermission('GET_NETWORK_INFO');
  return toConnectionProperties(networkOf(serviceSync(), netId).properties);
}

/** Longest network extension attribute, in bytes (no HarmonyOS limit is documented; bounds the stored state). */
const MAX_NET_EXT_ATTRIBUTE_BYTES = 4096;
const extAttributes = new Map<number, string>();

/**
 * Stores an extension attribute for a live network (PC-only on HarmonyOS; kept in this process here). 401 wrong
 * types, 201 without SET_NET_EXT_ATTRIBUTE, 2100001 unknown netId or an attribute over
 * `MAX_NET_EXT_ATTRIBUTE_BYTES`.
 */
export function setNetExtAttribute(netHandle: NetHandle, netExtAttribute: string): Promise<void> {
  return callOrPromise(undefined, async () =>
    setExt(netHandle, netExtAttribute, await serviceAsync()),
  ) as Promise<void>;
}

/** Synchronous {@link setNetExtAttribute}. */
export function setNetExtAttributeSync(netHandle: NetHandle, netExtAttribute: string): void {
  setExt(netHandle, netExtAttribute, undefined);
}

function setExt(netHandle: unknown, attr: unknown, s: ReturnType<typeof netService> | undefined): void {
  const netId = handleNetId(netHandle);
  requireArg(typeof attr === 'string', 'netExtAttribute must be a string');
  requirePermission('SET_NET_EXT_ATTRIBUTE');
  networkOf(s ?? serviceSync(), netId);
  if (Buffer.byteLength(attr) > MAX_NET_EXT_ATTRIBUTE_BYTES)
    throw netError(2100001, `netExtAttribute longer than ${MAX_NET_EXT_ATTRIBUTE_BYTES} bytes`);
  extAttributes.set(netId, attr);
}

/** The extension attribute of a live network (`""` when none). 401, 201 (GET_NETWORK_INFO), 2100001. */
export function getNetExtAttribute(netHandle: NetHandle): Promise<string> {
  return callOrPromise(undefined, async () => getExt(netHandle, await serviceAsync())) as Promise<string>;
}

/** Synchronous {@link getNetExtAttribute}. */
export function getNetExtAttributeSync(netHandle: NetHandle): string {
  return getExt(netHandle, undefined);
}

function getExt(netHandle: unknown, s: ReturnType<typeof netService> | undefined): string {
  const netId = handleNetId(netHandle);
  requirePermission('GET_NETWORK_INFO');
  networkOf(s ?? serviceSync(), netId);
  return extAttributes.get(netId) ?? '';
}

/**
 * Asks for the network to be validated again (browsers call it after a captive-portal login): re-runs the
 * validation probe when `COLINK_NET_PROBE_URL` is set, else a no-op. Errors (callback / rejection): 401 null handle,
 * 201 without GET_NETWORK_INFO + INTERNET, 2101006 for a netId naming no live network (XTS: 0, 50, 9999).
 */
export function reportNetConnected(netHandle: NetHandle, callback: AsyncCallback<void>): void;
export function reportNetConnected(netHandle: NetHandle): Promise<void>;
export function reportNetConnected(
  netHandle: NetHandle,
  callback?: AsyncCallback<void>,
): Promise<void> | undefined {
  return callOrPromise(callback, () => report(netHandle));
}

/** Same as {@link reportNetConnected} (the probe decides the network's state either way). */
export function reportNetDisconnected(netHandle: NetHandle, callback: AsyncCallback<void>): void;
export function reportNetDisconnected(netHandle: NetHandle): Promise<void>;
export function reportNetDisconnected(
  netHandle: NetHandle,
  callback?: AsyncCallback<void>,
): Promise<void> | undefined {
  return callOrPromise(callback, () => report(netHandle));
}

async function report(netHandle: unknown): Promise<void> {
  const netId = handleNetId(netHandle);
  requirePermission('GET_NETWORK_INFO', 'INTERNET');
  const s = await serviceAsync();
  if (s.network(netId) === undefined) throw netError(2101006, `no network with netId ${netId}`);
  await s.request({ type: 'revalidate', netId });
}

// ——————————————————————————————————————————————————————— DNS ———————————————————————————————————————————————————————

/**
 * Resolves `host` on the app's network (`setAppNet`) or the default network (system resolver). Custom DNS rules win.
 * Permission INTERNET. Errors (callback / rejection): 401 non-string host (XTS: `undefined`), 201, 2100001 `""`,
 * 2100002 nothing resolved.
 */
export function getAddressesByName(host: string, callback: AsyncCallback<Array<NetAddress>>): void;
export function getAddressesByName(host: string): Promise<Array<NetAddress>>;
export function getAddressesByName(
  host: string,
  callback?: AsyncCallback<Array<NetAddress>>,
): Promise<Array<NetAddress>> | undefined {
  return callOrPromise(callback, async () => {
    requireArg(typeof host === 'string', 'host must be a string');
    requirePermission('INTERNET');
    return toNetAddresses(await resolve(host, 0, appNetId === 0 ? undefined : appNetId));
  });
}

/** {@link getAddressesByName} restricted to `option.family` (default `FAMILY_TYPE_ALL`; bad family → 2100001). */
export function getAddressesByNameWithOptions(
  host: string,
  option?: QueryOptions,
): Promise<Array<NetAddress>> {
  return callOrPromise(undefined, async () => {
    requireArg(typeof host === 'string', 'host must be a string');
    requirePermission('INTERNET');
    return toNetAddresses(await resolve(host, familyOf(option), appNetId === 0 ? undefined : appNetId));
  }) as Promise<Array<NetAddress>>;
}

/**
 * Maps `host` to `ip` for this app (used by every resolution of this module). Throws 401 synchronously for a
 * null/undefined/non-string host or a non-array `ip` (XTS); then, through callback / rejection: 201 without INTERNET,
 * 2100001 for an empty host or non-IP entries.
 */
export function addCustomDnsRule(host: string, ip: Array<string>, callback: AsyncCallback<void>): void;
export function addCustomDnsRule(host: string, ip: Array<string>): Promise<void>;
export function addCustomDnsRule(
  host: string,
  ip: Array<string>,
  callback?: AsyncCallback<void>,
): Promise<void> | undefined {
  requireArg(typeof host === 'string', 'host must be a string');
  requireArg(Array.isArray(ip), 'ip must be an array of strings');
  return callOrPromise(callback, () => {
    requirePermission('INTERNET');
    addRule(host, ip);
  });
}

/** Removes the rule for `host` (none is fine). 401 thrown for a non-string host; 201 via callback / rejection. */
export function removeCustomDnsRule(host: string, callback: AsyncCallback<void>): void;
export function removeCustomDnsRule(host: string): Promise<void>;
export function removeCustomDnsRule(host: string, callback?: AsyncCallback<void>): Promise<void> | undefined {
  requireArg(typeof host === 'string', 'host must be a string');
  return callOrPromise(callback, () => {
    requirePermission('INTERNET');
    removeRule(host);
  });
}

/** Removes every custom DNS rule. 201 without INTERNET. */
export function clearCustomDnsRules(callback: AsyncCallback<void>): void;
export function clearCustomDnsRules(): Promise<void>;
export function clearCustomDnsRules(callback?: AsyncCallback<void>): Promise<void> | undefined {
  return callOrPromise(callback, () => {
    requirePermission('INTERNET');
    clearRules();
  });
}

/** IDNA ASCII (punycode) form of `host`; 2100001 for an empty / invalid name, a label > 63 bytes or a bad flag. */
export function getDnsAscii(host: string, flag?: ConversionProcess): string {
  return toAscii(host, flag);
}

/** IDNA Unicode form of `host` (`xn--` labels decoded); 2100001 for an empty / invalid name or a bad flag. */
export function getDnsUnicode(host: string, flag?: ConversionProcess): string {
  return toUnicode(host, flag);
}

// ——————————————————————————————————————————————————— app network ———————————————————————————————————————————————————

let appNetId = 0;

/** The network the app is bound to (`setAppNet`); netId 0 when none. */
export function getAppNet(callback: AsyncCallback<NetHandle>): void;
export function getAppNet(): Promise<NetHandle>;
export function getAppNet(callback?: AsyncCallback<NetHandle>): Promise<NetHandle> | undefined {
  return callOrPromise(callback, () => new NetHandle(appNetId));
}

/** Synchronous {@link getAppNet}. */
export function getAppNetSync(): NetHandle {
  return new NetHandle(appNetId);
}

/**
 * Binds the app to a network: this module's name resolution then uses it (sockets are bound per socket with
 * `NetHandle.bindSocket`; Node has no process-wide binding). netId 0 unbinds. A null/undefined handle throws 401
 * synchronously even in callback form (XTS); then via callback / rejection: 201 without INTERNET, 2100001 for a netId
 * below 100 or naming no live network.
 */
export function setAppNet(netHandle: NetHandle, callback: AsyncCallback<void>): void;
export function setAppNet(netHandle: NetHandle): Promise<void>;
export function setAppNet(netHandle: NetHandle, callback?: AsyncCallback<void>): Promise<void> | undefined {
  const netId = handleNetId(netHandle);
  return callOrPromise(callback, async () => {
    requirePermission('INTERNET');
    if (netId === 0) {
      appNetId = 0;
      return;
    }
    if (netId < MIN_NET_ID) throw netError(2100001, `netId ${netId} is not a network`);
    networkOf(await serviceAsync(), netId);
    appNetId = netId;
  });
}

// ——————————————————————————————————————————————————————— proxies ———————————————————————————————————————————————————————

/** The app proxy (`setAppHttpProxy`), else the environment's (`https_proxy`/`http_proxy`/`no_proxy`), else empty. */
export function getDefaultHttpProxy(callback: AsyncCallback<HttpProxy>): void;
export function getDefaultHttpProxy(): Promise<HttpProxy>;
export function getDefaultHttpProxy(callback?: AsyncCallback<HttpProxy>): Promise<HttpProxy> | undefined {
  return callOrPromise(callback, defaultProxy);
}

/** Re-reads and returns the proxy (here: {@link getDefaultHttpProxy}'s). Permission INTERNET (201). */
export function refreshGlobalHttpProxy(): Promise<HttpProxy> {
  return callOrPromise(undefined, () => {
    requirePermission('INTERNET');
    return defaultProxy();
  }) as Promise<HttpProxy>;
}

/** Sets the app proxy; throws 401 (null/undefined/non-object) or 2100001 "Invalid http proxy."; empty host clears. */
export function setAppHttpProxy(httpProxy: HttpProxy): void {
  setAppProxy(httpProxy);
}

/** Stores the PAC script URL (not validated). Throws 401 non-string, 201 without SET_PAC_URL. */
export function setPacUrl(pacUrl: string): void {
  requireArg(typeof pacUrl === 'string', 'pacUrl must be a string');
  requirePermission('SET_PAC_URL');
  setPac(pacUrl);
}

/** The PAC script URL; throws 2100003 when none is set. */
export function getPacUrl(): string {
  return getPac();
}

/**
 * Stores the PAC file URL and enables PAC (`file:` / `data:` scripts load at once, `http(s):` in the background).
 * Throws 401 non-string, 201 without SET_PAC_URL, 2100002 for a bad URL or a script that cannot be loaded.
 */
export function setPacFileUrl(pacFileUrl: string): void {
  requireArg(typeof pacFileUrl === 'string', 'pacFileUrl must be a string');
  requirePermission('SET_PAC_URL');
  setPacFile(pacFileUrl);
}

/** The PAC file URL, `""` when none. */
export function getPacFileUrl(): string {
  return getPacFile();
}

/**
 * The proxy for `url` from the PAC script set with {@link setPacFileUrl}: `FindProxyForURL(url, host)`'s answer
 * (`"PROXY proxy:8080; DIRECT"`, …), `""` without a script or when the script fails. Throws 401 for a non-string.
 * DNS helpers of the script answer from IP literals and custom DNS rules only (see `net-connection/pac.ts`).
 */
export function findProxyForUrl(url: string): string {
  return proxyForUrl(url);
}

// ———————————————————————————————————————————— not available to normal apps ————————————————————————————————————————————

/** Owner uid of a connection: VPN apps only; a colink app is not one → 2100301 (after 201 without GET_NETWORK_INFO). */
export function getConnectOwnerUid(
  protocol: ProtocolType,
  local: NetAddress,
  remote: NetAddress,
): Promise<number> {
  return callOrPromise(undefined, () => getConnectOwnerUidSync(protocol, local, remote)) as Promise<number>;
}

/** Synchronous {@link getConnectOwnerUid}: throws 201, else 2100301. */
export function getConnectOwnerUidSync(
  _protocol: ProtocolType,
  _local: NetAddress,
  _remote: NetAddress,
): number {
  requirePermission('GET_NETWORK_INFO');
  throw netError(2100301, 'this application is not a VPN application');
}

/**
 * The cached neighbour table (ARP / NDP) of the watched namespace: `{ ipAddress, iface, macAddress }` for every entry
 * with a link-layer address. Rejects 201 without GET_NETWORK_INFO + GET_IP_MAC_INFO, 2100003 when it cannot be read.
 */
export function getIpNeighTable(): Promise<Array<NetIpMacInfo>> {
  return callOrPromise(undefined, () => {
    requirePermission('GET_NETWORK_INFO', 'GET_IP_MAC_INFO');
    return readNeighbours(serviceOptionsFromEnv().netns);
  }) as Promise<Array<NetIpMacInfo>>;
}

/**
 * Every TCP and UDP socket of the watched namespace with local / remote address, uid, pid and TCP state (iproute2
 * `ss`). Rejects 201 without GET_IP_MAC_INFO, 2100003 when it cannot be read.
 */
export function getSystemNetPortStates(): Promise<NetPortStatesInfo> {
  return callOrPromise(undefined, () => {
    requirePermission('GET_IP_MAC_INFO');
    return readPortStates(serviceOptionsFromEnv().netns);
  }) as Promise<NetPortStatesInfo>;
}

/**
 * Not available on Node (sends probes off-host): rejects 801 — 201 first without all of INTERNET,
 * ACCESS_NET_TRACE_INFO, LOCATION and APPROXIMATELY_LOCATION (harmony-api.md §3.1).
 */
export function queryTraceRoute(
  _destination: string,
  _option?: TraceRouteOptions,
): Promise<TraceRouteInfo[]> {
  return callOrPromise(undefined, () => {
    requirePermission('INTERNET', 'ACCESS_NET_TRACE_INFO', 'LOCATION', 'APPROXIMATELY_LOCATION');
    throw netError(801, 'connection.queryTraceRoute is not implemented in @colink/api-compat');
  }) as Promise<TraceRouteInfo[]>;
}

/** Not available on Node (sends probes off-host): rejects 801 (201 first without INTERNET). */
export function queryProbeResult(_destination: string, _duration: number): Promise<ProbeResultInfo> {
  return callOrPromise(undefined, () => {
    requirePermission('INTERNET');
    throw netError(801, 'connection.queryProbeResult is not implemented in @colink/api-compat');
  }) as Promise<ProbeResultInfo>;
}

/** System API: throws 202 (801 for a system app). */
export function enableAirplaneMode(_callback?: AsyncCallback<void>): Promise<void> {
  return systemOnly('enableAirplaneMode');
}
/** System API: throws 202 (801 for a system app). */
export function disableAirplaneMode(_callback?: AsyncCallback<void>): Promise<void> {
  return systemOnly('disableAirplaneMode');
}
/** System API: throws 202 (801 for a system app). */
export function setInterfaceUp(_ifaceName: string): Promise<void> {
  return systemOnly('setInterfaceUp');
}
/** System API: throws 202 (801 for a system app). */
export function getGlobalHttpProxy(_callback?: AsyncCallback<HttpProxy>): Promise<HttpProxy> {
  return systemOnly('getGlobalHttpProxy');
}
/** System API: throws 202 (801 for a system app). */
export function setGlobalHttpProxy(_httpProxy: HttpProxy, _callback?: AsyncCallback<void>): Promise<void> {
  return systemOnly('setGlobalHttpProxy');
}
/** System API: throws 202 (801 for a system app). */
export function setProxyMode(_mode: ProxyMode): Promise<void> {
  return systemOnly('setProxyMode');
}
/** System API: throws 202 (801 for a system app). */
export function getProxyMode(): Promise<ProxyMode> {
  return systemOnly('getProxyMode');
}
/** System API: throws 202 (801 for a system app). */
export function factoryReset(): Promise<void> {
  return systemOnly('factoryReset');
}
/** System API: throws 202 (801 for a system app). */
export function createVlanInterface(_ifName: string, _vlanId: number): Promise<void> {
  return systemOnly('createVlanInterface');
}
/** System API: throws 202 (801 for a system app). */
export function destroyVlanInterface(_ifName: string, _vlanId: number): Promise<void> {
  return systemOnly('destroyVlanInterface');
}
/** System API: throws 202 (801 for a system app). */
export function addVlanIp(_ifName: string, _vlanId: number, _address: LinkAddress): Promise<void> {
  return systemOnly('addVlanIp');
}
/** System API: throws 202 (801 for a system app). */
export function deleteVlanIp(_ifName: string, _vlanId: number, _address: LinkAddress): Promise<void> {
  return systemOnly('deleteVlanIp');
}
