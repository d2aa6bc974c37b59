import type { EventEmitter } from 'node:events';
import { ColinkError, ErrorCode } from '@colink/core';
import type { Bleno, Noble } from './hosts.js';

/**
 * Private parts of bleno 0.12.4 the transport relies on (pinned version; `test/seams.test.ts` fails loudly when an
 * upgrade moves them):
 * - `_bindings._hci`: emits `disconnComplete(handle, reason)`, the only place bleno exposes the HCI reason;
 * - `_bindings._gatt.maxMtu`: the largest ATT MTU bleno answers (hard-coded 256);
 * - `_bindings._hci.pollIsDevUp`: a 1 s timer bleno never clears; replaced by a no-op on stop so processes can exit.
 */
interface BlenoPrivate {
  _bindings?: { _hci?: EventEmitter & { pollIsDevUp?: () => void }; _gatt?: { maxMtu?: number } };
}

function internals(bleno: Bleno): Required<NonNullable<BlenoPrivate['_bindings']>> {
  const b = (bleno as unknown as BlenoPrivate)._bindings;
  if (!b?._hci || typeof b._hci.on !== 'function' || !b._gatt || typeof b._gatt.maxMtu !== 'number') {
    throw new ColinkError(
      ErrorCode.INTERNAL,
      'bleno internals changed (_bindings._hci / _bindings._gatt.maxMtu): pin @stoprocent/bleno 0.12.4',
    );
  }
  return b as Required<NonNullable<BlenoPrivate['_bindings']>>;
}

/** Calls `listener(handle, reason)` for every HCI Disconnection Complete bleno sees. */
export function onBlenoDisconnComplete(
  bleno: Bleno,
  listener: (handle: number, reason: number) => void,
): () => void {
  const hci = internals(bleno)._hci;
  hci.on('disconnComplete', listener);
  return () => hci.off('disconnComplete', listener);
}

/** Sets the largest ATT MTU bleno answers in an Exchange MTU Response. */
export function setBlenoMaxMtu(bleno: Bleno, mtu: number): void {
  internals(bleno)._gatt.maxMtu = mtu;
}

/** Reads the largest ATT MTU bleno answers. */
export function blenoMaxMtu(bleno: Bleno): number {
  return internals(bleno)._gatt.maxMtu as number;
}

/** Ends bleno's device poll loop (its pending timer fires once more, then stops). */
export function stopBlenoPolling(bleno: Bleno): void {
  internals(bleno)._hci.pollIsDevUp = () => {};
}

/** Private part of noble 2.8.0: `_bindings` emits `connect(peripheralId, error)` for every connection attempt. */
interface NoblePrivate {
  _bindings?: EventEmitter;
}

/**
 * Calls `listener(peripheralId, error)` for every connection result noble's HCI bindings report. Needed because
 * noble 2.8.0 drops a failed result for a peripheral it never scanned (dial by MAC): `Noble._onConnect` only warns,
 * so `connectAsync` would never settle.
 */
export function onNobleConnectResult(
  noble: Noble,
  listener: (peripheralId: string, error: Error | null | undefined) => void,
): () => void {
  const b = (noble as unknown as NoblePrivate)._bindings;
  if (!b || typeof b.on !== 'function') {
    throw new ColinkError(
      ErrorCode.INTERNAL,
      'noble internals changed (_bindings): pin @stoprocent/noble 2.8.0',
    );
  }
  b.on('connect', listener);
  return () => b.off('connect', listener);
}
