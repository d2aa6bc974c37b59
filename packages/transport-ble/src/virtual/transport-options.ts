import type { VirtualController } from './controller.js';
import {
  type RemoteControllerParams,
  type VirtualHciBindingOptions,
  virtualHciOptions,
} from './hci-driver.js';
import type { VirtualRadio } from './radio.js';

/** `central` / `peripheral` options of a `BleTransport` on virtual controllers, plus the controllers. */
export interface VirtualTransportOptions {
  readonly central: VirtualHciBindingOptions;
  readonly peripheral: VirtualHciBindingOptions;
  /** The two in-process controllers (undefined when reached through a broker). */
  readonly controllers?: { readonly central: VirtualController; readonly peripheral: VirtualController };
}

/**
 * Options that put both roles of a `BleTransport` on a virtual radio: two controllers sharing the BD_ADDR `address`
 * (one adapter for noble, one for bleno, as on hardware where both roles need their own adapter or a shared one
 * re-advertising after every connection). `radio` is an in-process {@link VirtualRadio} or a broker socket path.
 * With `sharedAdapter: true` both roles share one controller (several hosts on one adapter) and the transport
 * re-advertises after noble's HCI_Reset.
 */
export function virtualTransportOptions(
  radio: VirtualRadio | string,
  address: string,
  options: { readonly sharedAdapter?: boolean } = {},
): VirtualTransportOptions & { readonly sharedAdapter?: boolean } {
  if (typeof radio === 'string') {
    const remote: RemoteControllerParams = { socketPath: radio, address };
    return { central: virtualHciOptions(remote), peripheral: virtualHciOptions(remote) };
  }
  if (options.sharedAdapter) {
    const shared = radio.createController({ address, sharedHosts: true });
    const o = virtualHciOptions(shared);
    return {
      central: o,
      peripheral: o,
      controllers: { central: shared, peripheral: shared },
      sharedAdapter: true,
    };
  }
  const central = radio.createController({ address });
  const peripheral = radio.createController({ address });
  return {
    central: virtualHciOptions(central),
    peripheral: virtualHciOptions(peripheral),
    controllers: { central, peripheral },
  };
}
