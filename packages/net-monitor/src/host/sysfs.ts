/**
 * Facts about an interface from sysfs (`/sys/class/net/<if>/`). Inside a namespace agent started with
 * `ip netns exec`, `/sys` is remounted for that namespace, so the same paths describe its interfaces.
 * @module
 */
import { access, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LinkFacts } from './snapshot.js';

/** Root of the per-interface sysfs directories. */
export const SYSFS_NET = '/sys/class/net';

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    // Absent attribute, or EINVAL on read (e.g. `speed` of a link without carrier).
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads the {@link LinkFacts} of interface `name`. Never throws: unreadable facts are undefined/false. */
export async function readLinkFacts(name: string, root: string = SYSFS_NET): Promise<LinkFacts> {
  const dir = join(root, name);
  const [type, uevent, wireless, phy, tunFlags, driver, hasDevice, speed] = await Promise.all([
    readText(join(dir, 'type')),
    readText(join(dir, 'uevent')),
    exists(join(dir, 'wireless')),
    exists(join(dir, 'phy80211')),
    readText(join(dir, 'tun_flags')),
    readlink(join(dir, 'device', 'driver')).then(basename, () => undefined),
    exists(join(dir, 'device')),
    readText(join(dir, 'speed')),
  ]);
  return {
    ...staticFacts(type, uevent, wireless || phy, tunFlags, driver, hasDevice),
    speedMbps: parseSpeed(speed),
  };
}

/** Reads only the `speed` of interface `name` (the one fact that changes while a link lives), in Mbit/s. */
export async function readLinkSpeed(name: string, root: string = SYSFS_NET): Promise<number | undefined> {
  return parseSpeed(await readText(join(root, name, 'speed')));
}

function parseSpeed(speed: string | undefined): number | undefined {
  const mbps = speed === undefined ? undefined : Number(speed);
  return mbps !== undefined && Number.isFinite(mbps) && mbps > 0 ? mbps : undefined;
}

function staticFacts(
  type: string | undefined,
  uevent: string | undefined,
  wireless: boolean,
  tunFlags: string | undefined,
  driver: string | undefined,
  hasDevice: boolean,
): Omit<LinkFacts, 'speedMbps'> {
  const devtype = uevent?.match(/^DEVTYPE=(.*)$/m)?.[1];
  const arpType = type === undefined ? undefined : Number(type);
  return {
    arpType: Number.isInteger(arpType) ? arpType : undefined,
    devtype,
    wireless,
    tunFlags: tunFlags === undefined ? undefined : Number(tunFlags),
    driver,
    hasDevice,
  };
}
