import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// `pnpm start -- --scenario <name>` prints a transcript of a seed flow between two device processes.
import { MAIN, nobodyCanRun } from './nobody.js';

const isRoot = process.getuid?.() === 0;

function run(args: string[], asNobody = false): Promise<{ code: number | null; out: string; pid: number }> {
  return new Promise((resolve) => {
    const [cmd, argv] = asNobody
      ? ['runuser', ['-u', 'nobody', '--', process.execPath, MAIN, ...args]]
      : [process.execPath, [MAIN, ...args]];
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => resolve({ code, out, pid: child.pid ?? 0 }));
  });
}

describe('headless seed scenarios', () => {
  it('--scenario acm: the abilityConnectionManager seed between two device processes', async () => {
    const { code, out } = await run(['--scenario', 'acm']);
    expect(code).toBe(0);
    for (const line of [
      /phone +available devices: tablet/,
      /tablet +on collaborate/,
      /tablet +acceptConnect success/,
      /phone +connect result \{"isConnected":true,"reason":""\}/,
      /tablet +receiveMessage, msg is message send success/,
      /phone +receiveMessage, msg is echo: message send success/,
      /tablet +receiveData, 262144 bytes/,
      /tablet +session disconnect, sessionId is 100, reason 0/,
      /lab +scenario complete/,
    ]) {
      expect(out).toMatch(line);
    }
  }, 90_000);

  it('--scenario linkEnhance: the seed server and client on one virtual BLE radio', async () => {
    const { code, out } = await run(['--scenario', 'linkEnhance']);
    expect(code).toBe(0);
    for (const line of [
      /server +start sever name = demo/,
      /client +clientConnectResultCallback result = true/,
      /server +recv dataLen = 1/,
      /server +disconnected, num = 0/,
      /lab +scenario complete/,
    ]) {
      expect(out).toMatch(line);
    }
  }, 90_000);

  // The seed's NetConnection callbacks fire for a network the lab really adds and removes in the scenario's own
  // namespace; the netId in every event is the one the seed saw appear.
  it.skipIf(!isRoot)(
    '--scenario net: NetConnection events for a network added and taken down in a namespace',
    async () => {
      const { code, out, pid } = await run(['--scenario', 'net']);
      expect(code, out).toBe(0);
      const netId = out.match(/phone +Network available, NetId is (\d+)/)?.[1];
      expect(netId, out).toBeDefined();
      for (const line of [
        new RegExp(`lab +network namespaces clpn${pid} \\(the device\\) and clpn${pid}r`),
        /phone +don't have defaultNet/,
        /phone +register success/,
        /lab +ip -n clpn\d+ route add default via 10\.77\.0\.1 dev lab0/,
        // CHECKING_CONNECTIVITY (31) while the probe runs, then VALIDATED (16)
        new RegExp(
          `phone +netCapabilitiesChange: \\{"netHandle":\\{"netId":${netId}\\},"netCap":\\{[^}]*"networkCap":\\[11,12,15,31\\],"bearerTypes":\\[3\\]`,
        ),
        new RegExp(
          `phone +netConnectionPropertiesChange: \\{"netHandle":\\{"netId":${netId}\\},"connectionProperties":\\{"interfaceName":"lab0"[^]*"address":"10\\.77\\.0\\.2"`,
        ),
        /router +probe GET \/generate_204 from 10\.77\.0\.2 → 204/,
        new RegExp(
          `phone +netCapabilitiesChange: \\{"netHandle":\\{"netId":${netId}\\},"netCap":\\{[^}]*"networkCap":\\[11,12,15,16\\]`,
        ),
        new RegExp(`phone +getDefaultNet get data: \\{"netId":${netId}\\}`),
        /phone +BEARER_ETHERNET/,
        new RegExp(`phone +getAllNets get data: \\[\\{"netId":${netId}\\}\\]`),
        new RegExp(`phone +getConnectionProperties\\(${netId}\\) get data: \\{"interfaceName":"lab0"`),
        /phone +default network is validated/,
        /phone +Successfully retrieved default network IP address: \[\{"address":"127\.0\.0\.1","family":1,"port":0\}\]/,
        /lab +ip -n clpn\d+ link set lab0 down/,
        new RegExp(`phone +Network lost, NetId is ${netId}\\n`),
        /phone +Network connection disconnected\./,
        /lab +network namespaces removed/,
        /lab +scenario complete/,
      ]) {
        expect(out).toMatch(line);
      }
      // in this order: available → validated → down → lost
      const at = (s: string) => out.indexOf(s);
      expect(at('Network available')).toBeLessThan(at('default network is validated'));
      expect(at('default network is validated')).toBeLessThan(at('link set lab0 down'));
      expect(at('link set lab0 down')).toBeLessThan(at('Network lost'));
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(
        new RegExp(`clpn${pid}`),
      );
    },
    30_000,
  );

  // Two device processes in two namespaces: discovery, the client joining the GO's group, a TCP socket over the
  // group's veth echoing 1 MiB byte for byte, then the GO removing the group ends the link on both sides.
  it.skipIf(!isRoot)(
    '--scenario p2p: the Wi-Fi P2P seed between two namespaces, bytes echoed over the group',
    async () => {
      const { code, out, pid } = await run(['--scenario', 'p2p']);
      expect(code, out).toBe(0);
      for (const line of [
        new RegExp(`lab +network namespaces clpp${pid}g \\(group owner\\) and clpp${pid}c \\(client\\)`),
        /go +createGroup called/,
        /go +p2p connection change receive event: \{"connectState":1,"isGroupOwner":true,"groupOwnerAddr":"192\.168\.49\.1"\}/,
        /go +getCurrentGroup: DIRECT-..-testGroup on p2p-wlan0-0, isP2pGo true, goIpAddress 192\.168\.49\.1/,
        /client +p2p peer device change receive event: .*my_test_device/,
        /client +p2p connect to test device: 02:/,
        /client +get getP2pLinkedInfo: \{"connectState":1,"isGroupOwner":false,"groupOwnerAddr":"192\.168\.49\.1"\}/,
        /client +getCurrentGroup: DIRECT-..-testGroup on p2p-wlan1-0, owner my_test_device, goIpAddress 192\.168\.49\.1/,
        /client +socket 192\.168\.49\.2 → 192\.168\.49\.1:8888 connected, sending 1048576 bytes/,
        /client +1048576 bytes echoed over the group in \d+ ms, byte-exact: true/,
        /go +socket from 192\.168\.49\.2 closed after 1048576 bytes echoed/,
        /go +removeGroup called/,
        /client +get getP2pLinkedInfo: \{"connectState":0,"isGroupOwner":false,"groupOwnerAddr":""\}/,
        /go +p2p connection change receive event: \{"connectState":0/,
        /lab +network namespaces removed/,
        /lab +scenario complete/,
      ]) {
        expect(out).toMatch(line);
      }
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(
        new RegExp(`clpp${pid}`),
      );
    },
    30_000,
  );

  // Ctrl-C in the middle: the scenario's namespaces are gone afterwards, and the exit code says it was interrupted.
  it.skipIf(!isRoot)(
    '--scenario net: SIGINT mid-flow removes the namespaces',
    async () => {
      const child = spawn(process.execPath, [MAIN, '--scenario', 'net'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const started = new Promise<void>((resolve) =>
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('phone: ip netns exec')) resolve();
        }),
      );
      await started;
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toMatch(
        new RegExp(`clpn${child.pid}`),
      );
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', resolve);
        child.kill('SIGINT');
      });
      expect(code, out).toBe(130);
      expect(out).toMatch(/SIGINT: removing the scenario's network namespaces/);
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(
        new RegExp(`clpn${child.pid}`),
      );
    },
    30_000,
  );

  // Not root (run as nobody): net says why and lists this machine's networks read-only, touching no interface;
  // p2p falls back to the fake medium's loopback data path: the same seed flow, the group on a 127/8 subnet.
  it.skipIf(!nobodyCanRun)(
    'not root: net runs the read-only queries, p2p runs its group on loopback',
    async () => {
      const before = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
      const net = await run(['--scenario', 'net'], true);
      expect(net.code, net.out).toBe(0);
      expect(net.out).toMatch(/lab +not root: this scenario needs root for a network namespace of its own/);
      expect(net.out).toMatch(/phone +getAllNets get data: \[/);
      expect(net.out).not.toMatch(/register success|ip -n /);
      expect(net.out).toMatch(/lab +scenario complete/);
      expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).toBe(before);
      const p2p = await run(['--scenario', 'p2p'], true);
      expect(p2p.code, p2p.out).toBe(0);
      const goIp = /lab +not root: .*group owner (127\.\d+\.\d+\.1)\)/.exec(p2p.out)?.[1];
      expect(goIp, p2p.out).toBeDefined();
      const at = goIp!.replaceAll('.', '\\.');
      for (const line of [
        new RegExp(
          `lab +go: COLINK_P2P_GO_ADDRESS=${at} node --import @colink/api-compat/register go-device\\.ts`,
        ),
        new RegExp(
          `go +p2p connection change receive event: \\{"connectState":1,"isGroupOwner":true,"groupOwnerAddr":"${at}"\\}`,
        ),
        new RegExp(
          `go +getCurrentGroup: DIRECT-..-testGroup on p2p-wlan0-0, isP2pGo true, goIpAddress ${at},`,
        ),
        new RegExp(`go +echo server on ${at}:8888`),
        /client +p2p connect to test device: 02:/,
        new RegExp(
          `client +get getP2pLinkedInfo: \\{"connectState":1,"isGroupOwner":false,"groupOwnerAddr":"${at}"\\}`,
        ),
        new RegExp(
          `client +getCurrentGroup: DIRECT-..-testGroup on p2p-wlan1-0, owner my_test_device, goIpAddress ${at}`,
        ),
        new RegExp(`client +socket 127\\.[\\d.]+ → ${at}:8888 connected, sending 1048576 bytes`),
        /client +1048576 bytes echoed over the group in \d+ ms, byte-exact: true/,
        /go +socket from 127\.[\d.]+ closed after 1048576 bytes echoed/,
        /go +removeGroup called/,
        /client +get getP2pLinkedInfo: \{"connectState":0,"isGroupOwner":false,"groupOwnerAddr":""\}/,
        /go +p2p connection change receive event: \{"connectState":0/,
        /lab +scenario complete/,
      ]) {
        expect(p2p.out).toMatch(line);
      }
      expect(p2p.out).not.toMatch(/ip -n |network namespaces/);
      expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).toBe(before);
    },
    30_000,
  );
});
