import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WpaCtrlClient, type WpaEvent } from '../src/index.js';
import { addNetns, canUseNetns, deleteNetns, FakeP2pMedium, ip } from '../src/testing/index.js';
import { tempDir } from './helpers.js';

/**
 * Contract: the same command script against a real `wpa_supplicant -Dwired` (2.10, Debian `wpasupplicant`) in a
 * network namespace of its own and against the fake gives identical replies and identical events.
 */
const hasBinary = spawnSync('wpa_supplicant', ['-v'], { stdio: 'ignore' }).status === 0;
const canRun = hasBinary && canUseNetns();
if (!canRun) {
  console.warn(
    `contract tests skipped: ${hasBinary ? 'not root (network namespaces needed)' : 'wpa_supplicant not installed (apt-get install wpasupplicant)'}`,
  );
}

const GENERIC: readonly string[] = [
  'PING',
  'LEVEL 3',
  'DETACH',
  'ATTACH',
  'LEVEL 3',
  'NO_SUCH_COMMAND',
  '',
  'ping',
  'PING\n',
  'PING ',
  'LIST_NETWORKS\n',
  'ADD_NETWORK\n',
  'LEVEL',
  'LIST_NETWORKS',
  'ADD_NETWORK',
  'SET_NETWORK 0 ssid "DIRECT-ab"',
  'SET_NETWORK 0 ssid DIRECT-ab',
  'SET_NETWORK 0 psk "1234567"',
  'SET_NETWORK 0 psk "12345678"',
  'SET_NETWORK 0 mode 3',
  'SET_NETWORK 0 mode 9',
  'GET_NETWORK 0 mode',
  'SET_NETWORK 0 mode 0x2',
  'GET_NETWORK 0 mode',
  'SET_NETWORK 0 mode 2x',
  'SET_NETWORK 0 mode -1',
  'GET_NETWORK 0 mode',
  'SET_NETWORK 0 mode 3',
  'SET_NETWORK 0 disabled 7',
  'GET_NETWORK 0 disabled',
  'SET_NETWORK 0 disabled 2',
  'SET_NETWORK 0 no_such_field 1',
  'SET_NETWORK 0',
  'SET_NETWORK 7 ssid "x"',
  'GET_NETWORK 0 ssid',
  'GET_NETWORK 0 psk',
  'GET_NETWORK 0 mode',
  'GET_NETWORK 0 disabled',
  'GET_NETWORK 0 key_mgmt',
  'GET_NETWORK 0 bssid',
  'GET_NETWORK 0',
  'GET_NETWORK 7 ssid',
  'ADD_NETWORK',
  'GET_NETWORK 1 mode',
  'GET_NETWORK 1 disabled',
  'GET_NETWORK 1 ssid',
  'LIST_NETWORKS',
  'SET_NETWORK 1 bssid 02:00:00:00:00:01',
  'GET_NETWORK 1 bssid',
  'SET_NETWORK 1 bssid nonsense',
  'SET_NETWORK 1 ssid 444952454354',
  'GET_NETWORK 1 ssid',
  'SET_NETWORK 1 psk 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  'GET_NETWORK 1 psk',
  'SET_NETWORK 1 key_mgmt NONE',
  'GET_NETWORK 1 key_mgmt',
  'SET_NETWORK 1 key_mgmt BOGUS',
  'LIST_NETWORKS',
  'REMOVE_NETWORK 0',
  'REMOVE_NETWORK 0',
  'REMOVE_NETWORK 7',
  'REMOVE_NETWORK all',
  'LIST_NETWORKS',
  'GET version',
  'GET device_name',
  'GET p2p_go_intent',
  'GET persistent_reconnect',
  'GET p2p_go_max_inactivity',
  'GET p2p_intra_bss',
  'GET manufacturer',
  'GET p2p_ssid_postfix',
  'GET ip_addr_go',
  'SET ip_addr_go 192.168.49.1',
  'GET ip_addr_go',
  'SET no_such_variable 1',
  'GET no_such_variable',
  'SET p2p_go_intent 3',
  'GET p2p_go_intent',
  'SET',
  'GET',
  'SET device_name colink-contract',
  'GET device_name',
  'VENDOR_ELEM_ADD 1 dd0502434c0101',
  'VENDOR_ELEM_GET 1',
  'VENDOR_ELEM_REMOVE 1 *',
  'DETACH',
  'DETACH',
];

