/**
 * `getIpNeighTable` (harmony-api.md §3.1, since 22): the kernel's cached neighbour table (ARP / NDP) of the watched
 * namespace, read with `ip -j neigh show` (`ip -n <ns>` when `COLINK_NET_NETNS` is set). Entries without a link-layer
 * address (INCOMPLETE, FAILED) are left out. Nothing is sent on the network.
 * @module
 */
import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { netError } from './errors.js';
import type { NetIpMacInfo } from './types.js';

const run = promisify(execFile);

/** Time limit of the `ip neigh` read, ms. */
export const NEIGH_READ_TIMEOUT_MS = 5_000;

/** Largest `ip -j neigh` output accepted, bytes (about 40 000 entries). */
export const MAX_NEIGH_OUTPUT_BYTES = 8 * 1024 * 1024;

interface IpNeigh {
  readonly dst?: string;
  readonly dev?: string;
  readonly lladdr?: string;
}

/** Reads the neighbour table; rejects 2100003 when `ip` cannot be run or answers nonsense. */
export async function readNeighbours(netns: string | undefined): Promise<NetIpMacInfo[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('ip', [...(netns ? ['-n', netns] : []), '-j', 'neigh', 'show'], {
      timeout: NEIGH_READ_TIMEOUT_MS,
      maxBuffer: MAX_NEIGH_OUTPUT_BYTES,
    }));
  } catch (e) {
    throw netError(2100003, `ip neigh failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  let entries: IpNeigh[];
  try {
    entries = JSON.parse(stdout.trim() === '' ? '[]' : stdout) as IpNeigh[];
  } catch {
    throw netError(2100003, 'ip neigh printed no JSON');
  }
  return entries.flatMap((n) =>
    typeof n.dst === 'string' &&
    typeof n.dev === 'string' &&
    typeof n.lladdr === 'string' &&
    isIP(n.dst) !== 0
      ? [
          {
            ipAddress: { address: n.dst, family: isIP(n.dst) === 6 ? 2 : 1, port: 0 },
            iface: n.dev,
            macAddress: n.lladdr,
          },
        ]
      : [],
  );
}
