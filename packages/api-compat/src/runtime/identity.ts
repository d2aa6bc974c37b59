import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** This device's persistent identifiers. */
export interface DeviceIdentity {
  /** 64 hex chars; what peers address the device by (distributedDeviceManager networkId). */
  readonly networkId: string;
  /** The device's unique id (never shown to apps; `getLocalDeviceId` hashes it). */
  readonly udid: string;
}

/**
 * Loads the identity from `<stateDir>/identity.json`, creating it on first use so networkId and udid stay stable
 * across restarts. The file (mode 0600) is written to a temporary name, fsynced, then linked into place, which fails
 * if another process created it first — then that process's identity is used: two devices started on one state
 * directory at once still agree on one identity, and a crash never leaves a half-written file.
 * @throws Error when the state directory cannot be created or written.
 */
export function loadIdentity(stateDir: string): DeviceIdentity {
  const file = path.join(stateDir, 'identity.json');
  const existing = readIdentity(file);
  if (existing) return existing;
  const udid = randomBytes(32).toString('hex').toUpperCase();
  const identity: DeviceIdentity = {
    networkId: createHash('sha256').update(`colink-network-id:${udid}`).digest('hex'),
    udid,
  };
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(identity, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    publishExclusive(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const winner = readIdentity(file);
    if (!winner) throw new Error(`${file} exists but is not a colink identity`);
    return winner;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  syncDir(stateDir);
  return identity;
}

/**
 * Puts `tmp` in place as `file` unless `file` exists (EEXIST then): a hard link, or — on filesystems without hard
 * links (vfat, exFAT, some FUSE/SMB mounts) — an exclusive copy.
 */
function publishExclusive(tmp: string, file: string): void {
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
    fs.copyFileSync(tmp, file, fs.constants.COPYFILE_EXCL);
  }
}

/** The identity stored in `file`, or undefined when there is none (or it is not one). */
function readIdentity(file: string): DeviceIdentity | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    // An empty file is what an older, unsynced writer leaves after a power loss: treat it as no identity yet.
    if (text.trim() === '') {
      fs.rmSync(file, { force: true });
      return undefined;
    }
    const j = JSON.parse(text) as DeviceIdentity;
    if (/^[0-9a-f]{64}$/.test(j.networkId) && typeof j.udid === 'string') return j;
  } catch {
    // missing or unreadable: created by the caller
  }
  return undefined;
}

/** fsyncs a directory so a new entry in it survives a crash (best effort: not every filesystem allows it). */
function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // e.g. EISDIR/EINVAL on filesystems without directory fsync
  }
}
