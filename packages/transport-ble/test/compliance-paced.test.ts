// The compliance suite with real-time pacing (its own file, so it runs beside the instant-pacing suite in
// test/compliance.test.ts instead of after it).
import { describeTransportCompliance } from '@colink/core/compliance';
import { BleTransport } from '../src/index.js';
import { VirtualRadio, virtualTransportOptions } from '../src/virtual/index.js';

const A = 'C0:11:00:00:00:0A';
const B = 'C0:11:00:00:00:0B';
/** A MAC no station on the radio has: a dial to it gets no answer. */
const NOBODY = 'C0:11:00:00:00:0C';

// The same suite with real-time pacing (LE 2M, DLE, 7.5 ms connection events), sizes cut to keep CI time sane.
// Backpressure runs against a 64 KiB channel window and a 128 KiB send buffer (instead of BLE's 256 KiB / 1 MiB
// defaults): the same upper bounds are checked, and 6 × 64 KiB outrun them (window + one message + send buffer =
// 256 KiB), so ~384 KiB cross the paced radio instead of 1.5 MiB (~13 s → ~4 s).
describeTransportCompliance(
  'ble paced (LE 2M, DLE, 7.5 ms interval)',
  async () => {
    const radio = new VirtualRadio({
      model: { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: 7.5 },
      advertisingIntervalMs: 20,
    });
    const a = new BleTransport({ ...virtualTransportOptions(radio, A), lostAfterMs: 1_000 });
    const b = new BleTransport({ ...virtualTransportOptions(radio, B), lostAfterMs: 1_000 });
    return {
      a,
      b,
      cleanup: async () => radio.close(),
      breakLink: async () => void radio.dropLink(A, B),
      silentAddress: async () => NOBODY,
    };
  },
  {
    largeMessageBytes: 128 * 1024,
    backpressureMessages: 6,
    link: { channelWindow: 64 * 1024, sendBufferBytes: 128 * 1024 },
    discovery: false,
    linkLossCode: 'timeout',
    unreachableCode: 'ERR_TIMEOUT',
  },
);
