/**
 * The gatekeeper process of {@link TcpTransport} (option `gatekeeper`), started with `child_process.fork` by
 * `parent.ts`: it owns the listening socket and takes the strangers' part of every inbound connection off the
 * device's event loop — node's accept (`net.Socket`, `onconnection`), the per-source accept allowance, the caps on
 * connections waiting for their preamble, the preamble deadline, the check of the 8-byte plaintext preamble
 * (PROTOCOL.md §1) byte by byte against the colink magic, the wait for the whole TLS record of a ClientHello sent
 * before the device answered the preamble, and the close of every connection that fails there. A connection whose
 * preamble is complete and right goes to the device with `process.send(message, socket)` (node
 * closes this process's copy), the bytes read so far in the message; everything else is reset here. Runs at a lower
 * scheduling priority than the device (the parent's `os.setPriority`), so strangers get what the device leaves.
 *
 * Not an entry point of the package's API: only `parent.ts` runs it.
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  CLIENT_HELLO_HEAD_BYTES,
  clientHelloRecordLength,
  PREAMBLE_BYTES,
  PREAMBLE_FLAG_SECURE,
  preambleMagicPrefixOk,
} from '@colink/core/wire';
import { AcceptAllowance } from '../accept-allowance.js';
import { listenDualStack } from '../listen.js';
import { admitBeforeSocket } from '../seams.js';
import {
  type FromGatekeeper,
  type GatekeeperConfig,
  type GatekeeperCounts,
  NO_GATEKEEPER_COUNTS,
  type ToGatekeeper,
} from './messages.js';

const config = JSON.parse(process.argv[2] ?? '{}') as GatekeeperConfig;

/** A connection waiting for its preamble. */
class Waiting {
  /** Everything read so far (handed to the device with the socket). */
  readonly chunks: Buffer[] = [];
  /** The preamble bytes so far (checked against the magic as they arrive). */
  readonly preamble = Buffer.allocUnsafe(PREAMBLE_BYTES);
  have = 0;
  /** Bytes read so far. */
  total = 0;
  /**
   * Bytes it must have sent before it is handed over: the preamble, plus — once a secure preamble was followed by
   * more bytes — the whole TLS record those bytes start ({@link firstRecordDone}).
   */
  need = PREAMBLE_BYTES;
  readonly onData = (chunk: Buffer): void => received(this, chunk);
  readonly onClose = (): void => {
    if (unwait(this)) {
      counts.gone++;
      changed();
    }
  };
  constructor(
    readonly socket: Socket,
    readonly source: string,
    readonly due: number,
  ) {}
}

/** The counters reported to the transport (`waiting` is sent as the current gauge, `waiting.size`). */
const counts: { -readonly [K in keyof GatekeeperCounts]: number } = { ...NO_GATEKEEPER_COUNTS };
/**
 * Hand-overs given to node and not yet acknowledged by the device (node sends one socket at a time and queues the
 * rest itself, where nothing can be chosen or dropped): at most {@link MAX_IN_FLIGHT}; further connections with a
 * right preamble wait in {@link ready}.
 */
let inFlight = 0;
/** Hand-overs given to node at once. A few, so the device's next ones are on their way while it takes one. */
const MAX_IN_FLIGHT = 4;
/** A connection whose preamble is right, waiting for its turn to be handed over (paused: its next bytes stay in the kernel). */
interface Ready {
  readonly socket: Socket;
  readonly bytes: Buffer;
  readonly source: string;
  readonly onClose: () => void;
}
/** Connections waiting for their turn, oldest first (at most `maxWaiting`), and per source host. */
const ready = new Set<Ready>();
const readyBySource = new Map<string, Set<Ready>>();
/** Every waiting connection, oldest first (the deadline is the same for all: the first is due first). */
const waiting = new Set<Waiting>();
/** Waiting connections per source host, oldest first. */
const bySource = new Map<string, Set<Waiting>>();
const allowance =
  config.acceptLimit === false
    ? undefined
    : new AcceptAllowance(config.acceptLimit, config.maxTrackedSources, () => performance.now());
let deadlineTimer: NodeJS.Timeout | undefined;
let statsTimer: NodeJS.Timeout | undefined;
let stopping = false;

function send(message: FromGatekeeper, socket?: Socket): void {
  if (!process.connected) {
    socket?.destroy();
    return;
  }
  if (socket) {
    inFlight++;
    process.send!(message, socket, {}, (err) => {
      inFlight--;
      if (err) socket.destroy();
      pump();
    });
  } else process.send!(message);
}

/** The counters changed: report them within {@link GatekeeperConfig.statsIntervalMs}. */
function changed(): void {
  statsTimer ??= setTimeout(() => {
    statsTimer = undefined;
    send({ t: 'stats', ...counts, waiting: waiting.size });
  }, config.statsIntervalMs);
}

