import { afterEach, describe, expect, it } from 'vitest';
import { LocalDevice } from '../src/device.js';
import { closeReason } from '../src/errors.js';
import { MAX_CHANNELS_PER_LINK } from '../src/limits.js';
import type { Session, SessionEndReason } from '../src/session.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { advert, app, LoopbackTcp, settle, until } from './helpers.js';

const running: LocalDevice[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((d) => d.stop()));
});

describe('review11: a device that stops past the peer’s rapid-reset bucket (link.ts churned())', () => {
  it('its sessions end on the peer with peer-exit, like any stop', { timeout: 60_000 }, async () => {
    // As rapid-reset.test.ts's "a stopping device": B's clock stands still (its bucket regains nothing).
    const tb = new LoopbackTcp('127.0.0.1');
    const b = new LocalDevice({ advert: advert('r11s-b'), transports: [tb], scheduler: new VirtualClock() });
    const ta = new LoopbackTcp('127.0.0.1');
    const a = new LocalDevice({ advert: advert('r11s-a'), transports: [ta] });
    running.push(a, b);
    let handled = 0;
    b.handle('idle', () => handled++); // takes every channel, never answers on it
    const accepted: Session[] = [];
    b.sessions.requests$.subscribe((r) => void r.accept().then((s) => accepted.push(s)));
    await b.start();
    await a.start();
    await a.connectAddress('tcp', tb.localAddress!);
    await until(() => b.links().length === 1);
    const linkB = b.links()[0]!;
    const request = () =>
      a.sessions.request({
        peer: b.advert.networkId,
        service: 'collab',
        local: app('EntryAbility'),
        remote: app('EntryAbility'),
      });
    await request(); // a session opened before A's idle channels…
    const pc = a.peer(b.advert.networkId)!;
    const cancelled = Array.from({ length: 1_000 }, () => pc.openChannel({ proto: 'idle' }));
    await until(() => handled === 1_000, 30_000);
    for (const ch of cancelled) ch.reset(closeReason('cancelled'));
    await settle(20);
    const n = MAX_CHANNELS_PER_LINK - linkB.openChannels.length - 4;
    for (let i = 0; i < n; i++) pc.openChannel({ proto: 'idle' });
    await until(() => handled === 1_000 + n, 30_000);
    await request(); // …and one after them
    await until(() => accepted.length === 2);
    const ends: SessionEndReason[] = [];
    for (const s of accepted) s.ended$.subscribe((r) => ends.push(r));
    expect(linkB.state).toBe('open');
    await a.stop();
    const reason = await linkB.closed;
    // Closed by the churn (the path under review), not by A's GOAWAY.
    expect(reason).toMatchObject({
      code: 'going-away',
      message: expect.stringMatching(/the peer is going away/),
    });
    await until(() => ends.length === 2, 10_000).catch(() => undefined);
    expect(ends).toEqual(['peer-exit', 'peer-exit']);
  });
});
