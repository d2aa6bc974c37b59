import { VirtualClock } from '@colink/core/testing';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { linkEnhanceService } from '../src/link-enhance/registry.js';
import {
  CONNECT_TIMEOUT_MS,
  type Connection,
  type ConnectResult,
  type Server,
} from '../src/link-enhance/service.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, thrownCode as code, memoryRuntime } from './helpers.js';

const runtimes: DeviceRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  cleanupDirs();
});

async function pair(extra: Record<string, string> = {}) {
  const net = `le-${Math.random()}`;
  const a = memoryRuntime('server-dev', { COLINK_MEMORY_NETWORK: net, ...extra }, false);
  const b = memoryRuntime('client-dev', { COLINK_MEMORY_NETWORK: net }, false);
  runtimes.push(a, b);
  await Promise.all([a.start(), b.start()]);
  await b.waitForDevices(1);
  await a.waitForDevices(1);
  return { a, b, la: linkEnhanceService(a), lb: linkEnhanceService(b) };
}

const result = (c: Connection) => new Promise<ConnectResult>((resolve) => c.on('connectResult', resolve));
const accepted = (s: Server) => new Promise<Connection>((resolve) => s.on('connectionAccepted', resolve));
const data = (c: Connection) => new Promise<ArrayBuffer>((resolve) => c.on('dataReceived', resolve));

describe('linkEnhance errors and limits (harmony-api.md §2, §6.2)', () => {
  it('createServer: empty or over 255 bytes → 32390206, duplicate → 32390203, the 11th start → 32390202', async () => {
    const { la } = await pair();
    expect(code(() => la.createServer(''))).toBe(32390206);
    expect(code(() => la.createServer(null as never))).toBe(32390206);
    expect(code(() => la.createServer('x'.repeat(256)))).toBe(32390206);
    expect(la.createServer('y'.repeat(255))).toBeDefined();
    la.createServer('dup');
    expect(code(() => la.createServer('dup'))).toBe(32390203);
    const servers = Array.from({ length: 10 }, (_, i) => la.createServer(`s${i}`));
    for (const s of servers) s.start();
    const eleventh = la.createServer('s10');
    expect(code(() => eleventh.start())).toBe(32390202);
    servers[0]!.stop();
    eleventh.start(); // a stopped server frees its slot; stop() keeps the object usable
    servers[0]!.close();
    expect(la.createServer('s0')).toBeDefined(); // close() frees the name
  });

  it('createConnection and connect: bad ids and names', async () => {
    const { lb } = await pair();
    expect(code(() => lb.createConnection('', 'demo'))).toBe(32390206);
    expect(code(() => lb.createConnection(undefined as never, 'demo'))).toBe(32390206);
    expect(code(() => lb.createConnection('00:11:22:33:44:55', ''))).toBe(32390206);
    const sevenOctets = lb.createConnection('00:11:22:33:44:55:66', 'demo');
    expect(code(() => sevenOctets.connect())).toBe(32390300);
    const blank = lb.createConnection(' ', 'demo');
    expect(code(() => blank.connect())).toBe(32390300);
    const longName = lb.createConnection('00:11:22:33:44:55', 'n'.repeat(256));
    expect(code(() => longName.connect())).toBe(32390206);
  });

  it('on/off: explicit null or undefined callbacks → 32390206, unknown events → 32390206, omitted callback clears', async () => {
    const { la, lb } = await pair();
    const s = la.createServer('demo');
    const c = lb.createConnection('00:11:22:33:44:55', 'demo');
    expect(code(() => s.on('connectionAccepted', null as never))).toBe(32390206);
    expect(code(() => s.off('connectionAccepted', undefined))).toBe(32390206);
    expect(code(() => c.off('dataReceived', null as never))).toBe(32390206);
    expect(code(() => c.on('bogus' as never, () => undefined))).toBe(32390206);
    c.on('dataReceived', () => undefined);
    c.off('dataReceived');
    s.off('connectionAccepted');
  });

  it('sendData: never connected → 32390206, right after connect() → 32390205, over 1024 bytes → 32390206', async () => {
    const { a, la, lb } = await pair();
    la.createServer('demo').start();
    const c = lb.createConnection(a.bleMac, 'demo');
    expect(code(() => c.sendData(new ArrayBuffer(1)))).toBe(32390206);
    const r = result(c);
    c.connect();
    expect(code(() => c.sendData(new ArrayBuffer(1)))).toBe(32390205);
    expect((await r).success).toBe(true);
    expect(code(() => c.sendData(new ArrayBuffer(1025)))).toBe(32390206);
    expect(code(() => c.sendData(new Uint8Array(4) as never))).toBe(32390206);
  });

  it('connect to a device without that server started → connectResult reason 32390201', async () => {
    const { a, la, lb } = await pair();
    la.createServer('demo'); // created, never started
    const c = lb.createConnection(a.bleMac, 'demo');
    const r = result(c);
    c.connect();
    expect(await r).toEqual({ deviceId: a.bleMac, success: false, reason: 32390201 });
  });

  it('without DISTRIBUTED_DATASYNC every entry point throws 201', async () => {
    const rt = memoryRuntime('noperm', { COLINK_PERMISSIONS: 'INTERNET' }, false);
    runtimes.push(rt);
    const le = linkEnhanceService(rt);
    expect(code(() => le.createServer('demo'))).toBe(201);
    expect(code(() => le.createConnection('00:11:22:33:44:55', 'demo'))).toBe(201);
  });
});

