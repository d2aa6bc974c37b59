import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { filter, firstValueFrom, type Observable, Subject } from 'rxjs';
import type { Channel } from '../src/channel.js';
import {
  encodeFrame,
  encodeJson,
  encodePreamble,
  type Frame,
  FrameDecoder,
  FrameType,
} from '../src/codec.js';
import { LocalDevice, type LocalDeviceOptions } from '../src/device.js';
import { ColinkError, ErrorCode } from '../src/errors.js';
import { MAX_CONTROL_PAYLOAD } from '../src/limits.js';
import { Link, type LinkOptions, type LinkRole } from '../src/link.js';
import { createConduitPair, type LinkModel } from '../src/memory/conduit-pair.js';
import { MemoryNetwork } from '../src/memory/memory-transport.js';
import { socketConduit } from '../src/node/socket-conduit.js';
import type { AppInfo, Session } from '../src/session.js';
import { VirtualClock } from '../src/testing/virtual-clock.js';
import type { Conduit, DeviceAdvert, Transport } from '../src/transport.js';

export function advert(name: string): DeviceAdvert {
  return {
    networkId: createHash('sha256').update(name).digest('hex'),
    deviceName: name,
    deviceType: 'phone',
  };
}

export async function linkPair(
  model: LinkModel = {},
  extra: Partial<LinkOptions> = {},
): Promise<[Link, Link]> {
  const [ca, cb] = createConduitPair({ model });
  const a = new Link(ca, { role: 'initiator', local: advert('a'), ...extra });
  const b = new Link(cb, { role: 'responder', local: advert('b'), ...extra });
  await Promise.all([a.opened, b.opened]);
  return [a, b];
}

export function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

export function next<T>(o: Observable<T>, pred: (v: T) => boolean = () => true): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred)));
}

/** `ability` of com.example.collab's entry module. */
export function app(ability: string): AppInfo {
  return { bundleName: 'com.example.collab', moduleName: 'entry', abilityName: ability };
}

/**
 * Opens a session from `a` to `b` for `service` (EntryAbility on both sides), `b` accepting every request; resolves
 * with the requester's session and the acceptor's.
 */
export async function openSession(
  a: LocalDevice,
  b: LocalDevice,
  service = 'collab',
): Promise<[Session, Session]> {
  const accepted = new Promise<Session>((resolve) => {
    b.sessions.requests$.subscribe((r) => void r.accept().then(resolve));
  });
  const s = await a.sessions.request({
    peer: b.advert.networkId,
    service,
    local: app('EntryAbility'),
    remote: app('EntryAbility'),
  });
  return [s, await accepted];
}

/**
 * Two devices on one memory network, `high` with the larger networkId (its dials win a merge), started and pushed
 * onto `running` (for the caller's afterEach to stop); `beforeStart` may adjust them first.
 */
export async function lowHighDevices(
  running: LocalDevice[],
  beforeStart?: (devices: { low: LocalDevice; high: LocalDevice }) => void,
) {
  const net = new MemoryNetwork();
  const [lo, hi] = ['x', 'y'].map(advert).sort((p, q) => (p.networkId < q.networkId ? -1 : 1)) as [
    DeviceAdvert,
    DeviceAdvert,
  ];
  const tLo = net.createTransport();
  const tHi = net.createTransport();
  const low = new LocalDevice({ advert: lo, transports: [tLo] });
  const high = new LocalDevice({ advert: hi, transports: [tHi] });
  running.push(low, high);
  beforeStart?.({ low, high });
  await low.start();
  await high.start();
  return { net, low, high, tLo, tHi };
}

/**
 * A started device `server` (address 'server') on a memory network in virtual time, with `admission` options: the
 * target of the admission and pre-Link tests' raw strangers (`net.createTransport()` dials it).
 */
export async function virtualServer(admission?: LocalDeviceOptions['admission']) {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ scheduler: clock });
  const server = new LocalDevice({
    advert: advert('server'),
    transports: [net.createTransport({ address: 'server' })],
    scheduler: clock,
    ...(admission ? { admission } : {}),
  });
  await server.start();
  return { clock, net, server };
}

