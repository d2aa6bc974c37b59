import { describe, expect, it } from 'vitest';
import { assertValidAdvert, MAX_ADVERT_JSON_BYTES } from '../src/advert.js';
import { encodeJson } from '../src/codec.js';
import { LocalDevice } from '../src/device.js';
import { MAX_CONTROL_PAYLOAD } from '../src/limits.js';
import { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import type { DiscoveredPeer } from '../src/transport.js';
import { advert } from './helpers.js';

// Review of MAX_ADVERT_JSON_BYTES: a device's HELLO carries its advert object as given (LocalDevice keeps
// `options.advert`), so the bound must hold for that object, not only for the clean copy parseAdvert makes of it.

const services = Array.from({ length: 60 }, (_, i) => `${i}`.padStart(255, 's'));

describe('own advert vs the HELLO bound: review', () => {
  it('an advert with fields beyond the known ones (a spread DiscoveredPeer, app data) is measured as the HELLO sends it', async () => {
    // 60 services of 255 bytes fit (hello-bounds.test.ts); the same advert carrying a few KiB more in fields core
    // does not know was accepted at construction, and every Link of the device then failed its handshake.
    const seen: DiscoveredPeer = { ...advert('spread'), services, medium: 'tcp', address: '[fe80::1]:5000' };
    const big = { ...seen, note: 'x'.repeat(2_048) };
    const hello = encodeJson({ v: 2, advert: big, window: 4294967295, maxFrame: 65548 });
    expect(hello.length).toBeGreaterThan(MAX_CONTROL_PAYLOAD);
    expect(() => assertValidAdvert(big)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/JSON/) }),
    );
    expect(() => new LocalDevice({ advert: big, transports: [] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('whatever assertValidAdvert accepts opens a Link (the largest advert it takes, extra fields included)', async () => {
    const base = { ...advert('edge'), services, note: '' };
    const room = MAX_ADVERT_JSON_BYTES - Buffer.byteLength(JSON.stringify(base));
    expect(room).toBeGreaterThan(0);
    const edge = { ...base, note: 'é'.repeat(Math.floor(room / 2)) };
    expect(() => assertValidAdvert(edge)).not.toThrow();
    const [ca, cb] = createConduitPair();
    const a = new Link(ca, { role: 'initiator', local: edge });
    const b = new Link(cb, { role: 'responder', local: advert('b') });
    await Promise.all([a.opened, b.opened]);
    expect(b.remote?.services).toHaveLength(60);
    a.abort({ code: 'normal' });
  });
});
