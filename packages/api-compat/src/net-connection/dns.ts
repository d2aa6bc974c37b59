/**
 * Name resolution of `@ohos.net.connection`: the app's custom DNS rules (`addCustomDnsRule`, harmony-api.md §3.1),
 * then the net service (system resolver of the default network, or one network's DNS servers).
 * @module
 */
import { isIP } from 'node:net';
import type { NetAddress } from '@colink/net-monitor';
import { requireArg } from './calls.js';
import { netError } from './errors.js';
import { netService } from './service.js';

/** Longest host name. Source: RFC 1035 §2.3.4 (253 characters as text). */
export const MAX_HOST_LENGTH = 253;

/** Most custom DNS rules one app may hold; past it `addCustomDnsRule` fails with 2100001 instead of growing. */
export const MAX_CUSTOM_DNS_RULES = 1024;

/** Host (lower case) → addresses, for this app only. */
const customRules = new Map<string, NetAddress[]>();

/** Adds or replaces the rule for `host`. Throws 401 for wrong types, 2100001 for a bad host or a non-IP. */
export function addRule(host: unknown, ips: unknown): void {
  requireArg(typeof host === 'string', 'host must be a string');
  requireArg(Array.isArray(ips) && ips.every((i) => typeof i === 'string'), 'ip must be an array of strings');
  if (host === '' || host.length > MAX_HOST_LENGTH)
    throw netError(2100001, `invalid host ${JSON.stringify(host)}`);
  const list = ips as string[];
  if (list.length === 0 || !list.every((i) => isIP(i) !== 0))
    throw netError(2100001, 'ip must be a non-empty list of IP addresses');
  const key = host.toLowerCase();
  if (!customRules.has(key) && customRules.size >= MAX_CUSTOM_DNS_RULES)
    throw netError(2100001, `more than ${MAX_CUSTOM_DNS_RULES} custom DNS rules`);
  customRules.set(
    key,
    list.map((address) => ({ address, family: isIP(address) === 6 ? 2 : 1, port: 0 })),
  );
}

/** Removes the rule for `host` (a missing rule is not an error). Throws 401 for a non-string. */
export function removeRule(host: unknown): void {
  requireArg(typeof host === 'string', 'host must be a string');
  customRules.delete(host.toLowerCase());
}

/** First IPv4 address of the custom rule for `host`, or undefined (PAC `dnsResolve`). */
export function ruleAddress(host: string): string | undefined {
  return customRules.get(host.toLowerCase())?.find((a) => a.family === 1)?.address;
}

/** Removes every rule. */
export function clearRules(): void {
  customRules.clear();
}

/**
 * Resolves `host` (`port` 0 in every result): a custom rule wins; otherwise the net service resolves on `netId`
 * (its DNS servers and source address) or, without `netId`, with the system resolver of the watched namespace.
 * Rejects 401 for a non-string host, 2100001 for `""` / over-long hosts / bad family / unknown netId, 2100002 when
 * nothing resolves.
 */
export async function resolve(
  host: unknown,
  family: unknown,
  netId: number | undefined,
): Promise<NetAddress[]> {
  requireArg(typeof host === 'string', 'host must be a string');
  if (family !== 0 && family !== 1 && family !== 2)
    throw netError(2100001, `invalid family ${typeof family === 'number' ? family : `(a ${typeof family})`}`);
  if (host === '' || host.length > MAX_HOST_LENGTH)
    throw netError(2100001, `invalid host ${JSON.stringify(host)}`);
  const rule = customRules.get(host.toLowerCase());
  if (rule) {
    const hits = rule.filter((a) => family === 0 || a.family === family);
    if (hits.length === 0)
      throw netError(2100002, `custom DNS rule for ${host} has no address of family ${family}`);
    return hits.map((a) => ({ ...a }));
  }
  return (await netService().request({ type: 'resolve', host, family, netId })) as NetAddress[];
}
