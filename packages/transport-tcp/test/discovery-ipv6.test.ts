import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capture, networkId, type PeerMessage, PeerProcess, randomPort } from './helpers.js';

// Two network namespaces joined by a veth pair that has no IPv4 address at all: discovery must run over IPv6
// mDNS (ff02::fb) and the peers dial each other at link-local addresses with a zone. Needs root and IPv6.
const isRoot = process.getuid?.() === 0;
const hasIpv6 = existsSync('/proc/sys/net/ipv6');
const tag = process.pid % 100_000;
const ns = { a: `cltcp${tag}x`, b: `cltcp${tag}y` };
const veth = { a: `cltX${tag}`, b: `cltY${tag}` };
const mdnsPort = randomPort();

function sh(...args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const about = (seed: string) => (m: PeerMessage) =>
  m.ev === 'discovery' && (m.peer as { networkId: string }).networkId === networkId(seed);

describe.skipIf(!isRoot || !hasIpv6)('discovery over IPv6 only (link-local, ff02::fb)', () => {
  const peers: PeerProcess[] = [];
  let capture: Capture | undefined;

  beforeAll(() => {
    for (const n of Object.values(ns)) {
      sh('ip', 'netns', 'add', n);
      // IPv6 on, and no duplicate address detection: link-local addresses are usable at once. (/proc/sys/net is
      // per network namespace.)
      const conf = '/proc/sys/net/ipv6/conf/default';
      sh(
        'ip',
        'netns',
        'exec',
        n,
        'sh',
        '-c',
        `echo 0 > ${conf}/disable_ipv6 && echo 0 > ${conf}/accept_dad`,
      );
    }
    sh('ip', 'link', 'add', veth.a, 'netns', ns.a, 'type', 'veth', 'peer', 'name', veth.b, 'netns', ns.b);
    for (const side of ['a', 'b'] as const) sh('ip', '-n', ns[side], 'link', 'set', veth[side], 'up');
  });

  afterAll(async () => {
    try {
      await Promise.all(peers.map((p) => p.close()));
      await capture?.stop().catch(() => 0);
    } finally {
      for (const n of Object.values(ns)) {
        try {
          sh('ip', 'netns', 'del', n);
        } catch {
          // already gone
        }
      }
    }
  });

  it('finds the peer at [fe80::…%veth]:port and opens a conduit to it; no mDNS reaches the host', async () => {
    capture = new Capture('any', `udp port ${mdnsPort}`);
    await capture.listening;
    const start = (seed: string, netns: string) => {
      const p = new PeerProcess(
        {
          transport: { host: '::', discovery: { port: mdnsPort } },
          advert: { networkId: networkId(seed), deviceName: `v6-${seed}`, deviceType: 'pc' },
          incoming: 'echo',
        },
        netns,
      );
      peers.push(p);
      return p;
    };
    const a = start('a', ns.a);
    const b = start('b', ns.b);
    const bStarted = await b.next((m) => m.ev === 'started');
    const found = await a.next((m) => about('b')(m) && m.type === 'found');
    const address = (found.peer as { address: string }).address;
    expect(address).toMatch(new RegExp(`^\\[fe80::[0-9a-f:]+%${veth.a}\\]:${bStarted.port}$`));
    a.send({ cmd: 'dial', address, message: 'over IPv6' });
    expect(await a.next((m) => m.ev === 'echoed')).toMatchObject({ message: 'over IPv6' });
    await Promise.all(peers.map((p) => p.close()));
    expect(await capture.stop()).toBe(0);
  }, 30_000);
});
