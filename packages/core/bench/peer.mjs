#!/usr/bin/env node
// Peer-connection overhead: the same 64 KiB messages through a bare Link's channel and through a PeerConnection's
// resumable connection channel (ACKs, retention for retransmission) over an in-memory conduit pair, alternating runs
// in one process. Prints MB/s and the ratio (issue #15 target: the peer connection costs at most 5 %).
import os from 'node:os';
import { Link, PeerConnection } from '../dist/index.js';
import { createConduitPair } from '../dist/testing/index.js';
import { pumpLink } from './link-pump.mjs';

const quick = process.argv.includes('--quick');
const MSG = 64 * 1024;
const TOTAL = (quick ? 128 : 512) * 1024 * 1024;
const N = TOTAL / MSG;
const RUNS = quick ? 3 : 5;
const payload = new Uint8Array(MSG).fill(7);
const local = (n) => ({ networkId: n.repeat(64), deviceName: n, deviceType: 'pc' });

async function run(peer) {
  const [x, y] = createConduitPair({ medium: 'tcp' });
  const pa = new PeerConnection({ local: 'a'.repeat(64), peer: 'b'.repeat(64) });
  const pb = new PeerConnection({ local: 'b'.repeat(64), peer: 'a'.repeat(64) });
  const opts = (n, role, pc) => ({
    role,
    local: local(n),
    keepAliveIntervalMs: 0,
    connectionOwner: (l) => pc.adopt(l),
  });
  const a = new Link(x, opts('a', 'initiator', pa));
  const b = new Link(y, opts('b', 'responder', pb));
  await Promise.all([a.opened, b.opened]);
  let tx = a;
  let rx = b;
  if (peer) {
    const incoming = new Promise((r) => pb.incomingChannels$.subscribe(r));
    tx = pa.openChannel({ proto: 'bench' });
    rx = await incoming;
  }
  const s = await pumpLink(tx, rx, payload, N);
  await pa.close();
  await pb.close();
  await a.close();
  return TOTAL / s / 1e6;
}

const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const bare = [];
const peer = [];
for (let r = 0; r < RUNS; r++) {
  bare.push(await run(false));
  peer.push(await run(true));
}
const b = median(bare);
const p = median(peer);
console.log(
  `# peer connection overhead — ${TOTAL / 2 ** 20} MiB of 64 KiB messages, ${RUNS} runs, node ${process.version}, ${os.cpus().length} CPUs`,
);
console.log(`bare Link channel:        ${b.toFixed(0)} MB/s (median)`);
console.log(`PeerConnection channel:   ${p.toFixed(0)} MB/s (median)`);
console.log(`ratio peer / bare:        ${(p / b).toFixed(3)} (target ≥ 0.95)`);
