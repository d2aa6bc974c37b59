/**
 * Fuzz targets of @colink/transport-ble: colink's GATT PDUs, the advertising data, and the virtual controller's H4
 * framer and HCI command/ACL parser. Run by `test/decoders.property.test.ts`, replayed from `test/corpus/` by
 * `test/corpus.test.ts`, fuzzed by `pnpm fuzz`.
 * @module
 */
import { ColinkError, ErrorCode } from '@colink/core';
import fc from 'fast-check';
import { bytes, chunked, defineTarget, ensure, type FuzzTarget, typed } from '../../../scripts/fuzz/kit.js';
import {
  advertisingData,
  announcingFrom,
  COLINK_COMPANY_ID,
  scanResponseData,
} from '../src/advertising-data.js';
import type { BleConduit } from '../src/ble-conduit.js';
import { MAX_WINDOW_PDUS, PDU_HEADER, PROTOCOL_VERSION } from '../src/constants.js';
import { decodePdu, encodeAck, encodeClose, encodeData, encodeHello, PDU } from '../src/frames.js';
import { GattLink } from '../src/gatt-link.js';
import { H4Framer } from '../src/virtual/h4-framer.js';
import { EVT, H4, OP } from '../src/virtual/hci.js';
import { VirtualRadio } from '../src/virtual/radio.js';

const protocolError = (e: unknown) => e instanceof ColinkError && e.code === ErrorCode.PROTOCOL;

const pduArb = fc.oneof(
  bytes(40),
  fc
    .tuple(
      fc.constantFrom(...Object.values(PDU)),
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([type, id, rest]) => Buffer.concat([Buffer.of(type, id & 0xff, id >> 8), rest])),
);

const pdu = defineTarget({
  name: 'ble.pdu',
  description: 'decodePdu of any GATT value: a PDU that re-encodes to its bytes, or ERR_PROTOCOL',
  arbitrary: pduArb,
  check(b) {
    const r = typed(() => decodePdu(b), protocolError);
    if (!r.ok) return;
    const p = r.value;
    ensure(p.id >= 0 && p.id <= 0xffff, 'conduit id out of range');
    let again: Buffer;
    switch (p.type) {
      case 'hello':
        ensure(p.window >= 1 && p.window <= MAX_WINDOW_PDUS, `window ${p.window}`);
        if (p.version !== PROTOCOL_VERSION) return;
        again = encodeHello(p.id, p.window);
        break;
      case 'data':
        ensure(p.payload.length >= 1, 'empty DATA accepted');
        again = encodeData(p.id, p.payload, 0, p.payload.length);
        break;
      case 'ack':
        again = encodeAck(p.id, p.count);
        break;
      case 'close':
        again = encodeClose(p.id, p.code);
        break;
    }
    ensure(again.equals(b.subarray(0, again.length)), `${p.type} does not re-encode to its bytes`);
    if (p.type === 'data') ensure(again.length === b.length && b.length > PDU_HEADER, 'DATA length');
  },
});

/** Splits advertising data into its AD structures (Core 5.4 Vol 3 Part C §11): [type, data] pairs. */
function adStructures(b: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (let i = 0; i < b.length; ) {
    const len = b[i]!;
    if (len === 0 || i + 1 + len > b.length) throw new Error(`bad AD structure at ${i}`);
    out.push([b[i + 1]!, b.subarray(i + 2, i + 1 + len)]);
    i += 1 + len;
  }
  return out;
}

