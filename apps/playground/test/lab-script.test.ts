import { afterAll, describe, expect, it } from 'vitest';
import { Lab } from '../src/index.js';
import { labUntil } from './lab-helpers.js';

// The scripting API of the package entry: a lab driven from code, across its real sockets (TCP + DNS-SD on
// loopback only, to keep it lean): add a device, open a session that the peer accepts, send a message, remove it.
describe('scripting the lab through @colink/playground', () => {
  const lab = new Lab({
    devices: [{ name: 'phone', type: 'phone' }],
    memory: false,
    ble: false,
    p2p: false,
    networks: false,
  });
  afterAll(() => lab.stop());

  const until = labUntil(() => lab, 20_000);

  it('adds a device, opens a session it accepts, delivers a message, and removes the device', async () => {
    await lab.start();
    const phone = lab.state().devices[0]!.id;
    const watch = await lab.addDevice('watch', 'wearable');
    await until('the phone discovers the watch', (s) =>
      s.devices.find((d) => d.id === phone)?.sees.find((p) => p.id === watch),
    );
    const requested = lab.command({ t: 'request-session', from: phone, to: watch, service: 'health' });
    const prompt = await until('the watch is asked', (s) => s.prompts.find((p) => p.device === watch));
    expect(prompt.service).toBe('health');
    await lab.command({ t: 'answer', key: prompt.key, accept: true });
    await requested;
    const session = await until('the session is open', (s) => s.sessions.find((x) => x.state === 'open'));
    await lab.command({ t: 'send-message', key: session.key, device: phone, text: 'steps: 4200' });
    await until('the message arrives', () =>
      lab
        .recentEvents()
        .find((e) => e.kind === 'message' && e.text.includes('steps: 4200') && e.device === watch),
    );
    await lab.removeDevice(watch);
    expect(lab.state().devices.map((d) => d.id)).toEqual([phone]);
    await until('the session ends when its device goes', (s) =>
      s.sessions.find((x) => x.key === session.key && x.state === 'closed'),
    );
  }, 60_000);
});
