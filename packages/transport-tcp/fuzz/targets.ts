/**
 * Fuzz targets of @colink/transport-tcp: DNS-SD TXT records and the mDNS browser/responder fed malformed,
 * conflicting and spoofed packets. Run by `test/decoders.property.test.ts`, replayed from `test/corpus/` by
 * `test/corpus.test.ts`, fuzzed by `pnpm fuzz`.
 * @module
 */
import type { RemoteInfo } from 'node:dgram';
import { BlockList } from 'node:net';
import { ColinkError, type DeviceAdvert, type DiscoveryEvent, ErrorCode, parseAdvert } from '@colink/core';
import type { Packet } from 'dns-packet';
import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import {
  bytes,
  defineTarget,
  ensure,
  type FuzzTarget,
  hostileString,
  typed,
} from '../../../scripts/fuzz/kit.js';
import { SERVICE_ENUMERATION, SERVICE_TYPE } from '../src/constants.js';
import { Browser } from '../src/mdns/browser.js';
import type { InterfaceSocket, MdnsPacket } from '../src/mdns/interface-socket.js';
import type { SelectedInterface } from '../src/mdns/interfaces.js';
import type { OutgoingMessage } from '../src/mdns/records.js';
import { Responder } from '../src/mdns/responder.js';
import { advertToTxt, TXT_KEYS, txtToAdvert } from '../src/mdns/txt.js';

const NID = '0123456789abcdef'.repeat(4);
const protocolError = (e: unknown) => e instanceof ColinkError && e.code === ErrorCode.PROTOCOL;

/** One TXT string: `key=value` with colink keys (any case), random keys, no `=`, or raw bytes. */
const txtString: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...Object.values(TXT_KEYS), 'NID', 'Dn', 'sv2', 'sv3', 'sv10', 'txtvers', ''),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(
        fc.constantFrom(NID, NID.toUpperCase(), 'AA:BB:CC:DD:EE:FF', 'a,b,,c', 'x'.repeat(255), ''),
        hostileString(80),
      ),
    )
    .map(([k, v]) => `${k}=${v}`),
  hostileString(20),
  bytes(260),
);

const txtRecord = defineTarget({
  name: 'tcp.txt-record',
  description:
    'txtToAdvert of any TXT strings: undefined (not colink), an advert within every limit, or ERR_PROTOCOL',
  arbitrary: fc.array(txtString, { maxLength: 12 }),
  check(strings) {
    const r = typed(() => txtToAdvert(strings), protocolError);
    if (!r.ok || r.value === undefined) return;
    const a = r.value;
    const again = parseAdvert(a, 'parsed');
    ensure(JSON.stringify(again) === JSON.stringify(a), 'the advert does not pass parseAdvert again');
  },
});

const serviceName = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes(','));
const advertArb: fc.Arbitrary<DeviceAdvert> = fc.record(
  {
    networkId: fc.stringMatching(/^[0-9a-f]{64}$/),
    deviceName: fc.string({ maxLength: 60, unit: 'grapheme' }),
    deviceType: fc.constantFrom('phone', 'pc', 'tablet', '2in1'),
    bleMac: fc.constantFrom('AA:BB:CC:DD:EE:FF', '00:11:22:33:44:55'),
    services: fc.array(serviceName, { maxLength: 20 }),
  },
  { requiredKeys: ['networkId', 'deviceName', 'deviceType'] },
);

const txtRoundTrip = defineTarget({
  name: 'tcp.txt-roundtrip',
  description: 'advertToTxt → txtToAdvert gives the advert back (services split over sv, sv2… when long)',
  arbitrary: advertArb,
  check(advert) {
    const r = typed(
      () => advertToTxt(advert),
      (e) => e instanceof ColinkError && e.code === ErrorCode.INVALID_ARGUMENT,
    );
    if (!r.ok) {
      // Only a record over the RFC 6763 §6.2 size is refused.
      ensure(/exceeds/.test((r.error as Error).message), () => `refused: ${(r.error as Error).message}`);
      return;
    }
    const back = txtToAdvert(r.value);
    const want = parseAdvert({ ...advert, services: advert.services ?? [] }, 'want');
    ensure(
      JSON.stringify(back) === JSON.stringify(want),
      () => `${JSON.stringify(back)} != ${JSON.stringify(want)}`,
    );
  },
});