/** Whether the listener applies the allowance before node builds a socket ({@link admitBeforeSocket}). */
let admitsBeforeSocket = false;

/** Takes one token of `source`'s allowance; false (counted: reset the connection) when it has none left. */
function allowOrCount(source: string): boolean {
  if (!allowance || allowance.take(source)) return true;
  counts.rateLimited++;
  changed();
  return false;
}

function accept(socket: Socket): void {
  socket.on('error', () => undefined); // resets and peer errors end in 'close'
  if (stopping) {
    socket.resetAndDestroy();
    return;
  }
  const source = socket.remoteAddress ?? '';
  if (!admitsBeforeSocket && !allowOrCount(source)) {
    socket.resetAndDestroy();
    return;
  }
  counts.accepted++;
  makeRoom(source);
  const w = new Waiting(socket, source, performance.now() + config.preambleTimeoutMs);
  waiting.add(w);
  const mine = bySource.get(source);
  if (mine) mine.add(w);
  else bySource.set(source, new Set([w]));
  socket.on('data', w.onData);
  socket.on('close', w.onClose);
  socket.resume();
  deadlineTimer ??= setTimeout(expire, config.preambleTimeoutMs);
  changed();
}

/** Evicts the oldest waiting connection of `source` past its share, then of the source with most past the total. */
function makeRoom(source: string): void {
  const mine = bySource.get(source);
  while (mine && mine.size >= config.maxWaitingPerSource) reset(first(mine), 'evicted');
  while (waiting.size >= config.maxWaiting) {
    let biggest: Set<Waiting> | undefined;
    for (const s of bySource.values()) if (!biggest || s.size > biggest.size) biggest = s;
    reset(first(biggest!), 'evicted');
  }
}

function first<T>(s: Set<T>): T {
  return s.values().next().value as T;
}

/** Resets the connections whose preamble deadline passed; re-arms for the next one. */
function expire(): void {
  deadlineTimer = undefined;
  const now = performance.now();
  for (const w of waiting) {
    if (w.due > now) {
      deadlineTimer = setTimeout(expire, Math.max(1, w.due - now));
      return;
    }
    reset(w, 'timedOut');
  }
}

/** Stops tracking `w`; false when it was no longer waiting. */
function unwait(w: Waiting): boolean {
  if (!waiting.delete(w)) return false;
  const mine = bySource.get(w.source);
  mine?.delete(w);
  if (mine?.size === 0) bySource.delete(w.source);
  return true;
}

function reset(w: Waiting, why: 'badMagic' | 'timedOut' | 'evicted'): void {
  if (!unwait(w)) return;
  counts[why]++;
  w.socket.resetAndDestroy();
  changed();
}

/**
 * Bytes from a waiting connection: checked byte by byte against the magic until the preamble is whole, then handed
 * over — unless a secure preamble came with more bytes ({@link firstRecordDone}).
 */
function received(w: Waiting, chunk: Buffer): void {
  if (!waiting.has(w) || chunk.length === 0) return;
  w.chunks.push(chunk);
  w.total += chunk.length;
  if (w.have < PREAMBLE_BYTES) {
    const n = Math.min(PREAMBLE_BYTES - w.have, chunk.length);
    chunk.copy(w.preamble, w.have, 0, n);
    w.have += n;
    if (!preambleMagicPrefixOk(w.preamble.subarray(0, w.have))) {
      reset(w, 'badMagic');
      return;
    }
    if (w.have < PREAMBLE_BYTES) return;
  }
  if (w.total > PREAMBLE_BYTES && !firstRecordDone(w)) return;
  hand(w);
}

/**
 * Whether `w` (its preamble whole and right, more bytes behind it) may go to the device now. An honest initiator sends
 * nothing after its preamble until the responder's preamble answers it (PROTOCOL.md §1), and the device answers only
 * once it has the connection, so bytes behind a secure preamble can only be a TLS ClientHello sent early: it goes over
 * whole or not at all. Until its record is complete the connection keeps waiting here (its deadline and the waiting
 * caps still apply), so a stranger that stops inside its ClientHello — a mid-TLS slowloris — never costs the device a
 * hand-over or TLS state; bytes that cannot open a ClientHello (`clientHelloRecordLength`) reset it at once, counted
 * as a wrong byte. Bytes behind a plain preamble (frames) go over as they are.
 */
