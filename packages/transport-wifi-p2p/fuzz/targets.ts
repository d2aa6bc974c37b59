/**
 * Fuzz targets of @colink/transport-wifi-p2p: wpa_supplicant event and reply parsing, and the colink advert in
 * P2P vendor elements. Run by `test/decoders.property.test.ts`, replayed from `test/corpus/` by
 * `test/corpus.test.ts`, fuzzed by `pnpm fuzz`.
 * @module
 */
import { type DeviceAdvert, parseAdvert } from '@colink/core';
import fc from 'fast-check';
import { defineTarget, ensure, type FuzzTarget, hostileString, typed } from '../../../scripts/fuzz/kit.js';
import { parsePeerReply } from '../src/p2p-peer.js';
import { parseListNetworks } from '../src/p2p-service.js';
import { printfEncode } from '../src/testing/fake-wpa-supplicant.js';
import {
  COLINK_VENDOR_OUI,
  COLINK_VENDOR_TYPE,
  decodeVendorAdvert,
  encodeVendorAdvert,
} from '../src/vendor-advert.js';
import { parseWpaEvent, tokenize } from '../src/wpa-events.js';

const never = () => false;

const EVENT_NAMES = [
  'P2P-DEVICE-FOUND',
  'P2P-DEVICE-LOST',
  'P2P-FIND-STOPPED',
  'P2P-GO-NEG-REQUEST',
  'P2P-GO-NEG-SUCCESS',
  'P2P-GO-NEG-FAILURE',
  'P2P-GROUP-FORMATION-SUCCESS',
  'P2P-GROUP-FORMATION-FAILURE',
  'P2P-GROUP-STARTED',
  'P2P-GROUP-REMOVED',
  'AP-STA-CONNECTED',
  'AP-STA-DISCONNECTED',
  'P2P-INVITATION-RECEIVED',
  'P2P-INVITATION-RESULT',
  'P2P-PROV-DISC-PBC-REQ',
  'P2P-PROV-DISC-PBC-RESP',
  'CTRL-EVENT-NETWORK-ADDED',
  'CTRL-EVENT-NETWORK-REMOVED',
  'CTRL-EVENT-TERMINATING',
  'CTRL-EVENT-SCAN-STARTED',
];
const KEYS = [
  'p2p_dev_addr',
  'pri_dev_type',
  'name',
  'config_methods',
  'dev_capab',
  'group_capab',
  'new',
  'dev_passwd_id',
  'go_intent',
  'role',
  'freq',
  'ht40',
  'peer_dev',
  'peer_iface',
  'wps_method',
  'status',
  'ssid',
  'go_dev_addr',
  'psk',
  'passphrase',
  'ip_addr',
  'ip_mask',
  'go_ip_addr',
  'reason',
  'sa',
  'bssid',
  'persistent',
  '__proto__',
  'constructor',
];

const argArb = fc.oneof(
  fc.constantFrom('02:00:00:00:01:00', 'p2p-wlan0-0', 'GO', 'client', '[PERSISTENT]', '0x1188', '2437', ''),
  fc
    .tuple(fc.constantFrom(...KEYS), fc.oneof(hostileString(20), fc.constantFrom('0x25', '1', 'GO', '2412')))
    .map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom(...KEYS), hostileString(30)).map(([k, v]) => `${k}="${v}"`),
  fc.tuple(fc.constantFrom(...KEYS), hostileString(30)).map(([k, v]) => `${k}='${v}'`),
  hostileString(10),
);

const datagramArb = fc.oneof(
  fc
    .record({
      level: fc.oneof(
        fc.integer({ min: 0, max: 5 }).map(String),
        fc.constantFrom('99999999999999999999', ''),
      ),
      ifname: fc.option(fc.constantFrom('p2p-dev-wlan0', 'wlan0', ''), { nil: undefined }),
      name: fc.oneof(fc.constantFrom(...EVENT_NAMES), hostileString(12)),
      args: fc.array(argArb, { maxLength: 8 }),
      newline: fc.boolean(),
    })
    .map(
      (d) =>
        `<${d.level}>${d.ifname === undefined ? '' : `IFNAME=${d.ifname} `}${d.name}${d.args.map((a) => ` ${a}`).join('')}${d.newline ? '\n' : ''}`,
    ),
  hostileString(120),
  fc.constantFrom('OK\n', 'FAIL\n', 'PONG\n', 'UNKNOWN COMMAND\n', '<3>', '<3> ', '<3>IFNAME= X'),
);

