// NetConnection events in network namespaces (harmony-api.md §3.4): the seed app (fixtures/net/seed-app.ts) runs
// INSIDE a namespace the test creates, using @kit.NetworkKit through the register hook, while the test changes that
// namespace's links and routes. Once per net-monitor event source (netlink, ip monitor). Root only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harmonyApp, ip, isRoot, Lab, type Line, type Proc, spawnLines } from './fixtures/net/lab.js';

const SERVER = '10.61.9.1';

const is =
  (conn: string, ev: string, netId?: number) =>
  (l: Line): boolean =>
    l.conn === conn && l.ev === ev && (netId === undefined || l.netId === netId);

/** Index of the first line at or after `from` matching `pred` (−1 when none). */
const indexOf = (p: Proc, pred: (l: Line) => boolean, from = 0): number =>
  p.lines.findIndex((l, i) => i >= from && pred(l));

const run = isRoot ? describe : describe.skip;
if (!isRoot) console.warn('connection-events: skipped, network namespaces need root');

run.each([
  ['netlink', 'n', 7000],
  ['ip-monitor', 'i', 7100],
] as const)(
  'NetConnection events in a network namespace, %s source (seed: net-connection-guide.md)',
  (source, tag, base) => {
    const lab = new Lab(tag);
    const PORT = base + (process.pid % 50) * 2;
    let server: Proc;
    let app: Proc;
    let stateDir = '';
    let netA = 0;
    let netB = 0;

    beforeAll(async () => {
      stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `colink-net-${tag}-`));
      lab.create();
      lab.veth('a0', '10.61.1.2', 'a1', '10.61.1.1');
      lab.veth('b0', '10.61.2.2', 'b1', '10.61.2.1');
      ip('-n', lab.p, 'addr', 'add', `${SERVER}/32`, 'dev', 'lo');
      ip('-n', lab.m, 'link', 'set', 'a0', 'up');
      ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.61.1.1', 'dev', 'a0', 'metric', '100');
      // Source policy for network B (see the net-monitor README): traffic from its address leaves through b0.
      ip('-n', lab.m, 'rule', 'add', 'from', '10.61.2.2', 'table', '102');
      server = spawnLines('ip', [
        'netns',
        'exec',
        lab.p,
        process.execPath,
        '--import',
        'tsx',
        'test/fixtures/net/echo-server.ts',
        String(PORT),
      ]);
      await server.waitFor((l) => l.listening === PORT);
      app = harmonyApp(lab.m, 'test/fixtures/net/seed-app.ts', {
        SERVER_HOST: SERVER,
        SERVER_PORT: String(PORT),
        COLINK_PERMISSIONS: 'all',
        COLINK_STATE_DIR: stateDir,
        COLINK_NET_SOURCE: source,
        COLINK_NET_PROBE_URL: `http://${SERVER}:${PORT + 1}/generate_204`,
      });
    }, 60_000);

    afterAll(async () => {
      try {
        await app?.kill();
        await server?.kill();
      } finally {
        lab.destroy();
        fs.rmSync(stateDir, { recursive: true, force: true });
      }
    });

    it('register reports the current network: callback first, then netAvailable, netCapabilitiesChange, netConnectionPropertiesChange', async () => {
      const last = await app.waitFor(is('spec', 'netConnectionPropertiesChange'));
      netA = last.netId as number;
      expect(netA).toBeGreaterThanOrEqual(100);
      const reg = indexOf(app, is('spec', 'register'));
      const a = indexOf(app, is('spec', 'netAvailable', netA));
      const caps = indexOf(app, is('spec', 'netCapabilitiesChange', netA));
      const props = indexOf(app, is('spec', 'netConnectionPropertiesChange', netA));
      expect(app.lines[reg]?.err).toBeNull();
      expect(reg).toBeLessThan(a);
      expect(a).toBeLessThan(caps);
      expect(caps).toBeLessThan(props);
      const netCap = app.lines[caps]?.netCap as { bearerTypes: number[]; networkCap: number[] };
      expect(netCap.bearerTypes).toEqual([3]);
      expect(netCap.networkCap).toEqual(expect.arrayContaining([11, 12, 15]));
      const p = app.lines[props]?.props as {
        interfaceName: string;
        linkAddresses: unknown[];
        routes: Array<Record<string, unknown>>;
      };
      expect(p.interfaceName).toBe('a0');
      expect(p.linkAddresses).toContainEqual({
        address: { address: '10.61.1.2', family: 1, port: 0 },
        prefixLength: 24,
      });
      expect(p.routes.some((r) => r.isDefaultRoute === true && r.hasGateway === true)).toBe(true);
      expect(p.routes[0]).not.toHaveProperty('metric');
      // The default-network connection and the seed's socket (connected through A).
      await app.waitFor(is('default', 'netAvailable', netA));
      const echo = await app.waitFor((l) => l.ev === 'socketEcho');
      expect(echo).toMatchObject({ local: '10.61.1.2', remote: '10.61.1.2' });
      // The seed's query examples.
      expect(await app.waitFor((l) => l.ev === 'query')).toMatchObject({
        netId: netA,
        bearerTypes: [3],
        interfaceName: 'a0',
      });
      expect(await app.waitFor((l) => l.ev === 'defaultSync')).toMatchObject({
        netId: netA,
        checking: expect.any(Boolean),
      });
      expect(await app.waitFor((l) => l.ev === 'dns')).toMatchObject({
        data: [{ address: '127.0.0.1', family: 1, port: 0 }],
      });
    });

    it('validation probe: CHECKING_CONNECTIVITY then VALIDATED; reportNetConnected probes again', async () => {
      const caps = (l: Line): number[] => (l.netCap as { networkCap: number[] }).networkCap;
      const validated = await app.waitFor(
        (l) => is('spec', 'netCapabilitiesChange', netA)(l) && caps(l).includes(16),
      );
      const i = app.lines.indexOf(validated);
      const checking = indexOf(
        app,
        (l) => is('spec', 'netCapabilitiesChange', netA)(l) && caps(l).includes(31),
      );
      expect(checking).toBeGreaterThanOrEqual(0);
      expect(checking).toBeLessThan(i);
      expect(caps(validated)).not.toContain(31);
      const probe = await server.waitFor((l) => l.probe === '/generate_204' && l.from === '10.61.1.2');
      expect(probe).toBeDefined();
      const reported = await app.waitFor((l) => l.ev === 'reported' || l.ev === 'reportError');
      expect(reported).toMatchObject({ ev: 'reported', netId: netA });
      // The re-validation is visible before reportNetConnected resolves: CHECKING again, then VALIDATED again.
      const again = indexOf(
        app,
        (l) => is('spec', 'netCapabilitiesChange', netA)(l) && caps(l).includes(31),
        i + 1,
      );
      expect(again).toBeGreaterThan(i);
      const revalidated = indexOf(
        app,
        (l) => is('spec', 'netCapabilitiesChange', netA)(l) && caps(l).includes(16),
        again + 1,
      );
      expect(revalidated).toBeGreaterThan(again);
      expect(revalidated).toBeLessThan(app.lines.indexOf(reported));
      await server.waitFor((l) => l.from === '10.61.1.2' && (l.probes as number) >= 2);
    });

    it('netUnavailable fires after the timeout when no network matches (Wi-Fi request)', async () => {
      await app.waitFor(is('wifi', 'netUnavailable'));
      expect(app.lines.some(is('wifi', 'netAvailable'))).toBe(false);
    });

    it('a second network coming up: netAvailable, netCapabilitiesChange, netConnectionPropertiesChange in order; the default stays', async () => {
      const from = app.lines.length;
      ip('-n', lab.m, 'link', 'set', 'b0', 'up');
      ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.61.2.1', 'dev', 'b0', 'metric', '200');
      ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.61.2.1', 'dev', 'b0', 'table', '102');
      const avail = await app.waitFor((l) => is('spec', 'netAvailable')(l) && l.netId !== netA, 20_000, from);
      netB = avail.netId as number;
      expect(netB).toBeGreaterThan(netA);
      const props = await app.waitFor(
        (l) =>
          is('spec', 'netConnectionPropertiesChange', netB)(l) &&
          (l.props as { interfaceName: string }).interfaceName === 'b0',
        20_000,
        from,
      );
      expect(props).toBeDefined();
      const a = indexOf(app, is('spec', 'netAvailable', netB), from);
      expect(a).toBeLessThan(indexOf(app, is('spec', 'netCapabilitiesChange', netB), from));
      expect(indexOf(app, is('spec', 'netCapabilitiesChange', netB), from)).toBeLessThan(
        indexOf(app, is('spec', 'netConnectionPropertiesChange', netB), from),
      );
      expect(
        app.lines
          .slice(from)
          .some((l) => l.conn === 'default' && (l.ev === 'netAvailable' || l.ev === 'netLost')),
      ).toBe(false);
    });

    it('NetHandle.bindSocket sends TCP and UDP through the network it names', async () => {
      const tcp = await app.waitFor((l) => l.ev === 'boundTcp' || l.ev === 'boundTcpError');
      expect(tcp).toMatchObject({ ev: 'boundTcp', netId: netB, local: '10.61.2.2', remote: '10.61.2.2' });
      expect(await app.waitFor((l) => l.ev === 'boundUdp')).toMatchObject({
        netId: netB,
        local: '10.61.2.2',
        remote: '10.61.2.2',
      });
    });

    it('default-route metric swap: netLost(old) then netAvailable(new) + capabilities + properties; the seed rebuilds its socket on the new network', async () => {
      const from = app.lines.length;
      ip('-n', lab.m, 'route', 'replace', 'default', 'via', '10.61.1.1', 'dev', 'a0', 'metric', '300');
      ip('-n', lab.m, 'route', 'del', 'default', 'via', '10.61.1.1', 'dev', 'a0', 'metric', '100');
      await app.waitFor(is('default', 'netConnectionPropertiesChange', netB), 20_000, from);
      const lost = indexOf(app, is('default', 'netLost', netA), from);
      const avail = indexOf(app, is('default', 'netAvailable', netB), from);
      const caps = indexOf(app, is('default', 'netCapabilitiesChange', netB), from);
      const props = indexOf(app, is('default', 'netConnectionPropertiesChange', netB), from);
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThan(avail);
      expect(avail).toBeLessThan(caps);
      expect(caps).toBeLessThan(props);
      const echo = await app.waitFor((l) => l.ev === 'socketEcho', 20_000, from);
      expect(echo).toMatchObject({ local: '10.61.2.2', remote: '10.61.2.2' });
      // Both networks still match the specifier: no netLost there.
      expect(app.lines.slice(from).some(is('spec', 'netLost'))).toBe(false);
    });

    it('link down: netLost; up again: netAvailable with a new netId', async () => {
      let from = app.lines.length;
      ip('-n', lab.m, 'link', 'set', 'a0', 'down');
      await app.waitFor(is('spec', 'netLost', netA), 20_000, from);
      expect(app.lines.slice(from).some(is('default', 'netLost'))).toBe(false);
      from = app.lines.length;
      ip('-n', lab.m, 'link', 'set', 'a0', 'up');
      ip('-n', lab.m, 'route', 'add', 'default', 'via', '10.61.1.1', 'dev', 'a0', 'metric', '300');
      const again = await app.waitFor((l) => is('spec', 'netAvailable')(l) && l.netId !== netB, 20_000, from);
      expect(again.netId).not.toBe(netA);
      expect(again.netId as number).toBeGreaterThan(netB);
      // The default network (B) did not change.
      expect(app.lines.slice(from).some((l) => l.conn === 'default' && l.ev === 'netAvailable')).toBe(false);
    });

    it('the default network going down with no other: netLost, then the other network becomes default', async () => {
      const from = app.lines.length;
      ip('-n', lab.m, 'link', 'set', 'b0', 'down');
      await app.waitFor(is('spec', 'netLost', netB), 20_000, from);
      await app.waitFor(is('default', 'netLost', netB), 20_000, from);
      const next = await app.waitFor(is('default', 'netAvailable'), 20_000, from);
      expect(next.netId).not.toBe(netB);
      expect(indexOf(app, is('default', 'netLost', netB), from)).toBeLessThan(
        indexOf(app, is('default', 'netAvailable'), from),
      );
    });
  },
);
