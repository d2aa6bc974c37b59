import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDevice } from '@colink/core';
import { createDeviceSecurity, type TlsSecurity } from '@colink/core/security';
import { encodePreamble, PREAMBLE_FLAG_SECURE } from '@colink/core/wire';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEKEEPER_MAX_RESTARTS, TcpTransport } from '../src/index.js';
import { until } from './helpers.js';

// The gatekeeper process (TcpTransport option `gatekeeper`) over real sockets on loopback: a trusted device dials in
// through it and runs TLS natively on the handed-over socket; strangers that fail before the end of the preamble are
// reset in the child and never reach the device; the per-source allowance and the waiting cap act in the child; a
// killed child is restarted on the same port; stop() leaves no process behind.

const ACCOUNT = 'gatekeeper-test-account';
const dirs: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

async function security(): Promise<TlsSecurity> {
  const dir = await mkdtemp(join(tmpdir(), 'cltcp-gk-'));
  dirs.push(dir);
  return createDeviceSecurity({ stateDir: dir, account: ACCOUNT });
}

async function device(name: string, tcp: TcpTransport, sec?: TlsSecurity): Promise<LocalDevice> {
  sec ??= await security();
  const d = new LocalDevice({
    advert: { networkId: sec.networkId, deviceName: name, deviceType: 'pc' },
    transports: [tcp],
    security: sec,
  });
  await d.start();
  cleanups.push(() => d.stop());
  return d;
}

/** Opens a raw connection from `localAddress`, runs `act` once connected; resolves with how it ended. */
function stranger(
  port: number,
  act: (s: Socket) => void,
  localAddress = '127.0.0.1',
): Promise<{ how: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect({ host: '127.0.0.1', port, localAddress });
    let how = 'close';
    s.on('error', (e: NodeJS.ErrnoException) => {
      how = e.code ?? e.message;
    });
    s.on('data', () => undefined);
    s.on('close', () => resolve({ how, ms: performance.now() - t0 }));
    s.on('connect', () => act(s));
    setTimeout(() => s.destroy(), 20_000).unref();
  });
}

