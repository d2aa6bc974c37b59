import type { RemoteInfo } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceAdvert } from '@colink/core';
import {
  ANNOUNCE_COUNT,
  ANNOUNCE_INTERVAL_MS,
  MIN_MULTICAST_INTERVAL_MS,
  PROBE_COUNT,
  PROBE_DEFENCE_INTERVAL_MS,
  PROBE_DEFER_MS,
  PROBE_INITIAL_WAIT_MAX_MS,
  PROBE_INTERVAL_MS,
  PROBE_RATE_LIMIT_MS,
  SERVICE_ENUMERATION,
  SERVICE_TYPE,
  SHARED_RESPONSE_DELAY_MS,
} from '../constants.js';
import { mdnsLog } from '../log.js';
import type { InterfaceSocket, MdnsPacket } from './interface-socket.js';
import type { SelectedInterface } from './interfaces.js';
import {
  addressRecords,
  asRecord,
  compareRecordSets,
  type MdnsQuestion,
  type OutgoingMessage,
  questionsOf,
  type ResourceRecord,
  recordKey,
  sameName,
  sameRdata,
} from './records.js';
import { advertToTxt, hostLabel, instanceLabel } from './txt.js';

/** Record TTLs in seconds. */
export interface RecordTtls {
  /** SRV, A, AAAA (RFC 6762 §10: 120). */
  readonly host: number;
  /** PTR, TXT (RFC 6762 §10: 4500). */
  readonly other: number;
}

/** What to announce: the advert, the TCP port and which addresses of an interface are dialable. */
interface Announcement {
  readonly advert: DeviceAdvert;
  readonly txt: Buffer[];
  readonly port: number;
  readonly addressesOf: (iface: SelectedInterface) => readonly string[];
}

interface InterfaceState {
  readonly socket: InterfaceSocket;
  announced: boolean;
  /** When each record was last multicast on this interface (RFC 6762 §6 rate limit). */
  readonly lastSent: Map<string, number>;
}

/**
 * The DNS-SD responder of one device (RFC 6762 §8-9, RFC 6763): probes its instance and host names on every
 * interface, resolves conflicts (simultaneous-probe tiebreak, renaming `name (2)`), announces, answers queries
 * with known-answer suppression and per-record rate limits, defends its names and says goodbye (TTL 0).
 */
export class Responder {
  readonly #ttl: RecordTtls;
  readonly #interfaces = new Map<string, InterfaceState>();
  #announcement: Announcement | undefined;
  #instanceSuffix = 1;
  #hostSuffix = 1;
  /** Aborts every probe/announce sequence of the current names. */
  #run = new AbortController();
  #conflicts: number[] = [];

  constructor(ttl: RecordTtls) {
    this.#ttl = ttl;
  }

  /** Full instance name being announced (`desk._colink._tcp.local`), or `undefined`. */
  get instanceName(): string | undefined {
    const a = this.#announcement;
    if (!a) return undefined;
    const suffix = this.#instanceSuffix > 1 ? ` (${this.#instanceSuffix})` : '';
    return `${instanceLabel(a.advert.deviceName, suffix)}.${SERVICE_TYPE}`;
  }

