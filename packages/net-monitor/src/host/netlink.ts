/**
 * rtnetlink through the npm `netlink` package (N-API addon, prebuilt linux x64/arm64 binaries): full dumps of
 * links, addresses and routes, kernel route lookups, and multicast change notifications.
 * @module
 */
import { createRequire } from 'node:module';
import type * as NetlinkModule from 'netlink';
import { type Observable, Subject } from 'rxjs';
import { bytesToIp, ipToBytes } from './ip-bytes.js';
import {
  type KernelState,
  OPERSTATES,
  type RawAddress,
  type RawLink,
  type RawRoute,
  type RouteLookup,
  scopeName,
} from './snapshot.js';

type Netlink = typeof NetlinkModule;
type RtSocket = ReturnType<Netlink['createRtNetlink']>;

/** rtnetlink multicast groups a monitor joins (`rtnetlink.h` RTNLGRP_*). */
export const RTNL_GROUPS = ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR', 'IPV4_ROUTE', 'IPV6_ROUTE'] as const;

/** AF_INET / AF_INET6 as rtnetlink writes them. */
const AF_INET = 2;
const AF_INET6 = 10;

let cached: { module: Netlink } | { error: Error } | undefined;

/**
 * Loads the `netlink` addon once. Returns the module, or the reason it cannot load (no prebuilt binary for this
 * platform, ABI mismatch, not Linux).
 */
export function loadNetlink(): { module: Netlink } | { error: Error } {
  if (cached === undefined) {
    try {
      // A CommonJS N-API addon: `require` keeps loading synchronous and lets callers fall back on failure.
      cached = { module: createRequire(import.meta.url)('netlink') as Netlink };
    } catch (e) {
      cached = { error: e instanceof Error ? e : new Error(String(e)) };
    }
  }
  return cached;
}

function requireNetlink(): Netlink {
  const loaded = loadNetlink();
  if ('error' in loaded) throw loaded.error;
  return loaded.module;
}

/** Parses the nested IFLA_LINKINFO attribute (left unparsed by the package) for IFLA_INFO_KIND (type 1). */
export function linkInfoKind(linkinfo: Uint8Array | undefined): string | undefined {
  if (linkinfo === undefined) return undefined;
  const buf = Buffer.from(linkinfo.buffer, linkinfo.byteOffset, linkinfo.byteLength);
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    if (len < 4) return undefined;
    if (type === 1) return buf.toString('utf8', off + 4, off + len).replace(/\0+$/, '');
    off += (len + 3) & ~3;
  }
  return undefined;
}

function familyOf(af: number | undefined): 4 | 6 | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

/** Reads kernel state with rtnetlink dumps (about 1 ms for links + addresses + routes). */
export class NetlinkReader {
  readonly kind = 'netlink' as const;
  readonly #socket: RtSocket;

  constructor() {
    this.#socket = requireNetlink().createRtNetlink();
  }

  /** Dumps links, addresses and routes and looks up the route to each of `lookupTargets`. */
  async read(lookupTargets: readonly string[]): Promise<KernelState> {
    const s = this.#socket;
    // One request at a time: the package keeps a single multipart reassembly buffer per socket, so concurrent
    // dumps interleave ("Multipart message not terminated properly").
    const links = await s.getLinks();
    const addrs = await s.getAddresses();
    const routes = await s.getRoutes();
    const lookups: (RouteLookup | undefined)[] = [];
    for (const t of lookupTargets) lookups.push(await this.#lookup(t));
    return {
      links: links.map(toLink).filter((l): l is RawLink => l !== undefined),
      addresses: addrs.map(toAddress).filter((a): a is RawAddress => a !== undefined),
      routes: routes.map(toRoute).filter((r): r is RawRoute => r !== undefined),
      lookups: lookups.filter((l): l is RouteLookup => l !== undefined),
    };
  }

  async #lookup(target: string): Promise<RouteLookup | undefined> {
    const dst = ipToBytes(target);
    const family = dst.length === 4 ? 4 : 6;
    try {
      const [r] = await this.#socket.getRoute({ family: family === 4 ? AF_INET : AF_INET6 }, { dst });
      if (r === undefined) return undefined;
      return {
        family,
        oif: r.attrs.oif,
        prefsrc: bytesToIp(r.attrs.prefsrc),
        gateway: bytesToIp(r.attrs.gateway),
      };
    } catch {
      // ENETUNREACH / EHOSTUNREACH: no route for this family.
      return undefined;
    }
  }

