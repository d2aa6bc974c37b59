import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { RECEIVE_SLAB_BYTES } from '../src/limits.js';
import type { Link } from '../src/link.js';
import { createConduitPair } from '../src/memory/conduit-pair.js';
import type { TrustEvent } from '../src/security/tls-security.js';
import { cleanup, securedLinks, security, tcpConduitPair } from './security-helpers.js';

afterEach(cleanup);

/** Resolves with both Links' close reasons once both failed to open; asserts no frame arrived on either. */
async function bothFail(a: Link, b: Link) {
  let frames = 0;
  a.frames$.subscribe(() => frames++);
  b.frames$.subscribe(() => frames++);
  const [ea, eb] = await Promise.all([
    a.opened.then(
      () => 'opened',
      (e) => e,
    ),
    b.opened.then(
      () => 'opened',
      (e) => e,
    ),
  ]);
  expect(ea).not.toBe('opened');
  expect(eb).not.toBe('opened');
  expect(frames).toBe(0); // not even HELLO crossed
  return [await a.closed, await b.closed] as const;
}

describe('TlsSecurity: same account', () => {
  it('opens a TLS 1.3 Link between same-account devices over memory and carries messages both ways', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'acct-1' }), security({ account: 'acct-1' })]);
    const events: TrustEvent[] = [];
    sb.trust$.subscribe((e) => events.push(e));
    const [a, b] = securedLinks(sa, sb);
    await Promise.all([a.opened, b.opened]);
    expect(a.security).toBe('tls1.3');
    expect(a.verifiedPeer?.networkId).toBe(sb.networkId);
    expect(b.verifiedPeer?.networkId).toBe(sa.networkId);
    expect(a.verifiedPeer?.detail).toMatchObject({
      trust: 'account',
      protocol: 'TLSv1.3',
      fingerprint: sb.identity.fingerprint,
    });
    expect(a.verifiedPeer?.detail?.cipher).toBe('TLS_AES_128_GCM_SHA256');
    expect(events).toEqual([
      { networkId: sa.networkId, fingerprint: sa.identity.fingerprint, trust: 'trusted', basis: 'account' },
    ]);
    const got = firstValueFrom(b.messages$.pipe(take(2), toArray()));
    await a.send(new TextEncoder().encode('hello'));
    await a.send(new Uint8Array(0));
    const msgs = await got;
    expect(new TextDecoder().decode(msgs[0])).toBe('hello');
    expect(msgs[1]!.length).toBe(0);
    const back = firstValueFrom(a.messages$);
    await b.send(Uint8Array.of(1, 2, 3));
    expect([...(await back)]).toEqual([1, 2, 3]);
  });

  it('moves 8 MiB byte-exact over real loopback TCP and closes gracefully with the reason', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'acct-1' }), security({ account: 'acct-1' })]);
    const [a, b] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await Promise.all([a.opened, b.opened]);
    const big = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const got = firstValueFrom(a.messages$);
    await b.send(big);
    expect(Buffer.compare(Buffer.from(await got), Buffer.from(big))).toBe(0);
    await a.close({ code: 'going-away', message: 'bye' });
    expect(await b.closed).toMatchObject({ code: 'going-away', message: 'bye', remote: true });
  });

  it('keeps every message byte-exact over TCP while TLS decrypts into receive slabs (sizes across slab ends)', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'acct-1' }), security({ account: 'acct-1' })]);
    const [a, b] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await Promise.all([a.opened, b.opened]);
    // 1 byte … 200 KB: small ones copied out of a slab, 64 KiB frames as views, messages spanning slabs and frames.
    const sizes = [1, 1000, 16_371, 16_384, 65_536, 65_537, 100_000, 200_000, 3, 70_000, 4096, 65_536];
    const messages = Array.from({ length: 60 }, (_, i) =>
      new Uint8Array(sizes[i % sizes.length]!).map((_, j) => (i * 7 + j * 13) & 0xff),
    );
    const got: Uint8Array[] = [];
    const all = firstValueFrom(b.messages$.pipe(take(messages.length), toArray()));
    await Promise.all(messages.map((m) => a.send(m)));
    got.push(...(await all));
    expect(got.map((m, i) => Buffer.compare(Buffer.from(m), Buffer.from(messages[i]!)))).toEqual(
      messages.map(() => 0),
    );
    // Kept messages stay intact after more traffic reused nothing.
    const again = firstValueFrom(b.messages$);
    await a.send(new Uint8Array(300_000).fill(0xee));
    expect((await again).every((x) => x === 0xee)).toBe(true);
    expect(got.map((m, i) => Buffer.compare(Buffer.from(m), Buffer.from(messages[i]!)))).toEqual(
      messages.map(() => 0),
    );
  });

  it('places 64 KiB frames whole in receive slabs over TCP, so the Link gets them as views, not copies', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'acct-1' }), security({ account: 'acct-1' })]);
    const [a, b] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await Promise.all([a.opened, b.opened]);
    const n = 64; // 4 MiB: 16 large slabs of four whole frames each
    const got = firstValueFrom(b.messages$.pipe(take(n), toArray()));
    for (let i = 0; i < n; i++) void a.send(new Uint8Array(65_536).fill(i));
    const messages = await got;
    expect(messages.every((m, i) => m.length === 65_536 && m[0] === i && m[65_535] === i)).toBe(true);
    // A view lies in a framed slab; a payload the decoder copied together has a buffer of its own (65,536 bytes).
    const views = messages.filter((m) => m.buffer.byteLength === RECEIVE_SLAB_BYTES).length;
    // The first frames may arrive before the reader switched to large slabs; after that none is copied (one in four
    // was, spanning two 256 KiB slabs, before frames were placed).
    expect(views).toBeGreaterThanOrEqual(n - 4);
  });

  it('carries 1 MiB byte-exact over a slow small-MTU medium, through its backpressure', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'acct-1' }), security({ account: 'acct-1' })]);
    const conduits = createConduitPair({
      model: { mtu: 244, bandwidthBytesPerSec: 4_000_000, latencyMs: 2 },
    });
    let drains = 0;
    conduits[0].drain$.subscribe(() => drains++);
    const [a, b] = securedLinks(sa, sb, { conduits });
    await Promise.all([a.opened, b.opened]);
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 0xff);
    const got = firstValueFrom(b.messages$);
    await a.send(big);
    expect(Buffer.compare(Buffer.from(await got), Buffer.from(big))).toBe(0);
    expect(drains).toBeGreaterThan(0); // the medium pushed back and the TLS layer waited for it
  });

  it('does not connect devices of different accounts', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'acct-1' }), security({ account: 'acct-2' })]);
    const [ra, rb] = await bothFail(...securedLinks(sa, sb, { conduits: await tcpConduitPair() }));
    expect(ra.code).toBe('handshake-failed');
    expect(rb.code).toBe('handshake-failed');
    expect(rb.message).toMatch(/untrusted: device is neither on the same account nor bound/);
    expect(ra.message).toMatch(/untrusted|does not trust this device/);
  });

  it('does not connect a device without an account to one with an account', async () => {
    const [sa, sb] = await Promise.all([security(), security({ account: 'acct-1' })]);
    const [ra, rb] = await bothFail(...securedLinks(sa, sb));
    expect(ra.code).toBe('handshake-failed');
    expect(rb.code).toBe('handshake-failed');
  });

  it('refuses a peer that does not run the security stage', async () => {
    const sa = await security({ account: 'acct-1' });
    const [ra, rb] = await bothFail(...securedLinks(sa, undefined));
    expect(ra.code).toBe('handshake-failed');
    expect(rb.code).toBe('handshake-failed');
    expect(`${ra.message} ${rb.message}`).toMatch(/security stage/);
  });
});
