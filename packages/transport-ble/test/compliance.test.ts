import { describeTransportCompliance } from '@colink/core/compliance';
import { BleTransport } from '../src/index.js';
import { VirtualRadio, virtualTransportOptions } from '../src/virtual/index.js';

const A = 'C0:11:00:00:00:0A';
const B = 'C0:11:00:00:00:0B';
/** A MAC no station on the radio has: a dial to it gets no answer. */
const NOBODY = 'C0:11:00:00:00:0C';

describeTransportCompliance(
  'ble (real noble + bleno on the virtual radio)',
  async () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });
    const a = new BleTransport({ ...virtualTransportOptions(radio, A), lostAfterMs: 1_000 });
    const b = new BleTransport({ ...virtualTransportOptions(radio, B), lostAfterMs: 1_000 });
    return {
      a,
      b,
      cleanup: async () => radio.close(),
      silentAddress: async () => NOBODY,
      // Out of range: the LE link is lost, both sides learn after the supervision timeout (0x08).
      breakLink: async () => {
        radio.dropLink(A, B);
      },
    };
  },
  // LE Create Connection to a device that does not advertise waits until the host cancels it: a dial to an
  // address nobody listens on ends by its time limit.
  { linkLossCode: 'timeout', unreachableCode: 'ERR_TIMEOUT' },
); // HCI 0x08 supervision timeout → `timeout` (core errors.ts)
