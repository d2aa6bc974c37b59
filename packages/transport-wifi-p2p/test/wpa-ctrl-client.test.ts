import fs from 'node:fs';
import path from 'node:path';
import { isColinkError } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { UnixDgramSocket, WPA_REQUEST_TIMEOUT_MS, WpaCtrlClient } from '../src/index.js';
import { FakeP2pMedium } from '../src/testing/index.js';
import { nextEvent, tempDir } from './helpers.js';

describe('WpaCtrlClient against the fake daemon', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(opts: Partial<Parameters<typeof WpaCtrlClient.open>[0]> = {}) {
    const dir = tempDir();
    const medium = new FakeP2pMedium();
    const d = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0' });
    const client = await WpaCtrlClient.open({ ctrlPath: d.ctrlPath, ...opts });
    cleanups.push(async () => {
      await client.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { dir, medium, d, client };
  }

  it('answers request/reply and removes its own socket directory on close', async () => {
    const { client } = await setup();
    expect(await client.request('PING')).toBe('PONG\n');
    expect(await client.request('NO_SUCH_COMMAND')).toBe('UNKNOWN COMMAND\n');
    expect(fs.readdirSync(client.socketDir).sort()).toEqual(['cmd1', 'mon1']);
    await client.close();
    expect(fs.existsSync(client.socketDir)).toBe(false);
  });

  it('classifies an event that arrives before the reply of the command that caused it', async () => {
    const { client } = await setup();
    const seen: string[] = [];
    const sub = client.events$.subscribe((e) => seen.push(e.type));
    const id = await client.value('ADD_NETWORK');
    // the fake, like wpa_supplicant 2.10, sends CTRL-EVENT-NETWORK-ADDED before the reply datagram
    expect(seen).toContain('CTRL-EVENT-NETWORK-ADDED');
    expect(id).toBe('0');
    sub.unsubscribe();
  });

  it("a reply that starts with '<' but not '<N>' is a reply (a device name such as '<Lab PC>'), not a dropped event", async () => {
    // events are `<level>TEXT` with a decimal level (wpa_msg); a bare value reply is the text as stored
    const { client } = await setup({ requestTimeoutMs: 2_000 });
    await client.expectOk('SET device_name <Lab PC>');
    expect(await client.request('GET device_name')).toBe('<Lab PC>');
  });

  it('rejects with ERR_DIAL_FAILED when no daemon listens', async () => {
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const e = await WpaCtrlClient.open({ ctrlPath: path.join(dir, 'nobody') }).catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_DIAL_FAILED')).toBe(true);
  });

  it('times out a command the daemon never answers, and the next command is not confused by a late reply', async () => {
    const dir = tempDir();
    let hold: { from: string } | undefined;
    const server = UnixDgramSocket.bind(
      (dg) => {
        const text = dg.data.toString();
        if (text === 'SLOW') hold = { from: dg.from! };
        else void server.send(dg.from!, Buffer.from(text === 'PING' ? 'PONG\n' : `re:${text}`));
      },
      path.join(dir, 'srv'),
    );
    cleanups.push(() => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const client = await WpaCtrlClient.open({ ctrlPath: server.path, monitor: false, pingIntervalMs: 0 });
    cleanups.push(() => client.close());
    const e = await client.request('SLOW', { timeoutMs: 100 }).catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_TIMEOUT')).toBe(true);
    // the late reply goes to the old (closed) socket path
    await server.send(hold!.from, Buffer.from('late')).catch(() => undefined);
    expect(await client.request('X')).toBe('re:X');
  });

  it('times out an unanswered command after the default 10 s, in virtual time', async () => {
    const dir = tempDir();
    const server = UnixDgramSocket.bind(
      (dg) => {
        const text = dg.data.toString();
        if (text !== 'SLOW')
          void server.send(dg.from!, Buffer.from(text === 'PING' ? 'PONG\n' : `re:${text}`));
      },
      path.join(dir, 'srv'),
    );
    cleanups.push(() => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const clock = new VirtualClock();
    const client = await WpaCtrlClient.open({
      ctrlPath: server.path,
      monitor: false,
      pingIntervalMs: 0,
      scheduler: clock,
    });
    cleanups.push(() => client.close());
    let outcome: unknown = 'pending';
    void client.request('SLOW').then(
      (r) => (outcome = r),
      (e: unknown) => (outcome = e),
    );
    await clock.advance(WPA_REQUEST_TIMEOUT_MS - 1);
    expect(outcome).toBe('pending');
    await clock.advance(1);
    expect(isColinkError(outcome, 'ERR_TIMEOUT')).toBe(true);
    expect(await client.request('X')).toBe('re:X');
  });

  it('changes monitor level and sees debug messages at level 2', async () => {
    const { client } = await setup();
    await client.setLevel(2);
    const debug = firstValueFrom(
      client.events$.pipe(
        filter((e) => e.level === 2 && e.raw.includes('ADD_NETWORK')),
        timeout(5_000),
      ),
    );
    await client.value('ADD_NETWORK');
    expect((await debug).raw).toBe("Control interface command 'ADD_NETWORK'");
  });

  it('re-attaches after CTRL-EVENT-TERMINATING and receives events from the restarted daemon', async () => {
    const { client, d } = await setup({ reattachRetryMs: 50 });
    const terminating = nextEvent(client, 'CTRL-EVENT-TERMINATING');
    const back = firstValueFrom(
      client.state$.pipe(
        filter((s) => s === 'reconnecting'),
        timeout(5_000),
      ),
    );
    await d.restart(100);
    await terminating;
    await back;
    await firstValueFrom(
      client.state$.pipe(
        filter((s) => s === 'attached'),
        timeout(5_000),
      ),
    );
    const added = nextEvent(client, 'CTRL-EVENT-NETWORK-ADDED');
    await client.value('ADD_NETWORK');
    expect((await added).networkId).toBeGreaterThanOrEqual(0);
  });

  it('PING watchdog notices a daemon replaced without notice (new socket inode) and re-attaches', async () => {
    const { client, d } = await setup({ pingIntervalMs: 50, reattachRetryMs: 50 });
    const states: string[] = [];
    client.state$.subscribe((s) => states.push(s));
    // a silent restart: no monitor hears TERMINATING because the fake's monitors are dropped first
    (d as unknown as { monitors: Map<string, unknown> }).monitors.clear();
    await d.restart(10);
    await firstValueFrom(
      client.state$.pipe(
        filter((s) => s === 'reconnecting'),
        timeout(5_000),
      ),
    );
    await firstValueFrom(
      client.state$.pipe(
        filter((s) => s === 'attached'),
        timeout(5_000),
      ),
    );
    const added = nextEvent(client, 'CTRL-EVENT-NETWORK-ADDED');
    await client.value('ADD_NETWORK');
    await added;
    expect(states).toEqual(['attached', 'reconnecting', 'attached']);
  });

  it('rejects commands after close with ERR_NOT_STARTED', async () => {
    const { client } = await setup();
    await client.close();
    const e = await client.request('PING').catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_NOT_STARTED')).toBe(true);
  });
});
