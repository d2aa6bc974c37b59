import { createRequire } from 'node:module';
import type * as BlenoModule from '@stoprocent/bleno';
import type * as NobleModule from '@stoprocent/noble';

/** noble's module shape. */
export type NobleApi = typeof NobleModule;
/** bleno's module shape. */
export type BlenoApi = typeof BlenoModule;
/** A noble instance. */
export type Noble = NobleModule.Noble;
/** A bleno instance. */
export type Bleno = BlenoModule.Bleno;

/**
 * Options for noble's and bleno's `withBindings('hci', …)`: which HCI driver and device to use. Source: the
 * `HciBindingsOptions` typings of @stoprocent/noble 2.8.0 and @stoprocent/bleno 0.12.4.
 */
export interface HciBindingOptions {
  /** `'native'` (Linux AF_BLUETOOTH, default), `'uart'` (H4 over a serial port or a virtual controller), `'usb'`. */
  readonly hciDriver?: 'default' | 'native' | 'uart' | 'usb';
  /** Driver parameters: `{ uart: { port, baudRate } }`, `{ usb: { vid, pid } }`, or `{ virtual: … }` (see `/virtual`). */
  readonly bindParams?: Readonly<Record<string, unknown>>;
  /** HCI device index (`hciN`) for the native driver. */
  readonly deviceId?: number;
  /** Use the HCI user channel instead of a raw socket (native driver). */
  readonly userChannel?: boolean;
}

const require = createRequire(import.meta.url);
let noble: NobleApi | undefined;
let bleno: BlenoApi | undefined;

/** Loads @stoprocent/noble on first use (it loads a native addon). */
export function loadNoble(): NobleApi {
  noble ??= require('@stoprocent/noble') as NobleApi;
  return noble;
}

/** Loads @stoprocent/bleno on first use (it loads a native addon). */
export function loadBleno(): BlenoApi {
  bleno ??= require('@stoprocent/bleno') as BlenoApi;
  return bleno;
}
