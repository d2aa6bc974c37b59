import { afterAll, describe, expect, it } from 'vitest';
import { deviceEnv, type Proc, randomPort, start, stderrIncludes } from './procs.js';

// The API 16 generation of the abilityConnectionManager seed (serverId, ConnectOption with needSendBigData and a
// start-option record) across two processes over TCP on loopback, through the register hook.
const procs: Proc[] = [];
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
});

describe('abilityConnectionManager API 16 seed across two processes', () => {
  it('connects with a ConnectOption, delivers a message and reports the disconnect to device B', async () => {
    const port = randomPort();
    const b = start(
      ['dist/bin/colink-device.js', 'test/fixtures/collab-app16'],
      deviceEnv('tablet16', 'tablet', port),
    );
    procs.push(b);
    await b.waitFor((l) => l.event === 'ready');
    const a = start(
      ['--import', '@colink/api-compat/register', 'test/fixtures/device-a16.ts'],
      deviceEnv('phone16', 'phone', port),
    );
    procs.push(a);
    await stderrIncludes(a, 'connect result {"isConnected":true,"reason":""}');
    await stderrIncludes(a, 'session connect, sessionId is');
    await stderrIncludes(b, 'acceptConnect success');
    await stderrIncludes(b, 'receiveMessage, msg is message send success');
    await stderrIncludes(b, 'session disconnect, sessionId is 100 reason 0');
    expect(await a.exited).toBe(0);
    expect(b.stderr.join('')).not.toMatch(/createSession sessionId is-1|Error/);
  }, 60_000);
});
