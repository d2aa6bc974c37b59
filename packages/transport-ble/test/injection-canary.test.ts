/**
 * Canary: fails loudly when an upgrade of noble, bleno or bluetooth-hci-socket moves the seams this package uses
 * (the UART driver slot, bleno's maxMtu and disconnect reasons, noble's connect results).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBleno, loadNoble } from '../src/hosts.js';
import { BLENO_DEFAULT_MAX_MTU } from '../src/index.js';
import {
  blenoMaxMtu,
  onBlenoDisconnComplete,
  onNobleConnectResult,
  setBlenoMaxMtu,
  stopBlenoPolling,
} from '../src/seams.js';
import {
  installVirtualHciDriver,
  isVirtualHciDriver,
  loadedUartDrivers,
  uartDriverPaths,
  VirtualRadio,
  virtualHciOptions,
} from '../src/virtual/index.js';

const require = createRequire(import.meta.url);

describe('injection point canary', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0).reverse()) c();
  });

  it('pins the host stack versions the seams were written for', () => {
    expect(require('@stoprocent/noble/package.json').version).toBe('2.8.0');
    expect(require('@stoprocent/bleno/package.json').version).toBe('0.12.4');
    expect(require('@stoprocent/bluetooth-hci-socket/package.json').version).toBe('2.3.0');
  });

  it('finds lib/uart.js of every bluetooth-hci-socket copy noble and bleno load, and replaces it', () => {
    const paths = uartDriverPaths();
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(existsSync(p), `missing ${p}: the UART driver moved`).toBe(true);
    installVirtualHciDriver();
    const drivers = loadedUartDrivers();
    expect(drivers.length).toBe(paths.length);
    for (const d of drivers)
      expect(isVirtualHciDriver(d), 'loadDriver("uart") no longer returns the virtual driver').toBe(true);
  });

  it('real noble and bleno power on over virtual controllers and the controllers see their HCI traffic', async () => {
    const lines: string[] = [];
    const radio = new VirtualRadio({ model: { pacing: 'instant' }, trace: (l) => lines.push(l) });
    cleanup.push(() => radio.close());
    const noble = loadNoble().withBindings(
      'hci',
      virtualHciOptions(radio.createController({ address: '11:22:33:44:55:66' })) as never,
    );
    const bleno = loadBleno().withBindings(
      'hci',
      virtualHciOptions(radio.createController({ address: '66:55:44:33:22:11' })) as never,
    );
    cleanup.push(
      () => noble.stop(),
      () => {
        stopBlenoPolling(bleno);
        bleno.stop();
      },
    );
    await noble.waitForPoweredOnAsync(5000);
    await bleno.waitForPoweredOnAsync(5000);
    expect(noble.address).toBe('11:22:33:44:55:66');
    expect(bleno.address).toBe('66:55:44:33:22:11');
    // Reset (0x0c03), LE Set Scan Parameters (0x200b) and LE Set Advertising Parameters (0x2006) went through.
    expect(lines.some((l) => l.startsWith('11:22:33:44:55:66 host> 01030c00'))).toBe(true);
    expect(lines.some((l) => l.startsWith('11:22:33:44:55:66 host> 010b20'))).toBe(true);
    expect(lines.some((l) => l.startsWith('66:55:44:33:22:11 host> 010620'))).toBe(true);
  });

  it('bleno still has maxMtu 256 and the disconnComplete event; noble still reports connect results', () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' } });
    cleanup.push(() => radio.close());
    const bleno = loadBleno().withBindings('hci', virtualHciOptions(radio.createController()) as never);
    expect(blenoMaxMtu(bleno)).toBe(BLENO_DEFAULT_MAX_MTU);
    setBlenoMaxMtu(bleno, 517);
    expect(blenoMaxMtu(bleno)).toBe(517);
    const off = onBlenoDisconnComplete(bleno, () => {});
    off();
    const noble = loadNoble().withBindings('hci', virtualHciOptions(radio.createController()) as never);
    const off2 = onNobleConnectResult(noble, () => {});
    off2();
  });
});