function firstRecordDone(w: Waiting): boolean {
  if ((w.preamble.readUInt16BE(6) & PREAMBLE_FLAG_SECURE) === 0) return true;
  if (w.need === PREAMBLE_BYTES) {
    if (w.total < PREAMBLE_BYTES + CLIENT_HELLO_HEAD_BYTES) return false;
    const head = Buffer.concat(w.chunks).subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + CLIENT_HELLO_HEAD_BYTES);
    try {
      w.need = PREAMBLE_BYTES + clientHelloRecordLength(head);
    } catch {
      reset(w, 'badMagic');
      return false;
    }
  }
  return w.total >= w.need;
}

/** The preamble is whole and right: the socket goes to the device with every byte read from it. */
function hand(w: Waiting): void {
  unwait(w);
  const socket = w.socket;
  socket.off('data', w.onData);
  socket.off('close', w.onClose);
  socket.pause();
  // Stop reading now, not when node converts the handle (a hand-off waits for the previous one's acknowledgement):
  // bytes read into this process's stream after the message was made would be lost. `data` was delivered as it came
  // (flowing mode), so nothing is buffered here.
  const handle = (socket as unknown as { _handle?: { reading: boolean; readStop(): number } })._handle;
  if (handle?.reading) {
    handle.reading = false;
    handle.readStop();
  }
  if (socket.readableLength > 0) {
    socket.resetAndDestroy(); // cannot happen in flowing mode; never hand over a stream with a hole in it
    counts.gone++;
    changed();
    return;
  }
  // The device's process may not take connections as fast as they come: they wait here for their turn, at most
  // `maxWaiting`; past that the oldest of the source with the most waiting is reset (the new one counted), as core's
  // pre-authentication work queue does — a device dialling in once is its source's only one and is not the one
  // pushed out by a storm from sources that have several waiting.
  const source = w.source;
  while (ready.size >= config.maxWaiting) {
    const mine = readyBySource.get(source);
    let biggest = mine;
    let most = (mine?.size ?? 0) + 1;
    for (const set of readyBySource.values()) {
      if (set.size <= most) continue;
      biggest = set;
      most = set.size;
    }
    const victim = first(biggest ?? ready);
    unready(victim);
    victim.socket.resetAndDestroy();
    counts.backlogged++;
  }
  const r: Ready = {
    socket,
    bytes: Buffer.concat(w.chunks),
    source,
    onClose: () => {
      if (unready(r)) {
        counts.gone++;
        changed();
      }
    },
  };
  socket.on('close', r.onClose);
  ready.add(r);
  const set = readyBySource.get(source);
  if (set) set.add(r);
  else readyBySource.set(source, new Set([r]));
  pump();
  changed();
}

/** Stops `r` waiting for its turn; false when it no longer was. */
function unready(r: Ready): boolean {
  if (!ready.delete(r)) return false;
  r.socket.off('close', r.onClose);
  const set = readyBySource.get(r.source);
  set?.delete(r);
  if (set?.size === 0) readyBySource.delete(r.source);
  return true;
}

/** Hands waiting connections to node, oldest first, while fewer than {@link MAX_IN_FLIGHT} are on their way. */
function pump(): void {
  while (inFlight < MAX_IN_FLIGHT && ready.size > 0 && !stopping) {
    const r = first(ready);
    unready(r);
    counts.handed++;
    send({ t: 'conn', bytes: r.bytes.toString('base64') }, r.socket);
    changed();
  }
}

function stop(server: Server): void {
  if (stopping) return;
  stopping = true;
  server.close();
  for (const w of [...waiting]) {
    unwait(w);
    w.socket.resetAndDestroy();
  }
  for (const r of [...ready]) {
    unready(r);
    r.socket.resetAndDestroy();
  }
  clearTimeout(deadlineTimer);
  clearTimeout(statsTimer);
  setImmediate(() => process.exit(0));
}

async function main(): Promise<void> {
  const server = createServer({ noDelay: true, pauseOnConnect: true }, accept);
  process.on('message', (m: ToGatekeeper) => {
    if (m.t === 'refund') allowance?.refund(m.host);
    else if (m.t === 'stop') stop(server);
  });
  // The device went away (its process ended without stopping us): nothing is left to hand connections to.
  process.on('disconnect', () => stop(server));
  try {
    await listenDualStack(server, config.host, config.port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Exits once the report is written (the parent rejects its start with it).
    process.send!(
      { t: 'listen-failed', code: e.code ?? 'EUNKNOWN', message: e.message } satisfies FromGatekeeper,
      () => process.exit(1),
    );
    return;
  }
  server.on('error', () => undefined); // accept errors (EMFILE …): node retries; the device's log is the parent's
  // Connections past their source's allowance are reset before node builds a net.Socket for them.
  admitsBeforeSocket = admitBeforeSocket(server, allowOrCount);
  const bound = server.address();
  if (typeof bound === 'object' && bound) send({ t: 'listening', address: bound.address, port: bound.port });
}

await main();