const P2P: readonly string[] = [
  'P2P_PEERS',
  'P2P_PEER FIRST',
  'P2P_FIND',
  'P2P_FIND 5',
  'P2P_LISTEN',
  'P2P_STOP_FIND',
  'P2P_CONNECT 02:00:00:00:00:01 pbc',
  'P2P_CONNECT 02:00:00:00:00:01 pin go_intent=7',
  'P2P_CANCEL',
  'P2P_GROUP_ADD',
  'P2P_GROUP_ADD persistent=0',
  'P2P_GROUP_REMOVE p2p-nope-0',
  'P2P_GROUP_REMOVE *',
  'P2P_FLUSH',
  'P2P_PROV_DISC 02:00:00:00:00:01 pbc',
  'P2P_INVITE persistent=0 peer=02:00:00:00:00:01',
  'P2P_SERVICE_FLUSH',
];

interface Transcript {
  replies: string[];
  events: string[];
}

/** Runs `script` on a command socket that attaches itself (events arrive on it too). */
async function transcript(ctrlPath: string, script: readonly string[]): Promise<Transcript> {
  const client = await WpaCtrlClient.open({
    ctrlPath,
    monitor: false,
    pingIntervalMs: 0,
    requestTimeoutMs: 3_000,
  });
  const events: string[] = [];
  const sub = client.events$.subscribe((e: WpaEvent) => events.push(`<${e.level}>${e.raw}`));
  const replies: string[] = [];
  try {
    for (const cmd of script) replies.push(await client.request(cmd));
    await client.request('PING'); // one more round trip so trailing events are in
  } finally {
    sub.unsubscribe();
    await client.close();
  }
  return { replies, events };
}

/** STATUS carries per-daemon values (MAC, UUID): compare its keys. */
async function statusKeys(ctrlPath: string): Promise<string[]> {
  const client = await WpaCtrlClient.open({ ctrlPath, monitor: false, pingIntervalMs: 0 });
  try {
    const s = await client.request('STATUS');
    return s
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=')[0]!);
  } finally {
    await client.close();
  }
}

