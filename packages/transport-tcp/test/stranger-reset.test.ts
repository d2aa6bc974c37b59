import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AdmissionOptions,
  closeReason,
  type Link,
  LocalDevice,
  type LocalDeviceOptions,
} from '@colink/core';
import {
  type ConfirmBinding,
  createDeviceSecurity,
  createIdentity,
  type TlsSecurity,
  TRUST_FLAG_BIND,
  TRUST_MAGIC,
  TRUST_MESSAGE_BYTES,
  TRUST_VERSION,
} from '@colink/core/security';
import { encodePreamble, FRAME_HEADER_BYTES, PREAMBLE_BYTES, PREAMBLE_FLAG_SECURE } from '@colink/core/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { strangerTls } from './fixtures/stranger-tls.js';
import { networkId, until } from './helpers.js';

// What a stranger sees when the device gives up on it before it authenticated — the pre-authentication deadline, an
// eviction by the pending caps, a wrong preamble — over real loopback TCP: a reset (RST: the stranger's socket fails
// with ECONNRESET, it never gets a FIN) and no TIME_WAIT socket left on the device for it. A trusted Link that closes
// still ends with GOAWAY and a FIN exchange (a TIME_WAIT socket is left for it, and the peer's Link ends `normal`).
// The same holds for refusals inside the handshake of an inbound Link (a HELLO-stage frame of 2^31 bytes, a TLS
// failure, an identity the trust exchange refuses, the Link's handshake timeout): the device resets those too.

/** Short real pre-authentication deadline of the devices under test, ms (no timing is asserted). */
const DEADLINE_MS = 300;
const ACCOUNT = 'stranger-reset-test-account';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function security(onBindRequest?: ConfirmBinding): Promise<TlsSecurity> {
  const dir = await mkdtemp(join(tmpdir(), 'cltcp-reset-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return createDeviceSecurity({
    stateDir: dir,
    account: ACCOUNT,
    ...(onBindRequest ? { onBindRequest } : {}),
  });
}

/** A started device listening on 127.0.0.1 (TLS security when `secure`); returns it and its TCP port. */
async function device(
  name: string,
  options: {
    secure?: boolean;
    admission?: AdmissionOptions;
    link?: LocalDeviceOptions['link'];
    onBindRequest?: ConfirmBinding;
  } = {},
): Promise<{ d: LocalDevice; port: number }> {
  const tcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
  const sec = options.secure ? await security(options.onBindRequest) : undefined;
  const d = new LocalDevice({
    advert: { networkId: sec?.networkId ?? networkId(name), deviceName: name, deviceType: 'pc' },
    transports: [tcp],
    ...(sec ? { security: sec } : {}),
    ...(options.link ? { link: options.link } : {}),
    admission: { preAuthTimeoutMs: DEADLINE_MS, ...options.admission },
  });
  await d.start();
  cleanups.push(() => d.stop());
  return { d, port: tcp.port! };
}

/** How a stranger's connection ended, as its own socket saw it. */
interface StrangerEnd {
  /** `err.code` of the socket's error, if any (ECONNRESET for a reset). */
  readonly errno: string | undefined;
  /** The device's FIN arrived (`end`). */
  readonly fin: boolean;
  /** Bytes the device sent before the end. */
  readonly received: number;
  /** The stranger's local port (to look the connection up with `ss`). */
  readonly port: number;
}

/**
 * A raw socket to the device that sends `bytes` (nothing when empty) and holds the connection until the device ends
 * it. `connected` resolves once connected; `ended` with how it ended.
 */
