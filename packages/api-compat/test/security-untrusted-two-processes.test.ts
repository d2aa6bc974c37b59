import { afterAll, describe, expect, it } from 'vitest';
import { deviceEnv, type Proc, randomPort, start } from './procs.js';

// Two processes of different accounts: discovery still shows the device, but no session or linkEnhance connection
// gets through, and the directory marks it untrusted (issue #9). Links are TLS 1.3; trust is decided in the handshake.
const procs: Proc[] = [];
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
});

describe('an untrusted device', () => {
  it('cannot open a session or a linkEnhance connection, and is marked untrusted', async () => {
    const port = randomPort();
    const b = start(
      ['dist/bin/colink-device.js', 'test/fixtures/collab-app'],
      deviceEnv('owner', 'tablet', port),
    );
    procs.push(b);
    await b.waitFor((l) => l.event === 'ready');
    const a = start(['--import', '@colink/api-compat/register', 'test/fixtures/device-untrusted.ts'], {
      ...deviceEnv('stranger', 'phone', port),
      COLINK_ACCOUNT: 'someone-else',
    });
    procs.push(a);
    const acm = await a.waitFor((l) => l.step === 'acm');
    expect(acm.result).toMatchObject({ isConnected: false, errorCode: 5 });
    expect(String((acm.result as { reason: string }).reason)).toMatch(/untrusted|does not trust/);
    const le = await a.waitFor((l) => l.step === 'linkEnhance');
    expect(le.result).toMatchObject({ success: false, reason: 32390300 });
    expect(await a.waitFor((l) => l.step === 'directory')).toMatchObject({
      trust: 'untrusted',
      available: 0,
    });
    // device B never saw a collaboration request
    expect(b.stderr.join('')).not.toMatch(/on collaborate/);
  }, 60_000);
});
