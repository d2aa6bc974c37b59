/**
 * @packageDocumentation
 * `@colink/transport-ble`: a colink `Transport` over Bluetooth LE GATT, with the real noble (central) and
 * bleno (peripheral) host stacks, loaded lazily. Each device offers one GATT service per server name with an RX
 * characteristic (write without response), a TX characteristic (notify) and an INFO characteristic (device advert);
 * conduits chunk bytes to min(ATT MTU - 3, 512), keep a credit window with acknowledgements, and map HCI disconnect
 * reasons to core close reasons. `@colink/transport-ble/virtual` runs everything on a virtual LE radio.
 *
 * @example
 * ```ts
 * import { BleTransport } from '@colink/transport-ble';
 * import { VirtualRadio, virtualTransportOptions } from '@colink/transport-ble/virtual';
 *
 * const radio = new VirtualRadio();
 * const a = new BleTransport(virtualTransportOptions(radio, 'AA:00:00:00:00:01'));
 * const b = new BleTransport(virtualTransportOptions(radio, 'BB:00:00:00:00:02'));
 * await Promise.all([a.start(), b.start()]);
 * b.incoming$.subscribe((conduit) => conduit.data$.subscribe((bytes) => console.log(bytes)));
 * await b.advertise({ networkId: 'b'.repeat(64), deviceName: 'tablet', deviceType: 'tablet' });
 * const conduit = await a.dial('BB:00:00:00:00:02');
 * conduit.write([new TextEncoder().encode('hello')]);
 * ```
 */
export { isMac, normalizeMac } from './address.js';
export { BleConduit, type BleConduitOptions, type ConduitHost } from './ble-conduit.js';
export { closeReasonFromHci, HCI_REASON } from './close-reason.js';
export {
  ATT_MAX_VALUE,
  ATT_MIN_MTU,
  ATT_WRITE_HEADER,
  BLENO_DEFAULT_MAX_MTU,
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_LOST_AFTER_MS,
  DEFAULT_REQUESTED_MTU,
  DEFAULT_WINDOW_PDUS,
  END_FLUSH_TIMEOUT_MS,
  MAX_ADVERTISED_NAME_BYTES,
  MAX_CONDUIT_ID,
  MAX_INFO_BYTES,
  MAX_WINDOW_PDUS,
  PDU_HEADER,
  PROTOCOL_VERSION,
  STOP_WAIT_MS,
  WRITE_HARD_LIMIT,
  WRITE_HIGH_WATER_MARK,
} from './constants.js';
export { decodePdu, encodeAck, encodeClose, encodeData, encodeHello, PDU, type Pdu } from './frames.js';
export { GattLink, type GattLinkOptions, type GattPipe } from './gatt-link.js';
export type { HciBindingOptions } from './hosts.js';
export { DEFAULT_SERVER_NAME, type ServiceUuids, serviceUuids } from './service-uuid.js';
export { BleTransport, type BleTransportOptions } from './transport.js';
