// Issue 15, "network change": a Link over an interface that net-monitor reports gone is lost at once, not after the
// keep-alive timeout. Two device processes in two namespaces, on LAN TCP (a veth) and a Wi-Fi P2P group (fake
// wpa_supplicant, real veth data path), each running net-monitor with dropLinksOnNetworkLoss. While a session streams
// over the P2P group: (1) the group address of the peer connection's follower is removed — the leader sees nothing,
// yet both move to TCP at once; (2) the group is formed again (back on P2P); (3) the leader's group interface is set
// down. Every message arrives once, in order; the data's SHA-256 matches; the apps see no disconnect.
import { DEFAULT_IDLE_TIMEOUT_MS } from '@colink/core/wire';
import { canUseNetns, ip } from '@colink/transport-wifi-p2p/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceProc, HandoverLab, type Line } from './handover-helpers.js';

const CHUNK = 64 * 1024;
const BATCH = 40;
/** Generous bound for the move: far below the keep-alive timeout it replaces (30 s), far above what it takes. */
const MOVE_WAIT_MS = DEFAULT_IDLE_TIMEOUT_MS / 2;

if (!canUseNetns()) console.warn('network-change test skipped: not root (namespaces and veths need root)');

/** The interface of namespace `ns` holding `address`. */
async function interfaceOf(ns: string, address: string): Promise<string> {
  const out = await ip(['-o', '-4', 'addr', 'show'], ns);
  const line = out.split('\n').find((l) => l.includes(` ${address}/`));
  if (!line) throw new Error(`${address} not in ${ns}: ${out}`);
  return line.split(/\s+/)[1]!;
}

