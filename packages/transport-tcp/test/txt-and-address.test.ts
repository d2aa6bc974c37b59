import { describe, expect, it } from 'vitest';
import { advertToTxt, formatAddress, PROTOCOL_VERSION, parseAddress, txtToAdvert } from '../src/index.js';

describe('TXT record (RFC 6763 §6)', () => {
  const advert = {
    networkId: 'ab'.repeat(32),
    deviceName: 'Kitchen tablet',
    deviceType: 'tablet',
    bleMac: 'AA:BB:CC:DD:EE:FF',
    services: ['chat', 'files'],
  };

  it('round-trips every advert field', () => {
    const txt = advertToTxt(advert);
    expect(txt.map(String)).toContain('txtvers=1');
    expect(PROTOCOL_VERSION).toBe(2); // the highest wire protocol version (core's PROTOCOL_VERSION_MAX)
    expect(txt.map(String)).toContain('pv=2');
    expect(txtToAdvert(txt)).toEqual(advert);
  });

  it('splits long service lists over sv, sv2… within 255 bytes per string', () => {
    const services = Array.from({ length: 40 }, (_, i) => `service-number-${i}`);
    const txt = advertToTxt({ ...advert, services });
    for (const s of txt) expect(s.length).toBeLessThanOrEqual(255);
    expect(txt.some((s) => String(s).startsWith('sv2='))).toBe(true);
    expect(txtToAdvert(txt)?.services).toEqual(services);
  });

  it('rejects adverts that break DNS-SD limits with ERR_INVALID_ARGUMENT', () => {
    const bad = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => advertToTxt({ ...advert, deviceName: 'x'.repeat(129) })).toThrow(bad);
    // A 66-byte name (22 CJK characters) is fine: it travels whole in `dn=`; only the instance label is cut to 63.
    const cjk = '设'.repeat(22);
    expect(txtToAdvert(advertToTxt({ ...advert, deviceName: cjk }))?.deviceName).toBe(cjk);
    expect(() => advertToTxt({ ...advert, services: ['a,b'] })).toThrow(bad);
    expect(() =>
      advertToTxt({ ...advert, services: Array.from({ length: 200 }, (_, i) => `svc-${i}`) }),
    ).toThrow(bad);
  });

  it('ignores records without a networkId and keeps the first of repeated keys (§6.4)', () => {
    expect(txtToAdvert([Buffer.from('dn=x')])).toBeUndefined();
    const nid = `nid=${'ab'.repeat(32)}`;
    expect(
      txtToAdvert([Buffer.from(nid), Buffer.from('dn=first'), Buffer.from('dn=second')])?.deviceName,
    ).toBe('first');
  });

  it('refuses a colink record with invalid fields (ERR_PROTOCOL), which discovery then ignores', () => {
    expect(() => txtToAdvert([Buffer.from('nid=1'), Buffer.from('dn=x')])).toThrow(
      expect.objectContaining({ code: 'ERR_PROTOCOL', message: expect.stringMatching(/networkId/) }),
    );
    expect(() => txtToAdvert([Buffer.from(`nid=${'ab'.repeat(32)}`), Buffer.from('ble=nope')])).toThrow(
      /bleMac/,
    );
  });
});

describe('TCP addresses', () => {
  it('parses host:port, [v6]:port and zones; formats back, unmapping IPv4-mapped IPv6', () => {
    expect(parseAddress('10.0.0.2:4000')).toEqual({ host: '10.0.0.2', port: 4000 });
    expect(parseAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseAddress('[fe80::1%eth0]:9')).toEqual({ host: 'fe80::1%eth0', port: 9 });
    expect(parseAddress('desk.local:1')).toEqual({ host: 'desk.local', port: 1 });
    expect(formatAddress('::1', 80)).toBe('[::1]:80');
    expect(formatAddress('::ffff:10.0.0.2', 5)).toBe('10.0.0.2:5');
  });

  it('rejects malformed addresses with ERR_INVALID_ARGUMENT', () => {
    for (const bad of [
      '',
      'host',
      ':80',
      'host:',
      'host:0',
      'host:65536',
      'host:8a',
      '::1:80',
      '[zz]:1',
      '[::1]80',
    ]) {
      expect(() => parseAddress(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});
