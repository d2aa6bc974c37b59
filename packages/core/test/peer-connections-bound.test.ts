import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { closeReason } from '../src/errors.js';
import { MAX_IDLE_PEER_CONNECTIONS } from '../src/limits.js';
import { Link } from '../src/link.js';
import { socketConduit } from '../src/node/socket-conduit.js';
import { advert, LoopbackTcp } from './helpers.js';

// A peer connection is made for every networkId that opens a protocol-v2 Link, and without a security stage a
// networkId is whatever the peer says. Before MAX_IDLE_PEER_CONNECTIONS every one stayed until `stop()` (review10):
// a stranger announcing new networkIds grew the device's map without bound.

const running: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((d) => d.stop()));
});

/** Opens a v2 Link to `address` announcing `name` over real loopback TCP, then closes it. */
async function visit(address: string, name: string): Promise<void> {
  const [host, port] = address.split(':') as [string, string];
  const sock = connect({ host, port: Number(port), noDelay: true });
  await new Promise<void>((r, reject) => {
    sock.once('connect', () => r());
    sock.once('error', reject);
  });
  const link = new Link(socketConduit(sock), { role: 'initiator', local: advert(name) });
  await link.opened;
  await link.close(closeReason('normal'), 1_000);
}

describe('peer connections without a Link are bounded', () => {
  it(`${MAX_IDLE_PEER_CONNECTIONS + 100} strangers with their own networkIds, one after another: at most ${MAX_IDLE_PEER_CONNECTIONS} kept, the newest`, {
    timeout: 180_000,
  }, async () => {
    const t = new LoopbackTcp('127.0.0.1');
    const device = new LocalDevice({ advert: advert('bound-device'), transports: [t], peerGraceMs: 0 });
    running.push(device);
    await device.start();
    const n = MAX_IDLE_PEER_CONNECTIONS + 100;
    for (let i = 0; i < n; i++) {
      await visit(t.localAddress!, `stranger-${i}`);
      // The peer connection is made when the Link opens; with no grace it has no Link and is idle once it closed.
      await expect
        .poll(() => device.peer(advert(`stranger-${i}`).networkId)?.state, { timeout: 10_000, interval: 1 })
        .toBe('disconnected');
    }
    const kept = Array.from({ length: n }, (_, i) => device.peer(advert(`stranger-${i}`).networkId));
    expect(kept.filter((pc) => pc !== undefined).length).toBeLessThanOrEqual(MAX_IDLE_PEER_CONNECTIONS);
    // The oldest were forgotten, the newest are still there to report their state.
    expect(kept[0]).toBeUndefined();
    expect(kept[n - 1]?.state).toBe('disconnected');
    // A forgotten peer that comes back gets a new peer connection.
    await visit(t.localAddress!, 'stranger-0');
    await expect.poll(() => device.peer(advert('stranger-0').networkId)?.state).toBe('disconnected');
  });
});
