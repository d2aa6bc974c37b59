import { describeTransportCompliance } from '../src/compliance.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';

describeTransportCompliance('memory (ideal pipe)', async () => {
  const net = new MemoryNetwork();
  const a = net.createTransport();
  const b = net.createTransport();
  // b.stop() would tell a `going-away` (the in-memory pair carries the reason): loss is a cut pipe
  return { a, b, breakLink: async () => void net.sever(a.address, b.address) };
});

describeTransportCompliance(
  'memory (BLE-like: MTU 244, 1 MB/s, 7.5 ms, 1 % loss)',
  async () => {
    const net = new MemoryNetwork({
      model: { mtu: 244, bandwidthBytesPerSec: 1_000_000, latencyMs: 7.5, lossRate: 0.01 },
    });
    const a = net.createTransport();
    const b = net.createTransport();
    return { a, b, breakLink: async () => void net.sever(a.address, b.address) };
  },
  // Backpressure against a 64 KiB channel window and a 128 KiB send buffer: the same upper bounds, outrun by 6 × 64 KiB
  // (window + one message + send buffer = 256 KiB), so 384 KiB cross the 1 MB/s medium instead of 1.75 MiB. BLE's
  // default 256 KiB / 1 MiB are checked by transport-ble's instant-pacing suite.
  {
    largeMessageBytes: 256 * 1024,
    concurrentLinks: 4,
    backpressureMessages: 6,
    link: { channelWindow: 64 * 1024, sendBufferBytes: 128 * 1024 },
  },
);
