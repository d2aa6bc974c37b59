import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { SESSION_DATA_PROTO, type Session } from '../src/session.js';
import { advert, bytes, next, sha } from './helpers.js';

// LocalDevice.stop() leaves nothing running: the timers and handles of Links, peer connections, sessions, transfers
// and the upgrade dials are all gone once both devices have stopped (process.getActiveResourcesInfo()).

const app = { bundleName: 'com.example.handles', moduleName: 'entry', abilityName: 'EntryAbility' };

/** Active timers and immediates of this process, by kind. */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo())
    if (r === 'Timeout' || r === 'Immediate') out[r] = (out[r] ?? 0) + 1;
  return out;
}

describe('LocalDevice.stop() leaves no timers behind', () => {
  it('after sessions, data, a transfer and a grace period, two stopped devices hold no timer', async () => {
    await new Promise((r) => setTimeout(r, 20));
    const before = handles();
    const bleNet = new MemoryNetwork({ medium: 'ble', model: { mtu: 244 } });
    const tcpNet = new MemoryNetwork({ medium: 'tcp', model: { latencyMs: 1 } });
    const media = () => [bleNet.createTransport({ priority: 10 }), tcpNet.createTransport({ priority: 100 })];
    const a = new LocalDevice({ advert: advert('h1'), transports: media(), peerGraceMs: 60_000 });
    const b = new LocalDevice({ advert: advert('h2'), transports: media(), peerGraceMs: 60_000 });
    await a.start();
    await b.start();
    await next(a.directory.devices$, (l) => l.length === 1 && l[0]!.mediums.length === 2);
    const accepted = new Promise<Session>((resolve) =>
      b.sessions.requests$.subscribe((r) => void r.accept().then(resolve)),
    );
    const sa = await a.sessions.request({ peer: b.advert.networkId, service: 'h', local: app, remote: app });
    const sb = await accepted;
    await a.connect(b.advert.networkId, { medium: 'ble' }); // a standby Link
    const texts = firstValueFrom(sb.messages$.pipe(take(3), toArray()));
    for (const t of ['one', 'two', 'three']) await sa.sendMessage(t);
    expect(await texts).toEqual(['one', 'two', 'three']);
    const blob = bytes(300 * 1024);
    const got = firstValueFrom(sb.data$);
    await sa.transfer(blob).done;
    expect(sha(await got)).toBe(sha(blob));
    // The carrier is cut: BLE carries, the upgrade dials TCP again; then a stop in the middle of a transfer.
    tcpNet.sever(a.transports[1]!.localAddress!);
    await expect.poll(() => a.peer(b.advert.networkId)?.carrier?.medium).toBe('ble');
    void sa.transfer(bytes(2 * 1024 * 1024)).done.catch(() => undefined);
    void sa.sendData(bytes(1024 * 1024)).catch(() => undefined);
    // Every medium gone: the peer connection waits out its 60 s grace period, re-dialling with backoff.
    for (const t of a.transports) (t.medium === 'ble' ? bleNet : tcpNet).sever(t.localAddress!);
    await expect.poll(() => a.peer(b.advert.networkId)?.state).toBe('reconnecting');
    const during = handles();
    expect(during.Timeout ?? 0).toBeGreaterThan(before.Timeout ?? 0); // the grace period, keep-alives, upgrade dials
    await a.stop();
    await b.stop();
    await new Promise((r) => setTimeout(r, 50));
    const after = handles();
    // (vitest's own timers come and go: nothing above the count before the devices existed)
    expect(after.Timeout ?? 0, JSON.stringify({ before, after })).toBeLessThanOrEqual(before.Timeout ?? 0);
    expect(after.Immediate ?? 0, JSON.stringify({ before, after })).toBeLessThanOrEqual(
      before.Immediate ?? 0,
    );
    expect(a.lastStop?.flushed).toBe(false); // the transfer and the data were stranded with no Link
  }, 30_000);

  it('a session data channel waiting for its accept (5 s) is refused at stop, and its timer goes with it', async () => {
    await new Promise((r) => setTimeout(r, 20));
    const before = handles();
    const net = new MemoryNetwork();
    const a = new LocalDevice({ advert: advert('h3'), transports: [net.createTransport()] });
    const b = new LocalDevice({ advert: advert('h4'), transports: [net.createTransport()] });
    await a.start();
    await b.start();
    await next(b.directory.devices$, (l) => l.length === 1);
    a.sessions.requests$.subscribe(); // a takes sessions: its session handlers are installed
    await b.connect(a.advert.networkId);
    // A data channel for a session whose accept has not arrived (here: never will) waits on a for its session.
    const waiting = b.peer(a.advert.networkId)!.openChannel({ proto: SESSION_DATA_PROTO, key: 'not-yet' });
    await waiting.send(Uint8Array.of(1));
    // send() resolves once the bytes are written on b's side; wait until a holds the channel for its session (before,
    // a stop() racing the OPEN closed it as going-away instead, and no timer had been set to check).
    const orphans = (a.sessions as unknown as { orphans: Map<string, unknown> }).orphans;
    await expect.poll(() => orphans.size, { timeout: 5_000 }).toBe(1);
    const closed = firstValueFrom(waiting.closed$);
    await a.stop();
    expect(await closed).toMatchObject({ code: 'refused', remote: true });
    await b.stop();
    await new Promise((r) => setTimeout(r, 50));
    const after = handles();
    expect(after.Timeout ?? 0, JSON.stringify({ before, after })).toBeLessThanOrEqual(before.Timeout ?? 0);
  });
});
