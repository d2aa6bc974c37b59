// Two device processes (fixtures/handover/device.ts) in two network namespaces, linked by a TCP veth and by Wi-Fi P2P
// groups that a fake wpa_supplicant (in this process) forms over veths of its own.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { addNetns, deleteNetns, FakeP2pMedium, ip } from '@colink/transport-wifi-p2p/testing';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/handover/device.ts');
const PKG = path.resolve(import.meta.dirname, '..');

export type Line = { ev: string; at: number } & Record<string, unknown>;

/** A device process: its stdout JSON lines are kept in order; commands go to its stdin. */
export class DeviceProc {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    netns: string,
    config: Record<string, unknown>,
  ) {
    this.child = spawn(
      'ip',
      [
        'netns',
        'exec',
        netns,
        process.execPath,
        '--conditions=@colink/source',
        '--import',
        'tsx',
        FIXTURE,
        JSON.stringify(config),
      ],
      { cwd: PKG, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line);
      } catch {
        this.stderr += `stdout: ${l}\n`;
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  /** The first line at index ≥ `from` matching; rejects on an `error` line, a timeout or the process exiting. */
  waitFor(pred: (l: Line) => boolean, what: string, timeoutMs = 30_000, from = 0): Promise<Line> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `${this.name}: no ${what} in ${timeoutMs} ms; lines ${JSON.stringify(this.lines.slice(-30))}; stderr ${this.stderr.slice(-3000)}`,
          ),
        );
      }, timeoutMs);
      const check = (): void => {
        for (let i = from; i < this.lines.length; i++) {
          const l = this.lines[i]!;
          if (l.ev === 'error') {
            clearTimeout(timer);
            reject(new Error(`${this.name}: ${JSON.stringify(l)}; stderr ${this.stderr.slice(-3000)}`));
            return;
          }
          if (pred(l)) {
            clearTimeout(timer);
            resolve(l);
            return;
          }
        }
        if (this.child.exitCode !== null) {
          clearTimeout(timer);
          reject(
            new Error(
              `${this.name} exited (${this.child.exitCode}) waiting for ${what}; stderr ${this.stderr.slice(-3000)}`,
            ),
          );
          return;
        }
        this.waiters.push(check);
      };
      check();
    });
  }

  /** Waits for the next line of event `ev` (after everything seen so far, unless `from` says otherwise). */
  next(
    ev: string,
    timeoutMs = 30_000,
    from = this.lines.length,
    pred: (l: Line) => boolean = () => true,
  ): Promise<Line> {
    return this.waitFor((l) => l.ev === ev && pred(l), ev, timeoutMs, from);
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Sends `cmd` and waits for the reply line `ev`. */
  async ask(cmd: Record<string, unknown>, ev: string, timeoutMs = 30_000): Promise<Line> {
    const from = this.lines.length;
    this.send(cmd);
    return this.next(ev, timeoutMs, from);
  }

  all(ev: string): Line[] {
    return this.lines.filter((l) => l.ev === ev);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.send({ cmd: 'exit' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}

/** Two namespaces, a TCP veth between them (10.88.0.1 in A, 10.88.0.2 in B), a fake P2P medium, two devices. */
export class HandoverLab {
  readonly nsA: string;
  readonly nsB: string;
  readonly vethA: string;
  readonly vethB: string;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-handover-'));
  readonly medium = new FakeP2pMedium({ dataPath: 'netns' });
  readonly procs: DeviceProc[] = [];
  readonly tcpPort = 47_000 + (process.pid % 1000);

  constructor(tag: string) {
    const id = `${process.pid % 100000}${tag}`;
    this.nsA = `clho${id}a`;
    this.nsB = `clho${id}b`;
    this.vethA = `hoa${id}`;
    this.vethB = `hob${id}`;
  }

  async setUp(): Promise<void> {
    await addNetns(this.nsA);
    await addNetns(this.nsB);
    await ip([
      'link',
      'add',
      this.vethA,
      'netns',
      this.nsA,
      'type',
      'veth',
      'peer',
      'name',
      this.vethB,
      'netns',
      this.nsB,
    ]);
    await ip(['addr', 'add', '10.88.0.1/24', 'dev', this.vethA], this.nsA);
    await ip(['addr', 'add', '10.88.0.2/24', 'dev', this.vethB], this.nsB);
    await ip(['link', 'set', this.vethA, 'up'], this.nsA);
    await ip(['link', 'set', this.vethB, 'up'], this.nsB);
  }

  /** Starts device `name` in namespace A or B (A is the group owner: GO intent 15 against 0). */
  async device(side: 'a' | 'b', netMonitor = false): Promise<{ proc: DeviceProc; ready: Line }> {
    const ns = side === 'a' ? this.nsA : this.nsB;
    const daemon = this.medium.addDaemon({
      ctrlDir: path.join(this.dir, `ctrl-${side}`),
      ifname: side === 'a' ? 'wlan0' : 'wlan1',
      deviceName: `dev-${side}`,
      netns: ns,
    });
    const stateDir = path.join(this.dir, `state-${side}`);
    fs.mkdirSync(stateDir, { recursive: true });
    const proc = new DeviceProc(side, ns, {
      name: `dev-${side}`,
      account: 'handover-account',
      stateDir,
      tcpHost: side === 'a' ? '10.88.0.1' : '10.88.0.2',
      tcpPort: this.tcpPort,
      ctrlPath: daemon.ctrlPath,
      goIntent: side === 'a' ? 15 : 0,
      netMonitor,
    });
    this.procs.push(proc);
    const ready = await proc.next('ready', 60_000, 0);
    return { proc, ready };
  }

  async tearDown(): Promise<void> {
    for (const p of this.procs) await p.close().catch(() => undefined);
    await this.medium.close().catch(() => undefined);
    await deleteNetns(this.nsA);
    await deleteNetns(this.nsB);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
