import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../src/lab/lab.js';
import type { LabBindPrompt, LabState } from '../src/lab/protocol.js';
import { labUntil } from './lab-helpers.js';

// Binding in the lab, across its real sockets: a guest device (not on the lab's account) is listed but refused;
// binding shows the same 6-digit code on both devices; after both confirm, sessions work; unbinding refuses the next
// connect. Only the TCP medium runs, to keep the test lean.
describe('lab: binding a guest device', () => {
  let lab: Lab;
  let phone: string;
  let guest: string;

  const until = labUntil(() => lab, 20_000);
  const prompts = (s: LabState): readonly LabBindPrompt[] => s.bindPrompts;
  const sees = (s: LabState, from: string, to: string) =>
    s.devices.find((d) => d.id === from)?.sees.find((p) => p.id === to);
  const promptPair = (s: LabState) => {
    const a = prompts(s).find((p) => p.device === phone && !p.confirmed);
    const b = prompts(s).find((p) => p.device === guest && !p.confirmed);
    return a && b ? { a, b } : undefined;
  };

  beforeAll(async () => {
    lab = new Lab({
      devices: [{ name: 'phone', type: 'phone' }],
      memory: false,
      ble: false,
      p2p: false,
      networks: false,
    });
    await lab.start();
    phone = lab.state().devices[0]!.id;
    guest = await lab.addDevice('guest', 'tablet', { account: false });
  });

  afterAll(() => lab?.stop());

  it('lists the guest but refuses sessions with it as untrusted', async () => {
    expect(lab.state().devices.find((d) => d.id === guest)?.account).toBe(false);
    await until('phone discovers the guest', (s) => sees(s, phone, guest));
    await expect(
      lab.command({ t: 'request-session', from: phone, to: guest, service: 'chat' }),
    ).rejects.toThrow(/untrusted/i);
    await until('phone marks the guest untrusted', (s) => sees(s, phone, guest)?.trust === 'untrusted');
    expect(lab.state().sessions.every((s) => s.state === 'closed' || !s.to.includes(guest))).toBe(true);
  });

  it('a declined binding clears both prompts and stores nothing', async () => {
    const bound = lab.command({ t: 'bind', from: phone, to: guest });
    bound.catch(() => undefined);
    const { a, b } = await until('both devices show a code', promptPair);
    expect(a.code).toMatch(/^\d{6}$/);
    expect(b.code).toBe(a.code);
    await lab.command({ t: 'bind-answer', key: a.key, confirm: true });
    await lab.command({ t: 'bind-answer', key: b.key, confirm: false });
    await expect(bound).rejects.toThrow(/declined/);
    expect(lab.state().bindPrompts).toEqual([]);
    expect(sees(lab.state(), phone, guest)?.trust).not.toBe('bound');
  });

  it('a binding attempt that fails takes its prompts away', async () => {
    const bound = lab.command({ t: 'bind', from: phone, to: guest });
    bound.catch(() => undefined);
    await until('both devices show a code', promptPair);
    await lab.command({ t: 'stop-device', device: guest });
    await expect(bound).rejects.toThrow();
    await until('no prompt is left', (s) => s.bindPrompts.length === 0 || undefined);
    await until('phone sees the guest leave', (s) => !sees(s, phone, guest) || undefined);
    await lab.command({ t: 'start-device', device: guest });
    await until('phone finds the guest again', (s) => sees(s, phone, guest));
  });

  it('binds after both confirm the same code; sessions then work', async () => {
    const bound = lab.command({ t: 'bind', from: phone, to: guest });
    const { a, b } = await until('both devices show a code', promptPair);
    expect(b.code).toBe(a.code);
    expect(a.initiator).toBe(true);
    expect(b.initiator).toBe(false);
    await lab.command({ t: 'bind-answer', key: b.key, confirm: true });
    await lab.command({ t: 'bind-answer', key: a.key, confirm: true });
    await bound;
    expect(lab.state().bindPrompts).toEqual([]);
    await until(
      'both show "bound"',
      (s) => sees(s, phone, guest)?.trust === 'bound' && sees(s, guest, phone)?.trust === 'bound',
    );

    const session = lab.command({ t: 'request-session', from: phone, to: guest, service: 'chat' });
    const p = await until('the guest is asked', (s) => s.prompts.find((x) => x.device === guest));
    await lab.command({ t: 'answer', key: p.key, accept: true });
    await session;
    const open = lab.state().sessions.find((s) => s.key === p.key);
    expect(open?.state).toBe('open');
    await lab.command({ t: 'send-message', key: p.key, device: phone, text: 'hi guest' });
    await until('the guest gets the message', () =>
      lab.recentEvents().find((e) => e.text === 'guest ← "hi guest"'),
    );
  });

  it('unbinding closes the Links and refuses the next connect', async () => {
    await lab.command({ t: 'unbind', device: guest, peer: phone });
    await until('the session ended', (s) => s.sessions.find((x) => x.to === guest && x.state === 'closed'));
    const between = (l: { from: string; to: string }) => [l.from, l.to].includes(guest);
    await until('their Links are closed', (s) => !s.links.some(between) || undefined);
    await expect(
      lab.command({ t: 'request-session', from: phone, to: guest, service: 'chat' }),
    ).rejects.toThrow(/untrusted/i);
    await until('the guest marks the phone untrusted', (s) => sees(s, guest, phone)?.trust === 'untrusted');
    await expect(lab.command({ t: 'unbind', device: guest, peer: phone })).rejects.toThrow(/not bound/);
  });
});
