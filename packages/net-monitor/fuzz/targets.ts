/**
 * Fuzz targets of @colink/net-monitor: rtnetlink messages (through the `netlink` package's parser into the monitor's
 * link/address/route conversion), IFLA_LINKINFO, address bytes and resolv.conf. Run by
 * `test/decoders.property.test.ts`, replayed from `test/corpus/` by `test/corpus.test.ts`, fuzzed by `pnpm fuzz`.
 * @module
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import {
  bytes,
  defineTarget,
  ensure,
  type FuzzTarget,
  hostileString,
  typed,
} from '../../../scripts/fuzz/kit.js';
import { bytesToIp, canonicalIp, ipToBytes } from '../src/host/ip-bytes.js';
import {
  type AddressMessage,
  type LinkMessage,
  linkInfoKind,
  loadNetlink,
  type RouteMessage,
  toAddress,
  toLink,
  toRoute,
} from '../src/host/netlink.js';
import { parseResolvConf } from '../src/host/resolv-conf.js';

const never = () => false;
const anyError = (e: unknown) => e instanceof Error;

/** One rtattr (`struct rtattr`: len u16, type u16, data, padded to 4 bytes). */
function rtattr(type: number, data: Uint8Array): Buffer {
  const len = 4 + data.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  b.set(data, 4);
  return b;
}

/** One netlink message: nlmsghdr (16 bytes) + body. `lengthDelta` lies about its length. */
function nlmsg(type: number, body: Buffer, lengthDelta = 0): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(Math.max(0, 16 + body.length + lengthDelta), 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(2, 6); // NLM_F_MULTI
  return Buffer.concat([h, body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
}

const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
/** Fixed header size of each message type: ifinfomsg 16, ifaddrmsg 8, rtmsg 12 (`rtnetlink.h`, `if_addr.h`). */
const FIXED: Record<number, number> = { [RTM_NEWLINK]: 16, [RTM_NEWADDR]: 8, [RTM_NEWROUTE]: 12 };

const attrArb = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 60 }), fc.uint8Array({ maxLength: 20 })).map(([t, d]) => rtattr(t, d)),
  // IFLA_IFNAME / IFA_LABEL (3), addresses (1, 2, 5, 7) of 4 or 16 bytes, u32s (4 oif, 6 priority, 15 table).
  fc
    .tuple(fc.constantFrom(1, 2, 5, 7), fc.constantFrom(4, 16, 3, 0))
    .chain(([t, n]) => fc.uint8Array({ minLength: n, maxLength: n }).map((d) => rtattr(t, d))),
  fc.string({ maxLength: 15 }).map((s) => rtattr(3, Buffer.from(`${s}\0`))),
  fc.tuple(fc.constantFrom(4, 6, 13, 15), fc.nat()).map(([t, v]) => {
    const d = Buffer.alloc(4);
    d.writeUInt32LE(v >>> 0);
    return rtattr(t, d);
  }),
  // IFLA_LINKINFO (18) with IFLA_INFO_KIND (1) nested, sometimes broken.
  fc
    .tuple(fc.constantFrom('veth', 'bridge', 'wireguard', ''), fc.uint8Array({ maxLength: 8 }))
    .map(([k, junk]) => rtattr(18, Buffer.concat([rtattr(1, Buffer.from(`${k}\0`)), junk]))),
);

const messageArb = fc
  .record({
    type: fc.oneof(fc.constantFrom(RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE), fc.integer({ min: 0, max: 120 })),
    fixed: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    family: fc.constantFrom(2, 10, 0, 7),
    attrs: fc.array(attrArb, { maxLength: 8 }),
    lengthDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -20, max: 20 })),
  })
  .map((m) => {
    const fixed = Buffer.from(m.fixed.subarray(0, FIXED[m.type] ?? 8));
    fixed[0] = m.family;
    return nlmsg(m.type, Buffer.concat([fixed, ...m.attrs]), m.lengthDelta);
  });

const KINDS = { link: toLink, address: toAddress, route: toRoute } as const;