// ---------------------------------------------------------------------------------------------------------------
// mDNS: packets as multicast-dns hands them over (dns-packet decoded), to the responder and browser of one device.

const OUR_NAME = 'fuzz-device';
const OUR_INSTANCE = `${OUR_NAME}.${SERVICE_TYPE}`;
const OUR_HOST = `colink-${NID.slice(0, 16)}.local`;
const PEER_INSTANCE = `peer.${SERVICE_TYPE}`;
const PEER_HOST = 'colink-peer.local';

const nameArb = fc.oneof(
  fc.constantFrom(
    SERVICE_TYPE,
    SERVICE_ENUMERATION,
    OUR_INSTANCE,
    OUR_INSTANCE.toUpperCase(),
    OUR_HOST,
    PEER_INSTANCE,
    PEER_HOST,
    `${OUR_NAME} (2).${SERVICE_TYPE}`,
    'local',
    '',
  ),
  fc.string({ maxLength: 30 }).map((s) => `${s}.${SERVICE_TYPE}`),
  fc.domain(),
);

const txtData = fc.oneof(
  fc.constant(['txtvers=1', 'pv=1', `nid=${NID.replace('0', '1')}`, 'dn=peer', 'dt=phone', 'sv=a,b']),
  fc.array(txtString, { maxLength: 8 }),
);

const recordArb = fc.oneof(
  fc.record({ type: fc.constant('PTR' as const), name: nameArb, data: nameArb }),
  fc.record({
    type: fc.constant('SRV' as const),
    name: nameArb,
    data: fc.record({
      target: nameArb,
      port: fc.integer({ min: 0, max: 65535 }),
      priority: fc.integer({ min: 0, max: 65535 }),
      weight: fc.integer({ min: 0, max: 65535 }),
    }),
  }),
  fc.record({ type: fc.constant('TXT' as const), name: nameArb, data: txtData }),
  fc.record({ type: fc.constant('A' as const), name: nameArb, data: fc.ipV4() }),
  fc.record({ type: fc.constant('AAAA' as const), name: nameArb, data: fc.ipV6() }),
  fc.record({
    type: fc.constant('NULL' as const),
    name: nameArb,
    data: fc.uint8Array({ maxLength: 20 }).map(Buffer.from),
  }),
);
const answerArb = fc
  .tuple(recordArb, fc.constantFrom(0, 1, 120, 4500, 2 ** 31 - 1), fc.boolean())
  .map(([r, ttl, flush]) => ({ ...r, ttl, flush, class: 'IN' }));

const packetArb = fc.record({
  type: fc.constantFrom('query', 'response'),
  id: fc.integer({ min: 0, max: 65535 }),
  questions: fc.array(
    fc.record({
      name: nameArb,
      type: fc.constantFrom('PTR', 'SRV', 'TXT', 'A', 'AAAA', 'ANY'),
      class: fc.constant('IN'),
    }),
    { maxLength: 4 },
  ),
  answers: fc.array(answerArb, { maxLength: 6 }),
  authorities: fc.array(answerArb, { maxLength: 3 }),
  additionals: fc.array(answerArb, { maxLength: 4 }),
});

/** A peer's whole announcement (PTR, SRV, TXT, A) with fuzzed TXT strings, TTLs, names and port. */
const announcementArb = fc
  .record({
    instance: fc.oneof(fc.constant(PEER_INSTANCE), fc.constant(OUR_INSTANCE), nameArb),
    host: fc.oneof(fc.constant(PEER_HOST), fc.constant(OUR_HOST), nameArb),
    txt: txtData,
    ttl: fc.constantFrom(0, 120, 4500),
    port: fc.integer({ min: 0, max: 65535 }),
    address: fc.oneof(fc.constant('10.99.0.2'), fc.ipV4()),
  })
  .map((a) => ({
    type: 'response',
    answers: [
      { type: 'PTR', name: SERVICE_TYPE, ttl: a.ttl, data: a.instance },
      { type: 'SRV', name: a.instance, ttl: a.ttl, flush: true, data: { target: a.host, port: a.port } },
      { type: 'TXT', name: a.instance, ttl: a.ttl, flush: true, data: a.txt },
      { type: 'A', name: a.host, ttl: a.ttl, flush: true, data: a.address },
    ],
  }));