/**
 * A hand-made {@link Conduit} for tests that drive one end themselves: `data$` (required) and any other members as
 * given; the rest a TCP conduit between two loopback addresses that accepts every write and does nothing on end or
 * destroy.
 */
export function testConduit(parts: Partial<Conduit> & Pick<Conduit, 'data$'>): Conduit {
  return {
    medium: 'tcp',
    localAddress: '127.0.0.1:1',
    remoteAddress: '127.0.0.1:2',
    maxFrameSize: 65_548,
    drain$: new Subject<void>(),
    closed$: new Subject(),
    write: () => true,
    end: () => undefined,
    destroy: () => undefined,
    ...parts,
  };
}

/**
 * Two devices `a` and `b` (advertised as `names`) on one memory network whose Links follow `model`, with `options`,
 * started, `a` having found `b` in its directory; both pushed onto `running` for the caller's afterEach to stop.
 */
export async function memoryDevicePair(
  running: LocalDevice[],
  names: readonly [string, string] = ['phone', 'tablet'],
  options: Partial<LocalDeviceOptions> = {},
  model: LinkModel = {},
) {
  const net = new MemoryNetwork({ model });
  const a = new LocalDevice({ advert: advert(names[0]), transports: [net.createTransport()], ...options });
  const b = new LocalDevice({ advert: advert(names[1]), transports: [net.createTransport()], ...options });
  running.push(a, b);
  await a.start();
  await b.start();
  await next(a.directory.devices$, (l) => l.length === 1);
  return { net, a, b };
}

/**
 * A minimal TCP transport over real loopback sockets (core's `socketConduit`), standing in for transport-tcp, which core
 * does not depend on: listens on `host`, dials `host:port` / `[v6]:port`. No discovery.
 */
export class LoopbackTcp implements Transport {
  readonly medium = 'tcp';
  readonly capabilities = {
    maxFrameSize: 65_548,
    reliable: true,
    bandwidth: 'high',
    latency: 'low',
    priority: 80,
  } as const;
  readonly incoming$ = new Subject<Conduit>();
  private server: Server | undefined;
  constructor(private readonly host: string) {}
  get localAddress(): string | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object'
      ? `${this.host.includes(':') ? `[${this.host}]` : this.host}:${a.port}`
      : undefined;
  }
  async start(): Promise<void> {
    this.server = createServer((s) => this.incoming$.next(socketConduit(s)));
    await new Promise<void>((r) => this.server!.listen(0, this.host, r));
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
  dial(address: string): Promise<Conduit> {
    const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(address);
    if (!m) throw new ColinkError(ErrorCode.INVALID_ARGUMENT, address);
    return new Promise((resolve, reject) => {
      const s = connect({ host: m[1]!, port: Number(m[2]) }, () => resolve(socketConduit(s)));
      s.once('error', (e) => reject(new ColinkError(ErrorCode.DIAL_FAILED, e.message)));
    });
  }
}

/**
 * A Link on one end of a memory pair and a hand-driven peer on the other, speaking protocol v1 (role parity of
 * channel ids, ids up to 65 535): the peer has sent its preamble and HELLO; `send` writes raw frames, `frames`
 * collects what the Link sent after its HELLO, `conduit` is the peer's end. `options` go to the Link.
 */
export async function rawPeer(role: LinkRole = 'responder', options: Partial<LinkOptions> = {}) {
  const [ca, cb] = createConduitPair();
  const link = new Link(ca, { role, local: advert('link'), ...options });
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(MAX_CONTROL_PAYLOAD * 8);
  let preamble = 8;
  cb.data$.subscribe((chunk) => {
    let c = chunk;
    if (preamble > 0) {
      const n = Math.min(preamble, c.length);
      preamble -= n;
      c = c.subarray(n);
    }
    if (c.length > 0) decoder.push(c, (f) => frames.push({ ...f, payload: f.payload.slice() }));
  });
  const send = (...fs: Uint8Array[]) => cb.write(fs);
  send(
    encodePreamble({ minVersion: 1, maxVersion: 1, flags: 0 }),
    encodeFrame(
      FrameType.HELLO,
      0,
      0,
      0,
      encodeJson({ v: 1, advert: advert('raw'), window: 1 << 20, maxFrame: 65_548 }),
    ),
  );
  await link.opened;
  return { link, frames, send, conduit: cb };
}

