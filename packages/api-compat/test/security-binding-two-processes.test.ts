import { afterAll, describe, expect, it } from 'vitest';
import { deviceEnv, type Proc, randomPort, start } from './procs.js';

// DeviceManager.bindTarget across two processes of different accounts (issue #9, binding): the code comparison runs
// in the TLS handshake, both users confirm (COLINK_BIND_CONFIRM), the binding lets sessions through, unbindTarget
// revokes it for the next connect; a declined binding leaves the device untrusted.
const procs: Proc[] = [];
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
});

async function run(targetPolicy: 'accept' | 'reject') {
  const port = randomPort();
  const b = start(['dist/bin/colink-device.js', 'test/fixtures/collab-app'], {
    ...deviceEnv('owner', 'tablet', port),
    COLINK_BIND_CONFIRM: targetPolicy,
  });
  procs.push(b);
  await b.waitFor((l) => l.event === 'ready');
  const a = start(['--import', '@colink/api-compat/register', 'test/fixtures/device-bind.ts'], {
    ...deviceEnv('guest', 'phone', port),
    COLINK_ACCOUNT: 'another-account',
    COLINK_BIND_CONFIRM: 'accept',
  });
  procs.push(a);
  const step = async (name: string) => (await a.waitFor((l) => l.step === name, 30_000)).result;
  return { a, b, step };
}

describe('binding two devices of different accounts', () => {
  it('binds after both confirm the code, collaborates, and unbinding takes effect on the next connect', async () => {
    const { a, b, step } = await run('accept');
    expect(await step('before')).toMatchObject({ isConnected: false });
    const bind = (await step('bind')) as { outcome: unknown; expected: string; bound: boolean };
    expect(bind.outcome).toEqual({ deviceId: bind.expected });
    expect(bind.bound).toBe(true);
    // Both sides showed the same code (colink-device and the register hook print it on stderr).
    const codeOf = (p: Proc) => /binding with .*: code (\d{6}), confirmed/.exec(p.stderr.join(''))?.[1];
    expect(codeOf(a)).toMatch(/^\d{6}$/);
    expect(codeOf(b)).toBe(codeOf(a));
    expect(await step('after')).toMatchObject({ isConnected: true });
    expect(await step('unbind')).toEqual({ bound: false, again: 11600101 });
    const revoked = (await step('revoked')) as { isConnected: boolean; reason?: string };
    expect(revoked.isConnected).toBe(false);
    expect(String(revoked.reason)).toMatch(/untrusted|does not trust/);
    expect(await a.exited).toBe(0);
  }, 90_000);

  it('fails with 11600103 when the other user declines, and the device stays untrusted', async () => {
    const { a, b, step } = await run('reject');
    expect(await step('before')).toMatchObject({ isConnected: false });
    const bind = (await step('bind')) as { outcome: { code: number; message: string }; bound: boolean };
    expect(bind.outcome.code).toBe(11600103);
    expect(bind.outcome.message).toMatch(/declined|does not trust/);
    expect(bind.bound).toBe(false);
    expect(await step('after')).toMatchObject({ isConnected: false });
    expect(b.stderr.join('')).toMatch(/binding with .* declined/);
    expect(await a.exited).toBe(0);
  }, 90_000);
});
