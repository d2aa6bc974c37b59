import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { isColinkError } from '@colink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { UnixTransport, uniqueSocketPath } from '../src/unix-transport.js';

const started: UnixTransport[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop()));
});
function transport(path?: string): UnixTransport {
  const t = new UnixTransport(path === undefined ? {} : { path });
  started.push(t);
  return t;
}

describe('UnixTransport lifecycle (what the contract promises beyond the compliance suite)', () => {
  it('gives every transport its own socket path', () => {
    expect(new UnixTransport().path).not.toBe(new UnixTransport().path);
  });

  it('start() rejects ERR_CONFLICT on a stale socket file instead of hanging, and can be retried', async () => {
    const path = uniqueSocketPath();
    writeFileSync(path, 'stale');
    const t = transport(path);
    try {
      await expect(t.start()).rejects.toSatisfy((e) => isColinkError(e, 'ERR_CONFLICT'));
      expect(t.localAddress).toBeUndefined();
      await expect(t.start()).rejects.toSatisfy((e) => isColinkError(e, 'ERR_CONFLICT'));
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('start() rejects ERR_CONFLICT when another listener has the path', async () => {
    const a = transport();
    await a.start();
    await expect(transport(a.path).start()).rejects.toSatisfy((e) => isColinkError(e, 'ERR_CONFLICT'));
  });

  it('start() and stop() are idempotent; stop() of a never-started transport resolves', async () => {
    const t = transport();
    await t.stop();
    await Promise.all([t.start(), t.start()]);
    expect(t.localAddress).toBe(t.path);
    await Promise.all([t.stop(), t.stop()]);
    expect(t.localAddress).toBeUndefined();
    await t.start(); // restartable: the socket file went with the listener
    expect(t.localAddress).toBe(t.path);
  });

  it('dial() rejects ERR_DIAL_FAILED when nobody listens, ERR_NOT_STARTED before start()', async () => {
    const t = transport();
    await expect(t.dial(uniqueSocketPath())).rejects.toSatisfy((e) => isColinkError(e, 'ERR_NOT_STARTED'));
    await t.start();
    await expect(t.dial(uniqueSocketPath())).rejects.toSatisfy((e) => isColinkError(e, 'ERR_DIAL_FAILED'));
  });

  it('dial() rejects ERR_ABORTED through its AbortSignal', async () => {
    const a = transport();
    const b = transport();
    await Promise.all([a.start(), b.start()]);
    await expect(a.dial(b.path, { signal: AbortSignal.abort() })).rejects.toSatisfy((e) =>
      isColinkError(e, 'ERR_ABORTED'),
    );
  });

  it('stop() ends accepted and dialled conduits with going-away and resolves', async () => {
    const a = transport();
    const b = transport();
    await Promise.all([a.start(), b.start()]);
    const accepted = new Promise<import('@colink/core').Conduit>((r) => b.incoming$.subscribe(r));
    const dialled = await a.dial(b.path);
    const reasons = Promise.all([
      new Promise((r) => dialled.closed$.subscribe(r)),
      accepted.then((c) => new Promise((r) => c.closed$.subscribe(r))),
    ]);
    await accepted;
    await a.stop();
    const [mine] = await reasons;
    expect(mine).toMatchObject({ code: 'going-away' });
    // the listener is gone: nothing answers on a's path any more
    await expect(
      new Promise((resolve, reject) => net.connect(a.path).once('connect', resolve).once('error', reject)),
    ).rejects.toThrow();
  });
});
