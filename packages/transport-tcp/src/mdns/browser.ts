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

/** Most records one interface's cache holds; further records are dropped (bounded memory against floods). */
export const MAX_CACHE_ENTRIES = 4_096;
/** Missing SRV/TXT/address records of a seen instance are asked for at most this often, in ms. */
const RESOLVE_INTERVAL_MS = 1_000;

interface CacheEntry {
  record: ResourceRecord;
  receivedAt: number;
  expiresAt: number;
  /** Set when the record expires early: goodbye (TTL 0), cache-flush or POOF. */
  cause: LostReason | undefined;
  /** Index into {@link REFRESH_FRACTIONS} of the next refresh query, and when it is due. */
  refreshIndex: number;
  refreshAt: number;
  /** POOF (RFC 6762 §10.5): queries seen that this record should have answered, since the last answer. */
  unanswered: number;
  firstUnansweredAt: number;
  lastUnansweredAt: number;
}

interface InterfaceCache {
  readonly socket: InterfaceSocket;
  readonly entries: Map<string, CacheEntry>;
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
      entries: new Map(),
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
  handleResponse(packet: MdnsPacket, socket: InterfaceSocket, now: number): void {
    const cache = this.#caches.get(socket.iface.key);
    if (!cache) return;
    const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])].flatMap(
      (a) => asRecord(a) ?? [],
    );
    // Service records first, so address records of SRV targets in the same message are recognised.
    const relevant = (r: ResourceRecord) =>
      r.type === 'A' || r.type === 'AAAA'
        ? [...cache.entries.values()].some(
            (e) => e.record.type === 'SRV' && sameName((e.record.data as SrvData).target, r.name),
          )
        : sameName(r.name, SERVICE_TYPE) || r.name.toLowerCase().endsWith(`.${SERVICE_TYPE}`);
    const ordered = [
      ...records.filter((r) => r.type !== 'A' && r.type !== 'AAAA'),
      ...records.filter((r) => r.type === 'A' || r.type === 'AAAA'),
    ];
    let changed = false;
    for (const r of ordered) {
      if (!relevant(r)) continue;
      changed = this.#cache(cache, r, now) || changed;
    }
    if (changed) this.#recompute();
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
      for (const [key, e] of cache.entries) {
        if (
          !sameName(e.record.name, q.name) ||
          (q.type !== 'ANY' && q.type !== e.record.type) ||
          known.has(key)
        )
          continue;
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

  #cache(cache: InterfaceCache, r: ResourceRecord, now: number): boolean {
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
      for (const e of cache.entries.values()) {
        if (
          e.record.type === r.type &&
          sameName(e.record.name, r.name) &&
          now - e.receivedAt > 1_000 &&
          recordKey(e.record) !== key
        ) {
          e.expiresAt = Math.min(e.expiresAt, now + 1_000);
          e.cause ??= 'expired';
        }
      }
    }
    if (!existing && cache.entries.size >= MAX_CACHE_ENTRIES) {
      mdnsLog('%s: cache full, dropping %s %s', cache.socket.iface.key, r.type, r.name);
      return false;
    }
    const entry: CacheEntry = {
      record: r,
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

  #noteRemoval(r: ResourceRecord, cause: LostReason): void {
    if (r.type === 'PTR') this.#causes.set(String(r.data).toLowerCase(), cause);
    else if (r.type === 'SRV' || r.type === 'TXT') this.#causes.set(r.name.toLowerCase(), cause);
    else {
      // An address record: every instance whose SRV points at that host.
      for (const cache of this.#caches.values()) {
        for (const e of cache.entries.values()) {
          if (e.record.type === 'SRV' && sameName((e.record.data as SrvData).target, r.name)) {
            this.#causes.set(e.record.name.toLowerCase(), cause);
          }
        }
      }
    }
  }

  /** Rebuilds every instance from the caches and emits found / updated / lost for the differences. */
  #recompute(): void {
    const self = this.#self()?.toLowerCase();
    const next = new Map<string, DiscoveredPeer>();
    const now = this.#now();
    for (const cache of this.#caches.values()) {
      for (const e of cache.entries.values()) {
        if (e.record.type !== 'PTR' || !sameName(e.record.name, SERVICE_TYPE)) continue;
        const instance = String(e.record.data).toLowerCase();
        if (instance === self || next.has(instance)) continue;
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
  }

  /** The peer behind `instance` as seen on the first interface that has all its records, or `undefined`. */
  #resolve(instance: string, now: number): DiscoveredPeer | undefined {
    for (const cache of this.#caches.values()) {
      const find = (name: string, type: string) =>
        [...cache.entries.values()]
          .filter((e) => e.record.type === type && sameName(e.record.name, name))
          .sort((a, b) => b.receivedAt - a.receivedAt);
      const srv = find(instance, 'SRV')[0];
      const txt = find(instance, 'TXT')[0];
      if (!srv || !txt) {
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
      const { target, port } = srv.record.data as SrvData;
      const addresses = [...find(target, 'A'), ...find(target, 'AAAA')].map((e) => String(e.record.data));
      if (addresses.length === 0) {
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
      let advert: DeviceAdvert | undefined;
      try {
        advert = txtToAdvert(txt.record.data as Buffer[]);
      } catch (e) {
        // A colink record with invalid fields (another version, or a forged record): not a peer we can use.
        mdnsLog('ignoring %s: %s', instance, e instanceof Error ? e.message : String(e));
        return undefined;
      }
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