describe.skipIf(!canRun)('contract: fake vs real wpa_supplicant 2.10 (-Dwired, in a namespace)', () => {
  const ns = `wp2p${process.pid % 100000}c`;
  const ifname = `wp2p${process.pid % 100000}v`;
  const dir = tempDir();
  const realDir = path.join(dir, 'real');
  const fakeDir = path.join(dir, 'fake');
  let daemon: ChildProcess | undefined;
  const medium = new FakeP2pMedium();
  const mediumP2p = new FakeP2pMedium();

  async function startDaemon(): Promise<void> {
    const sock = path.join(realDir, ifname);
    daemon = spawn('ip', ['netns', 'exec', ns, 'wpa_supplicant', '-Dwired', '-i', ifname, '-C', realDir], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    if (!fs.existsSync(sock)) throw new Error('wpa_supplicant did not create its control socket');
  }

  async function stopDaemon(): Promise<void> {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
  }

  beforeAll(async () => {
    await addNetns(ns);
    await ip(['link', 'add', ifname, 'type', 'veth', 'peer', 'name', `${ifname}p`], ns);
    await ip(['link', 'set', ifname, 'up'], ns);
    fs.mkdirSync(realDir);
    await startDaemon();
    medium.addDaemon({ ctrlDir: fakeDir, ifname, socketName: ifname, p2p: false });
    mediumP2p.addDaemon({ ctrlDir: path.join(dir, 'fakep2p'), ifname: 'wlan0', socketName: ifname });
  });

  afterAll(async () => {
    await stopDaemon();
    await medium.close();
    await mediumP2p.close();
    await deleteNetns(ns);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('generic commands: identical replies and identical events, byte for byte', async () => {
    const real = await transcript(path.join(realDir, ifname), GENERIC);
    const fake = await transcript(path.join(fakeDir, ifname), GENERIC);
    expect(fake.replies).toEqual(real.replies);
    expect(fake.events).toEqual(real.events);
    expect(real.events).toContain('<3>CTRL-EVENT-NETWORK-ADDED 0');
  });

  it('debug messages at LEVEL 2 match', async () => {
    const script = [
      'ATTACH',
      'LEVEL 2',
      'ADD_NETWORK',
      'SET_NETWORK 0 ssid "x"',
      'GET_NETWORK 0 ssid',
      'LIST_NETWORKS',
      'REMOVE_NETWORK all',
      'DETACH',
    ];
    const real = await transcript(path.join(realDir, ifname), script);
    const fake = await transcript(path.join(fakeDir, ifname), script);
    expect(fake.replies).toEqual(real.replies);
    expect(fake.events).toEqual(real.events);
  });

  it('STATUS has the same fields', async () => {
    expect(await statusKeys(path.join(fakeDir, ifname))).toEqual(
      await statusKeys(path.join(realDir, ifname)),
    );
  });

  it('P2P commands: the fake with P2P disabled answers exactly as the real daemon (FAIL / OK / UNKNOWN COMMAND)', async () => {
    const real = await transcript(path.join(realDir, ifname), P2P);
    const fake = await transcript(path.join(fakeDir, ifname), P2P);
    expect(fake.replies).toEqual(real.replies);
    expect(real.replies[0]).toBe('UNKNOWN COMMAND\n'); // there is no P2P_PEERS
  });

  it('P2P commands: the P2P-enabled fake keeps the real grammar where P2P state does not matter', async () => {
    const script = [
      'P2P_PEERS',
      'P2P_PEER FIRST',
      'P2P_GROUP_REMOVE p2p-nope-0',
      'P2P_GROUP_REMOVE *',
      'P2P_FLUSH',
      'P2P_STOP_FIND',
      'P2P_NO_SUCH',
    ];
    const real = await transcript(path.join(realDir, ifname), script);
    const fake = await transcript(path.join(dir, 'fakep2p', ifname), script);
    expect(fake.replies).toEqual(real.replies);
  });

  it('WpaCtrlClient against the real daemon: monitor events, CTRL-EVENT-TERMINATING, re-attach to the restarted daemon', async () => {
    const client = await WpaCtrlClient.open({ ctrlPath: path.join(realDir, ifname), reattachRetryMs: 100 });
    try {
      const added = firstValueFrom(
        client.events$.pipe(
          filter((e) => e.type === 'CTRL-EVENT-NETWORK-ADDED'),
          timeout(5_000),
        ),
      );
      const id = await client.value('ADD_NETWORK');
      expect((await added) as { networkId: number }).toMatchObject({ networkId: Number(id) });
      await client.expectOk(`REMOVE_NETWORK ${id}`);

      const terminating = firstValueFrom(
        client.events$.pipe(
          filter((e) => e.type === 'CTRL-EVENT-TERMINATING'),
          timeout(5_000),
        ),
      );
      const reconnecting = firstValueFrom(
        client.state$.pipe(
          filter((st) => st === 'reconnecting'),
          timeout(5_000),
        ),
      );
      await stopDaemon();
      await terminating;
      await reconnecting;
      await startDaemon();
      await firstValueFrom(
        client.state$.pipe(
          filter((st) => st === 'attached'),
          timeout(10_000),
        ),
      );
      const again = firstValueFrom(
        client.events$.pipe(
          filter((e) => e.type === 'CTRL-EVENT-NETWORK-ADDED'),
          timeout(5_000),
        ),
      );
      const id2 = await client.value('ADD_NETWORK');
      expect((await again) as { networkId: number }).toMatchObject({ networkId: Number(id2) });
      await client.expectOk('REMOVE_NETWORK all');
    } finally {
      await client.close();
    }
  });
});
