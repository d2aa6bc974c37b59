// connection.NetHandle.bindSocket with @ohos.net.socket sockets, for real: in a namespace with two networks, a
// TCPSocket and a UDPSocket bound to the network that is not the default reach a server from that network's
// address (the source policy rule routes it out through that network's interface, see the net-monitor README).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harmonyApp, ip, isRoot, Lab, type Proc, spawnLines } from './fixtures/net/lab.js';

const SERVER = '10.64.9.9';
const PORT = 7300 + (process.pid % 50);

// Needs root (namespaces): skipped otherwise.
describe.skipIf(!isRoot)('NetHandle.bindSocket with socket.TCPSocket / socket.UDPSocket (namespaces)', () => {
  const lab = new Lab('k');
  const procs: Proc[] = [];
  beforeAll(() => {
    lab.create();
    lab.veth('a0', '10.64.1.2', 'a1', '10.64.1.1');
    lab.veth('b0', '10.64.2.2', 'b1', '10.64.2.1');
    ip('-n', lab.p, 'addr', 'add', `${SERVER}/32`, 'dev', 'lo');
    ip('-n', lab.m, 'link', 'set', 'a0', 'up');
    ip('-n', lab.m, 'link', 'set', 'b0', 'up');
    ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.64.1.1', 'dev', 'a0', 'metric', '100');
    ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.64.2.1', 'dev', 'b0', 'metric', '200');
    ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.64.2.1', 'dev', 'b0', 'table', '102');
    ip('-n', lab.m, 'rule', 'add', 'from', '10.64.2.2', 'table', '102');
  });
  afterAll(async () => {
    for (const p of procs) await p.kill();
    lab.destroy();
  });

  it('the socket leaves from the bound network’s address; a connected TCPSocket answers 2100001', async () => {
    const server = spawnLines('ip', [
      'netns',
      'exec',
      lab.p,
      process.execPath,
      '-e',
      `const net = require('node:net'), dgram = require('node:dgram');
       const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
       net.createServer((s) => { say({ tcp: s.remoteAddress }); s.end(); }).listen(${PORT}, '${SERVER}', () => {
         dgram.createSocket('udp4').on('message', (m, r) => say({ udp: r.address, text: String(m) }))
           .bind(${PORT}, '${SERVER}', () => say({ listening: ${PORT} }));
       });`,
    ]);
    procs.push(server);
    await server.waitFor((l) => l.listening === PORT);
    const app = harmonyApp(lab.m, 'test/fixtures/net/bind-socket-app.ts', {
      SERVER_HOST: SERVER,
      SERVER_PORT: String(PORT),
      COLINK_PERMISSIONS: 'all',
      COLINK_SECURITY: 'off',
    });
    procs.push(app);
    const nets = await app.waitFor((l) => l.ev === 'nets', 30_000);
    expect(nets.otherAddress).toBe('10.64.2.2');
    expect(await app.waitFor((l) => l.ev === 'tcpLocal')).toMatchObject({ address: '10.64.2.2' });
    expect(await server.waitFor((l) => l.tcp !== undefined)).toEqual({ tcp: '10.64.2.2' });
    expect(await app.waitFor((l) => l.ev === 'rebind')).toMatchObject({ code: 2_100_001 });
    const udp = await app.waitFor((l) => l.ev === 'udpLocal');
    expect(udp.before).toMatchObject({ address: '0.0.0.0' });
    expect(udp.after).toMatchObject({ address: '10.64.2.2', port: (udp.before as { port: number }).port });
    expect(await server.waitFor((l) => l.udp !== undefined)).toEqual({ udp: '10.64.2.2', text: 'hello' });
  }, 60_000);
});
