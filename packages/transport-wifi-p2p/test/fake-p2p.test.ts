import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isColinkError } from '@colink/core';
import { VirtualClock } from '@colink/core/testing';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ADDRESS_POLL_MS,
  type GroupAddressing,
  P2P_ADDRESS_WAIT_MS,
  P2P_CONNECT_TIMEOUT_MS,
  P2pService,
  WpaCtrlClient,
} from '../src/index.js';
import type { FakeWpaSupplicant } from '../src/testing/index.js';
import { FakeP2pMedium, type FakeP2pMediumOptions, wpsPinChecksum } from '../src/testing/index.js';
import { nextEvent, tempDir } from './helpers.js';

describe('fake wpa_supplicant: P2P over the shared medium', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function world(n: number, opts: FakeP2pMediumOptions = {}, intents: number[] = []) {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'loopback', ...opts });
    const nodes: { d: FakeWpaSupplicant; wpa: WpaCtrlClient; p2p: P2pService }[] = [];
    for (let i = 0; i < n; i++) {
      const d = medium.addDaemon({ ctrlDir: dir, ifname: `wlan${i}`, deviceName: `dev-${i}` });
      const wpa = await WpaCtrlClient.open({ ctrlPath: d.ctrlPath });
      const p2p = new P2pService(wpa, { goIntent: intents[i] ?? 7, addressing: medium.addressing });
      nodes.push({ d, wpa, p2p });
    }
    cleanups.push(async () => {
      for (const x of nodes) {
        x.p2p.close();
        await x.wpa.close();
      }
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { medium, nodes };
  }

  const peerSeen = (p2p: P2pService, addr: string) =>
    firstValueFrom(
      p2p.peers$.pipe(
        filter((m) => m.has(addr)),
        timeout(5_000),
      ),
    );

  it('connect to a device that never shows up fails after the default 30 s connect timeout, in virtual time', async () => {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'loopback' });
    const d = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0', deviceName: 'alone' });
    const clock = new VirtualClock();
    const wpa = await WpaCtrlClient.open({ ctrlPath: d.ctrlPath, scheduler: clock });
    const p2p = new P2pService(wpa, { addressing: medium.addressing, scheduler: clock });
    cleanups.push(async () => {
      p2p.close();
      await wpa.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    let outcome: unknown = 'pending';
    p2p.connect('02:00:00:00:00:99').then(
      () => (outcome = 'connected'),
      (e: unknown) => (outcome = e),
    );
    await new Promise((r) => setTimeout(r, 50)); // real time: the daemon answers PEER and P2P_FIND
    await clock.advance(P2P_CONNECT_TIMEOUT_MS - 1);
    expect(outcome).toBe('pending');
    await clock.advance(1);
    expect(isColinkError(outcome, 'ERR_UNREACHABLE')).toBe(true);
  });

  it('discovery: P2P-DEVICE-FOUND with name and capabilities, peers listed by P2P_PEER FIRST / NEXT', async () => {
    const { nodes } = await world(3);
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    await b.p2p.listen();
    await c.p2p.listen();
    const found = nextEvent(a.wpa, 'P2P-DEVICE-FOUND');
    await a.p2p.find();
    const ev = await found;
    expect([b.d.deviceAddress, c.d.deviceAddress]).toContain(ev.p2pDevAddr);
    expect(ev.name).toMatch(/^dev-[12]$/);
    expect(ev.isNew).toBe(true);
    await peerSeen(a.p2p, b.d.deviceAddress);
    await peerSeen(a.p2p, c.d.deviceAddress);
    const listed = await a.p2p.refreshPeers();
    expect(listed.map((p) => p.deviceAddress).sort()).toEqual([b.d.deviceAddress, c.d.deviceAddress].sort());
    expect(listed.find((p) => p.deviceAddress === b.d.deviceAddress)?.deviceName).toBe('dev-1');
    expect(await a.wpa.request('P2P_PEERS')).toBe('UNKNOWN COMMAND\n');
    const stopped = nextEvent(a.wpa, 'P2P-FIND-STOPPED');
    await a.p2p.stopFind();
    await stopped;
    expect(a.p2p.discovering).toBe(false);
  });

  it('drop-discovery fault: the device is neither found nor finds', async () => {
    const { nodes } = await world(3);
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    b.d.faults.dropDiscovery = true;
    await b.p2p.listen();
    await c.p2p.listen();
    await a.p2p.find();
    await peerSeen(a.p2p, c.d.deviceAddress); // found in the same probe round as b would be
    expect(a.p2p.peers.has(b.d.deviceAddress)).toBe(false);
  });

  it('GO negotiation by intent: the higher intent becomes GO; responder sees P2P-GO-NEG-REQUEST first', async () => {
    const { nodes } = await world(2, {}, [3, 12]);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await b.p2p.listen();
    await a.p2p.find();
    await peerSeen(a.p2p, b.d.deviceAddress);
    const req = nextEvent(b.wpa, 'P2P-GO-NEG-REQUEST');
    const negA = nextEvent(a.wpa, 'P2P-GO-NEG-SUCCESS');
    const group = await a.p2p.connect(b.d.deviceAddress);
    expect((await req).goIntent).toBe(3);
    const success = await negA;
    expect(success.role).toBe('client');
    expect(success.peerDev).toBe(b.d.deviceAddress);
    expect(group.role).toBe('client');
    expect(group.ifname).toBe('p2p-wlan0-0');
    expect(group.goDeviceAddress).toBe(b.d.deviceAddress);
    expect(group.goIpAddress).toMatch(/^127\.\d+\.\d+\.1$/);
    expect(group.ssid).toMatch(/^DIRECT-/);
    expect(group.psk).toMatch(/^[0-9a-f]{64}$/);
    const goSide = await firstValueFrom(
      b.p2p.groups$.pipe(
        filter((g) => g.some((x) => x.clients.length > 0)),
        timeout(5_000),
      ),
    );
    expect(goSide[0]!.role).toBe('GO');
    expect(goSide[0]!.clients[0]!.deviceAddress).toBe(a.d.deviceAddress);
    expect(goSide[0]!.clients[0]!.ipAddress).toBe(group.ipAddress);
    expect(b.p2p.peers.get(a.d.deviceAddress)?.status ?? 'connected').toBe('connected');
    expect(a.p2p.peers.get(b.d.deviceAddress)?.status).toBe('connected');
  });

  it('startConnect to a device already in a group with this one sends nothing and leaves the group as it is', async () => {
    const { nodes } = await world(2, {}, [3, 12]);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await b.p2p.listen();
    await a.p2p.find();
    await peerSeen(a.p2p, b.d.deviceAddress);
    const group = await a.p2p.connect(b.d.deviceAddress);
    // the GO has seen the client associate (AP-STA-CONNECTED) before we start watching
    await firstValueFrom(
      b.p2p.groups$.pipe(
        filter((g) => g.some((x) => x.clients.length > 0)),
        timeout(5_000),
      ),
    );
    const seen: string[] = [];
    const sub = a.wpa.events$.subscribe((e) => seen.push(e.type));
    const subB = b.wpa.events$.subscribe((e) => seen.push(`b:${e.type}`));
    // as the guide's example does on every peer-list change
    for (let i = 0; i < 3; i++) expect(await a.p2p.startConnect(b.d.deviceAddress)).toBeUndefined();
    expect(a.p2p.peers.get(b.d.deviceAddress)?.status).toBe('connected');
    await new Promise((r) => setTimeout(r, 300));
    sub.unsubscribe();
    subB.unsubscribe();
    expect(seen.filter((t) => /GO-NEG|GROUP|PROV-DISC|CONNECTED|DISCONNECTED/.test(t))).toEqual([]);
    expect(a.p2p.currentGroups).toEqual([group]);
    expect(a.p2p.peers.get(b.d.deviceAddress)?.status).toBe('connected');
  });

  it('GO negotiation tie breaker: equal intents, the initiator with tie breaker bit 1 becomes GO, then the bit toggles', async () => {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'none' });
    const a = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0', tieBreaker: true });
    const b = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan1' });
    const wa = await WpaCtrlClient.open({ ctrlPath: a.ctrlPath });
    const wb = await WpaCtrlClient.open({ ctrlPath: b.ctrlPath });
    cleanups.push(async () => {
      await wa.close();
      await wb.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await wb.expectOk('P2P_LISTEN');
    const found = nextEvent(wa, 'P2P-DEVICE-FOUND');
    await wa.expectOk('P2P_FIND');
    await found;
    for (const expectedRole of ['GO', 'client'] as const) {
      await wb.expectOk(`P2P_CONNECT ${a.deviceAddress} pbc auth go_intent=7`);
      const success = nextEvent(wa, 'P2P-GO-NEG-SUCCESS');
      const started = nextEvent(wa, 'P2P-GROUP-STARTED');
      await wa.expectOk(`P2P_CONNECT ${b.deviceAddress} pbc go_intent=7`);
      expect((await success).role).toBe(expectedRole);
      const g = await started;
      expect(g.role).toBe(expectedRole);
      // the GO ends the group; the client hears GO_ENDING_SESSION
      const [goWpa, clientWpa] = expectedRole === 'GO' ? [wa, wb] : [wb, wa];
      const removed = nextEvent(clientWpa, 'P2P-GROUP-REMOVED');
      await goWpa.expectOk('P2P_GROUP_REMOVE *');
      expect(await removed).toMatchObject({ role: 'client', reason: 'GO_ENDING_SESSION' });
    }
  });

  it('both intents 15: P2P-GO-NEG-FAILURE status=9 on both sides', async () => {
    const { nodes } = await world(2, {}, [15, 15]);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await b.p2p.listen();
    await a.p2p.find();
    await peerSeen(a.p2p, b.d.deviceAddress);
    const failB = nextEvent(b.wpa, 'P2P-GO-NEG-FAILURE');
    const e = await a.p2p.connect(b.d.deviceAddress).catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_DIAL_FAILED')).toBe(true);
    expect((e as { detail: { status: number } }).detail.status).toBe(9);
    expect((await failB).status).toBe(9);
    expect(a.p2p.peers.get(b.d.deviceAddress)?.status).toBe('failed');
  });

  it('GO-negotiation-failure fault: connect rejects with the injected status', async () => {
    const { nodes } = await world(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    b.d.faults.failGoNegotiation = 7;
    await b.p2p.listen();
    await a.p2p.find();
    await peerSeen(a.p2p, b.d.deviceAddress);
    const e = await a.p2p.connect(b.d.deviceAddress).catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_DIAL_FAILED')).toBe(true);
    expect((e as { detail: { status: number } }).detail.status).toBe(7);
  });

  it('autonomous persistent group with chosen SSID and passphrase, restarted from its network id, joined by push button', async () => {
    const { nodes } = await world(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const changed = firstValueFrom(a.p2p.persistentGroupsChanged$.pipe(timeout(5_000)));
    const g = await a.p2p.createGroup({ ssid: 'DIRECT-cl-lab', passphrase: '12345678', persistent: true });
    await changed;
    expect(g.role).toBe('GO');
    expect(g.ssid).toBe('DIRECT-cl-lab');
    expect(g.passphrase).toBe('12345678');
    expect(g.persistent).toBe(true);
    expect(g.networkId).toBe(0);
    expect(await a.wpa.request('LIST_NETWORKS')).toBe(
      'network id / ssid / bssid / flags\n0\tDIRECT-cl-lab\tany\t[DISABLED][P2P-PERSISTENT]\n',
    );
    expect(await a.p2p.persistentGroups()).toEqual([{ networkId: 0, ssid: 'DIRECT-cl-lab', bssid: 'any' }]);
    await a.p2p.removeGroup();
    const again = await a.p2p.createGroup({ networkId: 0 });
    expect(again.ssid).toBe('DIRECT-cl-lab');
    expect(again.ifname).toBe('p2p-wlan0-1');

    await b.p2p.find();
    const peer = await firstValueFrom(
      b.p2p.peers$.pipe(
        filter((m) => !!((m.get(a.d.deviceAddress)?.groupCapabilities ?? 0) & 1)),
        timeout(5_000),
      ),
    );
    expect(peer.get(a.d.deviceAddress)!.groupCapabilities & 0x03).toBe(0x03); // GO + persistent
    const pbcReq = nextEvent(a.wpa, 'P2P-PROV-DISC-PBC-REQ');
    const joined = await b.p2p.connect(a.d.deviceAddress);
    expect((await pbcReq).p2pDevAddr).toBe(b.d.deviceAddress);
    expect(joined.role).toBe('client');
    expect(joined.ssid).toBe('DIRECT-cl-lab');
    expect(joined.goIpAddress).toBe(again.goIpAddress);
  });

  it('rejects a passphrase outside 8..63 characters before talking to the daemon', async () => {
    const { nodes } = await world(1);
    const e = await nodes[0]!.p2p.createGroup({ passphrase: '1234567' }).catch((x: unknown) => x);
    expect(isColinkError(e, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect(await nodes[0]!.wpa.request('LIST_NETWORKS')).toBe('network id / ssid / bssid / flags\n');
  });

  it('measures a passphrase as wpa_supplicant does: 8..63 bytes, no control characters; UTF-8, quotes and backslashes are fine', async () => {
    // hostap config.c wpa_config_parse_psk: the length is in bytes up to the last quote, has_ctrl_char refuses
    // bytes < 0x20 and 0x7f; anything else is a passphrase (IEEE 802.11 hashes its bytes)
    const { nodes } = await world(1);
    const n = nodes[0]!;
    for (const bad of ['é'.repeat(32), 'tab\there!', 'del\x7fchar!']) {
      const e = await n.p2p.createGroup({ passphrase: bad }).catch((x: unknown) => x);
      expect(isColinkError(e, 'ERR_INVALID_ARGUMENT'), JSON.stringify(bad)).toBe(true);
    }
    expect(await n.wpa.request('LIST_NETWORKS')).toBe('network id / ssid / bssid / flags\n');
    for (const good of ['é'.repeat(4), 'say "hi" \\n ok']) {
      const g = await n.p2p.createGroup({ ssid: 'pass', passphrase: good });
      expect(g.passphrase).toBe(good);
      await n.p2p.removeGroup();
    }
  });

  it('the fake writes SSIDs as wpa_supplicant does (printf_encode): a name with a backslash or non-ASCII comes back as set, on both sides', async () => {
    // wpa_ssid_txt in P2P-GROUP-STARTED and LIST_NETWORKS: `\\` for a backslash, `\xNN` for each non-ASCII byte
    const { nodes } = await world(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const ssid = 'DIRECT-cl-a\\b é';
    const raw = nextEvent(a.wpa, 'P2P-GROUP-STARTED');
    const g = await a.p2p.createGroup({ ssid, passphrase: '12345678', persistent: true });
    expect((await raw).raw).toContain('ssid="DIRECT-cl-a\\\\b \\xc3\\xa9"');
    expect(g.ssid).toBe(ssid);
    expect(g.networkId).toBe(0); // found by its SSID in LIST_NETWORKS
    expect(await a.wpa.request('LIST_NETWORKS')).toBe(
      'network id / ssid / bssid / flags\n0\tDIRECT-cl-a\\\\b \\xc3\\xa9\tany\t[DISABLED][P2P-PERSISTENT]\n',
    );
    expect(await a.p2p.persistentGroups()).toEqual([{ networkId: 0, ssid, bssid: 'any' }]);
    await b.p2p.find();
    await peerSeen(b.p2p, a.d.deviceAddress);
    const joined = await b.p2p.connect(a.d.deviceAddress);
    expect(joined.ssid).toBe(ssid);
  });

  it('persistentGroups reads the flags column of LIST_NETWORKS: a network whose SSID holds "[P2P-PERSISTENT]" is not one', async () => {
    const { nodes } = await world(1);
    const n = nodes[0]!;
    const id = await n.wpa.value('ADD_NETWORK'); // a station network, as a saved access point would be
    await n.wpa.expectOk(`SET_NETWORK ${id} ssid "cafe [P2P-PERSISTENT]"`);
    const g = await n.p2p.createGroup({ ssid: 'DIRECT-cl-kept', passphrase: '12345678', persistent: true });
    expect(await n.p2p.persistentGroups()).toEqual([
      { networkId: g.networkId, ssid: 'DIRECT-cl-kept', bssid: 'any' },
    ]);
  });

  it("a joining device's name cannot change the address acceptConnection decides on (P2P-PROV-DISC-PBC-REQ name='…')", async () => {
    // a WPS device name is ≤ 32 bytes of anything but control characters, printed after the real p2p_dev_addr:
    // "' p2p_dev_addr=<address>" made the GO ask about "<address>'" instead (a deny list no longer matched)
    const trusted = '02:00:00:00:00:77';
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'loopback' });
    const goD = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0', deviceName: 'go' });
    const evil = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan1', deviceName: `' p2p_dev_addr=${trusted}` });
    const goWpa = await WpaCtrlClient.open({ ctrlPath: goD.ctrlPath });
    const evilWpa = await WpaCtrlClient.open({ ctrlPath: evil.ctrlPath });
    const asked: string[] = [];
    const go = new P2pService(goWpa, {
      addressing: medium.addressing,
      acceptConnection: ({ address }) => {
        asked.push(address);
        return address === trusted;
      },
    });
    const joiner = new P2pService(evilWpa, { addressing: medium.addressing });
    cleanups.push(async () => {
      go.close();
      joiner.close();
      await goWpa.close();
      await evilWpa.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await go.createGroup({ ssid: 'guarded', passphrase: '12345678' });
    await joiner.find();
    await peerSeen(joiner, goD.deviceAddress);
    const pbcReq = nextEvent(goWpa, 'P2P-PROV-DISC-PBC-REQ');
    void joiner.connect(goD.deviceAddress, { timeoutMs: 3_000 }).catch(() => undefined);
    expect((await pbcReq).p2pDevAddr).toBe(evil.deviceAddress);
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toEqual([evil.deviceAddress]);
  });

  it('P2P_CONNECT … pin answers an 8-digit PIN with a valid WPS checksum', async () => {
    const { nodes } = await world(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await b.p2p.listen();
    await a.p2p.find();
    await peerSeen(a.p2p, b.d.deviceAddress);
    const pin = await a.wpa.value(`P2P_CONNECT ${b.d.deviceAddress} pin auth`);
    expect(pin).toMatch(/^\d{8}$/);
    expect(wpsPinChecksum(Math.floor(Number(pin) / 10))).toBe(Number(pin) % 10);
    expect(await a.wpa.request(`P2P_CONNECT ${b.d.deviceAddress} 12345678`)).toBe('FAIL-INVALID-PIN\n');
    expect(await a.wpa.request('P2P_CONNECT 02:99:99:99:99:99 pbc')).toBe('FAIL\n');
    await a.p2p.cancel();
    expect(await a.wpa.request('P2P_CANCEL')).toBe('FAIL\n');
  });

  it('group loss fault: both sides see P2P-GROUP-REMOVED, not requested locally', async () => {
    const { medium, nodes } = await world(2, {}, [15, 0]);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    await b.p2p.listen();
    await a.p2p.find();
    await peerSeen(a.p2p, b.d.deviceAddress);
    await a.p2p.connect(b.d.deviceAddress);
    await firstValueFrom(
      b.p2p.groups$.pipe(
        filter((g) => g.length > 0),
        timeout(5_000),
      ),
    );
    const lostA = firstValueFrom(a.p2p.groupRemoved$.pipe(timeout(5_000)));
    const lostB = firstValueFrom(b.p2p.groupRemoved$.pipe(timeout(5_000)));
    await medium.loseGroup(a.d);
    const [ra, rb] = await Promise.all([lostA, lostB]);
    expect(ra).toMatchObject({ reason: 'UNAVAILABLE', local: false });
    expect(rb).toMatchObject({ reason: 'IDLE', local: false });
    expect(a.p2p.currentGroups).toEqual([]);
  });

  it('daemon restart fault: the service drops its groups with reason TERMINATING and works again after re-attach', async () => {
    const { nodes } = await world(1);
    const a = nodes[0]!;
    await a.p2p.createGroup();
    const removed = firstValueFrom(a.p2p.groupRemoved$.pipe(timeout(5_000)));
    await a.d.restart(20);
    expect((await removed).reason).toMatch(/TERMINATING|UNAVAILABLE/);
    await firstValueFrom(
      a.wpa.state$.pipe(
        filter((s) => s === 'attached'),
        timeout(10_000),
      ),
    );
    const g = await a.p2p.createGroup();
    expect(g.role).toBe('GO');
  });

  it('waits for the group address: a group is published only once its address is there', async () => {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'none' });
    const d = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0' });
    const wpa = await WpaCtrlClient.open({ ctrlPath: d.ctrlPath });
    let present = false;
    let asked = 0;
    const addressing: GroupAddressing = {
      waitForAddress: (_ifname, _expected, ms) =>
        new Promise((resolve, reject) => {
          const t0 = Date.now();
          const tick = () => {
            asked++;
            if (present) return resolve('192.168.49.1');
            if (Date.now() - t0 > ms) return reject(new Error('timeout'));
            setTimeout(tick, 10);
          };
          tick();
        }),
    };
    const p2p = new P2pService(wpa, { addressing });
    cleanups.push(async () => {
      p2p.close();
      await wpa.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const started = nextEvent(wpa, 'P2P-GROUP-STARTED');
    const created = p2p.createGroup();
    await started;
    expect(p2p.currentGroups).toEqual([]);
    present = true;
    const g = await created;
    expect(g.goIpAddress).toBe('192.168.49.1');
    expect(asked).toBeGreaterThan(0);
  });

  it('a GO address that never appears: connectionFailed$ after P2P_ADDRESS_WAIT_MS (10 s), createGroup rejects with ERR_TIMEOUT 5 s later (virtual time)', async () => {
    const clock = new VirtualClock();
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'none' }); // no group interface in this namespace
    const d = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0' });
    const wpa = await WpaCtrlClient.open({ ctrlPath: d.ctrlPath });
    // the default addressing (this namespace's interfaces), polled on the service's clock
    const p2p = new P2pService(wpa, { scheduler: clock });
    cleanups.push(async () => {
      p2p.close();
      await wpa.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const failures: { address: string | undefined; status: number; event: string }[] = [];
    p2p.connectionFailed$.subscribe((f) => failures.push(f));
    const started = nextEvent(wpa, 'P2P-GROUP-STARTED');
    const created = p2p.createGroup();
    created.catch(() => undefined);
    await started;
    await clock.advance(P2P_ADDRESS_WAIT_MS - 1);
    expect(failures).toEqual([]);
    await clock.advance(ADDRESS_POLL_MS);
    expect(failures).toEqual([
      {
        address: undefined,
        status: -1,
        event: 'address: no IPv4 address on p2p-wlan0-0 after 10000 ms',
      },
    ]);
    await clock.advance(5_000);
    await expect(created).rejects.toMatchObject({
      code: 'ERR_TIMEOUT',
      message: expect.stringMatching(/group did not start/),
    });
  });

  it('loopback data path, GO told its 127/8 address (as in a process of its own): no interface needed, TCP across', async () => {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'loopback' });
    const subnet = `127.${16 + (process.pid % 239)}.${((process.pid >> 8) % 254) + 1}`;
    const ipAllocation = {
      go: `${subnet}.1`,
      mask: '255.255.255.0',
      start: `${subnet}.2`,
      end: `${subnet}.254`,
    };
    const open = async (ifname: string, deviceName: string, options = {}) => {
      const d = medium.addDaemon({ ctrlDir: dir, ifname, deviceName });
      const wpa = await WpaCtrlClient.open({ ctrlPath: d.ctrlPath });
      // the default addressing: this namespace's interfaces, as a service without access to the medium has
      const p2p = new P2pService(wpa, options);
      cleanups.push(async () => {
        p2p.close();
        await wpa.close();
      });
      return { d, p2p };
    };
    cleanups.push(async () => {
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const go = await open('wlan0', 'go', { ipAllocation });
    const client = await open('wlan1', 'client');
    await go.p2p.configureIpAllocation();
    const g = await go.p2p.createGroup({ passphrase: '12345678' });
    expect(g).toMatchObject({
      role: 'GO',
      ifname: 'p2p-wlan0-0',
      goIpAddress: `${subnet}.1`,
      ipAddress: `${subnet}.1`,
    });

    const server = net.createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => server.listen(0, g.goIpAddress, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await client.p2p.find();
    await peerSeen(client.p2p, go.d.deviceAddress);
    const joined = await client.p2p.connect(go.d.deviceAddress);
    expect(joined).toMatchObject({ role: 'client', goIpAddress: `${subnet}.1`, ipAddress: `${subnet}.2` });
    const port = (server.address() as net.AddressInfo).port;
    const socket = net.connect({ host: joined.goIpAddress, port, localAddress: joined.ipAddress });
    cleanups.push(() => void socket.destroy());
    const echoed = await new Promise<string>((resolve, reject) => {
      let got = '';
      socket.on('error', reject);
      socket.on('connect', () => socket.write('over the group'));
      socket.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.length >= 14) resolve(got);
      });
    });
    expect(echoed).toBe('over the group');
    expect(socket.remoteAddress).toBe(`${subnet}.1`);
  });

  it('rejects an ipAllocation that is not dotted IPv4 with ERR_INVALID_ARGUMENT', async () => {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'none' });
    const d = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0' });
    const wpa = await WpaCtrlClient.open({ ctrlPath: d.ctrlPath });
    cleanups.push(async () => {
      await wpa.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    for (const start of ['', '10.0.0.256', 'ten']) {
      const ipAllocation = { go: '10.0.0.1', mask: '255.255.255.0', start, end: '10.0.0.254' };
      let err: unknown;
      try {
        new P2pService(wpa, { ipAllocation });
      } catch (e) {
        err = e;
      }
      expect(isColinkError(err, 'ERR_INVALID_ARGUMENT'), String(err)).toBe(true);
    }
  });

  it('EAPOL IP allocation: the client gets ip_addr/ip_mask/go_ip_addr only when the GO configured ip_addr_go…', async () => {
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'none' });
    const go = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan0' });
    const cl = medium.addDaemon({ ctrlDir: dir, ifname: 'wlan1' });
    const wg = await WpaCtrlClient.open({ ctrlPath: go.ctrlPath });
    const wc = await WpaCtrlClient.open({ ctrlPath: cl.ctrlPath });
    cleanups.push(async () => {
      await wg.close();
      await wc.close();
      await medium.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const joinOnce = async (goIfname: string) => {
      const found = nextEvent(wc, 'P2P-DEVICE-FOUND');
      await wc.expectOk('P2P_FIND');
      await found;
      const started = nextEvent(wc, 'P2P-GROUP-STARTED');
      const sta = nextEvent(wg, 'AP-STA-CONNECTED');
      const pbcReq = nextEvent(wg, 'P2P-PROV-DISC-PBC-REQ');
      await wc.expectOk(`P2P_CONNECT ${go.deviceAddress} pbc join`);
      await pbcReq;
      // as with wpa_supplicant, the GO's host presses the button on the group interface's own socket
      const groupCtrl = await WpaCtrlClient.open({
        ctrlPath: path.join(dir, goIfname),
        monitor: false,
        pingIntervalMs: 0,
      });
      expect(await groupCtrl.request('WPS_PBC')).toBe('OK\n');
      await groupCtrl.close();
      const [ev, st] = [await started, await sta];
      const removed = nextEvent(wc, 'P2P-GROUP-REMOVED');
      await wc.expectOk(`P2P_GROUP_REMOVE ${ev.groupIfname}`);
      await removed;
      return [ev, st] as const;
    };
    const goStarted = nextEvent(wg, 'P2P-GROUP-STARTED');
    await wg.expectOk('P2P_GROUP_ADD');
    const [plain, plainSta] = await joinOnce((await goStarted).groupIfname);
    expect(plain.ipAddr).toBeUndefined();
    expect(plainSta.ipAddr).toBeUndefined();
    const p2p = new P2pService(wg, {
      ipAllocation: { go: '10.49.0.1', mask: '255.255.0.0', start: '10.49.0.10', end: '10.49.0.20' },
    });
    cleanups.push(() => p2p.close());
    await p2p.configureIpAllocation();
    expect(await wg.request('GET ip_addr_start')).toBe('10.49.0.10');
    const goRemoved = nextEvent(wg, 'P2P-GROUP-REMOVED');
    await wg.expectOk('P2P_GROUP_REMOVE *');
    await goRemoved;
    const goAgain = nextEvent(wg, 'P2P-GROUP-STARTED');
    await wg.expectOk('P2P_GROUP_ADD');
    const [withIp, sta] = await joinOnce((await goAgain).groupIfname);
    expect(withIp).toMatchObject({ ipAddr: '10.49.0.10', ipMask: '255.255.0.0', goIpAddr: '10.49.0.1' });
    expect(sta.ipAddr).toBe('10.49.0.10');
  });
});
