import { type CloseReason, closeReason } from '@colink/core';

/** HCI disconnect reasons the transport distinguishes (Bluetooth Core 5.4 Vol 1 Part F §1.3). */
export const HCI_REASON = {
  /** Connection Timeout: the supervision timeout expired (link loss). */
  CONNECTION_TIMEOUT: 0x08,
  /** Remote User Terminated Connection. */
  REMOTE_USER_TERMINATED: 0x13,
  /** Connection Terminated By Local Host. */
  LOCAL_HOST_TERMINATED: 0x16,
} as const;

/**
 * Maps an HCI Disconnection Complete reason to a core {@link CloseReason}: 0x13 → `normal` (remote: true), 0x16 →
 * `normal`, 0x08 → `timeout`, anything else → `lost`. `detail.hciReason` carries the raw reason.
 */
export function closeReasonFromHci(reason: number): CloseReason {
  const detail = { hciReason: reason };
  switch (reason) {
    case HCI_REASON.REMOTE_USER_TERMINATED:
      return closeReason('normal', 'peer disconnected', { remote: true, detail });
    case HCI_REASON.LOCAL_HOST_TERMINATED:
      return closeReason('normal', 'disconnected locally', { detail });
    case HCI_REASON.CONNECTION_TIMEOUT:
      return closeReason('timeout', 'BLE supervision timeout', { detail });
    default:
      return closeReason('lost', `BLE link lost (HCI 0x${reason.toString(16).padStart(2, '0')})`, { detail });
  }
}
