import fs from 'node:fs';
import { type CloseReason, type Conduit, isColinkError } from '@colink/core';
import { firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WifiP2pTransport } from '../src/index.js';
import { FakeP2pMedium } from '../src/testing/index.js';
import { tempDir } from './helpers.js';

describe('WifiP2pTransport over the fake (loopback data path)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function pair(goIntentA: number, goIntentB: number) {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'loopback' });
    const da = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0' });
    const db = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan1' });
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const a = new WifiP2pTransport({
      ctrlPath: da.ctrlPath,
      addressing: medium.addressing,
      goIntent: goIntentA,
      port,
    });
    const b = new WifiP2pTransport({
      ctrlPath: db.ctrlPath,
      addressing: medium.addressing,
      goIntent: goIntentB,
      port,
    });
    cleanups.push(async () => {
      await a.stop();
      await b.stop();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await a.start();
    await b.start();
    return { medium, da, db, a, b };
  }

  const closedOf = (c: Conduit): Promise<CloseReason> => firstValueFrom(c.closed$.pipe(timeout(10_000)));

  it('a GO dials its client at the client address from AP-STA-CONNECTED ip_addr', async () => {
    const { a, b } = await pair(15, 0);
    const incoming = firstValueFrom(b.incoming$.pipe(timeout(10_000)));
    const ca = await a.dial(b.localAddress!);
    const cb = await incoming;
    expect(a.service!.currentGroups[0]!.role).toBe('GO');
    expect(ca.remoteAddress).toBe(cb.localAddress);
    const got = firstValueFrom(cb.data$);
    ca.write([new TextEncoder().encode('hello from the GO')]);
    expect(new TextDecoder().decode(await got)).toBe('hello from the GO');
  });

  it('a group removed by the GO ends the client conduits with reason lost (remote, GO_ENDING_SESSION)', async () => {
    const { a, b } = await pair(0, 15);
    const incoming = firstValueFrom(b.incoming$.pipe(timeout(10_000)));
    const ca = await a.dial(b.localAddress!);
    const ca2 = await a.dial(b.localAddress!);
    const cb = await incoming;
    const [ra, ra2, rb] = [closedOf(ca), closedOf(ca2), closedOf(cb)];
    await b.service!.removeGroup();
    expect(await ra).toMatchObject({ code: 'lost', remote: true, detail: { reason: 'GO_ENDING_SESSION' } });
    expect((await ra2).code).toBe('lost');
    expect(await rb).toMatchObject({ code: 'normal' });
    expect(a.service!.currentGroups).toEqual([]);
  });

  it('a lost group (fault) ends the conduits on both sides with reason lost', async () => {
    const { medium, a, b, db } = await pair(0, 15);
    const incoming = firstValueFrom(b.incoming$.pipe(timeout(10_000)));
    const ca = await a.dial(b.localAddress!);
    const cb = await incoming;
    const [ra, rb] = [closedOf(ca), closedOf(cb)];
    await medium.loseGroup(db);
    expect(await ra).toMatchObject({ code: 'lost', detail: { reason: 'IDLE' } });
    expect(await rb).toMatchObject({ code: 'lost', detail: { reason: 'UNAVAILABLE' } });
  });

  it('dial fails with ERR_DIAL_FAILED when GO negotiation fails, and ERR_NOT_STARTED before start', async () => {
    const { a, b, db } = await pair(7, 7);
    db.faults.failGoNegotiation = 7;
    const e = await a.dial(b.localAddress!).catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_DIAL_FAILED')).toBe(true);
    const idle = new WifiP2pTransport({ ctrlPath: '/nonexistent' });
    const e2 = await idle.dial('02:00:00:00:00:01').catch((x: unknown) => x);
    expect(isColinkError(e2, 'ERR_NOT_STARTED')).toBe(true);
    const e3 = await a.dial('not-a-mac').catch((x: unknown) => x);
    expect(isColinkError(e3, 'ERR_INVALID_ARGUMENT')).toBe(true);
  });
});
