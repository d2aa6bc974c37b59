/**
 * `resolv.conf(5)` parsing: name servers and search domains.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { MAX_NAMESERVERS } from '../constants.js';
import type { ResolvConf } from './snapshot.js';

/** Default resolver configuration path. */
export const RESOLV_CONF_PATH = '/etc/resolv.conf';

/**
 * Parses resolv.conf text: `nameserver` lines (IP literals only, at most {@link MAX_NAMESERVERS}, zone ids dropped),
 * `search` / `domain` (the last of them wins, as in glibc). Comments start with `#` or `;`.
 */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0] !== undefined) {
      const ip = values[0].split('%')[0]!;
      if (isIP(ip) !== 0 && nameservers.length < MAX_NAMESERVERS) nameservers.push(ip);
    } else if (key === 'search' || key === 'domain') {
      search = values.filter((v) => v !== '');
    }
  }
  return { nameservers, search };
}

/** Reads and parses `path`; a missing file is an empty configuration. */
export async function readResolvConf(path: string = RESOLV_CONF_PATH): Promise<ResolvConf> {
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch {
    return { nameservers: [], search: [] };
  }
}
