import { describe, expect, it } from 'vitest';
import { encodeCloseFrame, encodeFrame, encodeJson, encodeResumeFrame, FrameType } from '../src/codec.js';
import { closeReason } from '../src/errors.js';
import { RAPID_RESET_BURST } from '../src/limits.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import { settle } from './helpers.js';
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