describe('linkEnhance connections over one shared Link (multi-channel merging)', () => {
  it('accepts, carries data both ways, and reports disconnected to the peer only', async () => {
    const { a, b, la, lb } = await pair();
    const server = la.createServer('demo');
    const incoming = accepted(server);
    server.start();
    const c = lb.createConnection(a.bleMac, 'demo');
    const r = result(c);
    c.connect();
    expect(await r).toEqual({ deviceId: a.bleMac, success: true, reason: 0 });
    const sc = await incoming;
    expect(sc.getPeerDeviceId()).toBe(b.bleMac);
    const atServer = data(sc);
    c.sendData(new Uint8Array([1, 2, 3]).buffer);
    expect([...new Uint8Array(await atServer)]).toEqual([1, 2, 3]);
    const atClient = data(c);
    sc.sendData(new Uint8Array([9]).buffer);
    expect([...new Uint8Array(await atClient)]).toEqual([9]);
    let clientSawDisconnect = false;
    c.on('disconnected', () => {
      clientSawDisconnect = true;
    });
    const serverDisconnected = new Promise<number>((resolve) => sc.on('disconnected', resolve));
    c.disconnect();
    expect(await serverDisconnected).toBe(0);
    expect(clientSawDisconnect).toBe(false);
    // the object stays usable
    const again = result(c);
    c.connect();
    expect((await again).success).toBe(true);
  });

  it('stopping a server keeps its live connections and refuses new ones (32390201); start() serves again', async () => {
    const { a, la, lb } = await pair();
    const server = la.createServer('demo');
    const incoming = accepted(server);
    server.start();
    const live = lb.createConnection(a.bleMac, 'demo');
    const r = result(live);
    live.connect();
    expect((await r).success).toBe(true);
    const sc = await incoming;
    server.stop();
    const got = data(sc);
    live.sendData(new Uint8Array([42]).buffer);
    expect([...new Uint8Array(await got)]).toEqual([42]);
    const late = lb.createConnection(a.bleMac, 'demo');
    const rl = result(late);
    late.connect();
    expect((await rl).reason).toBe(32390201);
    server.start();
    const again = lb.createConnection(a.bleMac, 'demo');
    const ra = result(again);
    again.connect();
    expect((await ra).success).toBe(true);
  });

  it('10 connections share one physical Link; the 11th connect() throws 32390204', async () => {
    const { a, b, la, lb } = await pair();
    la.createServer('demo').start();
    const conns = Array.from({ length: 10 }, () => lb.createConnection(a.bleMac, 'demo'));
    const results = conns.map(result);
    for (const c of conns) c.connect();
    expect((await Promise.all(results)).every((r) => r.success)).toBe(true);
    const links = b.device.links(a.identity.networkId);
    expect(links).toHaveLength(1);
    expect(links[0]!.openChannels.length).toBe(11); // 10 connections + the default channel
    expect(links[0]!.stats().openChannels).toBe(11);
    expect(code(() => lb.createConnection(a.bleMac, 'demo').connect())).toBe(32390204);
    conns[0]!.disconnect();
    const c11 = lb.createConnection(a.bleMac, 'demo');
    const r11 = result(c11);
    c11.connect();
    expect((await r11).success).toBe(true);
  });

  it('simultaneous dials from both devices merge into one Link with no data lost', async () => {
    const { a, b, la, lb } = await pair();
    const sa = la.createServer('a-side');
    const sb = lb.createServer('b-side');
    sa.start();
    sb.start();
    const got: string[] = [];
    const collect = (s: Server, side: string) =>
      s.on('connectionAccepted', (conn) =>
        conn.on('dataReceived', (d) => got.push(`${side}:${new Uint8Array(d)[0]}`)),
      );
    collect(sa, 'a');
    collect(sb, 'b');
    const ca = la.createConnection(b.bleMac, 'b-side');
    const cb = lb.createConnection(a.bleMac, 'a-side');
    const ra = result(ca);
    const rb = result(cb);
    ca.connect();
    cb.connect(); // both dial before either link exists
    expect((await ra).success && (await rb).success).toBe(true);
    for (let i = 0; i < 20; i++) {
      ca.sendData(new Uint8Array([i]).buffer);
      cb.sendData(new Uint8Array([i]).buffer);
    }
    await firstValueFrom(a.device.links$.pipe(filter((l) => l.length === 1)));
    await firstValueFrom(b.device.links$.pipe(filter((l) => l.length === 1)));
    await new Promise((r) => setTimeout(r, 200));
    expect(got.filter((g) => g.startsWith('a:'))).toEqual(Array.from({ length: 20 }, (_, i) => `a:${i}`));
    expect(got.filter((g) => g.startsWith('b:'))).toEqual(Array.from({ length: 20 }, (_, i) => `b:${i}`));
  });

  it('an absent device gives connectResult 32390200 after the 10 s connect timeout (virtual time)', async () => {
    const clock = new VirtualClock();
    const b = memoryRuntime('client-dev', { COLINK_MEMORY_NETWORK: `le-${Math.random()}` }, false, {
      scheduler: clock,
    });
    runtimes.push(b);
    await b.start();
    const c = linkEnhanceService(b).createConnection('02:00:00:00:00:01', 'demo');
    let got: ConnectResult | undefined;
    c.on('connectResult', (r) => {
      got = r;
    });
    c.connect();
    await clock.advance(CONNECT_TIMEOUT_MS - 1);
    expect(got).toBeUndefined();
    await clock.advance(1);
    await expect.poll(() => got).toEqual({ deviceId: '02:00:00:00:00:01', success: false, reason: 32390200 });
  });
});