function stranger(port: number, bytes: Uint8Array = new Uint8Array(0), from = '127.0.0.1') {
  const s: Socket = connect({ host: '127.0.0.1', port, localAddress: from });
  cleanups.push(() => s.destroy());
  let errno: string | undefined;
  let fin = false;
  let received = 0;
  let localPort = 0;
  s.on('error', (e: NodeJS.ErrnoException) => {
    errno ??= e.code;
  });
  s.on('end', () => {
    fin = true;
  });
  s.on('data', (c: Buffer) => {
    received += c.length;
  });
  const connected = new Promise<void>((resolve) =>
    s.once('connect', () => {
      localPort = s.localPort ?? 0;
      if (bytes.length > 0) s.write(bytes);
      resolve();
    }),
  );
  const ended = new Promise<StrangerEnd>((resolve) =>
    s.once('close', () => resolve({ errno, fin, received, port: localPort })),
  );
  return { connected, ended };
}

/** Connections in TIME_WAIT between 127.0.0.1:`a` and 127.0.0.1:`b` (either direction), from `ss` (filtered there). */
function timeWait(a: number, b: number): number {
  const tuple = (x: number, y: number) => ['(', 'sport', '=', `:${x}`, 'and', 'dport', '=', `:${y}`, ')'];
  const out = execFileSync(
    'ss',
    ['-Htan', 'state', 'time-wait', '(', ...tuple(a, b), 'or', ...tuple(b, a), ')'],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter((line) => {
    const f = line.trim().split(/\s+/);
    const ends = [f.at(-2), f.at(-1)];
    return ends.includes(`127.0.0.1:${a}`) && ends.includes(`127.0.0.1:${b}`);
  }).length;
}

/**
 * TCP states of `include/net/tcp_states.h` (as `/proc/net/tcp` prints them, hex) in which a socket that ended with a
 * FIN exchange lingers on the host that sent the first FIN (FIN_WAIT1/2, CLOSING, TIME_WAIT) or the second (LAST_ACK).
 */
const LINGERING_STATES: Readonly<Record<string, string>> = {
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '09': 'LAST_ACK',
  '0B': 'CLOSING',
};

/**
 * The lingering states ({@link LINGERING_STATES}) of this host's sockets whose local port is `localPort` and remote
 * port `remotePort` — the device's end of one connection — read from `/proc/net/tcp` and `/proc/net/tcp6`
 * (`local_address` and `rem_address` are `HEXADDR:HEXPORT`, `st` the state).
 */
function lingering(localPort: number, remotePort: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4) continue;
      const port = (a: string | undefined) => Number.parseInt(a?.split(':').at(-1) ?? '', 16);
      const state = LINGERING_STATES[f[3]!.toUpperCase()];
      if (state && port(f[1]) === localPort && port(f[2]) === remotePort) out.push(state);
    }
  }
  return out;
}

/**
 * The device reset the stranger: no TIME_WAIT socket is left on the device for it (a FIN from the device leaves one:
 * the device closes first, the stranger's socket answers the FIN with its own), and the stranger's socket failed with
 * ECONNRESET — or, when the device had sent it bytes just before, reported the end as EOF: libuv takes a hang-up
 * that comes with data in the same poll for an EOF (`uv__stream_io`, POLLHUP after a partial read) without reading
 * the error.
 */
function expectReset(end: StrangerEnd, devicePort: number): void {
  if (end.received === 0) {
    expect(end.errno).toBe('ECONNRESET');
    expect(end.fin).toBe(false);
  } else expect(end.errno === 'ECONNRESET' || end.fin).toBe(true);
  expect(timeWait(devicePort, end.port)).toBe(0);
  expect(lingering(devicePort, end.port)).toEqual([]);
}

const plainPreamble = encodePreamble({ minVersion: 1, maxVersion: 2, flags: 0 });
const securePreamble = encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE });

describe('strangers the device gives up on before authentication are reset (RST), over TCP', () => {
  it('a silent stranger at the pre-authentication deadline', { timeout: 30_000 }, async () => {
    const { d, port } = await device('target');
    const s = stranger(port);
    const end = await s.ended;
    expectReset(end, port);
    expect(end.received).toBe(0);
    expect(d.admissionStats().timedOut).toBe(1);
  });

  it('a stranger evicted by the per-source cap, and the newer one at the deadline', {
    timeout: 30_000,
  }, async () => {
    const { d, port } = await device('target', { admission: { maxPendingPerSource: 1 } });
    const first = stranger(port, plainPreamble.subarray(0, 3));
    await first.connected;
    await until(() => d.admissionStats().pending === 1, 20_000, 10, 'the first stranger to be pending');
    const second = stranger(port, plainPreamble.subarray(0, 3));
    expectReset(await first.ended, port);
    expect(d.admissionStats().evicted).toBe(1);
    expectReset(await second.ended, port);
    expect(d.admissionStats().timedOut).toBe(1);
  });

  it('a stranger that sends a wrong preamble', { timeout: 30_000 }, async () => {
    const { port } = await device('target');
    const end = await stranger(port, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')).ended;
    expectReset(end, port);
    expect(end.received).toBe(0);
  });

  it('a stranger whose Link was built (a right preamble, then silence) at the deadline: plain and mid-TLS', {
    timeout: 30_000,
  }, async () => {
    // No security stage: the device answers the preamble with its own and its HELLO, then waits for the peer's HELLO.
    const plain = await device('plain');
    const p = await stranger(plain.port, plainPreamble).ended;
    expectReset(p, plain.port);
    expect(p.received).toBeGreaterThan(0);
    expect(plain.d.admissionStats().timedOut).toBe(1);
    // TLS security: the socket is in TLS's hands (a ClientHello begun, never finished) when the deadline passes.
    const secure = await device('secure', { secure: true });
    const hello = Uint8Array.from([...securePreamble, 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]);
    const t = await stranger(secure.port, hello).ended;
    expectReset(t, secure.port);
    expect(secure.d.admissionStats().timedOut).toBe(1);
  });
});

/** How a hostile client's connection ended. */
interface ClientEnd {
  /** `err.code` of the first error: of a read, or of the probe write after the end of stream ({@link rawClient}). */
  readonly errno: string | undefined;
  /** The stream ended (EOF) — a FIN, or a reset that came with data in one poll (see {@link expectReset}). */
  readonly eof: boolean;
  /** The client's local port (the device's end of the connection has it as its remote port). */
  readonly port: number;
}

/**
 * A raw TCP client of the device, driven step by step (`write`, `read`). It keeps its half of the connection open
 * after the device's end of stream (`allowHalfOpen`) and then writes one byte: after a reset that write fails with
 * ECONNRESET (the kernel kept the reset as the socket's error), after a FIN it is accepted — so the client tells a
 * reset from a FIN even when libuv reported the reset as an EOF because the device's last bytes came with it.
 */
function rawClient(port: number) {
  const s: Socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  cleanups.push(() => s.destroy());
  let errno: string | undefined;
  let eof = false;
  let buffered = Buffer.alloc(0);
  let localPort = 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  s.on('error', (e: NodeJS.ErrnoException) => {
    errno ??= e.code;
    poke();
  });
  s.on('data', (c: Buffer) => {
    buffered = Buffer.concat([buffered, c]);
    poke();
  });
  s.on('end', () => {
    eof = true;
    poke();
    s.write(Uint8Array.of(0), (e?: NodeJS.ErrnoException | null) => {
      if (e) errno ??= e.code;
      s.destroy();
    });
  });
  const connected = new Promise<void>((resolve) =>
    s.once('connect', () => {
      localPort = s.localPort ?? 0;
      resolve();
    }),
  );
  const ended = new Promise<ClientEnd>((resolve) =>
    s.once('close', () => resolve({ errno, eof, port: localPort })),
  );
  /** The next `n` bytes the device sent. */
  async function read(n: number): Promise<Buffer> {
    while (buffered.length < n) {
      if (s.destroyed || eof) throw new Error(`the connection ended before ${n} bytes arrived`);
      await new Promise<void>((r) => (wake = r));
    }
    const out = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return out;
  }
  return { connected, ended, read, write: (b: Uint8Array) => s.write(b) };
}

/**
 * A client with a TLS identity of its own (not on the device's account, not bound): a secure preamble, the device's
 * preamble read, a full TLS 1.3 handshake, then a TRUST message without an account proof (PROTOCOL.md §2.2) —
 * asking to bind when `bind`. Resolves with how its connection ended, as the TLS socket saw it (with the probe write
 * of {@link rawClient} after an end of stream).
 */
async function untrustedTlsClient(port: number, bind: boolean): Promise<ClientEnd & { tls: boolean }> {
  const identity = await createIdentity();
  const raw: Socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true }); // the TLS socket inherits it
  cleanups.push(() => raw.destroy());
  await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
  const localPort = raw.localPort ?? 0;
  raw.write(encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE }));
  // The device's preamble, read from the raw socket; what follows it stays there for TLS.
  await new Promise<void>((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length < PREAMBLE_BYTES) return;
      raw.off('data', onData);
      raw.pause();
      if (got.length > PREAMBLE_BYTES) raw.unshift(got.subarray(PREAMBLE_BYTES));
      resolve();
    };
    raw.on('data', onData);
    raw.once('close', () => reject(new Error('closed before the preamble')));
  });
  const t = strangerTls(raw, identity);
  let errno: string | undefined;
  let eof = false;
  let tls = false;
  t.on('error', (e: NodeJS.ErrnoException) => {
    errno ??= e.code;
  });
  t.on('end', () => {
    eof = true;
    // The probe of rawClient: after a reset this write fails with ECONNRESET, after a FIN it is accepted.
    t.write(Uint8Array.of(0), (e?: NodeJS.ErrnoException | null) => {
      if (e) errno ??= e.code;
      t.destroy();
    });
  });
  t.on('data', () => undefined);
  t.once('secureConnect', () => {
    tls = true;
    const trust = Buffer.alloc(TRUST_MESSAGE_BYTES);
    trust.set(TRUST_MAGIC, 0);
    trust[4] = TRUST_VERSION;
    trust[5] = bind ? TRUST_FLAG_BIND : 0;
    t.write(trust);
  });
  return new Promise((resolve) => t.once('close', () => resolve({ errno, eof, port: localPort, tls })));
}

