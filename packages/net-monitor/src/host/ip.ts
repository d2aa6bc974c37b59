/**
 * iproute2 (`ip`) as reader and event source: `ip -j -force -batch` JSON for state (one process per address family),
 * `ip -o monitor link address route` for change notifications. iproute2 6.1 ignores `-json` on `monitor`, so the
 * monitor's lines are only a trigger.
 * @module
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type Observable, Subject } from 'rxjs';
import { canonicalIp } from './ip-bytes.js';
import {
  type AddressScope,
  type KernelState,
  type RawAddress,
  type RawLink,
  type RawRoute,
  type RouteLookup,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
} from './snapshot.js';

/** Largest `ip -j` output accepted, in bytes. */
const MAX_IP_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Runs `ip` with `args` and `stdin`, resolving stdout even when the exit status is non-zero (`-force`). */
function runIp(args: readonly string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', args, { maxBuffer: MAX_IP_OUTPUT_BYTES }, (err, stdout) => {
      // With -batch -force a failed line (route get without a route) sets exit status 1; its output is just absent.
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') reject(err);
      else if (err && stdout === '') reject(err);
      else resolve(stdout);
    });
    child.stdin?.end(stdin);
  });
}

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope?: string;
  tentative?: boolean;
  dadfailed?: boolean;
  deprecated?: boolean;
}
interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  prefsrc?: string;
  table?: string;
  flags?: string[];
}

function parseLines(out: string): unknown[][] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown[]);
}

function tableNumber(t: string | undefined): number {
  if (t === undefined || t === 'main') return RT_TABLE_MAIN;
  if (t === 'local') return RT_TABLE_LOCAL;
  if (t === 'default') return 253;
  const n = Number(t);
  return Number.isInteger(n) ? n : 0;
}

function toRoute(r: IpRoute, family: 4 | 6, indexByName: ReadonlyMap<string, number>): RawRoute {
  const unspecified = family === 4 ? '0.0.0.0' : '::';
  let dst = unspecified;
  let dstLength = 0;
  if (r.dst !== 'default') {
    const [addr = unspecified, len] = r.dst.split('/');
    dst = canonicalIp(addr);
    dstLength = len === undefined ? (family === 4 ? 32 : 128) : Number(len);
  }
  return {
    family,
    table: tableNumber(r.table),
    type: r.type ?? 'unicast',
    dst,
    dstLength,
    gateway: r.gateway === undefined ? undefined : canonicalIp(r.gateway),
    oif: r.dev === undefined ? undefined : indexByName.get(r.dev),
    metric: r.metric ?? 0,
    prefsrc: r.prefsrc === undefined ? undefined : canonicalIp(r.prefsrc),
    linkDown: r.flags?.includes('linkdown') === true,
  };
}

/** Reads kernel state with two `ip -j -force -batch` processes (IPv4 + links/addresses, IPv6 routes). */
export class IpReader {
  readonly kind = 'ip' as const;

  /** `lookupTargets` holds at most one IPv4 and one IPv6 destination for `route get`. */
  async read(lookupTargets: readonly string[]): Promise<KernelState> {
    const v4 = lookupTargets.find((t) => !t.includes(':'));
    const v6 = lookupTargets.find((t) => t.includes(':'));
    // `route get` goes last: when it fails (no route) its line is simply missing.
    const [out4, out6] = await Promise.all([
      runIp(
        ['-j', '-d', '-force', '-batch', '-'],
        `link show\naddr show\nroute show table all\n${v4 ? `route get ${v4}\n` : ''}`,
      ),
      // A kernel or namespace without IPv6 fails this one: no IPv6 routes then.
      runIp(
        ['-6', '-j', '-force', '-batch', '-'],
        `route show table all\n${v6 ? `route get ${v6}\n` : ''}`,
      ).catch(() => ''),
    ]);
    const [links = [], addrs = [], routes4 = [], get4] = parseLines(out4) as [
      IpLink[],
      (IpLink & { addr_info?: IpAddrInfo[] })[],
      IpRoute[],
      IpRoute[]?,
    ];
    const [routes6 = [], get6] = parseLines(out6) as [IpRoute[], IpRoute[]?];
    const indexByName = new Map(links.map((l) => [l.ifname, l.ifindex]));

    const rawLinks: RawLink[] = links.map((l) => ({
      index: l.ifindex,
      name: l.ifname,
      up: l.flags?.includes('UP') === true,
      lowerUp: l.flags?.includes('LOWER_UP') === true,
      loopback: l.flags?.includes('LOOPBACK') === true,
      operstate: (l.operstate ?? 'unknown').toLowerCase(),
      mtu: l.mtu ?? 0,
      kind: l.linkinfo?.info_kind,
    }));
    const rawAddrs: RawAddress[] = addrs.flatMap((l) =>
      (l.addr_info ?? [])
        .filter((a) => a.family === 'inet' || a.family === 'inet6')
        .map((a) => ({
          index: l.ifindex,
          family: a.family === 'inet' ? 4 : 6,
          address: canonicalIp(a.local),
          prefixLength: a.prefixlen,
          scope: (a.scope ?? 'global') as AddressScope,
          tentative: a.tentative === true,
          dadFailed: a.dadfailed === true,
          deprecated: a.deprecated === true,
        })),
    );
    const lookup = (family: 4 | 6, r: IpRoute | undefined): RouteLookup | undefined =>
      r === undefined
        ? undefined
        : {
            family,
            oif: r.dev === undefined ? undefined : indexByName.get(r.dev),
            prefsrc: r.prefsrc === undefined ? undefined : canonicalIp(r.prefsrc),
            gateway: r.gateway === undefined ? undefined : canonicalIp(r.gateway),
          };
    return {
      links: rawLinks,
      addresses: rawAddrs,
      routes: [
        ...routes4.map((r) => toRoute(r, 4, indexByName)),
        ...routes6.map((r) => toRoute(r, 6, indexByName)),
      ],
      lookups: [lookup(4, get4?.[0]), lookup(6, get6?.[0])].filter((l): l is RouteLookup => l !== undefined),
    };
  }

  close(): void {}
}

/**
 * Change notifications from an `ip -o monitor link address route` child process: one emission per line. Errors
 * (the process cannot start or exits) end `changes` with an error.
 */
export class IpMonitorSource {
  readonly kind = 'ip-monitor' as const;
  readonly #changes = new Subject<void>();
  readonly changes: Observable<void> = this.#changes.asObservable();
  readonly #child: ChildProcess;
  #closing = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', () => this.#changes.next());
    child.on('exit', (code, signal) => {
      if (!this.#closing)
        this.#changes.error(new Error(`ip monitor exited (code ${code}, signal ${signal})`));
    });
  }

  /** Spawns the monitor; rejects when `ip` cannot be started. */
  static start(): Promise<IpMonitorSource> {
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['-o', 'monitor', 'link', 'address', 'route'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child.once('error', reject);
      child.once('spawn', () => {
        child.off('error', reject);
        child.on('error', () => {});
        resolve(new IpMonitorSource(child));
      });
    });
  }

  close(): void {
    this.#closing = true;
    this.#child.kill();
    this.#changes.complete();
  }
}
