import { describe, expect, it } from 'vitest';
import {
  advertsEqual,
  assertValidAdvert,
  isMac,
  LocalDevice,
  MAX_DEVICE_NAME_BYTES,
  normalizeMac,
  parseAdvert,
} from '../src/index.js';

const ok = { networkId: 'ab'.repeat(32), deviceName: 'phone', deviceType: 'phone' };

describe('device adverts from the wire', () => {
  it('returns a clean copy: known fields only, the BLE MAC normalized', () => {
    const a = parseAdvert(
      { ...ok, bleMac: 'aa-bb-cc-dd-ee-0f', services: ['collabTest'], extra: 'x' },
      'test',
    );
    expect(a).toEqual({ ...ok, bleMac: 'AA:BB:CC:DD:EE:0F', services: ['collabTest'] });
  });

  it.each([
    ['not an object', 'hello', /not an object/],
    ['an upper-case networkId', { ...ok, networkId: 'AB'.repeat(32) }, /networkId/],
    ['a short networkId', { ...ok, networkId: 'ab' }, /networkId/],
    ['a name over the limit', { ...ok, deviceName: 'é'.repeat(MAX_DEVICE_NAME_BYTES / 2 + 1) }, /deviceName/],
    ['a missing type', { networkId: ok.networkId, deviceName: 'x' }, /deviceType/],
    ['a bad BLE MAC', { ...ok, bleMac: '00:11:22:33:44' }, /bleMac/],
    ['services that are not names', { ...ok, services: ['a', 7] }, /service name/],
    ['too many services', { ...ok, services: Array.from({ length: 65 }, (_, i) => `s${i}`) }, /services/],
  ])('rejects %s with ERR_PROTOCOL naming the source', (_what, value, problem) => {
    expect(() => parseAdvert(value, 'HELLO')).toThrow(
      expect.objectContaining({ code: 'ERR_PROTOCOL', message: expect.stringMatching(problem) }),
    );
    expect(() => parseAdvert(value, 'HELLO')).toThrow(/in HELLO/);
  });

  it('checks the local advert before a device announces it (ERR_INVALID_ARGUMENT)', () => {
    expect(() => assertValidAdvert({ ...ok, networkId: 'nope' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => new LocalDevice({ advert: { ...ok, deviceName: 'x'.repeat(200) }, transports: [] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('compares adverts field by field', () => {
    expect(advertsEqual({ ...ok, services: ['a'] }, { ...ok, services: ['a'] })).toBe(true);
    expect(advertsEqual({ ...ok, services: ['a'] }, { ...ok, services: ['b'] })).toBe(false);
    expect(advertsEqual(ok, { ...ok, deviceName: 'tablet' })).toBe(false);
  });

  it('normalizes MACs in any notation and refuses the rest', () => {
    expect(normalizeMac('0011223344aa')).toBe('00:11:22:33:44:AA');
    expect(isMac('00:11:22:33:44')).toBe(false);
    expect(() => normalizeMac('zz:11:22:33:44:55')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