/** The device reset the client (ECONNRESET on the client's side) and keeps no socket lingering for it. */
function expectRefusedByReset(end: ClientEnd, devicePort: number): void {
  expect(end.errno).toBe('ECONNRESET');
  expect(lingering(devicePort, end.port)).toEqual([]);
  expect(timeWait(devicePort, end.port)).toBe(0);
}

describe('inbound handshakes that fail inside the Link are reset (RST), over TCP', () => {
  it('a HELLO-stage frame announcing 2^31 bytes after a right preamble (no security): protocol-error', {
    timeout: 30_000,
  }, async () => {
    const { d, port } = await device('plain', { admission: { preAuthTimeoutMs: 10_000 } });
    const c = rawClient(port);
    await c.connected;
    c.write(plainPreamble);
    // The device answers with its preamble and its HELLO (the header's first 4 bytes: the frame's length after them).
    await c.read(PREAMBLE_BYTES);
    const header = await c.read(FRAME_HEADER_BYTES);
    await c.read(header.readUInt32BE(0) - (FRAME_HEADER_BYTES - 4));
    const huge = Buffer.alloc(FRAME_HEADER_BYTES);
    huge.writeUInt32BE(2 ** 31, 0); // length
    huge.writeUInt8(1, 4); // HELLO
    c.write(huge);
    expectRefusedByReset(await c.ended, port);
    expect(d.admissionStats().timedOut).toBe(0);
    expect(d.links()).toEqual([]);
  });

  it('random bytes in a well-formed TLS record in place of a ClientHello: handshake-failed', {
    timeout: 30_000,
  }, async () => {
    const { d, port } = await device('secure', { secure: true, admission: { preAuthTimeoutMs: 10_000 } });
    const c = rawClient(port);
    await c.connected;
    c.write(securePreamble);
    await c.read(PREAMBLE_BYTES);
    // A handshake record header (TLS 1.0 legacy version, 64 bytes) and 64 random bytes: a whole first flight for the
    // device's pre-Link stage, which builds the Link; node:tls then fails to parse it.
    c.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), randomBytes(64)]));
    expectRefusedByReset(await c.ended, port);
    expect(d.admissionStats().timedOut).toBe(0);
  });

  it('a TLS client with an untrusted identity, refused by the trust exchange', {
    timeout: 30_000,
  }, async () => {
    const { d, port } = await device('secure', { secure: true, admission: { preAuthTimeoutMs: 10_000 } });
    const end = await untrustedTlsClient(port, false);
    expect(end.tls).toBe(true);
    expectRefusedByReset(end, port);
    expect(d.admissionStats().timedOut).toBe(0);
  });

  it('the Link’s handshake timeout: a binding request nobody confirms', { timeout: 30_000 }, async () => {
    let prompts = 0;
    const { d, port } = await device('secure', {
      secure: true,
      // The admission deadline stops when the user is asked: the Link's handshake timeout (1.5 s) bounds the prompt.
      link: { handshakeTimeoutMs: 1_500 },
      admission: { preAuthTimeoutMs: 10_000 },
      onBindRequest: () => {
        prompts++;
        return new Promise<boolean>(() => undefined);
      },
    });
    const end = await untrustedTlsClient(port, true);
    expect(end.tls).toBe(true);
    expect(prompts).toBe(1);
    expectRefusedByReset(end, port);
    expect(d.admissionStats().timedOut).toBe(0); // the Link's own timer, not the pre-authentication deadline
  });
});

