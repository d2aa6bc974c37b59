/**
 * Network namespaces for tests and the bench: a monitored namespace and a peer namespace ("the world") joined by
 * veth pairs. Every name carries the package short name and the pid; `destroy()` removes everything.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { filter, firstValueFrom, type Observable, ReplaySubject, take, timeout } from 'rxjs';
import type { NetEvent, NetMonitor } from '../../src/index.js';

const exec = promisify(execFile);

export const isRoot = process.getuid?.() === 0;

/** True when `command` is on PATH (Debian packages listed in apt-packages.txt). */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

let counter = 0;

/** Runs `ip` with arguments; rejects with stderr on failure. */
export async function ip(...args: string[]): Promise<void> {
  await exec('ip', args);
}

export class Lab {
  /** The monitored namespace. */
  readonly ns: string;
  /** The peer namespace (routers, DNS and HTTP servers live here). */
  readonly peer: string;
  readonly #children: ChildProcess[] = [];
  readonly #pairs: string[] = [];

  private constructor(tag: string) {
    const id = `${process.pid % 100000}${tag}${counter++}`;
    this.ns = `clnm${id}m`;
    this.peer = `clnm${id}p`;
  }

  static async create(tag = ''): Promise<Lab> {
    const lab = new Lab(tag);
    await ip('netns', 'add', lab.ns);
    await ip('netns', 'add', lab.peer);
    await ip('-n', lab.ns, 'link', 'set', 'lo', 'up');
    await ip('-n', lab.peer, 'link', 'set', 'lo', 'up');
    return lab;
  }

  /** `ip -n <ns> ...` */
  inNs(...args: string[]): Promise<void> {
    return ip('-n', this.ns, ...args);
  }

  /** `ip -n <peer> ...` */
  inPeer(...args: string[]): Promise<void> {
    return ip('-n', this.peer, ...args);
  }

  /**
   * Creates veth `name` in the monitored namespace and `p<name>` in the peer, with `10.<subnet>.0.2/24` and
   * `10.<subnet>.0.1/24`. Options: leave the monitored side down or without address.
   */
  async veth(
    name: string,
    subnet: number,
    opts: { up?: boolean; address?: boolean } = {},
  ): Promise<{ local: string; peer: string }> {
    const peerName = `p${name}`;
    await ip(
      'link',
      'add',
      name,
      'netns',
      this.ns,
      'type',
      'veth',
      'peer',
      'name',
      peerName,
      'netns',
      this.peer,
    );
    this.#pairs.push(name);
    const local = `10.${subnet}.0.2`;
    const peer = `10.${subnet}.0.1`;
    await this.inPeer('addr', 'add', `${peer}/24`, 'dev', peerName);
    await this.inPeer('link', 'set', peerName, 'up');
    if (opts.address !== false) await this.inNs('addr', 'add', `${local}/24`, 'dev', name);
    if (opts.up !== false) await this.inNs('link', 'set', name, 'up');
    return { local, peer };
  }

  /** Writes `/etc/netns/<ns>/resolv.conf` (bind-mounted by `ip netns exec`). */
  resolvConf(text: string): void {
    mkdirSync(`/etc/netns/${this.ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.ns}/resolv.conf`, text);
  }

  /** Starts `command` inside the peer namespace; killed by destroy(). */
  spawnInPeer(command: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.peer, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.push(child);
    return child;
  }

  /**
   * Starts an HTTP server in the peer namespace on `address:port` answering every request with `status` (and a
   * Location header for redirects). Resolves once it listens.
   */
  async httpServer(address: string, port: number, status: number): Promise<void> {
    const code = `require('node:http').createServer((q, s) => { s.writeHead(${status}, ${status >= 300 && status < 400 ? "{ location: 'http://portal.invalid/login' }" : '{}'}); s.end(); }).listen(${port}, '${address}', () => console.log('listening'));`;
    const child = this.spawnInPeer(process.execPath, ['-e', code]);
    await waitForOutput(child, 'listening');
  }

  /** Starts dnsmasq in the peer namespace on `address`, answering `records` (name → IPv4) and nothing else. */
  async dnsmasq(address: string, records: Record<string, string>): Promise<void> {
    const args = [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--no-daemon',
      '--log-facility=-',
      '--log-queries',
      `--listen-address=${address}`,
      '--bind-interfaces',
      '--except-interface=lo',
      '--pid-file=',
      '--user=root',
      ...Object.entries(records).map(([name, ip4]) => `--address=/${name}/${ip4}`),
    ];
    const child = this.spawnInPeer('dnsmasq', args);
    await waitForOutput(child, 'started', 'stderr');
  }

  async destroy(): Promise<void> {
    for (const c of this.#children) c.kill('SIGKILL');
    rmSync(`/etc/netns/${this.ns}`, { recursive: true, force: true });
    await ip('netns', 'del', this.ns).catch(() => {});
    await ip('netns', 'del', this.peer).catch(() => {});
  }
}

function waitForOutput(
  child: ChildProcess,
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout',
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}": ${seen}`)), 15_000);
    child[stream]?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before "${text}": ${seen}`));
    });
  });
}

/** Records every event of a monitor from now on; `next(pred)` waits for the first recorded event matching `pred`. */
export class Recorder {
  readonly #all = new ReplaySubject<NetEvent>();
  readonly events: NetEvent[] = [];
  readonly #sub;

  constructor(monitor: NetMonitor) {
    this.#sub = monitor.events$.subscribe((e) => {
      this.events.push(e);
      this.#all.next(e);
    });
  }

  /** Waits for the first event since the recorder was created that has `type` and matches `pred`. */
  next<T extends NetEvent['type']>(
    type: T,
    pred: (e: Extract<NetEvent, { type: T }>) => boolean = () => true,
    ms = 10_000,
  ): Promise<Extract<NetEvent, { type: T }>> {
    const source = this.#all as Observable<NetEvent>;
    return firstValueFrom(
      source.pipe(
        filter(
          (e): e is Extract<NetEvent, { type: T }> =>
            e.type === type && pred(e as Extract<NetEvent, { type: T }>),
        ),
        take(1),
        timeout({
          first: ms,
          with: () => {
            throw new Error(`no ${type} event in ${ms} ms; got ${this.events.map((x) => x.type).join(',')}`);
          },
        }),
      ),
    );
  }

  stop(): void {
    this.#sub.unsubscribe();
  }
}

/** Resolves with the network list once every interface in `names` is a network. */
export function untilNetworks(
  monitor: NetMonitor,
  names: readonly string[],
  ms = 10_000,
): Promise<readonly import('../../src/index.js').Network[]> {
  return firstValueFrom(
    monitor.networks$.pipe(
      filter((list) => names.every((n) => list.some((x) => x.interfaceName === n))),
      take(1),
      timeout({
        first: ms,
        with: () => {
          throw new Error(`networks ${names.join(',')} did not appear in ${ms} ms`);
        },
      }),
    ),
  );
}
