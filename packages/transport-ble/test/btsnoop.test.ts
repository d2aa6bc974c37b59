import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNoble } from '../src/hosts.js';
import { VirtualRadio, virtualHciOptions } from '../src/virtual/index.js';

describe('btsnoop trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'colink-ble-snoop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a controller's HCI traffic as btsnoop (H4 datalink) with directions", async () => {
    const path = join(dir, 'hci.btsnoop');
    const radio = new VirtualRadio({ model: { pacing: 'instant' } });
    const noble = loadNoble().withBindings(
      'hci',
      virtualHciOptions(radio.createController({ btsnoopPath: path })) as never,
    );
    await noble.waitForPoweredOnAsync(5000);
    noble.stop();
    radio.close();
    const file = readFileSync(path);
    expect(file.subarray(0, 8).toString('latin1')).toBe('btsnoop\0');
    expect(file.readUInt32BE(8)).toBe(1);
    expect(file.readUInt32BE(12)).toBe(1002);
    const records: { flags: number; data: string }[] = [];
    for (let o = 16; o < file.length; ) {
      const len = file.readUInt32BE(o + 4);
      records.push({
        flags: file.readUInt32BE(o + 8),
        data: file.subarray(o + 24, o + 24 + len).toString('hex'),
      });
      o += 24 + len;
    }
    // First the host's HCI_Reset (sent, command), then its Command Complete (received, event).
    expect(records[0]).toEqual({ flags: 2, data: '01030c00' });
    expect(records[1]).toEqual({ flags: 3, data: '040e0401030c00' });
    expect(records.some((r) => r.data.startsWith('010b20'))).toBe(true);
  });
});
