import { createServer, connect as netConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Link } from '../src/link.js';
import { createIdentity } from '../src/security/identity.js';
import type { TlsSecurity, TrustEvent } from '../src/security/tls-security.js';
import {
  advertOf,
  cleanup,
  HANDSHAKE_REFUSAL,
  onCleanup,
  securedLinks,
  security,
  socketConduit,
  tcpConduitPair,
  tcpProxy,
} from './security-helpers.js';

afterEach(cleanup);

const enc = (s: string) => new TextEncoder().encode(s);

/** A Duplex over `socket` that first hands the socket's first `n` bytes to `onHead` (the colink preamble). */
function afterHead(socket: Socket, n: number, onHead: (head: Buffer) => void): Duplex {
  let head = Buffer.alloc(0);
  let passed = false;
  const d = new Duplex({
    read() {},
    write(chunk, _e, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
  });
  socket.on('data', (c: Buffer) => {
    if (passed) {
      d.push(c);
      return;
    }
    head = Buffer.concat([head, c]);
    if (head.length < n) return;
    passed = true;
    onHead(head.subarray(0, n));
    if (head.length > n) d.push(head.subarray(n));
  });
  socket.on('end', () => d.push(null));
  socket.on('close', () => d.destroy());
  socket.on('error', () => d.destroy());
  return d;
}

/**
 * A man in the middle on loopback TCP: relays the preambles, then terminates TLS towards each side with its OWN
 * certificate (it cannot present theirs without their keys) and relays every decrypted byte — trust messages
 * included — to the other side. Returns the port to dial and the plaintext it saw.
 */
async function mitm(targetPort: number): Promise<{ port: number; seen: Buffer[] }> {
  const me = await createIdentity();
  const tlsOptions = {
    key: me.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    cert: me.certificatePem,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ALPNProtocols: ['colink/1'],
    rejectUnauthorized: false,
  } as const;
  const seen: Buffer[] = [];
  const server = createServer((fromA) => {
    const toB = netConnect(targetPort, '127.0.0.1');
    let heads = 0;
    const sideA = new TLSSocket(
      afterHead(fromA, 8, (h) => {
        toB.write(h);
        if (++heads === 2) startB();
      }),
      { ...tlsOptions, isServer: true, requestCert: true },
    );
    const rawB = afterHead(toB, 8, (h) => {
      fromA.write(h);
      if (++heads === 2) startB();
    });
    // The TLS client speaks first: start it only once both preambles have crossed.
    let sideB!: TLSSocket;
    const startB = (): void => {
      sideB = tlsConnect({ ...tlsOptions, socket: rawB, checkServerIdentity: () => undefined });
      sideB.on('data', (c: Buffer) => {
        seen.push(c);
        sideA.write(c);
      });
      sideB.on('error', () => undefined);
      sideB.on('close', () => sideA.end());
    };
    sideA.on('data', (c: Buffer) => {
      seen.push(c);
      sideB.write(c);
    });
    // Pass closes on gracefully, after what is in flight: the relay tries to look like an honest path.
    sideA.on('close', () => sideB?.end());
    for (const s of [sideA, fromA, toB]) s.on('error', () => undefined);
    onCleanup(() => {
      fromA.destroy();
      toB.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as { port: number }).port, seen };
}

/** A responder Link for `sec` behind a loopback TCP port; resolves with the port and the Link once accepted. */
async function responderOn(sec: TlsSecurity, name: string) {
  let resolveLink!: (l: Link) => void;
  const link = new Promise<Link>((r) => {
    resolveLink = r;
  });
  const server = createServer((s) => {
    const l = new Link(socketConduit(s), {
      role: 'responder',
      local: advertOf(sec, name),
      security: sec,
      keepAliveIntervalMs: 0,
    });
    onCleanup(() => l.abort({ code: 'normal' }));
    resolveLink(l);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as { port: number }).port, link };
}

async function dial(port: number): Promise<Socket> {
  const s = netConnect(port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  onCleanup(() => {
    s.destroy();
  });
  return s;
}

describe('security against active attackers', () => {
  for (const kind of ['same account', 'bound'] as const) {
    it(`detects a relay in the middle that swaps certificates (${kind} devices)`, async () => {
      const sa = await security(kind === 'same account' ? { account: 'acct' } : {});
      const sb = await security(kind === 'same account' ? { account: 'acct' } : {});
      if (kind === 'bound') {
        await sa.trustStore!.bind({ networkId: sb.networkId, fingerprint: sb.identity.fingerprint });
        await sb.trustStore!.bind({ networkId: sa.networkId, fingerprint: sa.identity.fingerprint });
      }
      const events: TrustEvent[] = [];
      sa.trust$.subscribe((e) => events.push(e));
      const eventsB: TrustEvent[] = [];
      sb.trust$.subscribe((e) => eventsB.push(e));
      const b = await responderOn(sb, 'device-beta-marker');
      const relay = await mitm(b.port);
      const a = new Link(socketConduit(await dial(relay.port)), {
        role: 'initiator',
        local: advertOf(sa, 'device-alpha-marker'),
        security: sa,
        keepAliveIntervalMs: 0,
      });
      await expect(a.opened).rejects.toMatchObject({ code: HANDSHAKE_REFUSAL });
      const bl = await b.link;
      await expect(bl.opened).rejects.toMatchObject({ code: HANDSHAKE_REFUSAL });
      expect((await a.closed).code).toBe('handshake-failed');
      expect((await bl.closed).code).toBe('handshake-failed');
      // Each side saw the relay's key, not its peer's: the relay's networkId, judged untrusted.
      expect(events).toHaveLength(1);
      expect(eventsB).toHaveLength(1);
      expect(events[0]!.networkId).toBe(eventsB[0]!.networkId);
      expect([sa.networkId, sb.networkId]).not.toContain(events[0]!.networkId);
      expect(events[0]!.trust).toBe('untrusted');
      expect(eventsB[0]!.trust).toBe('untrusted');
      // The relay got the trust messages, but no HELLO and no application byte.
      const plain = Buffer.concat(relay.seen).toString('latin1');
      expect(plain).toContain('CLTR');
      expect(plain).not.toContain('marker');
    });
  }

  it('rejects a replayed handshake', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'acct' }), security({ account: 'acct' })]);
    const recorded: Buffer[] = [];
    const [ca, cb] = await tcpProxy((chunk, dir) => {
      if (dir === 'a->b') recorded.push(Buffer.from(chunk));
      return chunk;
    });
    const [a, b] = securedLinks(sa, sb, { conduits: [ca, cb] });
    await Promise.all([a.opened, b.opened]);
    const got = firstValueFrom(b.messages$);
    await a.send(enc('original session'));
    await got;
    await a.close();

    const events: TrustEvent[] = [];
    sb.trust$.subscribe((e) => events.push(e));
    const target = await responderOn(sb, 'beta');
    const attacker = await dial(target.port);
    for (const chunk of recorded) attacker.write(chunk); // the whole dialer side, byte for byte
    const victim = await target.link;
    let frames = 0;
    victim.frames$.subscribe(() => frames++);
    await expect(victim.opened).rejects.toMatchObject({ code: HANDSHAKE_REFUSAL });
    expect(await victim.closed).toMatchObject({ code: 'handshake-failed' });
    expect((await victim.closed).message).toMatch(/TLS handshake failed/);
    expect(frames).toBe(0);
    expect(events).toEqual([]); // never even reached the trust exchange
  });

  for (const path of ['native', 'stream'] as const) {
    it(`closes the Link with an integrity error when a ciphertext byte is flipped in flight (TLS ${path})`, async () => {
      const [sa, sb] = await Promise.all([security({ account: 'acct' }), security({ account: 'acct' })]);
      let tamper = false;
      const conduits = await tcpProxy((chunk, dir) => {
        if (!tamper || dir !== 'a->b') return chunk;
        tamper = false;
        const c = Buffer.from(chunk);
        c[c.length - 1]! ^= 0x01; // last byte of the record: its AEAD tag
        return c;
      }, path);
      const [a, b] = securedLinks(sa, sb, { conduits });
      await Promise.all([a.opened, b.opened]);
      const received: Uint8Array[] = [];
      b.messages$.subscribe((m) => received.push(m));
      const ok = firstValueFrom(b.messages$);
      await a.send(enc('untouched'));
      await ok;
      tamper = true;
      await a.send(enc('tampered'));
      const reason = await b.closed;
      expect(reason.code, reason.message).toBe('integrity');
      expect(reason.message).toMatch(/TLS record failed authentication/);
      expect(received.map((m) => new TextDecoder().decode(m))).toEqual(['untouched']);
      expect(['integrity', 'lost', 'normal']).toContain((await a.closed).code);
    });
  }

  for (const [secure, path] of [
    [true, 'native'],
    [true, 'stream'],
    [false, 'native'],
  ] as const) {
    it(`${secure ? 'finds no' : 'control: finds the'} plaintext marker in the bytes of a loopback TCP link${secure ? ` (TLS ${path})` : ' without security'}`, async () => {
      const credential = 'account-credential-7f3a9c';
      const [sa, sb] = secure
        ? await Promise.all([security({ account: credential }), security({ account: credential })])
        : [undefined, undefined];
      const wire: Buffer[] = [];
      const conduits = await tcpProxy((chunk) => {
        wire.push(Buffer.from(chunk));
        return chunk;
      }, path);
      const [a, b] = securedLinks(sa, sb, { conduits, names: ['marker-device-alpha', 'marker-device-beta'] });
      await Promise.all([a.opened, b.opened]);
      const marker = 'COLINK-PLAINTEXT-MARKER';
      const big = enc(marker.repeat(40_000)); // ~900 KiB
      const gotB = firstValueFrom(b.messages$);
      await a.send(big);
      expect((await gotB).length).toBe(big.length);
      const gotA = firstValueFrom(a.messages$);
      await b.send(enc(`reply ${marker}`));
      await gotA;
      await a.close();
      await b.closed;
      const bytes = Buffer.concat(wire);
      expect(bytes.length).toBeGreaterThan(big.length);
      const text = bytes.toString('latin1');
      if (secure) {
        for (const secret of [marker, 'marker-device', credential, sa!.networkId, sb!.networkId]) {
          expect(text.includes(secret), secret).toBe(false);
        }
      } else {
        expect(text).toContain(marker);
        expect(text).toContain('marker-device-alpha');
      }
    });
  }

  it('keeps the dialer from opening a Link to a device of another account even over an honest relay', async () => {
    const [sa, sb] = await Promise.all([security({ account: 'one' }), security({ account: 'two' })]);
    const [a, b] = securedLinks(sa, sb, { conduits: await tcpConduitPair() });
    await expect(a.opened).rejects.toBeDefined();
    await expect(b.opened).rejects.toBeDefined();
    expect((await a.closed).message).toMatch(/does not trust this device|untrusted/);
  });
});