const wpaEvent = defineTarget({
  name: 'wifi-p2p.wpa-event',
  description:
    'parseWpaEvent of any datagram text: undefined for replies, else an event with its level and typed fields; never a throw',
  arbitrary: datagramArb,
  check(datagram) {
    const r = typed(() => parseWpaEvent(datagram), never);
    const e = r.ok ? r.value : undefined;
    const isEvent = /^<\d+>/.test(datagram);
    ensure(isEvent === (e !== undefined), 'event / reply mix-up');
    if (!e) return;
    ensure(typeof e.level === 'number' && e.level >= 0, 'level');
    ensure(typeof e.type === 'string' && typeof e.raw === 'string', 'type/raw');
    for (const [k, v] of Object.entries(e)) {
      ensure(
        typeof v === 'string' ||
          typeof v === 'number' ||
          typeof v === 'boolean' ||
          (k === 'args' && typeof v === 'object'),
        `field ${k} is a ${typeof v}`,
      );
    }
  },
});

const macArb = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));
/** A WPA passphrase as hostap stores it: 8..63 printable ASCII characters (quotes and backslashes included). */
const passphraseArb = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 8, maxLength: 63 })
  .map((cs) => String.fromCharCode(...cs));
/** A WPS device name after p2p_parse.c: ≤ 32 bytes, control characters replaced (so none), any other text. */
const deviceNameArb = fc
  .array(
    fc.oneof(
      fc.constantFrom("'", ' ', '"', '\\', '=', "' config_methods=0x1", "' new=1", ' p2p_dev_addr='),
      fc.string({ maxLength: 4, unit: 'grapheme' }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => [...parts.join('')].map((c) => (c.charCodeAt(0) < 0x20 || c === '\x7f' ? '_' : c)).join(''))
  .filter((s) => Buffer.byteLength(s) <= 32);

const eventFields = defineTarget({
  name: 'wifi-p2p.event-fields-roundtrip',
  description:
    'P2P-GROUP-STARTED, P2P-DEVICE-FOUND and P2P-PROV-DISC-PBC-REQ written as hostap 2.10 prints them (SSID printf-encoded, passphrase and device name unescaped) parse back to every field exactly',
  arbitrary: fc.record({
    group: fc.record({
      ifname: fc.constantFrom('p2p-wlan0-0', 'p2p-p2p-dev-wlan0-12'),
      go: fc.boolean(),
      ssid: fc.uint8Array({ maxLength: 32 }),
      freq: fc.integer({ min: 2412, max: 5885 }),
      secret: fc.oneof(
        passphraseArb.map((passphrase) => ({ passphrase })),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ({ psk: Buffer.from(b).toString('hex') })),
      ),
      goDevAddr: macArb,
      persistent: fc.boolean(),
      ip: fc.option(fc.constantFrom(['192.168.49.7', '255.255.255.0', '192.168.49.1']), { nil: undefined }),
    }),
    peer: fc.record({
      address: macArb,
      p2pDevAddr: macArb,
      priDevType: fc
        .tuple(fc.nat(65535), fc.nat(0xffffffff), fc.nat(65535))
        .map(([c, o, s]) => `${c}-${o.toString(16).toUpperCase().padStart(8, '0')}-${s}`),
      name: deviceNameArb,
      configMethods: fc.nat(0xffff),
      devCapab: fc.nat(0xff),
      groupCapab: fc.nat(0xff),
      wfd: fc.boolean(),
      vendorElems: fc.boolean(),
      isNew: fc.boolean(),
    }),
  }),
  check({ group: g, peer: p }) {
    // wpas_p2p_group_started (p2p_supplicant.c)
    const started = `<3>P2P-GROUP-STARTED ${g.ifname} ${g.go ? 'GO' : 'client'} ssid="${printfEncode(g.ssid)}" freq=${g.freq}${'psk' in g.secret ? ` psk=${g.secret.psk}` : ''}${'passphrase' in g.secret ? ` passphrase="${g.secret.passphrase}"` : ''} go_dev_addr=${g.goDevAddr}${g.persistent ? ' [PERSISTENT]' : ''}${g.ip ? ` ip_addr=${g.ip[0]} ip_mask=${g.ip[1]} go_ip_addr=${g.ip[2]}` : ''}`;
    const e = typed(() => parseWpaEvent(started), never);
    const ev = e.ok ? e.value : undefined;
    ensure(ev?.type === 'P2P-GROUP-STARTED', 'not a P2P-GROUP-STARTED');
    const want = {
      groupIfname: g.ifname,
      role: g.go ? 'GO' : 'client',
      ssid: new TextDecoder().decode(g.ssid),
      freq: g.freq,
      psk: 'psk' in g.secret ? g.secret.psk : undefined,
      passphrase: 'passphrase' in g.secret ? g.secret.passphrase : undefined,
      goDevAddr: g.goDevAddr,
      persistent: g.persistent,
      ipAddr: g.ip?.[0],
      ipMask: g.ip?.[1],
      goIpAddr: g.ip?.[2],
    };
    for (const [k, v] of Object.entries(want))
      ensure(
        (ev as unknown as Record<string, unknown>)[k] === v,
        () =>
          `group ${k}: ${JSON.stringify((ev as unknown as Record<string, unknown>)[k])} != ${JSON.stringify(v)}`,
      );
    // wpas_dev_found (p2p_supplicant.c)
    const found = `<3>P2P-DEVICE-FOUND ${p.address} p2p_dev_addr=${p.p2pDevAddr} pri_dev_type=${p.priDevType} name='${p.name}' config_methods=0x${p.configMethods.toString(16)} dev_capab=0x${p.devCapab.toString(16)} group_capab=0x${p.groupCapab.toString(16)}${p.wfd ? ' wfd_dev_info=0x000600101c440032' : ''}${p.vendorElems ? ' vendor_elems=1' : ''} new=${p.isNew ? 1 : 0}`;
    const f = typed(() => parseWpaEvent(found), never);
    const fv = f.ok ? f.value : undefined;
    ensure(fv?.type === 'P2P-DEVICE-FOUND', 'not a P2P-DEVICE-FOUND');
    const wantPeer = {
      address: p.address,
      p2pDevAddr: p.p2pDevAddr,
      priDevType: p.priDevType,
      name: p.name,
      configMethods: p.configMethods,
      devCapab: p.devCapab,
      groupCapab: p.groupCapab,
      isNew: p.isNew,
    };
    for (const [k, v] of Object.entries(wantPeer))
      ensure(
        (fv as unknown as Record<string, unknown>)[k] === v,
        () =>
          `peer ${k}: ${JSON.stringify((fv as unknown as Record<string, unknown>)[k])} != ${JSON.stringify(v)}`,
      );
    // wpas_prov_disc_req: the GO's view of a device that wants to join by push button
    const pbc = `<3>P2P-PROV-DISC-PBC-REQ ${p.address} p2p_dev_addr=${p.p2pDevAddr} pri_dev_type=${p.priDevType} name='${p.name}' config_methods=0x${p.configMethods.toString(16)} dev_capab=0x${p.devCapab.toString(16)} group_capab=0x${p.groupCapab.toString(16)}`;
    const q = typed(() => parseWpaEvent(pbc), never);
    const qv = q.ok ? q.value : undefined;
    ensure(qv?.type === 'P2P-PROV-DISC-PBC-REQ', 'not a P2P-PROV-DISC-PBC-REQ');
    ensure(
      qv.address === p.address && qv.p2pDevAddr === p.p2pDevAddr,
      () => `prov-disc ${qv.address} ${qv.p2pDevAddr} != ${p.address} ${p.p2pDevAddr}`,
    );
  },
});

const plainWord = fc.stringMatching(/^[A-Za-z0-9:._[\]-]{1,12}$/);

const tokenizeRoundTrip = defineTarget({
  name: 'wifi-p2p.tokenize-roundtrip',
  description:
    'tokenize gives back words, key=value, and "…" values written with hostap printf_encode (any bytes of UTF-8 text)',
  arbitrary: fc.record({
    words: fc.array(plainWord, { maxLength: 3 }),
    plain: fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), plainWord, { maxKeys: 3 }),
    quoted: fc.dictionary(
      fc.stringMatching(/^[a-z_]{1,8}$/),
      fc.string({ maxLength: 32, unit: 'grapheme' }),
      {
        maxKeys: 3,
      },
    ),
  }),
  check({ words, plain, quoted }) {
    const keysOverlap = Object.keys(plain).some((k) => k in quoted);
    if (keysOverlap) return;
    const text = [
      ...words,
      ...Object.entries(plain).map(([k, v]) => `${k}=${v}`),
      ...Object.entries(quoted).map(([k, v]) => `${k}="${printfEncode(Buffer.from(v, 'utf8'))}"`),
    ].join(' ');
    const t = tokenize(text);
    ensure(JSON.stringify(t.words) === JSON.stringify(words), () => `words ${JSON.stringify(t.words)}`);
    for (const [k, v] of Object.entries(plain)) ensure(t.args[k] === v, `plain ${k}`);
    for (const [k, v] of Object.entries(quoted))
      ensure(t.args[k] === v, () => `quoted ${k}: ${JSON.stringify(t.args[k])} != ${JSON.stringify(v)}`);
  },
});

