import { describe, expect, it } from 'vitest';
import {
  closeReasonFromHci,
  decodePdu,
  encodeAck,
  encodeClose,
  encodeData,
  encodeHello,
  isMac,
  normalizeMac,
  serviceUuids,
} from '../src/index.js';
import { goodputCeilingBps, H4Framer, pduAirtimeUs } from '../src/virtual/index.js';

describe('units', () => {
  it('maps HCI disconnect reasons to core close reasons', () => {
    expect(closeReasonFromHci(0x13)).toMatchObject({
      code: 'normal',
      remote: true,
      detail: { hciReason: 0x13 },
    });
    expect(closeReasonFromHci(0x16)).toMatchObject({ code: 'normal', detail: { hciReason: 0x16 } });
    expect(closeReasonFromHci(0x16).remote).toBeUndefined();
    expect(closeReasonFromHci(0x08)).toMatchObject({ code: 'timeout', detail: { hciReason: 0x08 } });
    expect(closeReasonFromHci(0x3e)).toMatchObject({ code: 'lost', detail: { hciReason: 0x3e } });
  });

  it('normalizes MACs the HarmonyOS way and rejects others', () => {
    expect(normalizeMac('aa:bb:cc:dd:ee:0f')).toBe('AA:BB:CC:DD:EE:0F');
    expect(normalizeMac('aabbccddee0f')).toBe('AA:BB:CC:DD:EE:0F');
    expect(normalizeMac('AA-BB-CC-DD-EE-0F')).toBe('AA:BB:CC:DD:EE:0F');
    expect(isMac('AA:BB:CC:DD:EE')).toBe(false);
    expect(() => normalizeMac('zz:bb:cc:dd:ee:ff')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('derives stable, distinct version-8 UUIDs per server name', () => {
    const a = serviceUuids('colink');
    expect(serviceUuids('colink')).toEqual(a);
    expect(serviceUuids('chat').service).not.toBe(a.service);
    expect(a.service).toMatch(/^[0-9a-f]{12}8[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(new Set([a.service, a.rx, a.tx, a.info]).size).toBe(4);
    expect(() => serviceUuids('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('encodes and decodes PDUs, rejecting malformed ones with ERR_PROTOCOL', () => {
    expect(decodePdu(encodeHello(7, 64))).toEqual({ type: 'hello', id: 7, version: 1, window: 64 });
    expect(decodePdu(encodeAck(0xfffe, 300))).toEqual({ type: 'ack', id: 0xfffe, count: 300 });
    expect(decodePdu(encodeClose(2, 3))).toEqual({ type: 'close', id: 2, code: 3 });
    const d = decodePdu(encodeData(5, Buffer.from('xhello'), 1, 6));
    expect(d).toMatchObject({ type: 'data', id: 5 });
    expect(d.type === 'data' && Buffer.from(d.payload).toString()).toBe('hello');
    for (const bad of [
      [],
      [0x00, 1, 0, 1, 0, 0],
      [0x01, 1, 0],
      [0x02, 1, 0, 1],
      [0x03, 1, 0],
      [0x09, 1, 0, 1],
    ]) {
      expect(() => decodePdu(Buffer.from(bad))).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }));
    }
  });

  it('frames H4 packets in both directions across arbitrary splits', () => {
    const stream = Buffer.from(
      '01030c00' + '040e0401030c00' + '0240200500' + '0102030405' + '010620020102',
      'hex',
    );
    const f = new H4Framer();
    const out: string[] = [];
    for (const byte of stream) for (const p of f.push(Buffer.from([byte]))) out.push(p.toString('hex'));
    expect(out).toEqual(['01030c00', '040e0401030c00', '02402005000102030405', '010620020102']);
    expect(() => new H4Framer().push(Buffer.from([0x07]))).toThrow(
      expect.objectContaining({ code: 'ERR_PROTOCOL' }),
    );
  });

  it('models airtime and goodput ceilings like the physical references (~1.4 Mbit/s on 2M + DLE)', () => {
    expect(pduAirtimeUs('1M', 27)).toBe(296);
    expect(pduAirtimeUs('2M', 251)).toBe(1048);
    const ceiling2M = goodputCeilingBps('2M', 251, 400, 244);
    expect(ceiling2M).toBeGreaterThan(1.3e6);
    expect(ceiling2M).toBeLessThan(1.45e6);
    const ceiling1M = goodputCeilingBps('1M', 251, 400, 244);
    expect(ceiling1M).toBeGreaterThan(0.7e6);
    expect(ceiling1M).toBeLessThan(0.82e6);
  });
});
