import { afterAll, describe, expect, it } from 'vitest';
import { deviceEnv, type Proc, randomPort, start } from './procs.js';

// The seeds' abilityConnectionManager examples as two Node processes over transport-tcp on loopback, through the
// register hook and @kit.* imports: device B is a HarmonyOS app directory run by colink-device; device A runs the
// seed's session code.
const procs: Proc[] = [];
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
});

describe('abilityConnectionManager seed flow across two processes', () => {
  it('rejects, accepts, exchanges messages and data both ways, and reports disconnects on both sides', async () => {
    const port = randomPort();
    const b = start(['dist/bin/colink-device.js', 'test/fixtures/collab-app'], {
      ...deviceEnv('tablet', 'tablet', port),
      COLINK_HILOG_LEVEL: 'WARN',
    });
    procs.push(b);
    const ready = await b.waitFor((l) => l.event === 'ready');
    expect(ready.abilities).toHaveLength(3);
    const a = start(['--import', '@colink/api-compat/register', 'test/fixtures/device-a.ts'], {
      ...deviceEnv('phone', 'phone', port),
      COLINK_APP_DIR: 'test/fixtures/collab-app',
      COLINK_HILOG_LEVEL: 'WARN',
    });
    procs.push(a);

    const rejected = await a.waitFor((l) => l.step === 'reject');
    expect(rejected.result).toEqual({ isConnected: false, errorCode: 1, reason: 'test' });

    const plain = await a.waitFor((l) => l.step === 'no-oncollaborate');
    expect(plain.result).toMatchObject({ isConnected: false, errorCode: 4 });

    const accepted = await b.waitFor((l) => l.event === 'accepted');
    expect(accepted.peer).toMatchObject({
      bundleName: 'com.example.remotephotodemo',
      moduleName: 'entry',
      abilityName: 'EntryAbility',
    });
    expect(await a.waitFor((l) => l.step === 'connect-event')).toBeTruthy();
    expect(await b.waitFor((l) => l.event === 'connect')).toBeTruthy();
    const again = await a.waitFor((l) => l.step === 'connect-again');
    expect(again.result).toMatchObject({ isConnected: false, errorCode: 0 });

    expect(
      await b.waitFor((l) => l.event === 'receiveMessage' && l.msg === 'message send success'),
    ).toBeTruthy();
    expect((await a.waitFor((l) => l.step === 'echo')).msg).toBe('echo: message send success');
    expect(await b.waitFor((l) => l.event === 'receiveData')).toMatchObject({ bytes: 1024 * 1024 + 3 });
    expect(await a.waitFor((l) => l.step === 'data')).toMatchObject({
      bytes: 1024 * 1024 + 3,
      inverted: true,
    });

    // A disconnected: B's 'disconnect' carries PEER_APP_CLOSE_COLLABORATION (0).
    expect(await b.waitFor((l) => l.event === 'disconnect')).toMatchObject({ reason: 0 });
    // B disconnected the second session: A's 'disconnect' carries PEER_APP_CLOSE_COLLABORATION too.
    expect(await a.waitFor((l) => l.step === 'disconnect-event')).toMatchObject({
      connected: true,
      reason: 0,
    });
    expect(await a.exited).toBe(0);
  }, 60_000);
});
