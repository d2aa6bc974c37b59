import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdmissionOptions, closeReason, type Link, LocalDevice } from '@colink/core';
import { createDeviceSecurity, type TlsSecurity } from '@colink/core/security';
import { encodePreamble, PREAMBLE_FLAG_SECURE } from '@colink/core/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { networkId } from './helpers.js';

// What a stranger sees when the device gives up on it before it authenticated — the pre-authentication deadline, an
// eviction by the pending caps, a wrong preamble — over real loopback TCP: a reset (RST: the stranger's socket fails
// with ECONNRESET, it never gets a FIN) and no TIME_WAIT socket left on the device for it. A trusted Link that closes
// still ends with GOAWAY and a FIN exchange (a TIME_WAIT socket is left for it, and the peer's Link ends `normal`).

/** Short real pre-authentication deadline of the devices under test, ms (no timing is asserted). */
const DEADLINE_MS = 300;
const ACCOUNT = 'stranger-reset-test-account';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function security(): Promise<TlsSecurity> {
  const dir = await mkdtemp(join(tmpdir(), 'cltcp-reset-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return createDeviceSecurity({ stateDir: dir, account: ACCOUNT });
}

/** A started device listening on 127.0.0.1 (TLS security when `secure`); returns it and its TCP port. */
async function device(
  name: string,
  options: { secure?: boolean; admission?: AdmissionOptions } = {},
): Promise<{ d: LocalDevice; port: number }> {
  const tcp = new TcpTransport({ host: '127.0.0.1', discovery: false });
  const sec = options.secure ? await security() : undefined;
  const d = new LocalDevice({
    advert: { networkId: sec?.networkId ?? networkId(name), deviceName: name, deviceType: 'pc' },
    transports: [tcp],
    ...(sec ? { security: sec } : {}),
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

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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
    await until(() => d.admissionStats().pending === 1, 'the first stranger to be pending');
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

describe('an authenticated Link still ends with a FIN over TCP (GOAWAY first)', () => {
  /** `b` accepts a Link dialled by `a`; returns both ends and the dialler's local port. */
  async function pair(secure: boolean) {
    const b = await device('accepting', { secure });
    const a = await device('dialling', { secure });
    const dialled = await a.d.connectAddress('tcp', `127.0.0.1:${b.port}`);
    await until(() => b.d.links().length === 1, 'the accepting side’s Link');
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
    await until(() => timeWait(b.port, clientPort) > 0, 'a TIME_WAIT socket for the closed Link');
  });

  it('aborted by the device that accepted it (no security: its conduit is destroyed through the gate)', {
    timeout: 30_000,
  }, async () => {
    const { b, dialled, accepted, clientPort } = await pair(false);
    accepted.abort(closeReason('protocol-error', 'test abort'));
    const reason = await dialled.closed;
    expect(reason).toMatchObject({ code: 'protocol-error', message: 'test abort', remote: true });
    await until(() => timeWait(b.port, clientPort) > 0, 'a TIME_WAIT socket for the aborted Link');
  });
});
