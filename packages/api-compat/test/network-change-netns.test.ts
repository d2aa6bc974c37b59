// Issue 15, "network change": a Link over an interface that net-monitor reports gone is lost at once, not after the
// keep-alive timeout. Two device processes in two namespaces, on LAN TCP (a veth) and a Wi-Fi P2P group (fake
// wpa_supplicant, real veth data path), each running net-monitor with dropLinksOnNetworkLoss. While a session streams
// over the P2P group: (1) the group address of the peer connection's follower is removed — the leader sees nothing,
// yet both move to TCP at once; (2) the group is formed again (back on P2P); (3) the leader's group interface is set
// down. Every message arrives once, in order; the data's SHA-256 matches; the apps see no disconnect.
import { DEFAULT_IDLE_TIMEOUT_MS } from '@colink/core/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { canNetns, type DeviceProc, HandoverLab, interfaceOf, ip, p2pDevices } from './handover/index.js';

const CHUNK = 64 * 1024;
const BATCH = 40;
/** Generous bound for the move: far below the keep-alive timeout it replaces (30 s), far above what it takes. */
const MOVE_WAIT_MS = DEFAULT_IDLE_TIMEOUT_MS / 2;

/** `p` sends `messages` numbered messages on its session, each followed by a CHUNK of data when `data`, 20 ms apart. */
const send = (p: DeviceProc, messages: number, data: boolean) =>
  p.ask({ cmd: 'send', messages, dataBytes: data ? messages * CHUNK : 0, chunk: CHUNK, paceMs: 20 }, 'sent', {
    timeoutMs: 120_000,
    failOn: ['send-failed'],
  });

if (!canNetns()) console.warn('network-change test skipped: not root (namespaces and veths need root)');

