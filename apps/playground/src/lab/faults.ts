import { closeReason, type Link } from '@colink/core';
import type { LabDevices } from './devices.js';
import type { LabJournal } from './journal.js';

/**
 * Links on request and the faults the lab injects: a Link over a chosen medium, a dropped Link, a device out of
 * BLE range (its adverts lost, connections refused, its BLE links dropped) and back, a device killed and restarted.
 */
export class LabFaults {
  constructor(
    private readonly devices: LabDevices,
    private readonly journal: LabJournal,
  ) {}

  /** `from` opens a Link to `to` over `medium`. @throws Error when `from` is not running or the connect fails. */
  async openLink(from: string, to: string, medium: string): Promise<void> {
    const d = this.devices.running(from);
    const link = await d.device.connect(to, { medium });
    this.journal.log('link', `${d.name} opened a ${link.medium} link to ${this.devices.name(to)}`, from);
  }

  /** Drops Link `id` as if its medium lost it (both ends see `lost`). @throws Error `no such link`. */
  dropLink(id: string): void {
    const found = this.devices.links().find((l) => l.link.id === id);
    if (!found) throw new Error('no such link');
    this.cut(found.link);
  }

  /** Drops `link` (of any lab device) as if its medium lost it: both ends see `lost`. */
  cut(link: Link): void {
    const owner = this.devices.links().find((l) => l.link === link)?.owner ?? '';
    this.journal.log(
      'fault',
      `dropped link ${link.id} (${link.medium}) between ${this.devices.name(owner)} and ${this.devices.name(link.remote?.networkId ?? '')}`,
    );
    link.abort(closeReason('lost', 'dropped in the playground'));
  }

  /**
   * Moves `device` out of BLE range (its adverts are lost, connections to it refused, its BLE links dropped) or
   * back into range. @throws Error when there is no such device or the lab runs no virtual radio.
   */
  bleRange(device: string, inRange: boolean): void {
    const radio = this.devices.radio;
    const d = this.devices.has(device) ? this.devices.get(device) : undefined;
    if (!d || !radio) throw new Error('no such device or no BLE radio in this lab');
    d.inBleRange = inRange;
    if (inRange) {
      radio.loseAdvertisements(d.bleMac, 0);
      radio.refuseConnections(d.bleMac, false);
      this.journal.log('fault', `${d.name} is back in BLE range`, device);
    } else {
      radio.loseAdvertisements(d.bleMac, 1);
      radio.refuseConnections(d.bleMac, true);
      const n = radio.dropLink(d.bleMac);
      this.journal.log(
        'fault',
        `${d.name} moved out of BLE range (${n} BLE link${n === 1 ? '' : 's'} lost)`,
        device,
      );
    }
    this.journal.changed();
  }

  /** Kills `device` (peers see it go). */
  kill(device: string): Promise<void> {
    return this.devices.stop(device);
  }

  /** Restarts a killed `device` with the same identity. @throws Error for an unknown device. */
  restart(device: string): Promise<void> {
    return this.devices.start(device);
  }
}