describe('an authenticated Link still ends with a FIN over TCP (GOAWAY first)', () => {
  /** `b` accepts a Link dialled by `a`; returns both ends and the dialler's local port. */
  async function pair(secure: boolean) {
    const b = await device('accepting', { secure });
    const a = await device('dialling', { secure });
    const dialled = await a.d.connectAddress('tcp', `127.0.0.1:${b.port}`);
    await until(() => b.d.links().length === 1, 20_000, 10, 'the accepting side’s Link');
    const accepted: Link = b.d.links()[0]!;
    return { b, dialled, accepted, clientPort: Number(dialled.localAddress.split(':').at(-1)) };
  }

  it('closed by the device that accepted it (TLS): the peer’s Link ends `normal`, a TIME_WAIT is left', {
    timeout: 30_000,
  }, async () => {
    const { b, dialled, accepted, clientPort } = await pair(true);
    await accepted.close();
    const reason = await dialled.closed;
    expect(reason.code).toBe('normal');
    expect(reason.remote).toBe(true);
    expect(JSON.stringify(reason)).not.toContain('ECONNRESET');
    // A FIN exchange leaves the connection in TIME_WAIT on whichever side closed first; a reset leaves none.
    await until(() => timeWait(b.port, clientPort) > 0, 20_000, 10, 'a TIME_WAIT socket for the closed Link');
  });

  it('aborted by the device that accepted it (no security: its conduit is destroyed through the gate)', {
    timeout: 30_000,
  }, async () => {
    const { b, dialled, accepted, clientPort } = await pair(false);
    accepted.abort(closeReason('protocol-error', 'test abort'));
    const reason = await dialled.closed;
    expect(reason).toMatchObject({ code: 'protocol-error', message: 'test abort', remote: true });
    await until(
      () => timeWait(b.port, clientPort) > 0,
      20_000,
      10,
      'a TIME_WAIT socket for the aborted Link',
    );
  });
});
