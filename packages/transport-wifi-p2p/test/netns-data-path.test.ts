import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { filter, firstValueFrom, ReplaySubject, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNetns, canUseNetns, deleteNetns, FakeP2pMedium, ip } from '../src/testing/index.js';
import { tempDir } from './helpers.js';

const fixture = new URL('./fixtures/ns-peer.mts', import.meta.url).pathname;
const packageDir = new URL('..', import.meta.url).pathname;

interface Msg {
  ev: string;
  [k: string]: unknown;
}

class Peer {
  readonly child: ChildProcess;
  readonly messages$ = new ReplaySubject<Msg>();
  stderr = '';
  constructor(netns: string, config: unknown) {
    this.child = spawn(
      'ip',
      [
        'netns',
        'exec',
        netns,
        'node',
        '--conditions=@colink/source',
        '--import',
        'tsx',
        fixture,
        JSON.stringify(config),
      ],
      { cwd: packageDir, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.messages$.next(JSON.parse(l) as Msg);
      } catch {
        this.stderr += `${l}\n`;
      }
    });
    this.child.stderr!.on('data', (d) => {
      this.stderr += String(d);
    });
  }
  next(ev: string, ms = 20_000): Promise<Msg> {
    return firstValueFrom(
      this.messages$.pipe(
        filter((m) => m.ev === ev || m.ev === 'error'),
        timeout(ms),
      ),
    )
      .then((m) => {
        if (m.ev === 'error' && ev !== 'error')
          throw new Error(`peer error: ${String(m.message)}\n${String(m.stack ?? '')}`);
        return m;
      })
      .catch((e) => {
        throw new Error(`${(e as Error).message} waiting for ${ev}; stderr: ${this.stderr}`);
      });
  }
  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.send({ cmd: 'exit' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  }
}

const BYTES = 8 * 1024 * 1024;
if (!canUseNetns())
  console.warn('netns data-path tests skipped: not root (network namespaces and veths need root)');

describe.skipIf(!canUseNetns()).each([
  { who: 'the fake plays the hosts and assigns the group addresses', fakeAssigns: true, tag: 'a' },
  { who: 'the transports assign the group addresses themselves', fakeAssigns: false, tag: 'b' },
  {
    who: 'no EAPOL allocation: dnsmasq on the GO, udhcpc on the client',
    fakeAssigns: false,
    tag: 'c',
    dhcp: true,
  },
])(
  'data path between two network namespaces over the fake-built group link ($who)',
  ({ fakeAssigns, tag, dhcp = false }) => {
    const nsA = `wp2p${process.pid % 100000}${tag}1`;
    const nsB = `wp2p${process.pid % 100000}${tag}2`;
    const dir = tempDir();
    const medium = new FakeP2pMedium({ dataPath: 'netns', assignAddresses: fakeAssigns });
    const peers: Peer[] = [];

    beforeAll(async () => {
      await addNetns(nsA);
      await addNetns(nsB);
    });

    afterAll(async () => {
      for (const p of peers) await p.close().catch(() => undefined);
      await medium.close();
      await deleteNetns(nsA);
      await deleteNetns(nsB);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('persistent group, discovery, connect, TCP to goIpAddress: 8 MiB echoed byte-exact; GO removal ends the client conduit as lost', async () => {
      const go = medium.addDaemon({ ctrlDir: path.join(dir, 'a'), ifname: 'wlan0', netns: nsA });
      const client = medium.addDaemon({ ctrlDir: path.join(dir, 'b'), ifname: 'wlan1', netns: nsB });
      const goPeer = new Peer(nsA, {
        ctrlPath: go.ctrlPath,
        role: 'go',
        name: 'go',
        bytes: BYTES,
        assign: !fakeAssigns,
        dhcp,
      });
      peers.push(goPeer);
      const group = (await goPeer.next('group')).group as Record<string, unknown>;
      expect(group).toMatchObject({
        role: 'GO',
        ifname: 'p2p-wlan0-0',
        ssid: 'DIRECT-cl-ns',
        goIpAddress: '192.168.49.1',
        persistent: true,
      });
      // the GO address is really on the GO's group interface, inside namespace A
      expect(await ip(['-4', '-o', 'addr', 'show', 'dev', 'p2p-wlan0-0'], nsA)).toContain(
        'inet 192.168.49.1/24',
      );

      const clientPeer = new Peer(nsB, {
        ctrlPath: client.ctrlPath,
        role: 'client',
        name: 'client',
        bytes: BYTES,
        assign: !fakeAssigns,
        dhcp,
      });
      peers.push(clientPeer);
      const dialled = await clientPeer.next('dialled', 30_000);
      expect(dialled.group).toMatchObject({
        role: 'client',
        ifname: 'p2p-wlan1-0',
        goIpAddress: '192.168.49.1',
        ipAddress: expect.stringMatching(/^192\.168\.49\.\d+$/),
      });
      const clientIp = (dialled.group as { ipAddress: string }).ipAddress;
      if (!dhcp) expect(clientIp).toBe('192.168.49.2'); // first EAPOL address; dnsmasq picks by MAC hash
      expect(dialled.remote).toBe('192.168.49.1:49228');
      expect(await ip(['-4', '-o', 'addr', 'show', 'dev', 'p2p-wlan1-0'], nsB)).toContain(
        `inet ${clientIp}/24`,
      );
      const incoming = await goPeer.next('incoming');
      // the GO knows the client's address: from AP-STA-CONNECTED ip_addr= (EAPOL) or from its DHCP server's lease
      expect(incoming.clients).toEqual([
        {
          deviceAddress: client.deviceAddress,
          interfaceAddress: client.interfaceAddress,
          ipAddress: clientIp,
        },
      ]);
      expect(String(incoming.remote)).toBe(`${clientIp}:${String(incoming.remote).split(':')[1]}`);

      const echo = await clientPeer.next('echo', 60_000);
      expect(echo).toMatchObject({ bytes: BYTES, ok: true });
      console.info(
        `8 MiB echo GO<->client over the veth: ${echo.ms} ms; connect (discover+GO join+address+TCP) ${dialled.ms} ms`,
      );

      goPeer.send({ cmd: 'removeGroup' });
      const closed = await clientPeer.next('closed');
      expect(closed.reason).toMatchObject({
        code: 'lost',
        remote: true,
        detail: { reason: 'GO_ENDING_SESSION' },
      });
      expect(await clientPeer.next('groupEnded')).toMatchObject({
        reason: 'GO_ENDING_SESSION',
        local: false,
      });
      expect(await goPeer.next('groupEnded')).toMatchObject({ reason: 'REQUESTED', local: true });
      const goClosed = await goPeer.next('closed');
      expect(goClosed.reason).toMatchObject({ code: 'normal' });
      // the links are gone from both namespaces
      await expect(ip(['link', 'show', 'p2p-wlan1-0'], nsB)).rejects.toThrow();
    }, 90_000);
  },
);
