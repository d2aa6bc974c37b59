/**
 * HCI numbers and packet builders used by the virtual controller. Source: Bluetooth Core Specification 5.4,
 * Vol 4 Part E (HCI functional specification) §5.4 (packet formats), §7 (commands and events), and Vol 4 Part A
 * (UART transport, H4 packet indicators).
 */

/** H4 packet indicators (Vol 4 Part A §2). */
export const H4 = { COMMAND: 0x01, ACL: 0x02, EVENT: 0x04 } as const;

/** Event codes (Vol 4 Part E §7.7). */
export const EVT = {
  DISCONNECTION_COMPLETE: 0x05,
  COMMAND_COMPLETE: 0x0e,
  COMMAND_STATUS: 0x0f,
  HARDWARE_ERROR: 0x10,
  NUMBER_OF_COMPLETED_PACKETS: 0x13,
  LE_META: 0x3e,
} as const;

/** LE meta subevent codes (Vol 4 Part E §7.7.65). */
export const LE_EVT = {
  CONNECTION_COMPLETE: 0x01,
  ADVERTISING_REPORT: 0x02,
  CONNECTION_UPDATE_COMPLETE: 0x03,
  DATA_LENGTH_CHANGE: 0x07,
} as const;

/** Builds an opcode from OGF and OCF. */
const op = (ogf: number, ocf: number): number => (ogf << 10) | ocf;

/** Command opcodes the hosts send (Vol 4 Part E §7.1-7.8). */
export const OP = {
  DISCONNECT: op(0x01, 0x0006),
  SET_EVENT_MASK: op(0x03, 0x0001),
  RESET: op(0x03, 0x0003),
  READ_LE_HOST_SUPPORTED: op(0x03, 0x006c),
  WRITE_LE_HOST_SUPPORTED: op(0x03, 0x006d),
  READ_LOCAL_VERSION: op(0x04, 0x0001),
  READ_SUPPORTED_COMMANDS: op(0x04, 0x0002),
  READ_BUFFER_SIZE: op(0x04, 0x0005),
  READ_BD_ADDR: op(0x04, 0x0009),
  READ_RSSI: op(0x05, 0x0005),
  LE_SET_EVENT_MASK: op(0x08, 0x0001),
  LE_READ_BUFFER_SIZE: op(0x08, 0x0002),
  LE_READ_LOCAL_FEATURES: op(0x08, 0x0003),
  LE_SET_RANDOM_ADDRESS: op(0x08, 0x0005),
  LE_SET_ADV_PARAMS: op(0x08, 0x0006),
  LE_SET_ADV_DATA: op(0x08, 0x0008),
  LE_SET_SCAN_RSP_DATA: op(0x08, 0x0009),
  LE_SET_ADV_ENABLE: op(0x08, 0x000a),
  LE_SET_SCAN_PARAMS: op(0x08, 0x000b),
  LE_SET_SCAN_ENABLE: op(0x08, 0x000c),
  LE_CREATE_CONN: op(0x08, 0x000d),
  LE_CREATE_CONN_CANCEL: op(0x08, 0x000e),
  LE_CONN_UPDATE: op(0x08, 0x0013),
  LE_SET_DATA_LENGTH: op(0x08, 0x0022),
  LE_READ_MAX_DATA_LENGTH: op(0x08, 0x002f),
} as const;

/** HCI error codes (Vol 1 Part F §1.3). */
export const HCI_STATUS = {
  SUCCESS: 0x00,
  UNKNOWN_CONNECTION_ID: 0x02,
  HARDWARE_FAILURE: 0x03,
  CONNECTION_TIMEOUT: 0x08,
  COMMAND_DISALLOWED: 0x0c,
  REMOTE_USER_TERMINATED: 0x13,
  LOCAL_HOST_TERMINATED: 0x16,
  INVALID_HCI_COMMAND_PARAMETERS: 0x12,
  UNSPECIFIED_ERROR: 0x1f,
  CONNECTION_FAILED_TO_BE_ESTABLISHED: 0x3e,
} as const;

/**
 * Parameter lengths (octets) of the commands whose parameters the virtual controller reads (Vol 4 Part E §7.1-7.8).
 * A command with fewer parameter octets is refused with {@link HCI_STATUS.INVALID_HCI_COMMAND_PARAMETERS}, as a
 * real controller does.
 */
export const COMMAND_PARAMETER_BYTES: ReadonlyMap<number, number> = new Map([
  [OP.DISCONNECT, 3],
  [OP.READ_RSSI, 2],
  [OP.LE_SET_ADV_PARAMS, 15],
  [OP.LE_SET_ADV_DATA, 32],
  [OP.LE_SET_SCAN_RSP_DATA, 32],
  [OP.LE_SET_ADV_ENABLE, 1],
  [OP.LE_SET_SCAN_PARAMS, 7],
  [OP.LE_SET_SCAN_ENABLE, 2],
  [OP.LE_CREATE_CONN, 25],
  [OP.LE_CONN_UPDATE, 14],
  [OP.LE_SET_DATA_LENGTH, 6],
]);

/** Commands the controller answers with Command Status rather than Command Complete (Vol 4 Part E §7). */
export const STATUS_COMMANDS: ReadonlySet<number> = new Set([
  OP.DISCONNECT,
  OP.LE_CREATE_CONN,
  OP.LE_CONN_UPDATE,
]);

/** ACL packet-boundary flags (Vol 4 Part E §5.4.2). */
export const ACL_PB = { START_NON_FLUSHABLE: 0x00, CONTINUATION: 0x01, START: 0x02 } as const;

