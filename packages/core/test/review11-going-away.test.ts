import { describe, expect, it } from 'vitest';
import { encodeCloseFrame, encodeFrame, encodeJson, encodeResumeFrame, FrameType } from '../src/codec.js';
import { closeReason } from '../src/errors.js';
import { RAPID_RESET_BURST } from '../src/limits.js';
import { RapidResetBudget } from '../src/rapid-reset.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { collectIncoming, rawPeer, settle, openFrame as v1Open } from './helpers.js';
import { peers } from './peer-helpers.js';

/** Connection-channel ids of A's parity on the pair's Link. */
function aIds(a: unknown, n: number): number[] {
  const first = 0x8000 + ((a as { opensOddIds: boolean }).opensOddIds ? 1 : 0);
  return Array.from({ length: n }, (_, k) => first + 2 * k);
}

const open = (id: number) => encodeFrame(FrameType.OPEN, 0, id, 0, encodeJson({ proto: 'churn' }));
const away = (id: number) => encodeCloseFrame(FrameType.RESET, id, closeReason('going-away', 'bye'));
const resume = (id: number) =>
  encodeResumeFrame({ channel: id, received: 0, credit: 65_536, epoch: 1_000, metadata: { proto: 'churn' } });

describe('review11: a churner that says going-away (link.ts churned())', () => {
  it('the peer’s channels after the one past the bucket are refused, by OPEN and by RESUME: the app sees none', async () => {
    // Virtual time that stands still: the bucket regains nothing.
    const clock = new VirtualClock();
    const { pb, link } = peers({ scheduler: clock }, clock);
    const l = await link('tcp');
    let closing = false;
    let afterClosing = 0;
    l.b.state$.subscribe((s) => {
      if (s.state !== 'open') closing = true;
    });
    pb.incomingChannels$.subscribe(() => {
      if (closing) afterClosing++;
    });
    const ids = aIds(l.a, RAPID_RESET_BURST + 1 + 40);
    const churned = ids.slice(0, RAPID_RESET_BURST);
    const last = ids[RAPID_RESET_BURST]!;
    const byOpen = ids.slice(RAPID_RESET_BURST + 1, RAPID_RESET_BURST + 21);
    const byResume = ids.slice(RAPID_RESET_BURST + 21);
    // The hostile peer writes its frames by hand: the bucket's worth of OPEN + going-away RESET…
    l.ca.write(churned.flatMap((id) => [open(id), away(id)]));
    await settle(50);
    expect(l.b.state).toBe('open');
    // …then, in one chunk (one TCP read), the one past the bucket and new channels behind it.
    l.ca.write([open(last), away(last), ...byOpen.map(open), ...byResume.map(resume)]);
    await settle(50);
    expect((await l.b.closed).code).toBe('going-away');
    // After any close the peer's new channels are refused (churned()'s doc): OPENs by the Link, RESUMEs that would
    // open a channel ("routed as an OPEN", PROTOCOL.md §4.7) by the peer connection, which lets go of a closing Link.
    expect(afterClosing).toBe(0);
    await pb.close(closeReason('normal'), 100);
  });
});

describe('review11: what a going-away close past the bucket leaves in it (PROTOCOL.md §4.5: "the same either way")', () => {
  /**
   * Protocol v1 Links sharing one bucket (as a device's per-peer one): 1,000 churned channels, then 4,096 open ones,
   * all reset in one chunk with `code` (the bucket runs out at the 3,097th); then, 2 s later (512 tokens regained),
   * 100 churned channels on a second Link of the same peer. Resolves with how each Link ended (the second's state when
   * it stayed open).
   */
  async function afterBurst(code: 'going-away' | 'cancelled') {
    const clock = new VirtualClock();
    const budget = new RapidResetBudget(() => clock.now());
    const options = { scheduler: clock, rapidReset: () => budget };
    const rst = (id: number) => encodeCloseFrame(FrameType.RESET, id, closeReason(code));
    const p1 = await rawPeer('responder', options);
    collectIncoming(p1.link);
    const ids = Array.from({ length: 5_096 }, (_, k) => 3 + 2 * k);
    p1.send(...ids.slice(0, 1_000).flatMap((id) => [v1Open(id), rst(id)]));
    await settle(50);
    const held = ids.slice(1_000);
    for (let k = 0; k < held.length; k += 1_024) {
      p1.send(...held.slice(k, k + 1_024).map((id) => v1Open(id)));
      await settle(20);
    }
    expect(p1.link.openChannels.length).toBe(4_096);
    // One chunk (53 KB, under the pipe's 64 KiB): as a batch of RESETs arrives in one TCP read.
    p1.send(...held.map(rst));
    const firstEnd = (await p1.link.closed).code;
    await clock.advance(2_000);
    const p2 = await rawPeer('responder', options);
    collectIncoming(p2.link);
    p2.send(...ids.slice(0, 100).flatMap((id) => [v1Open(id), rst(id)]));
    await settle(50);
    const second = p2.link.state === 'open' ? 'open' : (await p2.link.closed).code;
    p2.link.abort(closeReason('normal'));
    return { firstEnd, second };
  }

  it('after an abort (protocol-error) the next Link gets the refill: 100 churned channels 2 s later are taken', async () => {
    expect(await afterBurst('cancelled')).toEqual({ firstEnd: 'protocol-error', second: 'open' });
  });

  it('after a going-away close the same: the churned channels behind the one past the bound do not count', async () => {
    expect(await afterBurst('going-away')).toEqual({ firstEnd: 'going-away', second: 'open' });
  });
});