const rtnetlink = defineTarget({
  name: 'net-monitor.rtnetlink',
  description:
    "any rtnetlink datagram through the netlink package's parser (its errors are a dropped datagram) into toLink/toAddress/toRoute: never a throw, well-formed records",
  arbitrary: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.array(messageArb, { minLength: 1, maxLength: 4 }).map((ms) => Buffer.concat(ms)),
    },
    { weight: 1, arbitrary: bytes(200) },
  ),
  check(datagram) {
    const loaded = loadNetlink();
    if ('error' in loaded) throw loaded.error;
    const nl = loaded.module;
    const parsed = typed(() => nl.parseMessages(datagram), anyError);
    if (!parsed.ok) return;
    for (const raw of parsed.value) {
      const m = typed(() => nl.rt.parseMessage(raw.type, raw.data), anyError);
      if (!m.ok) continue;
      const convert = KINDS[m.value.kind as keyof typeof KINDS] as
        | ((x: LinkMessage & AddressMessage & RouteMessage) => unknown)
        | undefined;
      if (!convert) continue;
      const out = typed(() => convert(m.value as LinkMessage & AddressMessage & RouteMessage), never);
      const rec = (out.ok ? out.value : undefined) as Record<string, unknown> | undefined;
      if (!rec) continue;
      for (const k of ['address', 'dst', 'gateway', 'prefsrc'])
        if (typeof rec[k] === 'string') ensure(isIP(rec[k] as string) !== 0, `${k} ${rec[k]} is not an IP`);
      if (m.value.kind === 'link')
        ensure(typeof rec.name === 'string' && typeof rec.index === 'number', 'link');
    }
  },
});

const linkInfo = defineTarget({
  name: 'net-monitor.linkinfo-kind',
  description: 'linkInfoKind of any IFLA_LINKINFO bytes: a string or undefined, never a throw or a hang',
  arbitrary: fc.oneof(
    bytes(64),
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 12 })), { maxLength: 4 })
      .map((as) => Buffer.concat(as.map(([t, d]) => rtattr(t, d)))),
  ),
  check(b) {
    const r = typed(() => linkInfoKind(b), never);
    ensure(!r.ok || r.value === undefined || typeof r.value === 'string', 'not a string');
  },
});

const ipBytes = defineTarget({
  name: 'net-monitor.ip-bytes',
  description:
    'bytesToIp of any bytes: text only for 4 or 16 bytes, and ipToBytes gives the bytes back; canonicalIp of any text never throws',
  arbitrary: fc.record({ b: bytes(20), text: fc.oneof(fc.ipV4(), fc.ipV6(), hostileString(45)) }),
  check({ b, text }) {
    const ip = typed(() => bytesToIp(b), never);
    const s = ip.ok ? ip.value : undefined;
    ensure((s !== undefined) === (b.length === 4 || b.length === 16), 'text for a wrong length');
    if (s !== undefined) {
      ensure(isIP(s) !== 0, `${s} is not an IP`);
      ensure(ipToBytes(s).equals(b), `${s} does not give its bytes back`);
    }
    const c = typed(() => canonicalIp(text), never);
    if (c.ok && isIP(text) === 6 && !text.includes('.'))
      ensure(
        isIP(c.value) === 6 && ipToBytes(c.value).equals(ipToBytes(text)),
        'canonical form changed the address',
      );
  },
});

const resolvConf = defineTarget({
  name: 'net-monitor.resolv-conf',
  description: 'parseResolvConf of any text: never a throw; every nameserver is an IP address',
  arbitrary: fc
    .array(
      fc.oneof(
        fc
          .tuple(fc.constantFrom('nameserver', 'search', 'domain', 'options', '#', ';'), hostileString(40))
          .map(([k, v]) => `${k} ${v}`),
        fc.oneof(fc.ipV4(), fc.ipV6()).map((a) => `nameserver ${a}`),
        hostileString(40),
      ),
      { maxLength: 8 },
    )
    .map((ls) => ls.join('\n')),
  check(text) {
    const r = typed(() => parseResolvConf(text), never);
    if (!r.ok) return;
    const servers = (r.value as { nameservers?: unknown }).nameservers;
    if (Array.isArray(servers))
      for (const s of servers)
        ensure(typeof s === 'string' && isIP(s.split('%')[0]!) !== 0, `nameserver ${s}`);
  },
});

/** Targets of @colink/net-monitor. */
export const targets: readonly FuzzTarget[] = [rtnetlink, linkInfo, ipBytes, resolvConf];