const peerReply = defineTarget({
  name: 'wifi-p2p.peer-reply',
  description:
    'parsePeerReply of any P2P_PEER reply: undefined or a peer with a MAC and numeric capabilities',
  arbitrary: fc.oneof(
    hostileString(200),
    fc
      .tuple(
        fc.constantFrom('02:00:00:00:01:00', 'AA:BB:CC:DD:EE:FF', 'FAIL', ''),
        fc.array(
          fc
            .tuple(
              fc.oneof(fc.constantFrom(...KEYS, 'device_name', 'vendor_elems'), fc.string({ maxLength: 6 })),
              hostileString(30),
            )
            .map(([k, v]) => `${k}=${v}`),
          { maxLength: 10 },
        ),
      )
      .map(([addr, lines]) => [addr, ...lines].join('\n')),
  ),
  check(reply) {
    const r = typed(() => parsePeerReply(reply), never);
    const p = r.ok ? r.value : undefined;
    if (!p) return;
    ensure(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(p.deviceAddress), 'address');
    for (const n of [p.configMethods, p.deviceCapabilities, p.groupCapabilities])
      ensure(Number.isInteger(n) && n >= 0, `capability ${n}`);
  },
});

const FLAGS = ['[CURRENT]', '[DISABLED]', '[TEMP-DISABLED]', '[P2P-PERSISTENT]'];

