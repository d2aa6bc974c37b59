import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { RadioBroker, VirtualRadio } from '../src/virtual/index.js';
import { pattern } from './helpers/world.js';

const L = 'AA:00:00:00:00:0A';
const D = 'BB:00:00:00:00:0B';
const SIZE = 1 << 20;

/** Starts the device fixture in a child process; resolves lines as they come. */
function device(args: string[]): { child: ChildProcess; next: () => Promise<Record<string, any>> } {
  const child = spawn(
    process.execPath,
    ['--conditions=@colink/source', '--import', 'tsx', 'test/fixtures/ble-device.ts', ...args],
    {
      cwd: `${import.meta.dirname}/..`,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  return {
    child,
    next: () =>
      new Promise((resolve) => {
        const l = lines.shift();
        if (l !== undefined) resolve(JSON.parse(l));
        else waiters.push((x) => resolve(JSON.parse(x)));
      }),
  };
}

// The two tests share nothing (each has its own radio, broker socket and child processes): they run concurrently,
// so their process start-ups (tsx, noble, bleno) overlap.
describe.concurrent('cross-process virtual radio', () => {
  const children: ChildProcess[] = [];
  let broker: RadioBroker | undefined;
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await broker?.close();
  });

  it('two processes on one virtual radio exchange 1 MiB byte-exact both ways', {
    timeout: 90_000,
  }, async () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });
    broker = await RadioBroker.listen(radio);
    const listener = device([broker.socketPath, L, 'listen', '-', String(SIZE)]);
    children.push(listener.child);
    expect(await listener.next()).toEqual({ ready: true, localAddress: L });
    const dialer = device([broker.socketPath, D, 'dial', L, String(SIZE)]);
    children.push(dialer.child);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const [atListener, atDialer] = await Promise.all([listener.next(), dialer.next()]);
    expect(atListener).toEqual({ received: SIZE, sha256: sha(pattern(SIZE, 0x0b)), remote: D });
    expect(atDialer).toEqual({ received: SIZE, sha256: sha(pattern(SIZE, 0x0a)), remote: L });
    const [closedL, closedD] = await Promise.all([listener.next(), dialer.next()]);
    expect(closedD.closed).toEqual({ code: 'normal' });
    expect(closedL.closed).toMatchObject({ code: 'normal', remote: true, detail: { hciReason: 0x13 } });
    radio.close();
  });

  it('a process that dies takes its controller off the radio: the peer sees a supervision timeout', {
    timeout: 60_000,
  }, async () => {
    const radio = new VirtualRadio({ model: { pacing: 'instant' }, advertisingIntervalMs: 20 });
    const b2 = await RadioBroker.listen(radio);
    try {
      const listener = device([b2.socketPath, L, 'listen', '-', '1000']);
      children.push(listener.child);
      expect((await listener.next()).ready).toBe(true);
      const dialer = device([b2.socketPath, D, 'dial', L, '1000', 'hold']);
      children.push(dialer.child);
      expect((await dialer.next()).received).toBe(1000);
      listener.child.kill('SIGKILL');
      expect((await dialer.next()).closed).toMatchObject({ code: 'timeout', detail: { hciReason: 0x08 } });
    } finally {
      await b2.close();
      radio.close();
    }
  });
});
