/**
 * @packageDocumentation
 * `@colink/transport-ble/virtual`: a virtual LE radio for running the real noble and bleno host stacks (HCI,
 * L2CAP, ATT, GATT) with no Bluetooth hardware. A {@link VirtualRadio} joins any number of
 * {@link VirtualController}s speaking HCI over H4; {@link virtualHciOptions} plugs one under a noble or bleno
 * instance (through the UART driver slot of `@stoprocent/bluetooth-hci-socket`); {@link RadioBroker} shares a radio
 * with other processes over a unix socket.
 *
 * @example
 * ```ts
 * import { VirtualRadio, virtualHciOptions } from '@colink/transport-ble/virtual';
 * import noble from '@stoprocent/noble';
 * import bleno from '@stoprocent/bleno';
 *
 * const radio = new VirtualRadio();
 * const central = noble.withBindings('hci', virtualHciOptions(radio.createController()));
 * const peripheral = bleno.withBindings('hci', virtualHciOptions(radio.createController()));
 * await central.waitForPoweredOnAsync();
 * ```
 */
export {
  RADIO_CONTROL_TIMEOUT_MS,
  RadioBroker,
  type RadioControl,
  type RadioControlReply,
  radioControl,
} from './broker.js';
export { BtsnoopWriter } from './btsnoop.js';
export {
  DEFAULT_ACL_BUFFER_COUNT,
  DEFAULT_ACL_BUFFER_LENGTH,
  type HostSink,
  VirtualController,
  type VirtualControllerOptions,
} from './controller.js';
export { H4Framer } from './h4-framer.js';
export { HCI_STATUS } from './hci.js';
export {
  installVirtualHciDriver,
  isVirtualHciDriver,
  loadedUartDrivers,
  type RemoteControllerParams,
  uartDriverPaths,
  type VirtualBindTarget,
  type VirtualHciBindingOptions,
  virtualHciOptions,
} from './hci-driver.js';
export {
  DEFAULT_LINK_MODEL,
  exchangeUs,
  goodputCeilingBps,
  type LinkModel,
  LL_DEFAULT_DATA_LENGTH,
  LL_MAX_DATA_LENGTH,
  type Phy,
  pduAirtimeUs,
  T_IFS_US,
} from './link-model.js';
export { type RadioLinkInfo, VirtualRadio, type VirtualRadioOptions } from './radio.js';
export { type VirtualTransportOptions, virtualTransportOptions } from './transport-options.js';
