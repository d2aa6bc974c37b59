/**
 * Name resolution: on the default network through the system resolver (`dns.lookup`, getaddrinfo: honours
 * `/etc/hosts` and `/etc/resolv.conf`), or on one network through its own DNS servers with a `dns.Resolver` bound to
 * the network's source address (`setLocalAddress`).
 *
 * Per-network answers really travel through that network only when the server is on-link or a source policy rule
 * routes the source address through it (`ip rule add from <addr> table N` + a default route in table N). Node has no
 * SO_BINDTODEVICE. Source: linux-net.md "Per-network resolution".
 * @module
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { ColinkError, ErrorCode } from '@colink/core';
import type { NetAddress } from './types.js';

/** Which address families to return: 0 = both, 1 = IPv4, 2 = IPv6 (HarmonyOS `FamilyType`, harmony-api.md §3.3). */
export type FamilyType = 0 | 1 | 2;

/** A resolution to run. Without `servers`, the system resolver is used and `localAddress` is ignored. */
export interface ResolveRequest {
  readonly host: string;
  readonly family: FamilyType;
  readonly servers: readonly string[] | undefined;
  readonly localAddress: { readonly ipv4: string | undefined; readonly ipv6: string | undefined } | undefined;
  /** Time limit of one query attempt, in ms. */
  readonly timeoutMs: number;
}

/** Query attempts per server (c-ares `tries`). */
const DNS_TRIES = 2;

/** DNS error codes that mean "the name has no such address" rather than "the lookup failed". */
const NO_ANSWER = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'EAI_NONAME', 'EAI_NODATA']);

function unresolvable(host: string, e: unknown): ColinkError {
  const dnsCode = (e as NodeJS.ErrnoException | undefined)?.code ?? 'ENOTFOUND';
  return new ColinkError(ErrorCode.UNREACHABLE, `cannot resolve ${host} (${dnsCode})`, {
    cause: e,
    detail: { dnsCode, noAnswer: NO_ANSWER.has(dnsCode) },
  });
}

const toAddress = (address: string): NetAddress => ({
  address,
  family: isIP(address) === 6 ? 2 : 1,
  port: 0,
});

/**
 * Resolves `req.host` to addresses (`port` 0). An IP literal resolves to itself. Throws `ColinkError`
 * `ERR_UNREACHABLE` (detail `{ dnsCode, noAnswer }`) when no address is found.
 */
export async function resolveHost(req: ResolveRequest): Promise<NetAddress[]> {
  const { host, family } = req;
  if (isIP(host) !== 0) return [toAddress(host)];
  if (req.servers === undefined) {
    try {
      const all = await dns.lookup(host, {
        all: true,
        family: family === 1 ? 4 : family === 2 ? 6 : 0,
        verbatim: true,
      });
      return dedupe(all.map((a) => a.address));
    } catch (e) {
      throw unresolvable(host, e);
    }
  }
  if (req.servers.length === 0)
    throw unresolvable(host, Object.assign(new Error('no DNS servers'), { code: 'ENOSERVERS' }));
  const resolver = new dns.Resolver({ timeout: req.timeoutMs, tries: DNS_TRIES });
  resolver.setServers([...req.servers]);
  resolver.setLocalAddress(req.localAddress?.ipv4 ?? '0.0.0.0', req.localAddress?.ipv6 ?? '::0');
  const queries: Promise<string[]>[] = [];
  if (family !== 2) queries.push(resolver.resolve4(host));
  if (family !== 1) queries.push(resolver.resolve6(host));
  const results = await Promise.allSettled(queries);
  const found = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  if (found.length > 0) return dedupe(found);
  const failure = results.find(
    (r): r is PromiseRejectedResult => r.status === 'rejected' && !NO_ANSWER.has(r.reason?.code),
  );
  throw unresolvable(
    host,
    (failure ?? (results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined))?.reason,
  );
}

function dedupe(addresses: readonly string[]): NetAddress[] {
  return [...new Set(addresses)].map(toAddress);
}