  /** Host name of the SRV target (`colink-0123456789abcdef.local`), or `undefined`. */
  get hostName(): string | undefined {
    const a = this.#announcement;
    if (!a) return undefined;
    return `${hostLabel(a.advert.networkId, this.#hostSuffix > 1 ? `-${this.#hostSuffix}` : '')}.local`;
  }

  /** True once every interface finished probing and announced. */
  get announced(): boolean {
    return this.#announcement !== undefined && [...this.#interfaces.values()].every((s) => s.announced);
  }

  /**
   * Starts announcing `advert`, or replaces it: a new name says goodbye to the old one and probes again; other
   * changes are re-announced (RFC 6762 §8.4). Throws `ERR_INVALID_ARGUMENT` when the advert breaks a TXT limit.
   */
  async set(advert: DeviceAdvert, port: number, addressesOf: Announcement['addressesOf']): Promise<void> {
    const txt = advertToTxt(advert);
    const previous = this.#announcement;
    const sameNames =
      previous &&
      previous.advert.deviceName === advert.deviceName &&
      previous.advert.networkId === advert.networkId;
    if (previous && !sameNames) await this.clear();
    this.#announcement = { advert, txt, port, addressesOf };
    if (sameNames && this.announced) {
      this.#run.abort();
      this.#run = new AbortController();
      for (const state of this.#interfaces.values()) void this.#announce(state, this.#run.signal);
      return;
    }
    if (!sameNames) {
      this.#instanceSuffix = 1;
      this.#hostSuffix = 1;
    }
    this.#restart(0);
  }

  /** Says goodbye (every record with TTL 0, RFC 6762 §10.1) on every announced interface and stops answering. */
  async clear(): Promise<void> {
    this.#run.abort();
    this.#run = new AbortController();
    const sends = [...this.#interfaces.values()]
      .filter((s) => s.announced)
      .map((s) => s.socket.send(response(this.#records(s.socket.iface, 0))));
    for (const s of this.#interfaces.values()) s.announced = false;
    this.#announcement = undefined;
    await Promise.all(sends);
  }

  /** Starts probing (then announcing) on a new interface. */
  addInterface(socket: InterfaceSocket): void {
    const state: InterfaceState = { socket, announced: false, lastSent: new Map() };
    this.#interfaces.set(socket.iface.key, state);
    if (this.#announcement)
      void this.#probeAndAnnounce([state], this.#run.signal, randomMs(0, PROBE_INITIAL_WAIT_MAX_MS));
  }

  /** Forgets a vanished interface (nothing can be sent on it any more). */
  removeInterface(key: string): void {
    this.#interfaces.delete(key);
  }

  /** Re-announces on an interface whose addresses changed. */
  interfaceChanged(socket: InterfaceSocket): void {
    const state = this.#interfaces.get(socket.iface.key);
    if (state?.announced) void this.#announce(state, this.#run.signal);
  }

  /** Answers a query, defends against probes for our names, or runs the simultaneous-probe tiebreak. */
  handleQuery(packet: MdnsPacket, from: RemoteInfo, socket: InterfaceSocket): void {
    const state = this.#interfaces.get(socket.iface.key);
    const instance = this.instanceName;
    const host = this.hostName;
    if (!state || !instance || !host) return;
    const authorities = (packet.authorities ?? []).flatMap((a) => asRecord(a) ?? []);
    if (authorities.length > 0) {
      for (const name of [instance, host]) {
        const theirs = authorities.filter((r) => sameName(r.name, name));
        if (theirs.length === 0) continue;
        const ours = this.#records(socket.iface).filter((r) => sameName(r.name, name));
        const order = compareRecordSets(ours, theirs);
        if (order === 0) continue; // our own probe, looped back
        if (state.announced) {
          mdnsLog('%s: defending %s against a probe', socket.iface.key, name);
          this.#send(state, ours, PROBE_DEFENCE_INTERVAL_MS);
        } else if (order < 0) {
          mdnsLog('%s: lost the probe tiebreak for %s, probing again in 1 s', socket.iface.key, name);
          this.#restart(PROBE_DEFER_MS);
          return;
        }
      }
    }
    if (!state.announced) return;
    const { answers, additionals } = this.#answer(questionsOf(packet), packet.answers ?? [], socket.iface);
    if (answers.length === 0) return;
    if (from.port !== socket.port) {
      // Legacy unicast query (RFC 6762 §6.7): answer directly, echoing id and questions, TTL ≤ 10 s, no flush bit.
      const legacy = (r: ResourceRecord) => ({ ...r, ttl: Math.min(r.ttl, 10), flush: false });
      void socket.send(
        {
          ...response(answers.map(legacy), additionals.map(legacy)),
          id: packet.id ?? 0,
          questions: questionsOf(packet),
        },
        { address: from.address, port: from.port },
      );
      return;
    }
    const shared = answers.some((r) => r.type === 'PTR');
    const send = () => this.#send(state, answers, MIN_MULTICAST_INTERVAL_MS, additionals);
    if (shared) setTimeout(send, randomMs(...SHARED_RESPONSE_DELAY_MS)).unref();
    else send();
  }

  /**
   * Detects conflicts: another responder's unique record for one of our names with different rdata (§9). Once
   * announced, a conflict restarts probing with the same names; while probing, it takes the next name
   * (`name (2)`, `colink-…-2.local`).
   */
  handleResponse(packet: MdnsPacket): void {
    const instance = this.instanceName;
    const host = this.hostName;
    if (!instance || !host) return;
    const mine = [...this.#interfaces.values()].flatMap((s) => this.#records(s.socket.iface));
    for (const answer of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
      const r = asRecord(answer);
      if (!r || r.ttl === 0 || r.type === 'PTR') continue;
      const isInstance = sameName(r.name, instance);
      if (!isInstance && !sameName(r.name, host)) continue;
      if (mine.some((m) => sameName(m.name, r.name) && sameRdata(m, r))) continue;
      mdnsLog('conflict on %s (%s %j)', r.name, r.type, r.data);
      // RFC 6762 §9: a conflicting record after probing sends us back to probing with the same name; only a
      // conflict while probing (someone defends the name) makes us take the next one. A single spoofed record
      // therefore costs a re-probe and re-announcement, not the device's name.
      if (!this.announced) {
        if (isInstance) this.#instanceSuffix += 1;
        else this.#hostSuffix += 1;
      }
      this.#conflicts = [...this.#conflicts.filter((t) => t > Date.now() - 10_000), Date.now()];
      // RFC 6762 §8.1: after 15 conflicts within 10 s, wait 5 s before each new attempt.
      this.#restart(this.#conflicts.length >= 15 ? PROBE_RATE_LIMIT_MS : 0);
      return;
    }
  }

  #restart(delayMs: number): void {
    this.#run.abort();
    this.#run = new AbortController();
    const states = [...this.#interfaces.values()];
    for (const s of states) s.announced = false;
    if (this.#announcement && states.length > 0) {
      void this.#probeAndAnnounce(states, this.#run.signal, delayMs + randomMs(0, PROBE_INITIAL_WAIT_MAX_MS));
    }
  }

  /** RFC 6762 §8.1: three probes 250 ms apart, then §8.3 announcements. Aborted by a conflict or goodbye. */
  async #probeAndAnnounce(
    states: InterfaceState[],
    signal: AbortSignal,
    initialWaitMs: number,
  ): Promise<void> {
    try {
      await sleep(initialWaitMs, undefined, { signal });
      for (let i = 0; i < PROBE_COUNT; i++) {
        for (const state of states) {
          const iface = state.socket.iface;
          const records = this.#records(iface).filter((r) => r.type !== 'PTR');
          const questions: MdnsQuestion[] = [
            { name: this.instanceName!, type: 'ANY' },
            { name: this.hostName!, type: 'ANY' },
          ];
          void state.socket.send({ type: 'query', questions, authorities: records });
        }
        await sleep(PROBE_INTERVAL_MS, undefined, { signal });
      }
      mdnsLog('probing done: %s on %s', this.instanceName, this.hostName);
      await Promise.all(states.map((state) => this.#announce(state, signal)));
    } catch (err) {
      if ((err as Error).name !== 'AbortError') mdnsLog('probe failed: %s', (err as Error).message);
    }
  }

  /** RFC 6762 §8.3: unsolicited responses with every record, {@link ANNOUNCE_COUNT} times, 1 s then doubling. */
  async #announce(state: InterfaceState, signal: AbortSignal): Promise<void> {
    try {
      state.announced = true;
      let interval = ANNOUNCE_INTERVAL_MS;
      for (let i = 0; i < ANNOUNCE_COUNT; i++) {
        if (i > 0) {
          await sleep(interval, undefined, { signal });
          interval *= 2;
        }
        if (signal.aborted || !this.#interfaces.has(state.socket.iface.key)) return;
        const records = this.#records(state.socket.iface);
        const now = Date.now();
        for (const r of records) state.lastSent.set(recordKey(r), now);
        await state.socket.send(response(records));
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') mdnsLog('announce failed: %s', (err as Error).message);
    }
  }

  /** Answers for `questions`, minus known answers the querier holds with ≥ half our TTL (RFC 6762 §7.1). */
  #answer(
    questions: readonly MdnsQuestion[],
    known: NonNullable<MdnsPacket['answers']>,
    iface: SelectedInterface,
  ): { answers: ResourceRecord[]; additionals: ResourceRecord[] } {
    const records = this.#records(iface);
    const instance = this.instanceName!;
    const host = this.hostName!;
    const answers = new Map<string, ResourceRecord>();
    const additionals = new Map<string, ResourceRecord>();
    const add = (into: Map<string, ResourceRecord>, rs: ResourceRecord[]) => {
      for (const r of rs) into.set(recordKey(r), r);
    };
    const of = (name: string, types: readonly string[]) =>
      records.filter((r) => sameName(r.name, name) && types.includes(r.type));
    for (const q of questions) {
      const any = q.type === 'ANY';
      if (sameName(q.name, SERVICE_TYPE) && (any || q.type === 'PTR')) {
        add(answers, of(SERVICE_TYPE, ['PTR']));
        add(additionals, [...of(instance, ['SRV', 'TXT']), ...of(host, ['A', 'AAAA'])]);
      } else if (sameName(q.name, SERVICE_ENUMERATION) && (any || q.type === 'PTR')) {
        add(answers, of(SERVICE_ENUMERATION, ['PTR']));
      } else if (sameName(q.name, instance)) {
        add(answers, of(instance, any ? ['SRV', 'TXT'] : [q.type]));
        add(additionals, of(host, ['A', 'AAAA']));
      } else if (sameName(q.name, host)) {
        add(answers, of(host, any ? ['A', 'AAAA'] : [q.type]));
      }
    }
    for (const k of known) {
      const r = asRecord(k);
      if (!r) continue;
      const key = recordKey(r);
      const mine = answers.get(key);
      if (mine && r.ttl >= mine.ttl / 2) answers.delete(key);
    }
    for (const key of answers.keys()) additionals.delete(key);
    return { answers: [...answers.values()], additionals: [...additionals.values()] };
  }

  /** Multicasts the records not sent on this interface within `minIntervalMs` (RFC 6762 §6). */
  #send(
    state: InterfaceState,
    answers: ResourceRecord[],
    minIntervalMs: number,
    additionals: ResourceRecord[] = [],
  ): void {
    const now = Date.now();
    const fresh = answers.filter((r) => now - (state.lastSent.get(recordKey(r)) ?? 0) >= minIntervalMs);
    if (fresh.length === 0 || !this.#interfaces.has(state.socket.iface.key)) return;
    for (const r of fresh) state.lastSent.set(recordKey(r), now);
    void state.socket.send(response(fresh, additionals));
  }

  /** Every record of this device on `iface`, with TTLs scaled by `ttlScale` (0 for goodbyes). */
  #records(iface: SelectedInterface, ttlScale = 1): ResourceRecord[] {
    const a = this.#announcement;
    const instance = this.instanceName;
    const host = this.hostName;
    if (!a || !instance || !host) return [];
    const hostTtl = this.#ttl.host * ttlScale;
    const otherTtl = this.#ttl.other * ttlScale;
    return [
      { name: SERVICE_TYPE, type: 'PTR', ttl: otherTtl, data: instance },
      { name: SERVICE_ENUMERATION, type: 'PTR', ttl: otherTtl, data: SERVICE_TYPE },
      {
        name: instance,
        type: 'SRV',
        ttl: hostTtl,
        data: { target: host, port: a.port, priority: 0, weight: 0 },
        flush: true,
      },
      { name: instance, type: 'TXT', ttl: otherTtl, data: a.txt, flush: true },
      ...addressRecords(host, a.addressesOf(iface), hostTtl),
    ];
  }
}

function response(answers: ResourceRecord[], additionals: ResourceRecord[] = []): OutgoingMessage {
  return { type: 'response', answers, additionals };
}

function randomMs(min: number, max: number): number {
  return min + Math.random() * (max - min);
}
