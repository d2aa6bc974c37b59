/**
 * Conversion between IP address text and the raw bytes rtnetlink carries.
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Formats 4 or 16 address bytes as text (IPv6 in RFC 5952 canonical form); undefined for any other length. */
export function bytesToIp(bytes: Uint8Array | undefined): string | undefined {
  if (bytes === undefined) return undefined;
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The WHATWG URL host serialiser is RFC 5952 compression (longest zero run, lower case).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Parses IPv4 or IPv6 text into 4 or 16 bytes. Throws `TypeError` for anything else. */
export function ipToBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new TypeError(`not an IP address: ${ip}`);
  const [head = '', tail] = ip.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(g, i * 2);
  return out;
}

/** Normalises IP text (IPv6 to canonical form); returns other strings unchanged. */
export function canonicalIp(ip: string): string {
  return isIPv6(ip) && !ip.includes('.') ? (bytesToIp(ipToBytes(ip)) ?? ip) : ip;
}
