import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import * as dnsPacket from 'dns-packet';

/** The record types discovery reads and writes. */
export type RecordType = 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA';

/** A resource record with the fields mDNS uses (the `dns-packet` shape). */
export interface ResourceRecord {
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  readonly data: unknown;
  /** The cache-flush bit: set on unique records (RFC 6762 §10.2). */
  readonly flush?: boolean;
}

/** SRV rdata (RFC 2782). */
export interface SrvData {
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

const MDNS_TYPES: ReadonlySet<string> = new Set(['PTR', 'SRV', 'TXT', 'A', 'AAAA']);

/** Narrows a decoded answer to a record type discovery handles. */
export function asRecord(answer: Answer): ResourceRecord | undefined {
  return MDNS_TYPES.has(answer.type) ? (answer as unknown as ResourceRecord) : undefined;
}

/** DNS names compare case-insensitively (RFC 1035 §2.3.3). */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

const recordEncoder = (dnsPacket as unknown as { record(type: string): { encode(data: unknown): Buffer } })
  .record;

/** The rdata of `record` in wire format (without the 2-byte length), as RFC 6762 §8.2 compares it. */
export function rdataBytes(record: Pick<ResourceRecord, 'type' | 'data'>): Buffer {
  return recordEncoder(record.type).encode(record.data).subarray(2);
}

/** A key identifying one record (name, type, rdata) in a cache or rate limiter. */
export function recordKey(record: Pick<ResourceRecord, 'name' | 'type' | 'data'>): string {
  return `${record.name.toLowerCase()}|${record.type}|${rdataBytes(record).toString('hex')}`;
}

/** True when two records carry the same rdata. */
export function sameRdata(
  a: Pick<ResourceRecord, 'type' | 'data'>,
  b: Pick<ResourceRecord, 'type' | 'data'>,
): boolean {
  return a.type === b.type && rdataBytes(a).equals(rdataBytes(b));
}

/**
 * RFC 6762 §8.2 simultaneous probe tiebreaking: compares two sets of records for one name, sorted by class, type
 * and rdata bytes, pairwise. Returns < 0 when `ours` loses (is lexicographically earlier), 0 when identical.
 */
export function compareRecordSets(
  ours: readonly ResourceRecord[],
  theirs: readonly ResourceRecord[],
): number {
  const sort = (rs: readonly ResourceRecord[]) =>
    rs
      .map((r) => ({ type: typeCode(r.type), rdata: rdataBytes(r) }))
      .sort((x, y) => x.type - y.type || Buffer.compare(x.rdata, y.rdata));
  const a = sort(ours);
  const b = sort(theirs);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i]!.type - b[i]!.type || Buffer.compare(a[i]!.rdata, b[i]!.rdata);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function typeCode(type: RecordType): number {
  return { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33 }[type];
}

/** A/AAAA records of `host` for `addresses` (IPv6 zones stripped). */
export function addressRecords(host: string, addresses: readonly string[], ttl: number): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (const address of addresses) {
    const bare = address.split('%')[0]!;
    const family = isIP(bare);
    if (family === 4) records.push({ name: host, type: 'A', ttl, data: bare, flush: true });
    else if (family === 6) records.push({ name: host, type: 'AAAA', ttl, data: bare, flush: true });
  }
  return records;
}

/** A question (RFC 1035 §4.1.2); `ANY` asks for every type. */
export interface MdnsQuestion {
  readonly name: string;
  readonly type: RecordType | 'ANY';
}

/** A message to send. Records go out in class IN with their cache-flush bit. */
export interface OutgoingMessage {
  readonly type: 'query' | 'response';
  readonly id?: number;
  readonly questions?: readonly MdnsQuestion[];
  readonly answers?: readonly ResourceRecord[];
  readonly authorities?: readonly ResourceRecord[];
  readonly additionals?: readonly ResourceRecord[];
}

/** Questions of a received message in our shape (dns-packet's typings omit `ANY`). */
export function questionsOf(packet: { readonly questions?: readonly unknown[] }): MdnsQuestion[] {
  return (packet.questions ?? []) as MdnsQuestion[];
}
