import { isIP } from 'node:net';
import { type DeviceAdvert, type DiscoveredPeer, type DiscoveryEvent, peersEqual } from '@colink/core';
import { formatAddress } from '../address.js';
import {
  FIRST_QUERY_DELAY_MS,
  GOODBYE_GRACE_MS,
  POOF_ANSWER_GRACE_MS,
  POOF_QUERY_COUNT,
  POOF_WINDOW_MS,
  QUERY_INTERVAL_MAX_MS,
  QUERY_INTERVAL_MIN_MS,
  REFRESH_FRACTIONS,
  SERVICE_TYPE,
} from '../constants.js';
import { mdnsLog } from '../log.js';
import type { InterfaceSocket, MdnsPacket } from './interface-socket.js';
import { isLinkLocal } from './interfaces.js';
import {
  asRecord,
  type MdnsQuestion,
  questionsOf,
  type ResourceRecord,
  recordKey,
  type SrvData,
  sameName,
} from './records.js';
import { txtToAdvert } from './txt.js';

/** Why a peer was lost (core `DiscoveryEvent`). */
type LostReason = Extract<DiscoveryEvent, { type: 'lost' }>['reason'];

/**
 * Most records one interface's cache holds (bounded memory against floods): 4 096, about 1 000 devices at 4 records
 * each (PTR, SRV, TXT, A) — more than any LAN segment has. When it is full, a new record evicts the least recently
 * received record of the source host holding the most records, so a flood from a few hosts cannot push out the
 * records of the others.
 */
export const MAX_CACHE_ENTRIES = 4_096;
/**
 * Most records one source host (the packet's source address) holds in one interface's cache: a quarter of
 * {@link MAX_CACHE_ENTRIES}, ≈ 256 instances. A host past it evicts its own least recently received record. A real
 * colink host announces one instance (4–5 records); on loopback every local device shares 127.0.0.1.
 */
export const MAX_CACHE_ENTRIES_PER_SOURCE = 1_024;
/**
 * Most peers discovery tracks (and reports as found) at once over all interfaces: 1 024. A backstop behind the cache
 * caps (4 records per peer): peers past it are ignored until others go.
 */
export const MAX_DISCOVERED_PEERS = 1_024;
/** Missing SRV/TXT/address records of a seen instance are asked for at most this often, in ms. */
const RESOLVE_INTERVAL_MS = 1_000;

interface CacheEntry {
  record: ResourceRecord;
  /** Source address of the packet that carried the record (last received). */
  source: string;
  receivedAt: number;
  expiresAt: number;
  /** Set when the record expires early: goodbye (TTL 0), cache-flush or POOF. */
  cause: LostReason | undefined;
  /** For TXT records: the parsed advert (or `null`: not a usable colink record), once computed. */
  advert?: DeviceAdvert | null;
  /** Index into {@link REFRESH_FRACTIONS} of the next refresh query, and when it is due. */
  refreshIndex: number;
  refreshAt: number;
  /** POOF (RFC 6762 §10.5): queries seen that this record should have answered, since the last answer. */
  unanswered: number;
  firstUnansweredAt: number;
  lastUnansweredAt: number;
}

/**
 * The records of one interface, keyed by {@link recordKey}, with indexes by owner name, by SRV target and by source
 * host (each insertion-ordered: least recently received first), so that a packet costs time in proportion to the
 * records it touches, not to the size of the cache.
 */
class RecordCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #byName = new Map<string, Set<string>>();
  readonly #bySrvTarget = new Map<string, Set<string>>();
  readonly #bySource = new Map<string, Set<string>>();

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): CacheEntry | undefined {
    return this.#entries.get(key);
  }

  values(): IterableIterator<CacheEntry> {
    return this.#entries.values();
  }

  [Symbol.iterator](): IterableIterator<[string, CacheEntry]> {
    return this.#entries.entries();
  }

  /** Records whose owner name is `name` (case-insensitive). */
  named(name: string): CacheEntry[] {
    return this.#lookup(this.#byName, name.toLowerCase());
  }

  /** SRV records whose target is `host` (case-insensitive). */
  srvsTargeting(host: string): CacheEntry[] {
    return this.#lookup(this.#bySrvTarget, host.toLowerCase());
  }

  /** Records held from `source`. */
  countFrom(source: string): number {
    return this.#bySource.get(source)?.size ?? 0;
  }

  /** The key of the least recently received record from `source`, or from the source holding the most records. */
  oldestFrom(source?: string): string | undefined {
    let keys = source === undefined ? undefined : this.#bySource.get(source);
    if (source === undefined) {
      for (const k of this.#bySource.values()) if (!keys || k.size > keys.size) keys = k;
    }
    return keys?.values().next().value;
  }

  set(key: string, entry: CacheEntry): void {
    this.delete(key);
    this.#entries.set(key, entry);
    const r = entry.record;
    add(this.#byName, r.name.toLowerCase(), key);
    if (r.type === 'SRV') add(this.#bySrvTarget, (r.data as SrvData).target.toLowerCase(), key);
    add(this.#bySource, entry.source, key);
  }

  delete(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    remove(this.#byName, e.record.name.toLowerCase(), key);
    if (e.record.type === 'SRV')
      remove(this.#bySrvTarget, (e.record.data as SrvData).target.toLowerCase(), key);
    remove(this.#bySource, e.source, key);
  }

  #lookup(index: Map<string, Set<string>>, k: string): CacheEntry[] {
    const keys = index.get(k);
    if (!keys) return [];
    const out: CacheEntry[] = [];
    for (const key of keys) out.push(this.#entries.get(key)!);
    return out;
  }
}

function add(index: Map<string, Set<string>>, k: string, key: string): void {
  const set = index.get(k);
  if (set) set.add(key);
  else index.set(k, new Set([key]));
}

function remove(index: Map<string, Set<string>>, k: string, key: string): void {
  const set = index.get(k);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(k);
}

interface InterfaceCache {
  readonly socket: InterfaceSocket;
  readonly entries: RecordCache;
  nextQueryAt: number;
  queryInterval: number;
  readonly lastAsked: Map<string, number>;
}

/**
 * The DNS-SD browser (RFC 6763 §4, RFC 6762 §5): one record cache per interface fed by every response seen there,
 * continuous PTR querying with known-answer suppression and exponential backoff (1 s doubling to 60 min), cache
 * refresh queries at 80/85/90/95 % of TTL, cache-flush handling, goodbye (deleted 1 s after TTL 0), passive
 * observation of failures (POOF), and per-interface loss. Peers are the merge of every interface's view.
 */
export class Browser {
  readonly #caches = new Map<string, InterfaceCache>();
  readonly #peers = new Map<string, DiscoveredPeer>();
  /** Cause of the latest removal touching an instance, reported when it ends in `lost`. */
  readonly #causes = new Map<string, LostReason>();
  /** Instances (lower case) whose records changed since the last recompute. */
  readonly #dirty = new Set<string>();
  readonly #emit: (event: DiscoveryEvent) => void;
  readonly #now: () => number;
  readonly #self: () => string | undefined;

  /** `self` returns our own instance name (never reported); `emit` receives found/updated/lost. */
  /** @param now the clock of record ages, in ms (default `performance.now()`; discovery passes its scheduler's). */
  constructor(
    self: () => string | undefined,
    emit: (event: DiscoveryEvent) => void,
    now: () => number = () => performance.now(),
  ) {
    this.#self = self;
    this.#emit = emit;
    this.#now = now;
  }

  /** Peers currently known. */
  get peers(): DiscoveredPeer[] {
    return [...this.#peers.values()];
  }

  /** Starts browsing on a new interface: first query after 20-120 ms (RFC 6762 §5.2). */
  addInterface(socket: InterfaceSocket, now: number): void {
    this.#caches.set(socket.iface.key, {
      socket,
      entries: new RecordCache(),
      nextQueryAt: now + randomMs(...FIRST_QUERY_DELAY_MS),
      queryInterval: QUERY_INTERVAL_MIN_MS,
      lastAsked: new Map(),
    });
  }

  /** Drops a vanished interface's cache: peers seen only there are lost with reason `interface-down`. */
  removeInterface(key: string): void {
    const cache = this.#caches.get(key);
    if (!cache) return;
    this.#caches.delete(key);
    for (const e of cache.entries.values()) this.#noteRemoval(e.record, 'interface-down');
    this.#recompute();
  }

  /** Ends browsing: every known peer is lost with reason `stopped`. */
  stop(): void {
    this.#caches.clear();
    for (const peer of this.#peers.values()) this.#emit({ type: 'lost', peer, reason: 'stopped' });
    this.#peers.clear();
    this.#causes.clear();
  }

  /** Caches the records of a response (RFC 6762 §10: TTL 0 = goodbye, cache-flush bit = replace the RRset). */
  handleResponse(packet: MdnsPacket, socket: InterfaceSocket, now: number, source = ''): void {
    const cache = this.#caches.get(socket.iface.key);
    if (!cache) return;
    const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])].flatMap(
      (a) => asRecord(a) ?? [],
    );
    // Service records first, so address records of SRV targets in the same message are recognised.
    const relevant = (r: ResourceRecord) =>
      r.type === 'A' || r.type === 'AAAA'
        ? cache.entries.srvsTargeting(r.name).length > 0
        : sameName(r.name, SERVICE_TYPE) || r.name.toLowerCase().endsWith(`.${SERVICE_TYPE}`);
    const ordered = [
      ...records.filter((r) => r.type !== 'A' && r.type !== 'AAAA'),
      ...records.filter((r) => r.type === 'A' || r.type === 'AAAA'),
    ];
    let changed = false;
    for (const r of ordered) {
      if (!relevant(r)) continue;
      if (this.#cache(cache, r, now, source)) {
        changed = true;
        for (const instance of this.#instancesOf(r)) this.#dirty.add(instance);
      }
    }
    if (changed) this.#recomputeDirty();
  }

  /** POOF (RFC 6762 §10.5): counts queries that cached records should answer; the answer resets the count. */
  handleQuery(packet: MdnsPacket, socket: InterfaceSocket, now: number): void {
    const cache = this.#caches.get(socket.iface.key);
    if (!cache || (packet.authorities?.length ?? 0) > 0) return; // probes are not questions for cached data
    const known = new Set(
      (packet.answers ?? []).flatMap((a) => {
        const r = asRecord(a);
        return r ? [recordKey(r)] : [];
      }),
    );
    for (const q of questionsOf(packet)) {
      for (const e of cache.entries.named(q.name)) {
        if ((q.type !== 'ANY' && q.type !== e.record.type) || known.has(recordKey(e.record))) continue;
        if (e.unanswered === 0) e.firstUnansweredAt = now;
        e.unanswered += 1;
        e.lastUnansweredAt = now;
      }
    }
  }

  /**
   * Runs the timers: expiry (TTL, goodbye grace, POOF), refresh queries, continuous browse queries and queries
   * for missing SRV/TXT/address records. Called every few hundred ms.
   */
  tick(now: number): void {
    let changed = false;
    for (const cache of this.#caches.values()) {
      const refresh: MdnsQuestion[] = [];
      for (const [key, e] of cache.entries) {
        const poofed =
          e.unanswered >= POOF_QUERY_COUNT &&
          now - e.firstUnansweredAt >= POOF_WINDOW_MS &&
          now - e.lastUnansweredAt >= POOF_ANSWER_GRACE_MS;
        if (now >= e.expiresAt || poofed) {
          cache.entries.delete(key);
          this.#noteRemoval(e.record, poofed ? 'unreachable' : (e.cause ?? 'expired'));
          changed = true;
        } else if (now >= e.refreshAt && e.cause === undefined) {
          refresh.push({ name: e.record.name, type: e.record.type });
          e.refreshIndex += 1;
          e.refreshAt = refreshTime(e, e.refreshIndex);
        }
      }
      for (const [name, at] of cache.lastAsked)
        if (now - at > RESOLVE_INTERVAL_MS) cache.lastAsked.delete(name);
      if (now >= cache.nextQueryAt) {
        refresh.push({ name: SERVICE_TYPE, type: 'PTR' });
        cache.nextQueryAt = now + cache.queryInterval;
        cache.queryInterval = Math.min(cache.queryInterval * 2, QUERY_INTERVAL_MAX_MS);
      }
      if (refresh.length > 0) this.#query(cache, dedupe(refresh), now);
    }
    if (changed) this.#recompute();
  }

  #query(cache: InterfaceCache, questions: MdnsQuestion[], now: number): void {
    // Known-answer suppression (RFC 6762 §7.1): list answers we hold with more than half their TTL left.
    const answers = [...cache.entries.values()]
      .filter((e) =>
        questions.some(
          (q) => sameName(q.name, e.record.name) && (q.type === e.record.type || q.type === 'ANY'),
        ),
      )
      .filter((e) => e.cause === undefined && e.expiresAt - now > (e.record.ttl * 1000) / 2)
      .map((e) => ({ ...e.record, ttl: Math.floor((e.expiresAt - now) / 1000) }));
    void cache.socket.send({ type: 'query', questions, answers });
  }

  #cache(cache: InterfaceCache, r: ResourceRecord, now: number, source: string): boolean {
    const key = recordKey(r);
    const existing = cache.entries.get(key);
    if (r.ttl === 0) {
      // Goodbye: keep the record one more second, then delete it (RFC 6762 §10.1).
      if (existing && existing.cause !== 'goodbye') {
        existing.expiresAt = Math.min(existing.expiresAt, now + GOODBYE_GRACE_MS);
        existing.cause = 'goodbye';
      }
      return false;
    }
    if (r.flush) {
      // Cache-flush: other rdata of this RRset received over a second ago expires in one second (§10.2).
      for (const e of cache.entries.named(r.name)) {
        if (e.record.type === r.type && now - e.receivedAt > 1_000 && recordKey(e.record) !== key) {
          e.expiresAt = Math.min(e.expiresAt, now + 1_000);
          e.cause ??= 'expired';
        }
      }
    }
    if (!existing) {
      // Full: make room at the expense of the source with the most records — this one first, past its share.
      let evicted = false;
      while (cache.entries.countFrom(source) >= MAX_CACHE_ENTRIES_PER_SOURCE) {
        evicted = this.#evict(cache, cache.entries.oldestFrom(source)) || evicted;
      }
      while (cache.entries.size >= MAX_CACHE_ENTRIES) {
        evicted = this.#evict(cache, cache.entries.oldestFrom()) || evicted;
      }
      if (evicted) mdnsLog('%s: cache full, evicted for %s %s', cache.socket.iface.key, r.type, r.name);
    }
    const entry: CacheEntry = {
      record: r,
      source,
      receivedAt: now,
      expiresAt: now + r.ttl * 1000,
      cause: undefined,
      refreshIndex: 0,
      refreshAt: 0,
      unanswered: 0,
      firstUnansweredAt: 0,
      lastUnansweredAt: 0,
    };
    entry.refreshAt = refreshTime(entry, 0);
    cache.entries.set(key, entry);
    return (
      !existing ||
      existing.cause !== undefined ||
      JSON.stringify(existing.record.data) !== JSON.stringify(r.data)
    );
  }

  /** Removes the record `key` to make room (its instance ends as `expired`). */
  #evict(cache: InterfaceCache, key: string | undefined): boolean {
    const e = key === undefined ? undefined : cache.entries.get(key);
    if (!e) return false;
    cache.entries.delete(key!);
    this.#noteRemoval(e.record, 'expired');
    return true;
  }

  #noteRemoval(r: ResourceRecord, cause: LostReason): void {
    for (const instance of this.#instancesOf(r)) {
      this.#causes.set(instance, cause);
      this.#dirty.add(instance);
    }
  }

  /** The instances (lower case) a record belongs to: PTR → its target; SRV/TXT → its owner; A/AAAA → SRVs to it. */
  #instancesOf(r: ResourceRecord): string[] {
    if (r.type === 'PTR') return [String(r.data).toLowerCase()];
    if (r.type === 'SRV' || r.type === 'TXT') return [r.name.toLowerCase()];
    const out: string[] = [];
    for (const cache of this.#caches.values())
      for (const e of cache.entries.srvsTargeting(r.name)) out.push(e.record.name.toLowerCase());
    return out;
  }

  /**
   * Emits found / updated / lost for the instances whose records changed since the last recompute (a packet
   * touches a few; re-resolving every known instance per packet made a flood of announcements quadratic).
   */
  #recomputeDirty(): void {
    const self = this.#self()?.toLowerCase();
    const now = performance.now();
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const instance of dirty) {
      const before = this.#peers.get(instance);
      const listed = instance !== self && this.#listed(instance);
      const room = before !== undefined || this.#peers.size < MAX_DISCOVERED_PEERS;
      const peer = listed && room ? this.#resolve(instance, now) : undefined;
      if (!peer) {
        if (before) {
          this.#peers.delete(instance);
          this.#emit({ type: 'lost', peer: before, reason: this.#causes.get(instance) ?? 'expired' });
        }
        this.#causes.delete(instance);
        continue;
      }
      this.#peers.set(instance, peer);
      if (!before) this.#emit({ type: 'found', peer });
      else if (!peersEqual(before, peer)) this.#emit({ type: 'updated', peer });
    }
  }

  /** Whether some interface holds a PTR of the colink service type naming `instance` (lower case). */
  #listed(instance: string): boolean {
    for (const cache of this.#caches.values()) {
      for (const e of cache.entries.named(SERVICE_TYPE)) {
        if (e.record.type === 'PTR' && String(e.record.data).toLowerCase() === instance) return true;
      }
    }
    return false;
  }

  /** Rebuilds every instance from the caches and emits found / updated / lost for the differences. */
  #recompute(): void {
    const self = this.#self()?.toLowerCase();
    const next = new Map<string, DiscoveredPeer>();
    const now = this.#now();
    for (const cache of this.#caches.values()) {
      for (const e of cache.entries.named(SERVICE_TYPE)) {
        if (e.record.type !== 'PTR') continue;
        const instance = String(e.record.data).toLowerCase();
        if (instance === self || next.has(instance)) continue;
        if (next.size >= MAX_DISCOVERED_PEERS) break;
        const peer = this.#resolve(instance, now);
        if (peer) next.set(instance, peer);
      }
    }
    for (const [instance, peer] of this.#peers) {
      if (next.has(instance)) continue;
      this.#emit({ type: 'lost', peer, reason: this.#causes.get(instance) ?? 'expired' });
    }
    for (const [instance, peer] of next) {
      const before = this.#peers.get(instance);
      if (!before) this.#emit({ type: 'found', peer });
      else if (!peersEqual(before, peer)) this.#emit({ type: 'updated', peer });
    }
    this.#peers.clear();
    for (const [k, v] of next) this.#peers.set(k, v);
    for (const k of this.#causes.keys()) if (!next.has(k)) this.#causes.delete(k);
    this.#dirty.clear();
  }

  /** The peer behind `instance` as seen on the first interface that has all its records, or `undefined`. */
  #resolve(instance: string, now: number): DiscoveredPeer | undefined {
    for (const cache of this.#caches.values()) {
      const find = (name: string, type: string) =>
        cache.entries
          .named(name)
          .filter((e) => e.record.type === type)
          .sort((a, b) => b.receivedAt - a.receivedAt);
      const srvs = find(instance, 'SRV');
      const txt = find(instance, 'TXT')[0];
      if (srvs.length === 0 || !txt) {
        this.#ask(
          cache,
          instance,
          [
            { name: instance, type: 'SRV' },
            { name: instance, type: 'TXT' },
          ],
          now,
        );
        continue;
      }
      // The newest SRV whose target has an address: a newer SRV pointing nowhere (a conflicting or forged record
      // with the cache-flush bit) does not hide the instance while the older one still lives (≤ 1 s, RFC 6762 §10.2).
      let port = 0;
      let addresses: string[] = [];
      for (const srv of srvs) {
        const data = srv.record.data as SrvData;
        addresses = [...find(data.target, 'A'), ...find(data.target, 'AAAA')].map((e) =>
          String(e.record.data),
        );
        port = data.port;
        if (addresses.length > 0) break;
      }
      if (addresses.length === 0) {
        const target = (srvs[0]!.record.data as SrvData).target;
        this.#ask(
          cache,
          target,
          [
            { name: target, type: 'A' },
            { name: target, type: 'AAAA' },
          ],
          now,
        );
        continue;
      }
      if (txt.advert === undefined) {
        try {
          txt.advert = txtToAdvert(txt.record.data as Buffer[]) ?? null;
        } catch (e) {
          // A colink record with invalid fields (another version, or a forged record): not a peer we can use.
          mdnsLog('ignoring %s: %s', instance, e instanceof Error ? e.message : String(e));
          txt.advert = null;
        }
      }
      const advert = txt.advert;
      if (!advert) return undefined;
      const iface = cache.socket.iface;
      // Prefer what this interface reaches directly: on-link IPv4, any IPv4, global IPv6, then link-local + zone.
      const host =
        addresses.find((a) => isIP(a) === 4 && iface.subnets.check(a, 'ipv4')) ??
        addresses.find((a) => isIP(a) === 4) ??
        addresses.find((a) => !isLinkLocal(a)) ??
        `${addresses[0]}%${iface.name}`;
      return { ...advert, medium: 'tcp', address: formatAddress(host, port) };
    }
    return undefined;
  }

  #ask(cache: InterfaceCache, name: string, questions: MdnsQuestion[], now: number): void {
    const key = name.toLowerCase();
    if (now - (cache.lastAsked.get(key) ?? -Infinity) < RESOLVE_INTERVAL_MS) return;
    cache.lastAsked.set(key, now);
    void cache.socket.send({ type: 'query', questions });
  }
}

function refreshTime(e: CacheEntry, index: number): number {
  const fraction = REFRESH_FRACTIONS[index];
  if (fraction === undefined) return Number.POSITIVE_INFINITY;
  return e.receivedAt + e.record.ttl * 1000 * (fraction + Math.random() * 0.02);
}

function dedupe(questions: MdnsQuestion[]): MdnsQuestion[] {
  const seen = new Set<string>();
  return questions.filter((q) => {
    const k = `${q.name.toLowerCase()}|${q.type}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function randomMs(min: number, max: number): number {
  return min + Math.random() * (max - min);
}
