import { isIP } from 'node:net';
import { assertArgument } from '@colink/core';

/** A parsed TCP address. `host` has no brackets; an IPv6 zone (`%eth0`) is kept. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses a colink TCP address: `host:port`, `[v6]:port` or `[fe80::1%eth0]:port` (RFC 3986 §3.2.2 bracket notation,
 * RFC 6874 zone). Throws `ERR_INVALID_ARGUMENT` on anything else (missing port, port outside 1-65535, bare IPv6).
 */
export function parseAddress(address: string): HostPort {
  assertArgument(typeof address === 'string' && address.length > 0, 'TCP address must be a non-empty string');
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    assertArgument(close > 1 && address[close + 1] === ':', `TCP address "${address}" must be "[v6]:port"`);
    host = address.slice(1, close);
    portText = address.slice(close + 2);
    assertArgument(isIP(host.split('%')[0]!) === 6, `"${host}" in "${address}" is not an IPv6 address`);
  } else {
    const colon = address.lastIndexOf(':');
    assertArgument(colon > 0, `TCP address "${address}" must be "host:port"`);
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    assertArgument(!host.includes(':'), `IPv6 address "${address}" must be written "[v6]:port"`);
  }
  const port = Number(portText);
  assertArgument(
    /^\d{1,5}$/.test(portText) && port >= 1 && port <= 65_535,
    `port "${portText}" in "${address}" must be 1-65535`,
  );
  return { host, port };
}

/** Formats `host` and `port` as a colink TCP address, bracketing IPv6 and unmapping IPv4-mapped IPv6. */
export function formatAddress(host: string, port: number): string {
  const h = unmapIPv4(host);
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

/** `::ffff:192.0.2.1` → `192.0.2.1` (RFC 4291 §2.5.5.2); other hosts unchanged. */
export function unmapIPv4(host: string): string {
  return host.startsWith('::ffff:') && isIP(host.slice(7)) === 4 ? host.slice(7) : host;
}