/** Processes this process forked that run the gatekeeper script (/proc: parent pid and command line). */
function gatekeeperChildren(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (/gatekeeper[/\\]child\.[jt]s/.test(readFileSync(`/proc/${entry}/cmdline`, 'utf8')))
        found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An echo round trip over a new secure Link from `from` to `address`. */
async function echo(from: LocalDevice, address: string): Promise<string> {
  const link = await from.connectAddress('tcp', address);
  try {
    const ch = link.openChannel({ proto: 'echo' });
    const back = firstValueFrom(ch.messages$);
    await ch.send(new TextEncoder().encode('ping'));
    return new TextDecoder().decode(await back);
  } finally {
    await link.close();
  }
}

describe('TcpTransport gatekeeper process', () => {
  let serverTcp: TcpTransport;
  let server: LocalDevice;
  let trusted: LocalDevice;
  let port: number;
  let pendingMax = 0;
  let sampler: NodeJS.Timeout;

  beforeAll(async () => {
    serverTcp = new TcpTransport({
      host: '127.0.0.1',
      discovery: false,
      gatekeeper: { preambleTimeoutMs: 300, maxWaiting: 6 },
      acceptLimit: { burst: 6, perSecond: 0.01 },
    });
    server = await device('target', serverTcp);
    server.handle('echo', (ch) => {
      ch.messages$.subscribe((m) => void ch.send(m).catch(() => undefined));
    });
    trusted = await device('trusted', new TcpTransport({ host: '127.0.0.1', discovery: false }));
    port = serverTcp.port!;
    sampler = setInterval(() => {
      pendingMax = Math.max(pendingMax, server.admissionStats().pending);
    }, 5);
  }, 60_000);

  afterAll(async () => {
    clearInterval(sampler);
    for (const c of cleanups.splice(0).reverse()) await c();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }, 30_000);

  it('listens in a child process; a trusted device dials in and a secure Link echoes', {
    timeout: 30_000,
  }, async () => {
    const stats = serverTcp.gatekeeperStats!;
    expect(stats.pid).toBeGreaterThan(0);
    expect(stats.pid).not.toBe(process.pid);
    expect(serverTcp.localAddress).toBe(`127.0.0.1:${port}`);
    expect(await echo(trusted, serverTcp.localAddress!)).toBe('ping');
    await until(() => serverTcp.gatekeeperStats!.handed >= 1, 20_000, 20, 'the handed-over count');
  });

  it('resets random bytes, silent and mid-preamble strangers in the child: the device never sees them', {
    timeout: 30_000,
  }, async () => {
    const before = serverTcp.gatekeeperStats!;
    const handed0 = before.handed;
    pendingMax = 0;
    // Distinct sources (127.0.1.x) so the per-source allowance (6) and waiting share are not what closes them.
    const ends = await Promise.all([
      stranger(port, (s) => s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n')), '127.0.1.1'),
      stranger(
        port,
        (s) => s.write(Buffer.from([0x43, 0x4c, 0x4e, 0x4b, 0x00, 0xff, 0xff, 0x00]).subarray(0, 3)),
        '127.0.1.2',
      ), // "CLN", then nothing
      stranger(port, () => undefined, '127.0.1.3'), // silent
      stranger(port, (s) => s.write(Buffer.from([0x43, 0x4c, 0x4e, 0x00])), '127.0.1.4'), // wrong 4th byte
    ]);
    // Every one was reset by the gatekeeper (RST: ECONNRESET), the bad bytes at once, the others at the deadline.
    expect(ends.map((e) => e.how)).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
    expect(ends[1]!.ms).toBeGreaterThanOrEqual(250);
    expect(ends[2]!.ms).toBeGreaterThanOrEqual(250);
    await until(
      () => {
        const s = serverTcp.gatekeeperStats!;
        return s.badMagic - before.badMagic >= 2 && s.timedOut - before.timedOut >= 2 && s.waiting === 0;
      },
      20_000,
      20,
      'the counters',
    );
    const after = serverTcp.gatekeeperStats!;
    expect(after.handed).toBe(handed0); // nothing was handed to the device
    expect(pendingMax).toBe(0); // the device's admission control never had a pending stranger
    expect(server.admissionStats().pending).toBe(0);
    expect(serverTcp.inboundConnections).toBe(0); // the trusted device's Link was closed after the echo
    // A right preamble goes through (the device then times it out or refuses it; here it is merely counted).
    const secure = encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE });
    let held: Socket | undefined;
    const through = stranger(
      port,
      (s) => {
        held = s;
        s.write(secure);
      },
      '127.0.1.5',
    );
    await until(() => serverTcp.gatekeeperStats!.handed === handed0 + 1, 20_000, 20, 'the hand-over');
    held?.destroy();
    await through;
  });

  it('holds a ClientHello sent early until its record is whole: a mid-TLS slowloris dies in the child', {
    timeout: 30_000,
  }, async () => {
    const before = serverTcp.gatekeeperStats!;
    const secure = encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE });
    // A handshake record of 512 bytes (legacy version 0x0301) starting a ClientHello (type 1), cut short.
    const head = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);
    const ends = await Promise.all([
      stranger(port, (s) => s.write(Buffer.concat([secure, head])), '127.0.2.1'), // stops inside the record
      stranger(port, (s) => s.write(Buffer.concat([secure, head.subarray(0, 3)])), '127.0.2.2'), // inside its header
      // Application data (0x17) of 2^16-1 bytes cannot open a ClientHello: reset at once.
      stranger(
        port,
        (s) => s.write(Buffer.concat([secure, Buffer.from([0x17, 0x03, 0x03, 0xff, 0xff, 0])])),
        '127.0.2.3',
      ),
    ]);
    expect(ends.map((e) => e.how)).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
    expect(ends[0]!.ms).toBeGreaterThanOrEqual(250); // at the deadline (300 ms)
    expect(ends[1]!.ms).toBeGreaterThanOrEqual(250);
    await until(
      () => {
        const s = serverTcp.gatekeeperStats!;
        return s.badMagic - before.badMagic >= 1 && s.timedOut - before.timedOut >= 2 && s.waiting === 0;
      },
      20_000,
      20,
      'the counters',
    );
    expect(serverTcp.gatekeeperStats!.handed).toBe(before.handed); // the device saw none of them
    // The whole record, sent in two pieces, goes over with its bytes (the device then reads it as TLS).
    const record = Buffer.concat([head, Buffer.alloc(512 - 4)]);
    let held: Socket | undefined;
    const through = stranger(
      port,
      (s) => {
        held = s;
        s.write(Buffer.concat([secure, record.subarray(0, 100)]));
        setTimeout(() => s.write(record.subarray(100)), 50);
      },
      '127.0.2.4',
    );
    await until(() => serverTcp.gatekeeperStats!.handed === before.handed + 1, 20_000, 20, 'the hand-over');
    held?.destroy();
    await through;
  });

  it('caps connections waiting for their preamble: the oldest of the biggest source goes', {
    timeout: 30_000,
  }, async () => {
    const before = serverTcp.gatekeeperStats!;
    // 10 silent connections from 10 sources, cap 6: 4 evicted (reset) long before the deadline.
    const ends = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stranger(port, () => undefined, `127.0.2.${i + 1}`)),
    );
    expect(ends.every((e) => e.how === 'ECONNRESET')).toBe(true);
    await until(() => serverTcp.gatekeeperStats!.evicted - before.evicted >= 4, 20_000, 20, 'the counters');
    expect(serverTcp.gatekeeperStats!.evicted - before.evicted).toBe(4);
  });

  it('applies the per-source accept allowance in the child: a burst from one host is reset at accept', {
    timeout: 30_000,
  }, async () => {
    const r0 = serverTcp.rateLimitedConnections;
    // Burst 6, refilled at 0.01/s: of 14 connections from one fresh source at least 8 are reset at accept.
    const ends = await Promise.all(
      Array.from({ length: 14 }, () => stranger(port, (s) => s.write(Buffer.from('x')), '127.0.3.1')),
    );
    expect(ends.every((e) => e.how === 'ECONNRESET')).toBe(true);
    await until(() => serverTcp.rateLimitedConnections - r0 >= 8, 20_000, 20, 'the rate-limited count');
    expect(serverTcp.rateLimitedConnections - r0).toBe(8);
  });

  it('bounds the hand-over queue: past maxWaiting connections on their way to a busy device, it resets', {
    timeout: 30_000,
  }, async () => {
    const before = serverTcp.gatekeeperStats!;
    const secure = Buffer.from(encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE }));
    // 20 connections from 20 sources with a right preamble, from another process, while this one (the device's)
    // is blocked: node hands one socket at a time and waits for the device's acknowledgement before the next.
    const client = spawn(process.execPath, [
      '-e',
      `const net = require('node:net');
       for (let i = 1; i <= 20; i++) {
         const s = net.connect({ host: '127.0.0.1', port: ${port}, localAddress: '127.0.4.' + i });
         s.on('error', () => {});
         s.on('connect', () => s.write(Buffer.from('${secure.toString('hex')}', 'hex')));
       }
       setTimeout(() => process.exit(0), 4000);`,
    ]);
    const exited = new Promise((r) => client.once('exit', r));
    const end = performance.now() + 2_500;
    while (performance.now() < end); // the device's event loop is stuck
    // Every connection is accounted for: handed over, reset because the hand-over queue was full, or (on a loaded
    // host, more than 6 still waiting for their preamble at once) evicted before it, or gone (its client ended).
    const settled = (): number => {
      const x = serverTcp.gatekeeperStats!;
      return (
        x.handed -
        before.handed +
        x.backlogged -
        before.backlogged +
        x.evicted -
        before.evicted +
        x.gone -
        before.gone
      );
    };
    await until(() => settled() >= 20, 20_000, 20, 'every connection handed over or reset');
    const after = serverTcp.gatekeeperStats!;
    // While the device was blocked at most 4 hand-overs were queued in node and one written, and maxWaiting (6)
    // waited their turn (each source has one: the oldest went first); those 11 reach the device once it runs again,
    // the rest were reset.
    expect(after.handed - before.handed).toBeLessThanOrEqual(11);
    expect(after.backlogged - before.backlogged).toBeGreaterThanOrEqual(9 - (after.evicted - before.evicted));
    expect(settled()).toBe(20);
    await exited;
  });

  it('keeps room for a newcomer while the device is busy: a storm’s sources give up their own oldest', {
    timeout: 30_000,
  }, async () => {
    const secure = Buffer.from(encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE }));
    // 20 connections with a right preamble from 4 sources (5 each), then, 0.5 s later, one from a fresh source (a
    // device dialling in), all while this process (the device's) is blocked; the client reports how each ended.
    const client = spawn(process.execPath, [
      '-e',
      `const net = require('node:net');
       const fates = {};
       const open = (src, tag) => {
         const s = net.connect({ host: '127.0.0.1', port: ${port}, localAddress: src });
         s.on('error', (e) => { fates[tag] = e.code; });
         s.on('close', () => { fates[tag] = fates[tag] || 'closed'; });
         s.on('connect', () => s.write(Buffer.from('${secure.toString('hex')}', 'hex')));
       };
       for (let i = 0; i < 20; i++) open('127.0.5.' + (1 + (i % 4)), 'storm' + i);
       setTimeout(() => open('127.0.6.1', 'newcomer'), 500);
       setTimeout(() => { process.stdout.write(JSON.stringify(fates)); process.exit(0); }, 3500);`,
    ]);
    let out = '';
    client.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise((r) => client.once('exit', r));
    const end = performance.now() + 2_500;
    while (performance.now() < end); // the device's event loop is stuck
    await exited;
    const fates = JSON.parse(out) as Record<string, string>;
    // The storm filled the queue (4 on their way to the device, 6 waiting their turn) and lost its own oldest to make
    // room; the newcomer, its source's only one, was handed over and is still open (the device holds it until its
    // pre-authentication deadline).
    expect(fates.newcomer).toBeUndefined();
    expect(Object.values(fates).filter((f) => f === 'ECONNRESET').length).toBeGreaterThan(0);
  });

  it('restarts a killed gatekeeper on the same port, which answers again', { timeout: 60_000 }, async () => {
    const pid = serverTcp.gatekeeperStats!.pid!;
    process.kill(pid, 'SIGKILL');
    await until(
      () => {
        const s = serverTcp.gatekeeperStats!;
        return s.restarts === 1 && s.pid !== undefined && s.pid !== pid;
      },
      20_000,
      20,
      'the restart',
    );
    expect(alive(pid)).toBe(false);
    expect(serverTcp.port).toBe(port);
    expect(serverTcp.gatekeeperFailure).toBeUndefined();
    // The new process listens (the restart resolves its spawn once listening; a dial may race it): retry, for up to
    // 15 s (20 tries in ~2 s once failed on a loaded 2-core machine).
    let answer: string | undefined;
    const deadline = Date.now() + 15_000;
    while (answer === undefined && Date.now() < deadline) {
      answer = await echo(trusted, `127.0.0.1:${port}`).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(answer).toBe('ping');
  });

  it('stop() ends the child and waits for it; start() forks a new one', { timeout: 30_000 }, async () => {
    const t = new TcpTransport({ host: '127.0.0.1', discovery: false, gatekeeper: true });
    await t.start();
    const pid = t.gatekeeperStats!.pid!;
    const itsPort = t.port!;
    expect(alive(pid)).toBe(true);
    await t.stop();
    expect(alive(pid)).toBe(false);
    expect(t.gatekeeperStats).toBeUndefined();
    expect((await stranger(itsPort, () => undefined)).how).toBe('ECONNREFUSED'); // nobody listens any more
    await t.start();
    const again = t.gatekeeperStats!.pid!;
    expect(again).not.toBe(pid);
    await t.stop();
    expect(alive(again)).toBe(false);
  });

  it('gives up after GATEKEEPER_MAX_RESTARTS restarts within the window and reports ERR_INTERNAL', {
    timeout: 60_000,
  }, async () => {
    const t = new TcpTransport({ host: '127.0.0.1', discovery: false, gatekeeper: true });
    await t.start();
    cleanups.push(() => t.stop());
    const itsPort = t.port!;
    for (let i = 1; i <= GATEKEEPER_MAX_RESTARTS; i++) {
      const pid = t.gatekeeperStats!.pid!;
      process.kill(pid, 'SIGKILL');
      await until(
        () => t.gatekeeperStats!.restarts === i && t.gatekeeperStats!.pid !== undefined,
        20_000,
        20,
        `restart ${i}`,
      );
      expect(t.gatekeeperFailure).toBeUndefined();
    }
    // Listening again (the restart's spawn resolved): one more death is one too many.
    await until(() => t.gatekeeperStats!.pid !== undefined, 20_000, 20, 'the last restart listening');
    await new Promise((r) => setTimeout(r, 500));
    process.kill(t.gatekeeperStats!.pid!, 'SIGKILL');
    await until(() => t.gatekeeperFailure !== undefined, 20_000, 20, 'the failure');
    expect(t.gatekeeperFailure!.code).toBe('ERR_INTERNAL');
    expect(t.gatekeeperStats!.pid).toBeUndefined();
    expect((await stranger(itsPort, () => undefined)).how).toBe('ECONNREFUSED');
    await t.stop(); // nothing left to end; does not hang
  });

  it('caps the connections handed over at maxInboundConnections', { timeout: 30_000 }, async () => {
    const t = new TcpTransport({
      host: '127.0.0.1',
      discovery: false,
      gatekeeper: true,
      maxInboundConnections: 1,
    });
    await t.start();
    cleanups.push(() => t.stop());
    const taken: string[] = [];
    t.incoming$.subscribe((c) => taken.push(c.remoteAddress)); // the conduits are held, never read
    const secure = encodePreamble({ minVersion: 1, maxVersion: 2, flags: PREAMBLE_FLAG_SECURE });
    const held: Socket[] = [];
    const first = stranger(t.port!, (s) => {
      held.push(s);
      s.write(secure);
    });
    await until(() => taken.length === 1, 20_000, 20, 'the first conduit');
    // The second has a right preamble too, but one inbound connection is open: the transport refuses it with a reset
    // (RST), like every connection the listener refuses — not a FIN.
    const second = await stranger(t.port!, (s) => s.write(secure));
    expect(second.how).toBe('ECONNRESET');
    expect(taken).toHaveLength(1);
    expect(t.inboundConnections).toBe(1);
    for (const s of held) s.destroy();
    await first;
    await t.stop();
  });

  it('rejects start() with ERR_INTERNAL when the gatekeeper cannot listen (port taken), leaving no process', {
    timeout: 30_000,
  }, async () => {
    const before = gatekeeperChildren();
    expect(before).toContain(serverTcp.gatekeeperStats!.pid); // the /proc scan sees the running ones
    const t = new TcpTransport({ host: '127.0.0.1', port, discovery: false, gatekeeper: true });
    const err = await t.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_INTERNAL', detail: { errno: 'EADDRINUSE' } });
    expect(t.gatekeeperStats).toBeUndefined();
    expect(gatekeeperChildren()).toEqual(before);
    await t.stop();
  });

  it.each([
    { nice: 20 },
    { nice: 1.5 },
    { preambleTimeoutMs: 0 },
    { preambleTimeoutMs: Number.POSITIVE_INFINITY },
    { maxWaiting: 0 },
  ])('rejects gatekeeper %j with ERR_INVALID_ARGUMENT', (gatekeeper) => {
    expect(() => new TcpTransport({ gatekeeper, discovery: false })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
