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
 * Loads the identity from `<stateDir>/identity.json`, creating it (mode 0600, atomic rename) on first use, so
 * networkId and udid stay stable across restarts.
 */
export function loadIdentity(stateDir: string): DeviceIdentity {
  const file = path.join(stateDir, 'identity.json');
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as DeviceIdentity;
    if (/^[0-9a-f]{64}$/.test(j.networkId) && typeof j.udid === 'string') return j;
  } catch {
    // first start: create below
  }
  const udid = randomBytes(32).toString('hex').toUpperCase();
  const identity: DeviceIdentity = {
    networkId: createHash('sha256').update(`colink-network-id:${udid}`).digest('hex'),
    udid,
  };
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return identity;
}