const advertising = defineTarget({
  name: 'ble.advertising-data',
  description:
    'announcingFrom of any manufacturer data: a boolean for colink data, else undefined; our own advertising data is well-formed and ≤ 31 bytes',
  arbitrary: fc.record({
    manufacturer: fc.option(
      fc.oneof(
        bytes(8),
        fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.concat([Buffer.of(0xff, 0xff), b])),
      ),
      { nil: undefined },
    ),
    uuid: fc.stringMatching(/^[0-9a-f]{32}$/),
    announcing: fc.boolean(),
    name: fc.string({ maxLength: 29, unit: 'grapheme-ascii' }),
  }),
  check({ manufacturer, uuid, announcing, name }) {
    const r = typed(
      () => announcingFrom(manufacturer),
      () => false,
    );
    const got = r.ok ? r.value : undefined;
    const colink =
      manufacturer !== undefined &&
      manufacturer.length >= 3 &&
      (manufacturer[0]! | (manufacturer[1]! << 8)) === COLINK_COMPANY_ID;
    ensure(colink ? got === ((manufacturer[2]! & 1) === 1) : got === undefined, `announcingFrom gave ${got}`);
    const ad = advertisingData(uuid, announcing);
    ensure(ad.length <= 31, `advertising data of ${ad.length} bytes > 31`);
    const structures = adStructures(ad);
    const m = structures.find(([t]) => t === 0xff)?.[1];
    ensure(announcingFrom(m) === announcing, 'announcing bit does not round-trip');
    const uuidField = structures.find(([t]) => t === 0x07)?.[1];
    ensure(
      uuidField !== undefined && Buffer.from(uuidField).reverse().toString('hex') === uuid,
      'service UUID',
    );
    const sr = scanResponseData(name);
    ensure(sr.length <= 31, 'scan response > 31 bytes');
    if (name.length > 0)
      ensure(adStructures(sr)[0]![1].toString('utf8') === name, 'name does not round-trip');
  },
});

/** Any H4 stream: well-formed commands / ACL / events, some with wrong lengths, and garbage indicators. */
const h4Packet = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.constantFrom(...Object.values(OP)), fc.integer({ min: 0, max: 0xffff })),
        fc.uint8Array({ maxLength: 40 }),
      )
      .map(([op, p]) => Buffer.concat([Buffer.of(H4.COMMAND, op & 0xff, op >> 8, p.length), p])),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 60 }))
      .map(([hf, p]) =>
        Buffer.concat([Buffer.of(H4.ACL, hf & 0xff, hf >> 8, p.length & 0xff, p.length >> 8), p]),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 20 }))
      .map(([code, p]) => Buffer.concat([Buffer.of(H4.EVENT, code, p.length), p])),
  },
  { weight: 1, arbitrary: bytes(12) },
);

const h4Framer = defineTarget({
  name: 'ble.h4-framer',
  description:
    'H4Framer over any byte stream in any chunking: whole packets whose length fields match, or ERR_PROTOCOL; holds less than one packet',
  arbitrary: chunked(fc.array(h4Packet, { maxLength: 6 }).map((ps) => Buffer.concat(ps))),
  check(chunks) {
    const framer = new H4Framer();
    for (const c of chunks) {
      const r = typed(() => framer.push(c), protocolError);
      if (!r.ok) return;
      for (const p of r.value) {
        const size = p[0] === H4.COMMAND ? 4 + p[3]! : p[0] === H4.ACL ? 5 + p.readUInt16LE(3) : 3 + p[2]!;
        ensure(p.length === size, `packet of ${p.length} bytes, its header says ${size}`);
      }
    }
  },
});

/** Checks an event packet the controller sends to its host: H4 event with a matching length. */
function checkEvent(p: Buffer): void {
  ensure(p[0] === H4.EVENT || p[0] === H4.ACL, `indicator ${p[0]}`);
  if (p[0] === H4.EVENT) ensure(p.length === 3 + p[2]!, 'event length byte differs from its parameters');
  if (p[0] === H4.EVENT && p[1] === EVT.COMMAND_COMPLETE) ensure(p.length >= 7, 'short Command Complete');
}

