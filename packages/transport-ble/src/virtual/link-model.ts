/**
 * The virtual radio's link-layer timing model. Source: Bluetooth Core 5.4 Vol 6 Part B §2.1 (packet format:
 * preamble 1 octet on LE 1M / 2 on LE 2M, access address 4, header 2, payload, CRC 3), §4.1.1 (inter-frame space
 * T_IFS = 150 µs), §4.5.1 (connection events: central and peripheral alternate packets until neither has more data
 * or the event would overrun the connection interval), §4.5.10 (Data Length: 27 octets by default, 251 with DLE).
 */

/** LE PHY. */
export type Phy = '1M' | '2M';

/** Inter-frame space in µs (Vol 6 Part B §4.1.1). */
export const T_IFS_US = 150;
/** Default link-layer payload in octets (Vol 6 Part B §4.5.10). */
export const LL_DEFAULT_DATA_LENGTH = 27;
/** Maximum link-layer payload in octets with Data Length Extension (Vol 6 Part B §4.5.10). */
export const LL_MAX_DATA_LENGTH = 251;

/** How the virtual radio paces links. */
export interface LinkModel {
  /**
   * `'realtime'`: connection events run on timers every `intervalMs`, carrying as many packets as fit (default);
   * `'instant'`: packets move on the next macrotask with no airtime limit (fast tests).
   */
  readonly pacing: 'realtime' | 'instant';
  /** PHY of every link (default `'2M'`). */
  readonly phy: Phy;
  /**
   * Largest link-layer payload the controllers support (27 or 251, default 251). Links start at 27 and move to this
   * value when a host sends LE Set Data Length (noble does when the controller reports the DLE feature).
   */
  readonly maxDataLength: number;
  /**
   * Connection interval in ms (multiple of 1.25, 7.5-4000). Default: the largest interval the central asked for in
   * LE Create Connection, clamped to its range.
   */
  readonly intervalMs?: number;
}

/** The default model: real-time pacing, LE 2M, DLE to 251. */
export const DEFAULT_LINK_MODEL: LinkModel = {
  pacing: 'realtime',
  phy: '2M',
  maxDataLength: LL_MAX_DATA_LENGTH,
};

/** Airtime in µs of one LL data PDU carrying `payload` octets (0 = empty PDU). */
export function pduAirtimeUs(phy: Phy, payload: number): number {
  const octets = (phy === '2M' ? 2 : 1) + 4 + 2 + payload + 3;
  return (octets * 8) / (phy === '2M' ? 2 : 1);
}

/** Time in µs one exchange takes: a central PDU, T_IFS, a peripheral PDU, T_IFS. */
export function exchangeUs(phy: Phy, centralPayload: number, peripheralPayload: number): number {
  return pduAirtimeUs(phy, centralPayload) + T_IFS_US + pduAirtimeUs(phy, peripheralPayload) + T_IFS_US;
}

/**
 * The model's ceiling for one-way application goodput in bit/s: every exchange carries a full PDU of `dataLength`
 * octets one way and an empty PDU back, as many exchanges as fit in one connection event of `intervalMs`, and
 * `appBytesPerPdu` octets of each PDU are application data (ATT MTU 247 with DLE: 244 of 251).
 */
export function goodputCeilingBps(
  phy: Phy,
  dataLength: number,
  intervalMs: number,
  appBytesPerPdu: number,
): number {
  const perExchange = exchangeUs(phy, dataLength, 0);
  const perEvent = Math.floor((intervalMs * 1000) / perExchange);
  return (perEvent * appBytesPerPdu * 8) / (intervalMs / 1000);
}
