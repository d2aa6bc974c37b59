import { expect } from 'vitest';
import { Lab } from '../src/lab/lab.js';
import type { LabState } from '../src/lab/protocol.js';

/**
 * `until(what, f, timeout?)`: polls `f` over the lab's state until it gives something truthy (at most `timeout` ms,
 * `defaultTimeout` unless given) and returns it; fails with `what` otherwise. `lab` is read at every poll, so a lab
 * made in `beforeAll` works too.
 */
export function labUntil(lab: () => Lab, defaultTimeout = 20_000) {
  return async <T>(what: string, f: (s: LabState) => T | undefined, timeout = defaultTimeout): Promise<T> => {
    let found: T | undefined;
    await expect.poll(() => (found = f(lab().state())), { timeout, message: what }).toBeTruthy();
    return found!;
  };
}

/** A lab of a phone and a tablet on TCP and the virtual BLE radio only (no memory medium, Wi-Fi P2P or networks). */
export function phoneAndTabletLab(): Lab {
  return new Lab({
    devices: [
      { name: 'phone', type: 'phone' },
      { name: 'tablet', type: 'tablet' },
    ],
    memory: false,
    p2p: false,
    networks: false,
  });
}