const listNetworks = defineTarget({
  name: 'wifi-p2p.list-networks',
  description:
    'parseListNetworks of a LIST_NETWORKS reply as hostap 2.10 writes it (SSID printf-encoded, any bytes) gives exactly the [P2P-PERSISTENT] rows by their flags column, SSIDs decoded; of any text: rows with a decimal id, never a throw',
  arbitrary: fc.oneof(
    fc
      .array(
        fc.record({
          id: fc.nat(100_000),
          ssid: fc.oneof(
            fc.uint8Array({ maxLength: 32 }),
            fc
              .array(fc.constantFrom('[P2P-PERSISTENT]', '\t', 'DIRECT-ab', ' ', 'é', '\\'), { maxLength: 3 })
              .map((p) => Buffer.from(p.join('')).subarray(0, 32)),
          ),
          bssid: fc.constantFrom('any', '02:00:00:00:01:00'),
          flags: fc.subarray(FLAGS),
        }),
        { maxLength: 6 },
      )
      .map((rows) => ({ rows, text: undefined as string | undefined })),
    fc
      .array(
        fc.oneof(fc.constantFrom('\t', '\n', '[P2P-PERSISTENT]', '0', '-1', 'x', '1e3'), hostileString(12)),
        {
          maxLength: 16,
        },
      )
      .map((parts) => ({ rows: undefined, text: `network id / ssid / bssid / flags\n${parts.join('')}` })),
  ),
  check({ rows, text }) {
    const reply =
      text ??
      `network id / ssid / bssid / flags\n${(rows ?? []).map((r) => `${r.id}\t${printfEncode(r.ssid)}\t${r.bssid}\t${r.flags.join('')}\n`).join('')}`;
    const r = typed(() => parseListNetworks(reply), never);
    const got = r.ok ? r.value : [];
    for (const g of got) {
      ensure(Number.isInteger(g.networkId) && g.networkId >= 0, () => `networkId ${g.networkId}`);
      ensure(typeof g.ssid === 'string' && typeof g.bssid === 'string', 'ssid/bssid');
    }
    if (!rows) return;
    const want = rows
      .filter((x) => x.flags.includes('[P2P-PERSISTENT]'))
      .map((x) => ({ networkId: x.id, ssid: new TextDecoder().decode(x.ssid), bssid: x.bssid }));
    ensure(
      JSON.stringify(got) === JSON.stringify(want),
      () => `${JSON.stringify(got)} != ${JSON.stringify(want)}`,
    );
  },
});