const hciController = defineTarget({
  name: 'ble.hci-controller',
  description:
    'the virtual controller fed any H4 packets from its host (commands with short or long parameters, ACL, garbage): no throw, well-formed events',
  arbitrary: fc.array(h4Packet, { minLength: 1, maxLength: 12 }),
  async: true,
  async check(packets) {
    const radio = new VirtualRadio({ model: { pacing: 'instant' } });
    try {
      const a = radio.createController({ address: 'AA:00:00:00:00:01' });
      const b = radio.createController({ address: 'AA:00:00:00:00:02' });
      const toA: Buffer[] = [];
      a.attach((p) => toA.push(p));
      b.attach(() => {});
      // b advertises connectably, so a's LE Create Connection can succeed and link commands find a handle.
      const cmd = (op: number, p: number[]) => Buffer.of(H4.COMMAND, op & 0xff, op >> 8, p.length, ...p);
      b.receive(cmd(OP.LE_SET_ADV_PARAMS, [0xa0, 0, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0]));
      b.receive(cmd(OP.LE_SET_ADV_ENABLE, [1]));
      const framer = new H4Framer();
      for (const packet of packets) {
        const r = typed(() => framer.push(packet), protocolError);
        if (!r.ok) break;
        for (const p of r.value) {
          if (p[0] === H4.EVENT) continue; // the host never sends events; the UART shim drops them
          typed(
            () => a.receive(p),
            () => false,
          );
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const p of toA) checkEvent(p);
    } finally {
      radio.close();
    }
  },
});

/** A PDU from the peer (a central) to a conduit id in 1..3: mostly well-formed, some malformed. */
const peerPdu = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1, max: 3 }),
        fc.oneof(fc.constant(PROTOCOL_VERSION), fc.integer({ min: 0, max: 255 })),
        fc.integer({ min: 0, max: 70_000 }),
      )
      .map(([id, v, w]) => Buffer.of(PDU.HELLO, id, 0, v, w & 0xff, (w >> 8) & 0xff)),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 20 }))
      .map(([id, p]) => encodeData(id, p, 0, p.length)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 0xffff }))
      .map(([id, n]) => encodeAck(id, n)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 255 }))
      .map(([id, c]) => encodeClose(id, c)),
  },
  { weight: 1, arbitrary: bytes(8) },
);

const gattLink = defineTarget({
  name: 'ble.gatt-link',
  description:
    "a peripheral's GattLink fed any PDU sequence from a central: no throw, only valid PDUs sent, no conduit holds more unacknowledged DATA than its window",
  arbitrary: fc.record({
    pdus: fc.array(peerPdu, { minLength: 1, maxLength: 40 }),
    window: fc.integer({ min: 1, max: 4 }),
    readers: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  }),
  async: true,
  async check({ pdus, window, readers }) {
    const sent: Buffer[] = [];
    let disconnected = false;
    const conduits = new Map<number, BleConduit>();
    const link = new GattLink(
      {
        valueSize: 244,
        send: (v) => sent.push(Buffer.from(v)),
        disconnect: () => {
          disconnected = true;
        },
      },
      {
        localAddress: 'AA:00:00:00:00:02',
        remoteAddress: 'AA:00:00:00:00:01',
        window,
        onIncoming: (c) => {
          conduits.set(c.id, c);
          if (readers[c.id - 1]) c.data$.subscribe(() => {});
        },
      },
    );
    // DATA PDUs each conduit took since our last ACK for it (a conduit id can be reused after CLOSE).
    const unacked = new Map<BleConduit, number>();
    let seen = 0;
    const acks = (): void => {
      for (; seen < sent.length; seen++) {
        const p = typed(
          () => decodePdu(sent[seen]!),
          () => false,
        );
        const c = p.ok && p.value.type === 'ack' ? conduits.get(p.value.id) : undefined;
        if (c && p.ok && p.value.type === 'ack')
          unacked.set(c, Math.max(0, (unacked.get(c) ?? 0) - p.value.count));
      }
    };
    for (const value of pdus) {
      typed(
        () => link.handleValue(value),
        () => false,
      );
      acks();
      const p = typed(
        () => decodePdu(value),
        () => true,
      );
      if (!p.ok || p.value.type !== 'data') continue;
      const c = conduits.get(p.value.id);
      if (!c || c.isClosed || disconnected) continue;
      unacked.set(c, (unacked.get(c) ?? 0) + 1);
      await new Promise((r) => setImmediate(r)); // ACKs go out on a later tick
      acks();
      ensure(
        (unacked.get(c) ?? 0) <= window || c.isClosed || disconnected,
        () => `conduit ${c.id} holds ${unacked.get(c)} unacknowledged DATA PDUs, window ${window}`,
      );
    }
    link.linkClosed(0x13);
    for (const c of conduits.values()) ensure(c.isClosed, `conduit ${c.id} still open after the link closed`);
  },
});

/** Targets of @colink/transport-ble. */
export const targets: readonly FuzzTarget[] = [pdu, advertising, gattLink, h4Framer, hciController];
