// Issue 15, "the same with the Wi-Fi P2P medium through the fake wpa_supplicant": two device processes in two network
// namespaces, linked by LAN TCP (a veth) and by a Wi-Fi P2P group (the fake daemon forms it over a veth of its own).
// A session exchanges numbered messages both ways and streams data while the group is removed (traffic moves to TCP,
// no app-visible disconnect) and formed again (traffic upgrades back: Wi-Fi P2P ranks above TCP). Every message
// arrives exactly once, in order; the data's SHA-256 matches.

import { canUseNetns } from '@colink/transport-wifi-p2p/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceProc, HandoverLab, type Line } from './handover-helpers.js';

const CHUNK = 64 * 1024;
const BATCH = 40;

if (!canUseNetns())
  console.warn('Wi-Fi P2P handover test skipped: not root (namespaces and veths need root)');

describe.skipIf(!canUseNetns())(
  'handover with the Wi-Fi P2P medium (two device processes, two namespaces)',
  () => {
    const lab = new HandoverLab('p');
    beforeAll(() => lab.setUp(), 30_000);
    afterAll(() => lab.tearDown(), 60_000);

    it('group removed mid-transfer → TCP carries on; group formed again → back on P2P; exactly once, in order, SHA-256 equal', async () => {
      const [{ proc: a }, { proc: b, ready: rb }] = await Promise.all([lab.device('a'), lab.device('b')]);
      await a.ask({ cmd: 'dialTcp', address: `10.88.0.2:${lab.tcpPort}` }, 'dialled');
      const firstP2p = await a.ask({ cmd: 'dialP2p', address: rb.p2p }, 'dialled', 60_000);
      console.info(`P2P group formed and Link open in ${firstP2p.ms} ms`);
      const sessionB = b.next('session', 30_000);
      await a.ask({ cmd: 'session', peer: rb.networkId }, 'session');
      await sessionB;
      const carrier = async (p: DeviceProc): Promise<unknown> =>
        (await p.ask({ cmd: 'report' }, 'report')).carrier;
      expect(await carrier(a)).toBe('wifi-p2p');
      expect(await carrier(b)).toBe('wifi-p2p');

      // Phase 1: the group goes while both sides send (A: messages + 64 KiB chunks, B: messages).
      const phase1 = b.lines.length;
      const movedToTcp = b.next('move', 60_000, phase1, (l) => l.to === 'tcp');
      const sentA1 = a.ask({ cmd: 'send', count: BATCH, paceMs: 20, dataBytes: CHUNK }, 'sent', 120_000);
      const sentB1 = b.ask({ cmd: 'send', count: BATCH, paceMs: 20 }, 'sent', 120_000);
      await b.next('progress', 60_000, phase1, (l) => Number(l.messages) >= 10);
      const cutAt = Date.now();
      await a.ask({ cmd: 'removeGroup' }, 'groupRemoved');
      const moved = await movedToTcp;
      console.info(`group removed → B's session on TCP after ${moved.at - cutAt} ms`);
      await Promise.all([sentA1, sentB1]);

      // Phase 2: the group is formed again while A sends: make-before-break back to P2P.
      const phase2 = b.lines.length;
      const backToP2p = Promise.all([
        a.next('move', 90_000, a.lines.length, (l) => l.to === 'wifi-p2p'),
        b.next('move', 90_000, phase2, (l) => l.to === 'wifi-p2p'),
      ]);
      const sentA2 = a.ask({ cmd: 'send', count: BATCH, paceMs: 20, dataBytes: CHUNK }, 'sent', 120_000);
      await b.next('progress', 60_000, phase2, (l) => Number(l.messages) >= BATCH + 10);
      const reform = await a.ask({ cmd: 'dialP2p', address: rb.p2p }, 'dialled', 60_000);
      const [upA] = await backToP2p;
      console.info(
        `group formed again in ${reform.ms} ms; session back on P2P ${upA.at - (reform.at - Number(reform.ms))} ms after the dial began`,
      );
      await sentA2;

      // Phase 3: a last batch on P2P.
      await a.ask({ cmd: 'send', count: 20, dataBytes: CHUNK }, 'sent', 120_000);
      const total = 2 * BATCH + 20;
      await b.next('progress', 60_000, 0, (l) => Number(l.messages) >= total);
      await a.next('progress', 60_000, 0, (l) => Number(l.messages) >= BATCH);
      const [repA, repB] = [
        await a.ask({ cmd: 'report' }, 'report'),
        await b.ask({ cmd: 'report' }, 'report'),
      ];
      const rxB = repB.rx as Record<string, unknown>;
      const txA = repA.tx as Record<string, unknown>;
      console.info(
        `B received ${rxB.messages} messages and ${(Number(rxB.bytes) / 2 ** 20).toFixed(2)} MiB; by carrier at arrival ${JSON.stringify(repB.byMedium)}`,
      );
      expect(repA.failure).toBeUndefined();
      expect(repB.failure).toBeUndefined();
      expect(rxB).toMatchObject({ messages: total, chunks: total, bytes: total * CHUNK });
      expect(rxB.sha256).toBe(txA.sha256);
      expect((repA.rx as Record<string, unknown>).messages).toBe(BATCH);
      expect(repB.carrier).toBe('wifi-p2p');
      expect(Object.keys(repB.byMedium as object).sort()).toEqual(['tcp', 'wifi-p2p']);
      // The apps saw no disconnect.
      expect([...a.all('ended'), ...b.all('ended')]).toEqual([]);
      expect(repA.sessionState).toBe('open');
      expect(repB.sessionState).toBe('open');
      const moves = (p: DeviceProc): string[] => p.all('move').map((l: Line) => `${l.from}→${l.to}:${l.why}`);
      console.info(`moves A ${moves(a).join(', ')}; B ${moves(b).join(', ')}`);
      // at least one side saw the group's Link go itself
      expect([...moves(a), ...moves(b)]).toContain('wifi-p2p→tcp:loss');
      for (const p of [a, b]) {
        const m = moves(p);
        // `loss` on the side whose Link went first; `peer` when the other side's RESUME on TCP came before its own
        // loss was seen (the leader follows a follower that moved, PROTOCOL.md §8.2)
        const loss = m.findIndex((x) => /^wifi-p2p→tcp:(loss|peer)$/.test(x));
        expect(loss, m.join()).toBeGreaterThanOrEqual(0);
        // after the loss: exactly one move back to P2P (the leader's upgrade, the follower following it)
        expect(m.slice(loss + 1), m.join()).toEqual([expect.stringMatching(/^tcp→wifi-p2p:(upgrade|peer)$/)]);
      }
    }, 300_000);
  },
);
