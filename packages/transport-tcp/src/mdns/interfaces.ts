import { BlockList, isIP } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

/**
 * One network interface and IP family discovery runs on: one mDNS socket sends and receives through it (IPv4 group
 * 224.0.0.251, or IPv6 group ff02::fb on the interface's link-local address).
 */
export interface SelectedInterface {
  /** Identity across scans: `name/address`. A changed address makes it a new interface. */
  readonly key: string;
  /** OS interface name (`eth0`, `lo`, `veth1`). */
  readonly name: string;
  /** IP family of this socket. */
  readonly family: 4 | 6;
  /**
   * The address that names the interface to the socket API: its IPv4 address, or `::%name` for IPv6
   * (membership and multicast sending interface).
   */
  readonly socketInterface: string;
  /** The interface's own address of this family (for IPv6 its link-local address). */
  readonly address: string;
  /** Every address of the interface (IPv4 and IPv6, without zone), for A/AAAA records. */
  readonly addresses: readonly string[];
  /** The interface's subnets, to attribute received packets (RFC 6762 §11 on-link check). */
  readonly subnets: BlockList;
  /** True for loopback. */
  readonly internal: boolean;
}

/**
 * Which interfaces to use: IPv4/IPv6 addresses and/or interface names. `undefined` selects every non-loopback
 * interface (the default for real users). A name selects both families; an address only its own family.
 */
export type InterfaceSelection = string | readonly string[] | undefined;

/**
 * Lists the selected interfaces that are up and running now, one entry per family: IPv4 when the interface has an
 * IPv4 address, IPv6 when `ipv6` is set and the interface is not loopback and has a link-local address.
 * (`os.networkInterfaces()` only lists interfaces with IFF_UP and IFF_RUNNING: one whose carrier dropped is gone.)
 */
export function scanInterfaces(selection: InterfaceSelection, ipv6 = true): SelectedInterface[] {
  const wanted = selection === undefined ? undefined : ([] as string[]).concat(selection);
  const result: SelectedInterface[] = [];
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    if (!infos || infos.length === 0) continue;
    const internal = infos.some((i) => i.internal);
    const picked = (i: NetworkInterfaceInfo) =>
      wanted ? wanted.includes(name) || wanted.includes(i.address) : !i.internal;
    const v4 = infos.find((i) => i.family === 'IPv4' && picked(i));
    const v6 = infos.find((i) => i.family === 'IPv6' && isLinkLocal(i.address) && picked(i));
    const subnets = new BlockList();
    for (const i of infos) {
      const [address, prefix] = i.cidr?.split('/') ?? [];
      if (address && prefix)
        subnets.addSubnet(address, Number(prefix), i.family === 'IPv4' ? 'ipv4' : 'ipv6');
    }
    const addresses = infos.map((i) => i.address);
    if (v4) {
      result.push({
        key: `${name}/${v4.address}`,
        name,
        family: 4,
        socketInterface: v4.address,
        address: v4.address,
        addresses,
        subnets,
        internal,
      });
    }
    if (v6 && ipv6 && !internal) {
      result.push({
        key: `${name}/${v6.address}`,
        name,
        family: 6,
        socketInterface: `::%${name}`,
        address: v6.address,
        addresses,
        subnets,
        internal,
      });
    }
  }
  return result;
}

/**
 * True when a packet from `address` belongs to this interface: an IPv4 source on its subnet, an IPv6 source whose
 * zone is this interface (link-local, as Node reports it: `fe80::1%eth0`) or on one of its IPv6 prefixes.
 */
export function isOnLink(iface: SelectedInterface, address: string): boolean {
  const [bare, zone] = address.split('%') as [string, string | undefined];
  const family = isIP(bare);
  if (family !== iface.family) return false;
  if (family === 6 && zone !== undefined) return zone === iface.name;
  return iface.subnets.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** True for an IPv6 link-local address (fe80::/10). */
export function isLinkLocal(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}
