/**
 * A Host is everything the monitor needs from one network namespace: change notifications, full re-reads, and the
 * two operations that must run inside the namespace (validation probe, DNS). {@link LocalHost} is the current
 * namespace; `NetnsHost` runs a LocalHost in an agent process inside another namespace.
 * @module
 */
import { ColinkError, ErrorCode, logger } from '@colink/core';
import { asyncScheduler, interval, map, type Observable, type SchedulerLike } from 'rxjs';
import { MAX_CONSISTENT_READ_ATTEMPTS } from '../constants.js';
import { type ResolveRequest, resolveHost } from '../dns.js';
import { type ProbeRequest, type ProbeResult, runProbe } from '../probe.js';
import type { NetAddress, ReaderKind, SourceKind } from '../types.js';
import { IpMonitorSource, IpReader } from './ip.js';
import { loadNetlink, NetlinkReader, NetlinkSource } from './netlink.js';
import { readResolvConf } from './resolv-conf.js';
import type { HostSnapshot, KernelState, LinkFacts } from './snapshot.js';
import { readLinkFacts, readLinkSpeed } from './sysfs.js';

const log = logger('net-monitor');

/** Which event source to use; `auto` tries netlink, then `ip monitor`, then polling. */
export type SourceChoice = 'auto' | SourceKind;

/** Options of a {@link Host}. */
export interface HostOptions {
  readonly source: SourceChoice;
  /** Interval of the poll source, in ms. */
  readonly pollIntervalMs: number;
  /** Destinations of the default-route lookups (one IPv4, one IPv6). */
  readonly lookupTargets: readonly string[];
  /** resolv.conf to read. */
  readonly resolvConfPath: string;
}

/** See the module comment. */
export interface Host {
  readonly source: SourceKind;
  readonly reader: ReaderKind;
  /** Emits when something may have changed; errors when the source dies. Payload-free by design. */
  readonly changes: Observable<void>;
  /** Re-reads the whole state. */
  read(): Promise<HostSnapshot>;
  probe(request: ProbeRequest): Promise<ProbeResult>;
  /** Throws `ColinkError` `ERR_UNREACHABLE` when nothing resolves. */
  resolve(request: ResolveRequest): Promise<NetAddress[]>;
  close(): Promise<void>;
}

interface Reader {
  readonly kind: ReaderKind;
  read(lookupTargets: readonly string[]): Promise<KernelState>;
  close(): void;
}

interface Source {
  readonly kind: SourceKind;
  readonly changes: Observable<void>;
  close(): void;
}

function netlinkUnavailable(why: unknown): ColinkError {
  const loaded = loadNetlink();
  const reason = 'error' in loaded ? loaded.error.message : why instanceof Error ? why.message : String(why);
  return new ColinkError(ErrorCode.NOT_STARTED, `rtnetlink source unavailable: ${reason}`, { cause: why });
}

async function openSource(
  choice: SourceChoice,
  pollIntervalMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): Promise<Source> {
  if (choice === 'netlink' || choice === 'auto') {
    try {
      return new NetlinkSource();
    } catch (e) {
      if (choice === 'netlink') throw netlinkUnavailable(e);
      log.debug('netlink source unavailable, trying ip monitor: %s', e);
    }
  }
  if (choice === 'ip-monitor' || choice === 'auto') {
    try {
      return await IpMonitorSource.start();
    } catch (e) {
      if (choice === 'ip-monitor') {
        throw new ColinkError(
          ErrorCode.NOT_STARTED,
          `ip monitor source unavailable: ${(e as Error).message}`,
          { cause: e },
        );
      }
      log.debug('ip monitor unavailable, polling: %s', e);
    }
  }
  return {
    kind: 'poll',
    changes: interval(pollIntervalMs, scheduler).pipe(map(() => undefined)),
    close: () => {},
  };
}

function openReader(source: SourceKind): Reader {
  // The ip-monitor source reads with `ip` too, so that path works (and is tested) without the addon.
  if (source !== 'ip-monitor' && !('error' in loadNetlink())) return new NetlinkReader();
  return new IpReader();
}

/** The current network namespace. */
export class LocalHost implements Host {
  readonly #source: Source;
  readonly #reader: Reader;
  readonly #options: HostOptions;
  /** sysfs facts of the candidate links of the previous read, by `<index>:<name>`. */
  #facts = new Map<string, LinkFacts>();

  /** Notifications received so far: a read during which this moved saw a state in the middle of a change. */
  #notifications = 0;

  private constructor(source: Source, reader: Reader, options: HostOptions) {
    this.#source = source;
    this.#reader = reader;
    this.#options = options;
    source.changes.subscribe({ next: () => this.#notifications++, error: () => {} });
  }

  /**
   * Opens the event source (see {@link SourceChoice}) and the matching reader. `scheduler` times the `poll` source
   * (default real time). Throws `ERR_NOT_STARTED`.
   */
  static async open(options: HostOptions, scheduler?: SchedulerLike): Promise<LocalHost> {
    const source = await openSource(options.source, options.pollIntervalMs, scheduler);
    return new LocalHost(source, openReader(source.kind), options);
  }

  get source(): SourceKind {
    return this.#source.kind;
  }

  get reader(): ReaderKind {
    return this.#reader.kind;
  }

  get changes(): Observable<void> {
    return this.#source.changes;
  }

  /**
   * Re-reads the state. Links, addresses and routes are separate dumps, so a change landing between them (a link
   * going down, then its routes being flushed) would show half done: when notifications arrive during a read it is
   * repeated, up to {@link MAX_CONSISTENT_READ_ATTEMPTS} times in all.
   */
  async read(): Promise<HostSnapshot> {
    let snapshot: HostSnapshot;
    let attempts = 0;
    let before: number;
    do {
      before = this.#notifications;
      snapshot = await this.#readOnce();
      attempts++;
    } while (this.#notifications !== before && attempts < MAX_CONSISTENT_READ_ATTEMPTS);
    return snapshot;
  }

  async #readOnce(): Promise<HostSnapshot> {
    const [kernel, resolvConf] = await Promise.all([
      this.#reader.read(this.#options.lookupTargets),
      readResolvConf(this.#options.resolvConfPath),
    ]);
    // sysfs facts only matter for links that can be networks. They are fixed for the life of a link (same index
    // and name) except `speed`, so only that is re-read for a link seen before.
    const candidates = kernel.links.filter((l) => l.up && l.lowerUp && !l.loopback);
    const facts = await Promise.all(
      candidates.map(async (l) => {
        const known = this.#facts.get(`${l.index}:${l.name}`);
        return known === undefined
          ? readLinkFacts(l.name)
          : { ...known, speedMbps: await readLinkSpeed(l.name) };
      }),
    );
    const byIndex: Record<string, LinkFacts> = {};
    const cache = new Map<string, LinkFacts>();
    candidates.forEach((l, i) => {
      byIndex[String(l.index)] = facts[i]!;
      cache.set(`${l.index}:${l.name}`, facts[i]!);
    });
    this.#facts = cache;
    return { ...kernel, facts: byIndex, resolvConf };
  }

  probe(request: ProbeRequest): Promise<ProbeResult> {
    return runProbe(request);
  }

  resolve(request: ResolveRequest): Promise<NetAddress[]> {
    return resolveHost(request);
  }

  async close(): Promise<void> {
    this.#source.close();
    this.#reader.close();
  }
}