describe.skipIf(!canNetns())('network change = immediate loss (net-monitor in two device processes)', () => {
  const lab = new HandoverLab();
  afterAll(() => lab.tearDown(), 60_000);

  it('address removed / interface down under a live session: the session moves to TCP at once, long before the keep-alive timeout', async () => {
    const { pair, tcpPort, a, b, ra, rb } = await p2pDevices(lab, 'n', '10.88.0', true);
    expect(ra.netMonitor).toBe('netlink');
    expect(rb.netMonitor).toBe('netlink');
    await a.dial('tcp', `${pair.addrB}:${tcpPort}`);
    // The leader of the peer connection (smaller networkId) chooses the carrier (PROTOCOL.md §8.1). The first cut
    // is seen by the follower alone, the second by the leader's side.
    const aLeads = String(ra.networkId) < String(rb.networkId);
    const side = (p: DeviceProc): { ns: string; name: string } =>
      p === a ? { ns: pair.a, name: 'A' } : { ns: pair.b, name: 'B' };
    const [leader, follower] = aLeads ? [a, b] : [b, a];
    /** The local address and interface of `p`'s next Wi-Fi P2P Link. */
    const p2pLink = (p: DeviceProc): Promise<{ host: string; ifname: string }> =>
      p
        .next('link-open', { timeoutMs: 60_000 }, (l) => l.medium === 'wifi-p2p')
        .then(async (l) => {
          const host = String(l.local).split(':')[0]!;
          return { host, ifname: await interfaceOf(side(p).ns, host) };
        });
    const [p2pA, p2pB] = [p2pLink(a), p2pLink(b)];
    await a.dial('wifi-p2p', String(rb.p2p));
    const sessionB = b.next('session', { timeoutMs: 30_000 });
    await a.ask({ cmd: 'session', peer: rb.networkId }, 'session');
    await sessionB;
    expect((await a.ask({ cmd: 'report' }, 'report')).carrier).toBe('wifi-p2p');

    /** Cuts `cutSide`'s P2P path with `cut`; both sessions must move to TCP, `cutSide` having dropped its Link. */
    const moveToTcp = async (what: string, cutSide: DeviceProc, cut: () => Promise<void>): Promise<void> => {
      const fromA = a.lines.length;
      const fromB = b.lines.length;
      const fromCut = cutSide.lines.length;
      const movedA = a.next('move', { timeoutMs: MOVE_WAIT_MS, from: fromA }, (l) => l.to === 'tcp');
      const movedB = b.next('move', { timeoutMs: MOVE_WAIT_MS, from: fromB }, (l) => l.to === 'tcp');
      const dropped = cutSide.next('dropped', { timeoutMs: MOVE_WAIT_MS, from: fromCut }, (l) =>
        (l.links as string[]).includes('wifi-p2p'),
      );
      const t0 = Date.now();
      await cut();
      const [ma, mb, d] = await Promise.all([movedA, movedB, dropped]);
      const closed = await cutSide.next(
        'link-closed',
        { timeoutMs: MOVE_WAIT_MS, from: fromCut },
        (l) => l.medium === 'wifi-p2p',
      );
      expect(closed.reason).toMatchObject({ code: 'lost', detail: { cause: 'network-change' } });
      console.info(
        `${what}: ${side(cutSide).name} dropped its P2P Link (${d.cause}) after ${d.t - t0} ms; session on TCP after ${ma.t - t0} ms (A), ${mb.t - t0} ms (B); keep-alive timeout ${DEFAULT_IDLE_TIMEOUT_MS} ms`,
      );
    };

    // (1) The follower's group address goes away while both send; only its kernel (and net-monitor) knows: its
    // RESUME on TCP tells the leader, which moves at once (no waiting for its keep-alive).
    const first = follower === a ? await p2pA : await p2pB;
    const sentA1 = send(a, BATCH, true);
    const sentB1 = send(b, BATCH, false);
    await b.next('rx-progress', { timeoutMs: 60_000, from: 0 }, (l) => Number(l.messages) >= 10);
    await moveToTcp(
      `address ${first.host} removed from ${first.ifname} (${side(follower).name}, the follower, only)`,
      follower,
      () =>
        ip(['addr', 'del', `${first.host}/24`, 'dev', first.ifname], side(follower).ns).then(() => undefined),
    );
    expect(leader.events('move').at(-1)).toMatchObject({ to: 'tcp', why: 'loss' });
    await Promise.all([sentA1, sentB1]);

    // (2) The group is formed again (A removes the old one and dials): back on P2P.
    await a.ask({ cmd: 'removeGroup' }, 'group-removed');
    const back = Promise.all([
      a.next('move', { timeoutMs: 60_000 }, (l) => l.to === 'wifi-p2p'),
      b.next('move', { timeoutMs: 60_000 }, (l) => l.to === 'wifi-p2p'),
    ]);
    const [p2pA2, p2pB2] = [p2pLink(a), p2pLink(b)];
    await a.dial('wifi-p2p', String(rb.p2p));
    await back;
    const second = leader === a ? await p2pA2 : await p2pB2;

    // (3) The leader's group interface goes down mid-transfer.
    const sentA2 = send(a, BATCH, true);
    await b.next('rx-progress', { timeoutMs: 60_000, from: 0 }, (l) => Number(l.messages) >= BATCH + 10);
    await moveToTcp(`${second.ifname} set down (${side(leader).name}, the leader)`, leader, () =>
      ip(['link', 'set', second.ifname, 'down'], side(leader).ns).then(() => undefined),
    );
    await sentA2;

    const total = 2 * BATCH;
    await b.next('rx-progress', { timeoutMs: 60_000, from: 0 }, (l) => Number(l.messages) >= total);
    await a.next('rx-progress', { timeoutMs: 60_000, from: 0 }, (l) => Number(l.messages) >= BATCH);
    const repA = await a.ask({ cmd: 'report' }, 'report');
    const repB = await b.ask({ cmd: 'report' }, 'report');
    const rxA = repA.rx as Record<string, unknown>;
    const rxB = repB.rx as Record<string, unknown>;
    expect(rxA.errors).toEqual([]);
    expect(rxB.errors).toEqual([]);
    expect(rxB).toMatchObject({ messages: total, chunks: total, dataBytes: total * CHUNK });
    expect(rxB.sha256).toBe((repA.tx as Record<string, unknown>).sha256);
    expect(rxA.messages).toBe(BATCH);
    expect([...a.events('disconnect'), ...b.events('disconnect')]).toEqual([]);
    expect(repB.carrier).toBe('tcp');
    const moves = (p: DeviceProc): string =>
      p
        .events('move')
        .map((l) => `${l.from}→${l.to}:${l.why}`)
        .join(', ');
    console.info(
      `by carrier at arrival (B) ${JSON.stringify(repB.byMedium)}; moves A ${moves(a)}; B ${moves(b)}`,
    );
  }, 300_000);
});