  close(): void {
    this.#socket.socket.close();
  }
}

/** An rtnetlink link message as the `netlink` package parses it. */
export type LinkMessage = Awaited<ReturnType<RtSocket['getLinks']>>[number];
/** An rtnetlink address message as the `netlink` package parses it. */
export type AddressMessage = Awaited<ReturnType<RtSocket['getAddresses']>>[number];
/** An rtnetlink route message as the `netlink` package parses it. */
export type RouteMessage = Awaited<ReturnType<RtSocket['getRoutes']>>[number];

/** A link message as a {@link RawLink}; undefined without an index or a name. @internal (exported for the fuzz targets) */
export function toLink(m: LinkMessage): RawLink | undefined {
  const { data, attrs } = m;
  if (data.index === undefined || attrs.ifname === undefined) return undefined;
  const flags = data.flags ?? {};
  return {
    index: data.index,
    name: attrs.ifname,
    up: flags.up === true,
    lowerUp: flags.lowerUp === true,
    loopback: flags.loopback === true,
    operstate: OPERSTATES[attrs.operstate ?? 0] ?? 'unknown',
    mtu: attrs.mtu ?? 0,
    kind: linkInfoKind(attrs.linkinfo as Uint8Array | undefined),
  };
}

/** An address message as a {@link RawAddress}; undefined for other families or without an address. @internal */
export function toAddress(m: AddressMessage): RawAddress | undefined {
  const { data, attrs } = m;
  const family = familyOf(data.family);
  if (family === undefined || data.index === undefined) return undefined;
  // IFA_LOCAL is the own address on point-to-point links, where IFA_ADDRESS is the peer.
  const address = bytesToIp(attrs.local ?? attrs.address);
  if (address === undefined) return undefined;
  const flags = { ...data.flags, ...attrs.flags };
  return {
    index: data.index,
    family,
    address,
    prefixLength: data.prefixlen ?? 0,
    scope: scopeName(data.scope ?? 0),
    tentative: flags.tentative === true,
    dadFailed: flags.dadfailed === true,
    deprecated: flags.deprecated === true,
  };
}

/** A route message as a {@link RawRoute}; undefined for other families. @internal */
export function toRoute(m: RouteMessage): RawRoute | undefined {
  const { data, attrs } = m;
  const family = familyOf(data.family);
  if (family === undefined) return undefined;
  const unspecified = family === 4 ? '0.0.0.0' : '::';
  return {
    family,
    table: attrs.table ?? data.table ?? 0,
    type: String(data.type ?? 'unicast').toLowerCase(),
    dst: bytesToIp(attrs.dst) ?? unspecified,
    dstLength: data.dstLen ?? 0,
    gateway: bytesToIp(attrs.gateway),
    oif: attrs.oif,
    metric: attrs.priority ?? 0,
    prefsrc: bytesToIp(attrs.prefsrc),
    linkDown: (data.flags as Record<string, unknown> | undefined)?.linkdown === true,
  };
}

/**
 * Change notifications from rtnetlink multicast groups {@link RTNL_GROUPS}. Emits once per received datagram; the
 * payload is deliberately ignored (state is always re-read).
 */
export class NetlinkSource {
  readonly kind = 'netlink' as const;
  readonly #socket: RtSocket;
  readonly #changes = new Subject<void>();
  readonly changes: Observable<void> = this.#changes.asObservable();

  /** Opens the socket and joins the groups; throws when the addon or the socket is unavailable. */
  constructor() {
    const nl = requireNetlink();
    // ref: true keeps the event loop alive while the monitor runs, like a listening server.
    this.#socket = nl.createRtNetlink({ ref: true } as Parameters<Netlink['createRtNetlink']>[0]);
    for (const g of RTNL_GROUPS) this.#socket.addMembership(g);
    // The raw socket event: no parsing cost, and unparseable messages still count as a change.
    this.#socket.socket.on('message', () => this.#changes.next());
    // ENOBUFS: the kernel dropped notifications (receive buffer overrun). State is re-read anyway, so that is
    // just one more change; any other socket error ends the source.
    this.#socket.socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOBUFS') this.#changes.next();
      else this.#changes.error(e);
    });
  }

  close(): void {
    this.#socket.socket.close();
    this.#changes.complete();
  }
}