const element = (body: Uint8Array): Buffer => Buffer.concat([Buffer.of(0xdd, body.length), body]);
const colinkPrefix = Buffer.from(COLINK_VENDOR_OUI + COLINK_VENDOR_TYPE, 'hex');

const vendorAdvert = defineTarget({
  name: 'wifi-p2p.vendor-advert',
  description:
    'decodeVendorAdvert of any vendor elements (hex): undefined or an advert within every limit; encode → decode round trip',
  arbitrary: fc.record({
    hex: fc.oneof(
      hostileString(40),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('hex')),
      fc
        .array(
          fc.oneof(
            fc.uint8Array({ maxLength: 40 }).map(element),
            fc
              .oneof(
                fc.json({ maxDepth: 2 }),
                fc.constant(`{"n":"${'ab'.repeat(32)}","d":"x","t":"pc"}`),
                fc.constant('null'),
              )
              .map((j) => element(Buffer.concat([colinkPrefix, Buffer.from(j).subarray(0, 251)]))),
          ),
          { maxLength: 4 },
        )
        .map((es) => Buffer.concat(es).toString('hex')),
    ),
    advert: fc.record(
      {
        networkId: fc.stringMatching(/^[0-9a-f]{64}$/),
        deviceName: fc.string({ maxLength: 40, unit: 'grapheme' }),
        deviceType: fc.constantFrom('phone', 'pc'),
        bleMac: fc.constant('AA:BB:CC:DD:EE:FF'),
        services: fc.array(fc.string({ minLength: 1, maxLength: 30 }), { maxLength: 12 }),
      },
      { requiredKeys: ['networkId', 'deviceName', 'deviceType'] },
    ),
  }),
  check({ hex, advert }) {
    const r = typed(() => decodeVendorAdvert(hex), never);
    const a = r.ok ? r.value : undefined;
    if (a)
      ensure(JSON.stringify(parseAdvert(a, 'again')) === JSON.stringify(a), 'decoded advert is not valid');
    const enc = typed(
      () => encodeVendorAdvert(advert as DeviceAdvert),
      (e) => e instanceof RangeError,
    );
    if (!enc.ok) return;
    const back = decodeVendorAdvert(enc.value);
    const want = parseAdvert(
      { ...advert, ...(advert.services?.length ? {} : { services: undefined }) },
      'want',
    );
    ensure(
      JSON.stringify(back) === JSON.stringify(want),
      () => `${JSON.stringify(back)} != ${JSON.stringify(want)}`,
    );
  },
});

/** Targets of @colink/transport-wifi-p2p. */
export const targets: readonly FuzzTarget[] = [
  wpaEvent,
  tokenizeRoundTrip,
  eventFields,
  peerReply,
  listNetworks,
  vendorAdvert,
];