/** Wire bytes: a well-formed packet, the same with a byte changed or cut short, or random bytes. */
const wireArb: fc.Arbitrary<{ bytes: Buffer; fromPort: number }> = fc.record({
  bytes: fc.oneof(
    { weight: 4, arbitrary: packetArb.map((p) => encodePacket(p)) },
    { weight: 3, arbitrary: announcementArb.map((p) => encodePacket(p)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(packetArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
        .map(([p, at, value, cut]) => {
          const b = encodePacket(p);
          if (b.length === 0) return b;
          if (cut) return b.subarray(0, at % b.length);
          b[at % b.length] = value;
          return b;
        }),
    },
    { weight: 1, arbitrary: bytes(300) },
  ),
  fromPort: fc.constantFrom(5353, 40000),
});

function encodePacket(p: unknown): Buffer {
  try {
    return dnsPacket.encode(p as Packet);
  } catch {
    return Buffer.alloc(0);
  }
}

/** What the test device sent and saw. */
interface Device {
  readonly responder: Responder;
  /** Replaced by a fresh one every {@link LIVE_BROWSER_INPUTS} inputs on the long-lived device. */
  browser: Browser;
  readonly socket: InterfaceSocket;
  readonly sent: OutgoingMessage[];
  readonly events: DiscoveryEvent[];
}

const iface: SelectedInterface = {
  key: 'fuzz0/10.99.0.1',
  name: 'fuzz0',
  family: 4,
  socketInterface: '10.99.0.1',
  address: '10.99.0.1',
  addresses: ['10.99.0.1', 'fd00::1'],
  subnets: (() => {
    const b = new BlockList();
    b.addSubnet('10.99.0.0', 24, 'ipv4');
    return b;
  })(),
  internal: false,
};

/**
 * A device's responder and browser on one interface whose socket records what they send instead of multicasting it
 * (the packet handling is under test, not the kernel's UDP).
 */
function device(): Device {
  const sent: OutgoingMessage[] = [];
  const events: DiscoveryEvent[] = [];
  const socket = {
    iface,
    port: 5353,
    send(message: OutgoingMessage): Promise<void> {
      sent.push(message);
      return Promise.resolve();
    },
  } as unknown as InterfaceSocket;
  const responder = new Responder({ host: 120, other: 4500 });
  const d: Device = { responder, browser: undefined as unknown as Browser, socket, sent, events };
  renewBrowser(d);
  responder.addInterface(socket);
  return d;
}

/** Gives `d` a fresh browser on its interface (the old one stops). */
function renewBrowser(d: Device): void {
  d.browser?.stop();
  d.browser = new Browser(
    () => d.responder.instanceName,
    (e) => d.events.push(e),
  );
  d.browser.addInterface(d.socket, performance.now());
}

let live: Device | undefined;
/** Inputs the long-lived device has taken. */
let liveInputs = 0;
/**
 * The long-lived device's browser is renewed after this many inputs: every packet the browser takes costs time in
 * the size of its cache (`tick` walks it for expiry), and inputs pile spoofed instances into it (up to
 * `MAX_CACHE_ENTRIES`), so a long-lived cache would make each further input slower. 100 inputs (up to 600 packets)
 * still build caches of hundreds of records — conflicts, refreshes and goodbyes across packets — and keep a long
 * run at a fraction of a millisecond per input. (`hostile-mdns.test.ts` covers full caches: 10,000 packets, 10,000
 * services.)
 */
const LIVE_BROWSER_INPUTS = 100;
/**
 * The long-lived device's responder is renewed (goodbye, then a new one probing our name) after this many inputs, so
 * that inputs renamed away from (conflicts make it take `name (2)`, …) are met with the original name again. Its
 * probing takes ~1 s of real time (RFC 6762 §8.1: up to 250 ms, then 3 probes 250 ms apart); the run does not wait
 * for it, so the inputs of that second meet a probing responder (probe tiebreaks, conflicts while probing) and the
 * rest an announced one.
 */
const LIVE_RESPONDER_INPUTS = 10_000;

/** Starts the long-lived device with our name: probing (`wait`: until announced, as the setup does). */
async function startLive(wait = true): Promise<void> {
  live = device();
  liveInputs = 0;
  await live.responder.set(
    { networkId: NID, deviceName: OUR_NAME, deviceType: 'pc', services: ['s'] },
    40000,
    (i) => i.addresses,
  );
  // Probing takes 3 × 250 ms plus up to 250 ms of initial wait (RFC 6762 §8.1).
  for (let i = 0; wait && i < 100 && !live.responder.announced; i++)
    await new Promise((r) => setTimeout(r, 50));
}

async function stopLive(): Promise<void> {
  await live?.responder.clear();
  live?.browser.stop();
  live = undefined;
}

/** Decodes like multicast-dns (a decode error is a dropped packet) and dispatches like DnsSdDiscovery. */
function deliver(d: Device, wire: Buffer, fromPort: number, now: number): void {
  let packet: MdnsPacket;
  try {
    packet = dnsPacket.decode(wire) as MdnsPacket;
  } catch {
    return; // multicast-dns emits 'warning' and drops it
  }
  const from: RemoteInfo = { address: '10.99.0.2', family: 'IPv4', port: fromPort, size: wire.length };
  if (packet.type === 'query') {
    d.responder.handleQuery(packet, from, d.socket);
    d.browser.handleQuery(packet, d.socket, now);
  } else {
    d.responder.handleResponse(packet);
    d.browser.handleResponse(packet, d.socket, now);
  }
  d.browser.tick(now);
}

function checkDevice(d: Device): void {
  for (const e of d.events.splice(0)) {
    const peer = e.peer;
    typed(
      () => parseAdvert(peer, 'event'),
      () => false,
    );
    ensure(peer.medium === 'tcp' && typeof peer.address === 'string', 'peer without a tcp address');
  }
  for (const m of d.sent.splice(0)) {
    // Every message the device sends must encode (multicast-dns would throw inside its send otherwise).
    typed(
      () =>
        dnsPacket.encode({
          type: m.type,
          id: m.id ?? 0,
          questions: (m.questions ?? []).map((q) => ({ ...q, class: 'IN' })),
          answers: (m.answers ?? []).map((r) => ({ ...r, class: 'IN' })),
          additionals: (m.additionals ?? []).map((r) => ({ ...r, class: 'IN' })),
          authorities: (m.authorities ?? []).map((r) => ({ ...r, class: 'IN' })),
        } as Packet),
      () => false,
    );
  }
}

const mdnsPackets = defineTarget({
  name: 'tcp.mdns-packets',
  description:
    'malformed, conflicting and spoofed mDNS packets to an announced responder and a browser: no throw, found peers valid, replies encodable',
  arbitrary: fc.array(wireArb, { minLength: 1, maxLength: 6 }),
  async: true,
  testRuns: 300,
  setup: () => startLive(),
  teardown: stopLive,
  async check(wires) {
    if (live && ++liveInputs % LIVE_RESPONDER_INPUTS === 0) {
      await stopLive();
      await startLive(false);
    } else if (live && liveInputs % LIVE_BROWSER_INPUTS === 0) renewBrowser(live);
    // A fresh browser per input (reproducible), and the long-lived announced device (state across inputs).
    const fresh = device();
    const now = performance.now();
    for (const [i, w] of wires.entries()) {
      deliver(fresh, w.bytes, w.fromPort, now + i * 1000);
      if (live) deliver(live, w.bytes, w.fromPort, now);
    }
    checkDevice(fresh);
    if (live) checkDevice(live);
    fresh.browser.stop();
    await new Promise((r) => setImmediate(r));
  },
});

/** Targets of @colink/transport-tcp. */
export const targets: readonly FuzzTarget[] = [txtRecord, txtRoundTrip, mdnsPackets];
