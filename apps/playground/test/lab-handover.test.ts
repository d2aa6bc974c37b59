import { afterAll, describe, expect, it } from 'vitest';
import { labUntil, phoneAndTabletLab } from './lab-helpers.js';

// A transfer that moves between mediums in the lab, across its real sockets: TCP on loopback and the virtual BLE
// radio under the real noble/bleno stacks. The session starts on TCP with a BLE Link standing by; the TCP Link is
// cut a quarter of the way through an 8 MiB transfer (it moves to BLE), then the devices dial TCP again by themselves
// (core's make-before-break, `upgradeDialMs`, 2 s) and the session moves back while BLE still stands by; the receiving
// device leaving BLE range then leaves it on TCP. The transfer completes, its progress only grows.
describe('a transfer that moves between mediums in the lab', () => {
  const lab = phoneAndTabletLab();
  afterAll(() => lab.stop());

  const until = labUntil(() => lab, 30_000);
  const logged = (text: string) => () => lab.recentEvents().find((e) => e.text.includes(text));

  it('moves tcp → ble on a cut and back to tcp by make-before-break, and the transfer completes', async () => {
    await lab.start();
    const [phone, tablet] = lab.state().devices.map((d) => d.id) as [string, string];
    await until('the phone sees the tablet over tcp and ble', (s) =>
      s.devices
        .find((d) => d.id === phone)
        ?.sees.find((p) => p.id === tablet && p.mediums.includes('tcp') && p.mediums.includes('ble')),
    );
    const requested = lab.command({ t: 'request-session', from: phone, to: tablet, service: 'files' });
    const prompt = await until('the tablet is asked', (s) => s.prompts.find((p) => p.device === tablet));
    await lab.command({ t: 'answer', key: prompt.key, accept: true });
    await requested;
    const session = await until('the session is open on tcp', (s) =>
      s.sessions.find((x) => x.state === 'open' && x.via === 'tcp' && x.carrier),
    );
    expect(lab.state().links.find((l) => l.id === session.carrier)).toMatchObject({
      medium: 'tcp',
      sessions: 1,
    });
    await lab.command({ t: 'open-link', from: phone, to: tablet, medium: 'ble' });
    await until('a BLE link stands by', (s) => s.links.find((l) => l.medium === 'ble' && l.sessions === 0));

    const progress: number[] = [];
    const sub = lab.changed$.subscribe(() => {
      const t = lab.state().transfers[0];
      if (t && t.acked !== progress.at(-1)) progress.push(t.acked);
    });
    const sending = lab.command({
      t: 'send-data',
      key: session.key,
      device: phone,
      bytes: 8 * 1024 * 1024,
      cutCarrierAt: 0.25,
    });
    await until('the session moved tcp → ble', logged('session moved tcp → ble'));
    // a quarter was acknowledged before the cut (the rest may already be done once TCP is back)
    expect(lab.state().transfers[0]!.acked).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    await until('the session moved back, ble → tcp', logged('session moved ble → tcp'), 30_000);
    await sending;
    const done = lab.state().transfers[0]!;
    expect(done).toMatchObject({ state: 'done', acked: 8 * 1024 * 1024, bytes: 8 * 1024 * 1024 });
    await until('the tablet received the 8 MiB', logged('tablet received 8.0 MiB'));
    sub.unsubscribe();
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]!);
    expect(lab.state().sessions.find((x) => x.key === session.key)).toMatchObject({
      state: 'open',
      via: 'tcp',
    });
    // the BLE range fault takes the standby Link away; the session stays on TCP
    await lab.command({ t: 'ble-range', device: tablet, inRange: false });
    await until('the BLE link is gone', (s) => !s.links.some((l) => l.medium === 'ble') || undefined);
    expect(lab.state().sessions.find((x) => x.key === session.key)).toMatchObject({
      state: 'open',
      via: 'tcp',
    });
    await lab.command({ t: 'ble-range', device: tablet, inRange: true });
  }, 180_000);

  it('lets the receiving device cancel a transfer: the sender sees why, the session stays', async () => {
    const [phone, tablet] = lab.state().devices.map((d) => d.id) as [string, string];
    const session = lab.state().sessions.find((x) => x.state === 'open')!;
    const sending = lab.command({
      t: 'send-data',
      key: session.key,
      device: phone,
      bytes: 100 * 1024 * 1024,
    });
    const t = await until('the transfer runs', (s) =>
      s.transfers.find((x) => x.state === 'running' && x.acked > 0),
    );
    await lab.command({ t: 'cancel-transfer', id: t.id, device: tablet });
    await sending;
    const ended = lab.state().transfers.find((x) => x.id === t.id)!;
    expect(ended.state).toBe('cancelled');
    expect(ended.reason).toMatch(/ERR_CANCELLED.*cancelled in the playground on tablet/);
    expect(ended.acked).toBeLessThan(100 * 1024 * 1024);
    await expect(lab.command({ t: 'cancel-transfer', id: t.id, device: phone })).rejects.toThrow(
      /not running/,
    );
    expect(lab.state().sessions.find((x) => x.key === session.key)?.state).toBe('open');
  }, 60_000);
});
