// socket.MulticastSocket for real, in a network namespace whose multicast route leaves through a veth to a second
// namespace of this test (nothing reaches any other network).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harmonyApp, ip, isRoot, type Proc } from './fixtures/net/lab.js';

const NS = `clmc${process.pid % 100000}`;
const PEER = `${NS}p`;

// Needs root (a network namespace): skipped otherwise.
describe.skipIf(!isRoot)('MulticastSocket (namespace loopback)', () => {
  let app: Proc | undefined;
  beforeAll(() => {
    ip('netns', 'add', NS);
    ip('netns', 'add', PEER);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'link', 'add', 'm0', 'type', 'veth', 'peer', 'name', 'p0', 'netns', PEER);
    ip('-n', NS, 'addr', 'add', '10.65.0.1/24', 'dev', 'm0');
    ip('-n', PEER, 'addr', 'add', '10.65.0.2/24', 'dev', 'p0');
    ip('-n', NS, 'link', 'set', 'm0', 'up');
    ip('-n', PEER, 'link', 'set', 'p0', 'up');
    ip('-n', NS, 'route', 'add', '224.0.0.0/4', 'dev', 'm0');
  });
  afterAll(async () => {
    await app?.kill();
    ip('netns', 'del', NS);
    ip('netns', 'del', PEER);
  });

  it('two members of a group: loopback mode, TTL, drop, EINVAL for a unicast group (2301022)', async () => {
    app = harmonyApp(NS, 'test/fixtures/net/multicast-app.ts', {
      COLINK_PERMISSIONS: 'all',
      COLINK_SECURITY: 'off',
    });
    expect(await app.waitFor((l) => l.ev === 'ttl', 30_000)).toEqual({ ev: 'ttl', ttl: 1, loopback: true });
    const done = await app.waitFor((l) => l.ev === 'done', 30_000);
    expect(done).toEqual({
      ev: 'done',
      // "one" is looped back to both local members; with loopback off "two" only leaves through m0; after both
      // dropped the group, "three" reaches nobody here.
      got: { a: ['one'], b: ['one'] },
      ttl: 4,
      loopback: false,
      bad: 2_301_022,
    });
  }, 60_000);
});