/**
 * A raw protocol-v1 peer over real TCP (no security): connects to `address` (`host:port`), sends the preamble and a
 * HELLO announcing `who`, and collects every frame the device sends after its preamble. `write` sends frames as one
 * chunk; `closed` turns true (and `ended` resolves) once the device closed the connection.
 */
export async function rawTcpV1Peer(address: string, who: DeviceAdvert) {
  const [host, port] = address.split(':') as [string, string];
  const sock = connect({ host, port: Number(port) });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const received: Frame[] = [];
  const decoder = new FrameDecoder(MAX_CONTROL_PAYLOAD * 8);
  let skip = 8; // the device's preamble
  sock.on('data', (chunk: Buffer) => {
    let c = new Uint8Array(chunk);
    if (skip > 0) {
      const n = Math.min(skip, c.length);
      skip -= n;
      c = c.subarray(n);
    }
    if (c.length > 0) decoder.push(c, (f) => received.push({ ...f, payload: f.payload.slice() }));
  });
  sock.on('error', () => undefined);
  let closed = false;
  const ended = new Promise<void>((r) => sock.once('close', () => r())).then(() => {
    closed = true;
  });
  sock.write(encodePreamble({ minVersion: 1, maxVersion: 1, flags: 0 }));
  sock.write(
    encodeFrame(
      FrameType.HELLO,
      0,
      0,
      0,
      encodeJson({ v: 1, advert: who, window: 1 << 20, maxFrame: 65_548 }),
    ),
  );
  return {
    received,
    ended,
    get closed() {
      return closed;
    },
    write(frames: readonly Uint8Array[]): void {
      sock.write(Buffer.concat(frames));
    },
    end(): void {
      sock.end();
    },
  };
}

/** An OPEN frame for channel `id` with metadata `{ proto }`. */
export const openFrame = (id: number, proto = 'raw') =>
  encodeFrame(FrameType.OPEN, 0, id, 0, encodeJson({ proto }));

/**
 * Two Links (initiator `a`, responder `b`) over a memory pair whose time is `clock`'s (`model`: latency, bandwidth,
 * …), with `options` and the clock as their scheduler; resolves once both opened, `advanceMs` of virtual time after
 * they were made.
 */
export async function virtualLinkPair(
  clock: VirtualClock,
  options: Partial<LinkOptions> = {},
  model: LinkModel = {},
  advanceMs = 0,
): Promise<[Link, Link]> {
  const [ca, cb] = createConduitPair({ scheduler: clock, model });
  const opts = { ...options, scheduler: clock };
  const a = new Link(ca, { ...opts, role: 'initiator', local: advert('a') });
  const b = new Link(cb, { ...opts, role: 'responder', local: advert('b') });
  await clock.advance(advanceMs);
  await Promise.all([a.opened, b.opened]);
  return [a, b];
}

/** Lets queued deliveries, pumps and timers of an ideal memory pipe run (`rounds` turns of the event loop). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** The channels `link` receives, in an array that fills as they open. */
export function collectIncoming(link: Link): Channel[] {
  const got: Channel[] = [];
  link.incomingChannels$.subscribe((ch) => got.push(ch));
  return got;
}

/**
 * A device `from` on `net` that dials the device listening at `to` in `clock`'s time: the device and its Link once
 * the dial resolved (10 ms of virtual time).
 */
export async function dialVirtual(net: MemoryNetwork, clock: VirtualClock, from = 'client', to = 'server') {
  const client = new LocalDevice({
    advert: advert(from),
    transports: [net.createTransport({ address: from })],
    scheduler: clock,
  });
  await client.start();
  const connecting = client.connectAddress('memory', to);
  await clock.advance(10);
  return { client, link: await connecting };
}

/** Advances `clock` 100 ms at a time until `p` settles (at most 60 s of virtual time); settles as `p` does. */
export async function driveClock<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let t = 0; !done && t < 60_000; t += 100) await clock.advance(100);
  return p;
}

/**
 * Waits until `done()` holds, checking every `everyMs`, at most `ms` of real time (a generous margin on a loaded host);
 * the caller asserts what it waited for afterwards.
 */
export async function until(done: () => boolean, ms = 10_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, everyMs));
}