describe.skipIf(!canUseNetns())(
  'network change = immediate loss (net-monitor in two device processes)',
  () => {
    const lab = new HandoverLab('n');
    beforeAll(() => lab.setUp(), 30_000);
    afterAll(() => lab.tearDown(), 60_000);

    it('address removed / interface down under a live session: the session moves to TCP at once, long before the keep-alive timeout', async () => {
      const [{ proc: a, ready: ra }, { proc: b, ready: rb }] = await Promise.all([
        lab.device('a', true),
        lab.device('b', true),
      ]);
      expect(ra.netMonitor).toBe('netlink');
      expect(rb.netMonitor).toBe('netlink');
      await a.ask({ cmd: 'dialTcp', address: `10.88.0.2:${lab.tcpPort}` }, 'dialled');
      // The leader of the peer connection (smaller networkId) chooses the carrier (PROTOCOL.md §8.1). The first cut
      // is seen by the follower alone, the second by the leader's side.
      const aLeads = String(ra.networkId) < String(rb.networkId);
      const side = (p: DeviceProc): { ns: string; name: string } =>
        p === a ? { ns: lab.nsA, name: 'A' } : { ns: lab.nsB, name: 'B' };
      const [leader, follower] = aLeads ? [a, b] : [b, a];
      /** The local address and interface of `p`'s next Wi-Fi P2P Link. */
      const p2pLink = (p: DeviceProc): Promise<{ host: string; ifname: string }> =>
        p
          .next('link', 60_000, p.lines.length, (l) => l.medium === 'wifi-p2p')
          .then(async (l) => {
            const host = String(l.local).split(':')[0]!;
            return { host, ifname: await interfaceOf(side(p).ns, host) };
          });
      const [p2pA, p2pB] = [p2pLink(a), p2pLink(b)];
      await a.ask({ cmd: 'dialP2p', address: rb.p2p }, 'dialled', 60_000);
      const sessionB = b.next('session', 30_000);
      await a.ask({ cmd: 'session', peer: rb.networkId }, 'session');
      await sessionB;
      expect((await a.ask({ cmd: 'report' }, 'report')).carrier).toBe('wifi-p2p');

      /** Cuts `cutSide`'s P2P path with `cut`; both sessions must move to TCP, `cutSide` having dropped its Link. */
      const moveToTcp = async (
        what: string,
        cutSide: DeviceProc,
        cut: () => Promise<void>,
      ): Promise<void> => {
        const fromA = a.lines.length;
        const fromB = b.lines.length;
        const fromCut = cutSide.lines.length;
        const movedA = a.next('move', MOVE_WAIT_MS, fromA, (l) => l.to === 'tcp');
        const movedB = b.next('move', MOVE_WAIT_MS, fromB, (l) => l.to === 'tcp');
        const dropped = cutSide.next('dropped', MOVE_WAIT_MS, fromCut, (l) =>
          (l.links as string[]).includes('wifi-p2p'),
        );
        const t0 = Date.now();
        await cut();
        const [ma, mb, d] = await Promise.all([movedA, movedB, dropped]);
        const closed = await cutSide.next(
          'linkClosed',
          MOVE_WAIT_MS,
          fromCut,
          (l) => l.medium === 'wifi-p2p',
        );
        expect(closed.reason).toMatchObject({ code: 'lost', detail: { cause: 'network-change' } });
        console.info(
          `${what}: ${side(cutSide).name} dropped its P2P Link (${d.cause}) after ${d.at - t0} ms; session on TCP after ${ma.at - t0} ms (A), ${mb.at - t0} ms (B); keep-alive timeout ${DEFAULT_IDLE_TIMEOUT_MS} ms`,
        );
      };

      // (1) The follower's group address goes away while both send; only its kernel (and net-monitor) knows: its
      // RESUME on TCP tells the leader, which moves at once (no waiting for its keep-alive).
      const first = follower === a ? await p2pA : await p2pB;
      const sentA1 = a.ask({ cmd: 'send', count: BATCH, paceMs: 20, dataBytes: CHUNK }, 'sent', 120_000);
      const sentB1 = b.ask({ cmd: 'send', count: BATCH, paceMs: 20 }, 'sent', 120_000);
      await b.next('progress', 60_000, 0, (l) => Number(l.messages) >= 10);
      await moveToTcp(
        `address ${first.host} removed from ${first.ifname} (${side(follower).name}, the follower, only)`,
        follower,
        () =>
          ip(['addr', 'del', `${first.host}/24`, 'dev', first.ifname], side(follower).ns).then(
            () => undefined,
          ),
      );
      expect(leader.all('move').at(-1)).toMatchObject({ to: 'tcp', why: 'loss' });
      await Promise.all([sentA1, sentB1]);

      // (2) The group is formed again (A removes the old one and dials): back on P2P.
      await a.ask({ cmd: 'removeGroup' }, 'groupRemoved');
      const back = Promise.all([
        a.next('move', 60_000, a.lines.length, (l) => l.to === 'wifi-p2p'),
        b.next('move', 60_000, b.lines.length, (l) => l.to === 'wifi-p2p'),
      ]);
      const [p2pA2, p2pB2] = [p2pLink(a), p2pLink(b)];
      await a.ask({ cmd: 'dialP2p', address: rb.p2p }, 'dialled', 60_000);
      await back;
      const second = leader === a ? await p2pA2 : await p2pB2;

      // (3) The leader's group interface goes down mid-transfer.
      const sentA2 = a.ask({ cmd: 'send', count: BATCH, paceMs: 20, dataBytes: CHUNK }, 'sent', 120_000);
      await b.next('progress', 60_000, 0, (l) => Number(l.messages) >= BATCH + 10);
      await moveToTcp(`${second.ifname} set down (${side(leader).name}, the leader)`, leader, () =>
        ip(['link', 'set', second.ifname, 'down'], side(leader).ns).then(() => undefined),
      );
      await sentA2;

      const total = 2 * BATCH;
      await b.next('progress', 60_000, 0, (l) => Number(l.messages) >= total);
      await a.next('progress', 60_000, 0, (l) => Number(l.messages) >= BATCH);
      const repA = await a.ask({ cmd: 'report' }, 'report');
      const repB = await b.ask({ cmd: 'report' }, 'report');
      const rxB = repB.rx as Record<string, unknown>;
      expect(repA.failure).toBeUndefined();
      expect(repB.failure).toBeUndefined();
      expect(rxB).toMatchObject({ messages: total, chunks: total, bytes: total * CHUNK });
      expect(rxB.sha256).toBe((repA.tx as Record<string, unknown>).sha256);
      expect((repA.rx as Record<string, unknown>).messages).toBe(BATCH);
      expect([...a.all('ended'), ...b.all('ended')]).toEqual([]);
      expect(repB.carrier).toBe('tcp');
      const moves = (p: DeviceProc): string =>
        p
          .all('move')
          .map((l: Line) => `${l.from}→${l.to}:${l.why}`)
          .join(', ');
      console.info(
        `by carrier at arrival (B) ${JSON.stringify(repB.byMedium)}; moves A ${moves(a)}; B ${moves(b)}`,
      );
    }, 300_000);
  },
);
