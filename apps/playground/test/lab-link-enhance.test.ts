import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/lab.js';
import type { LabLeConnection, LabState } from '../src/lab/protocol.js';
import { labUntil, phoneAndTabletLab } from './lab-helpers.js';

// The lab's linkEnhance panel, across its real sockets: api-compat's linkEnhance on lab devices, connections
// addressed by the server device's BLE MAC on the virtual radio, data both ways, failures with linkEnhance's codes,
// disconnects.
describe('lab: linkEnhance', () => {
  let lab: Lab;
  let phone: string;
  let tablet: string;
  let guest: string;
  let tabletMac: string;

  const until = labUntil(() => lab, 20_000);
  const conn = (s: LabState, device: string, pred: (c: LabLeConnection) => boolean = () => true) =>
    s.linkEnhance.connections.find((c) => c.device === device && pred(c));

  beforeAll(async () => {
    lab = phoneAndTabletLab();
    await lab.start();
    [phone, tablet] = lab.state().devices.map((d) => d.id) as [string, string];
    guest = await lab.addDevice('guest', 'phone', { account: false });
    tabletMac = lab.state().devices.find((d) => d.id === tablet)!.bleMac;
    expect(tabletMac).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
  });

  afterAll(() => lab?.stop());

  it('starts a server; a duplicate name is refused with 32390203', async () => {
    await lab.command({ t: 'le-start-server', device: tablet, name: 'demo' });
    expect(lab.state().linkEnhance.servers).toEqual([{ device: tablet, name: 'demo' }]);
    await expect(lab.command({ t: 'le-start-server', device: tablet, name: 'demo' })).rejects.toThrow(
      /^32390203/,
    );
  });

  it('connects by BLE MAC and carries data both ways', async () => {
    await lab.command({ t: 'le-connect', device: phone, mac: tabletMac, name: 'demo' });
    const client = await until('the phone is connected', (s) =>
      conn(s, phone, (c) => c.state === 'connected'),
    );
    expect(client).toMatchObject({ role: 'client', peer: tablet, peerMac: tabletMac, name: 'demo' });
    const server = await until('the tablet accepted', (s) => conn(s, tablet, (c) => c.state === 'connected'));
    expect(server).toMatchObject({ role: 'server', peer: phone, name: 'demo' });

    await lab.command({ t: 'le-send', conn: client.id, text: 'ping from phone' });
    await until(
      'the tablet gets it',
      (s) => conn(s, tablet)?.lastReceived === 'ping from phone' || undefined,
    );
    await lab.command({ t: 'le-send', conn: server.id, text: 'pong from tablet' });
    await until(
      'the phone gets the answer',
      (s) => conn(s, phone)?.lastReceived === 'pong from tablet' || undefined,
    );
    expect(conn(lab.state(), phone)).toMatchObject({ sent: 15, received: 16 });
    await expect(lab.command({ t: 'le-send', conn: client.id, text: 'x'.repeat(1025) })).rejects.toThrow(
      /^32390206/,
    );
  });

  it('reports the disconnect on the server side when the client closes', async () => {
    const client = conn(lab.state(), phone)!;
    await lab.command({ t: 'le-close', conn: client.id });
    expect(conn(lab.state(), phone)).toBeUndefined();
    const server = await until('the tablet sees the disconnect', (s) =>
      conn(s, tablet, (c) => c.state === 'disconnected'),
    );
    expect(server.reason).toBe(0);
  });

  it('fails with 32390201 when the server is not started', async () => {
    await lab.command({ t: 'le-connect', device: phone, mac: tabletMac, name: 'nobody-here' });
    const c = await until('the connect fails', (s) =>
      conn(s, phone, (x) => x.name === 'nobody-here' && x.state === 'failed'),
    );
    expect(c.reason).toBe(32390201);
  });

  it('an untrusted guest cannot connect', async () => {
    await lab.command({ t: 'le-connect', device: guest, mac: tabletMac, name: 'demo' });
    const c = await until('the connect fails', (s) => conn(s, guest, (x) => x.state !== 'connecting'));
    expect(c).toMatchObject({ state: 'failed', reason: 32390300 });
    expect(conn(lab.state(), tablet, (x) => x.peer === guest)).toBeUndefined();
  });

  it('sees the disconnect when the server device dies', async () => {
    await lab.command({ t: 'le-connect', device: phone, mac: tabletMac, name: 'demo' });
    const client = await until('connected again', (s) =>
      conn(s, phone, (c) => c.name === 'demo' && c.state === 'connected'),
    );
    await lab.command({ t: 'stop-device', device: tablet });
    const gone = await until('the phone sees the disconnect', (s) =>
      s.linkEnhance.connections.find((c) => c.id === client.id && c.state === 'disconnected'),
    );
    expect(gone.reason).not.toBe(0);
    expect(lab.state().linkEnhance.servers).toEqual([]);
  });
});