/** Parses `AA:BB:CC:DD:EE:FF` (any case) into the 6 little-endian bytes HCI carries. */
export function addressToBytes(address: string): Buffer {
  return Buffer.from(address.split(':').reverse().join(''), 'hex');
}

/** Formats 6 little-endian HCI address bytes as `AA:BB:CC:DD:EE:FF`. */
export function bytesToAddress(bytes: Uint8Array): string {
  return Array.from(bytes)
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0').toUpperCase())
    .join(':');
}

/** An HCI event packet with its H4 indicator. */
export function eventPacket(code: number, params: Uint8Array): Buffer {
  const out = Buffer.alloc(3 + params.length);
  out[0] = H4.EVENT;
  out[1] = code;
  out[2] = params.length;
  out.set(params, 3);
  return out;
}

/** Command Complete (Vol 4 Part E §7.7.14): one command credit, opcode, status, return parameters. */
export function commandComplete(opcode: number, status: number, ret: Uint8Array = Buffer.alloc(0)): Buffer {
  const params = Buffer.alloc(4 + ret.length);
  params[0] = 1;
  params.writeUInt16LE(opcode, 1);
  params[3] = status;
  params.set(ret, 4);
  return eventPacket(EVT.COMMAND_COMPLETE, params);
}

/** Command Status (Vol 4 Part E §7.7.15). */
export function commandStatus(opcode: number, status: number): Buffer {
  const params = Buffer.alloc(4);
  params[0] = status;
  params[1] = 1;
  params.writeUInt16LE(opcode, 2);
  return eventPacket(EVT.COMMAND_STATUS, params);
}

/** Disconnection Complete (Vol 4 Part E §7.7.5). */
export function disconnectionComplete(handle: number, reason: number): Buffer {
  const params = Buffer.alloc(4);
  params[0] = HCI_STATUS.SUCCESS;
  params.writeUInt16LE(handle, 1);
  params[3] = reason;
  return eventPacket(EVT.DISCONNECTION_COMPLETE, params);
}

/** Number Of Completed Packets (Vol 4 Part E §7.7.19). */
export function numberOfCompletedPackets(counts: ReadonlyMap<number, number>): Buffer {
  const params = Buffer.alloc(1 + counts.size * 4);
  params[0] = counts.size;
  let i = 1;
  for (const [handle, n] of counts) {
    params.writeUInt16LE(handle, i);
    params.writeUInt16LE(n, i + 2);
    i += 4;
  }
  return eventPacket(EVT.NUMBER_OF_COMPLETED_PACKETS, params);
}

/** LE Connection Complete (Vol 4 Part E §7.7.65.1). Interval in 1.25 ms units, timeout in 10 ms units. */
export function leConnectionComplete(p: {
  status: number;
  handle: number;
  role: 0 | 1;
  peerAddressType: number;
  peerAddress: string;
  intervalUnits: number;
  latency: number;
  timeoutUnits: number;
}): Buffer {
  const params = Buffer.alloc(19);
  params[0] = LE_EVT.CONNECTION_COMPLETE;
  params[1] = p.status;
  if (p.status === HCI_STATUS.SUCCESS) {
    params.writeUInt16LE(p.handle, 2);
    params[4] = p.role;
    params[5] = p.peerAddressType;
    addressToBytes(p.peerAddress).copy(params, 6);
    params.writeUInt16LE(p.intervalUnits, 12);
    params.writeUInt16LE(p.latency, 14);
    params.writeUInt16LE(p.timeoutUnits, 16);
    params[18] = 0x00;
  }
  return eventPacket(EVT.LE_META, params);
}

/** One LE Advertising Report (Vol 4 Part E §7.7.65.2). */
export function leAdvertisingReport(
  eventType: number,
  addressType: number,
  address: string,
  data: Uint8Array,
  rssi: number,
): Buffer {
  const params = Buffer.alloc(12 + data.length);
  params[0] = LE_EVT.ADVERTISING_REPORT;
  params[1] = 1;
  params[2] = eventType;
  params[3] = addressType;
  addressToBytes(address).copy(params, 4);
  params[10] = data.length;
  params.set(data, 11);
  params.writeInt8(rssi, 11 + data.length);
  return eventPacket(EVT.LE_META, params);
}

/** LE Connection Update Complete (Vol 4 Part E §7.7.65.3). */
export function leConnectionUpdateComplete(
  handle: number,
  intervalUnits: number,
  latency: number,
  timeoutUnits: number,
): Buffer {
  const params = Buffer.alloc(10);
  params[0] = LE_EVT.CONNECTION_UPDATE_COMPLETE;
  params[1] = HCI_STATUS.SUCCESS;
  params.writeUInt16LE(handle, 2);
  params.writeUInt16LE(intervalUnits, 4);
  params.writeUInt16LE(latency, 6);
  params.writeUInt16LE(timeoutUnits, 8);
  return eventPacket(EVT.LE_META, params);
}

/** LE Data Length Change (Vol 4 Part E §7.7.65.7). Times in µs. */
export function leDataLengthChange(handle: number, octets: number, timeUs: number): Buffer {
  const params = Buffer.alloc(11);
  params[0] = LE_EVT.DATA_LENGTH_CHANGE;
  params.writeUInt16LE(handle, 1);
  params.writeUInt16LE(octets, 3);
  params.writeUInt16LE(timeUs, 5);
  params.writeUInt16LE(octets, 7);
  params.writeUInt16LE(timeUs, 9);
  return eventPacket(EVT.LE_META, params);
}

/** An ACL data packet with its H4 indicator. */
export function aclPacket(handle: number, pb: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = H4.ACL;
  out.writeUInt16LE((handle & 0x0fff) | (pb << 12), 1);
  out.writeUInt16LE(payload.length, 3);
  out.set(payload, 5);
  return out;
}
