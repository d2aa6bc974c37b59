import { readFileSync } from 'node:fs';
import { connect, createServer, isIP, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type CloseReason,
  ColinkError,
  type Conduit,
  closeReason,
  type DeviceAdvert,
  type DialOptions,
  type Discovery,
  type DiscoveryEvent,
  ErrorCode,
  type InboundQueue,
  PRE_AUTH_TIMEOUT_MS,
  runAfter,
  socketConduit,
  type Transport,
  type TransportCapabilities,
} from '@colink/core';
import { EMPTY, type Observable, type SchedulerLike, Subject } from 'rxjs';
import { AcceptAllowance } from './accept-allowance.js';
import { formatAddress, parseAddress } from './address.js';
import {
  ACCEPT_BURST_PER_SOURCE,
  ACCEPT_RATE_PER_SOURCE,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_INBOUND_CONNECTIONS,
  GATEKEEPER_MAX_WAITING,
  GATEKEEPER_MAX_WAITING_PER_SOURCE,
  GATEKEEPER_NICE,
  GATEKEEPER_STATS_INTERVAL_MS,
  MAX_TRACKED_ACCEPT_SOURCES,
  TARPIT_HOLD_MS,
  TARPIT_MAX_HELD,
  TARPIT_RESETS_PER_TICK,
  TARPIT_TICK_MS,
  TCP_MAX_FRAME_SIZE,
  TCP_PRIORITY,
} from './constants.js';
import type { GatekeeperCounts } from './gatekeeper/messages.js';
import { Gatekeeper } from './gatekeeper/parent.js';
import { listenDualStack } from './listen.js';
import { log } from './log.js';
import { DnsSdDiscovery, type DnsSdOptions } from './mdns/discovery.js';
import { type AcceptedConnection, admitBeforeSocket } from './seams.js';
import { Tarpit, type TarpitCounts } from './tarpit.js';

/** {@link TcpTransport.gatekeeperStats}: the gatekeeper process's id, its restarts and its counters. */
export type GatekeeperStats = GatekeeperCounts & {
  /** The running child's process id (undefined between a crash and its restart). */
  readonly pid: number | undefined;
  /** Times it was restarted after exiting unexpectedly. */
  readonly restarts: number;
};

/** Options of {@link TcpTransport}. Every field is optional. */
export interface TcpTransportOptions {
  /**
   * Address to listen on. Default `'::'` (every IPv4 and IPv6 address, dual-stack), falling back to `'0.0.0.0'`
   * when the host has no IPv6. Tests and the playground use `'127.0.0.1'`.
   */
  readonly host?: string;
  /**
   * TCP port to listen on (an integer in 0…65535); `0` (default) picks an ephemeral port, announced through
   * discovery.
   */
  readonly port?: number;
  /**
   * Default dial time limit in ms when `dial()` gets none (a positive finite number). Default
   * {@link DEFAULT_CONNECT_TIMEOUT_MS} (10 000).
   */
  readonly connectTimeoutMs?: number;
  /**
   * Destroys a conduit with reason `timeout` after this many ms without traffic (a finite number ≥ 0). Default `0`:
   * off, because core's Link keep-alive ping detects dead peers and keeps live links busy.
   */
  readonly idleTimeoutMs?: number;
  /**
   * Inbound conduits open at once, pre-authentication ones included; more are reset (TCP RST) at once — at accept, or,
   * for a connection waiting in the device's queue ({@link TcpTransport.queueInbound}), when its turn comes, giving its
   * source's `acceptLimit` token back; with the `gatekeeper`, when it is handed over. Default {@link DEFAULT_MAX_INBOUND_CONNECTIONS} (256). Core's `LocalDevice` keeps unauthenticated handshakes to
   * its pending cap (64 by default), so the rest stays for authenticated Links. An integer ≥ 1 (else the constructor
   * throws `ERR_INVALID_ARGUMENT`).
   */
  readonly maxInboundConnections?: number;
  /**
   * Per-source accept limit: a token bucket per source host (remote address without port) of `burst` connections,
   * refilled at `perSecond`; a connection past it is refused at accept, before any socket, conduit, Link or TLS work
   * (counted in {@link TcpTransport.rateLimitedConnections}): reset, once the tarpit's hold ended (option `tarpit`) or
   * at once. Default {@link ACCEPT_BURST_PER_SOURCE} (32) and
   * {@link ACCEPT_RATE_PER_SOURCE} (16 per second); `false` turns it off. Every connection from one host shares its
   * bucket, but only connections that never authenticate use it up: when core's device reports the peer
   * authenticated (`Conduit.authenticated`: trusted by the security stage or, without one, its Link open) the
   * connection's token goes back. So devices on one host (several on 127.0.0.1, a lab, a benchmark) relink as often
   * as they like, while a storm of strangers from that host is still reset past the burst. At most 1,024 source hosts
   * are tracked (least recently seen dropped first), so an attacker rotating through many IPv6 addresses is bounded
   * by the pending-handshake caps instead.
   */
  readonly acceptLimit?: { readonly burst: number; readonly perSecond: number } | false;
  /**
   * Tarpit for connections `acceptLimit` refuses (default on; `false` resets them at once): each such connection is
   * held for `holdMs` (default {@link TARPIT_HOLD_MS}, 5 000) before it is reset, instead of at once — nothing is
   * read from it and no socket is built (the raw accepted handle; one timer for all, on `scheduler`) — at most `max`
   * at once (default {@link TARPIT_MAX_HELD}, 512, and never more than a quarter of the process's open-file limit;
   * past it the oldest held one is reset). An attacker that reopens its connections as fast as the device resets
   * them has them tied up for the hold instead: in the `hostile` bench's sustained storm (500 connections from 100
   * hosts reopened for 4 s) the device's CPU fell from ~2 s to ~0.4–0.8 s. An honest host past its allowance (more
   * than 32 connections that never authenticated in a burst, then 16 a second) sees its connection accepted,
   * unanswered, and reset after the hold, instead of reset at once. Only with this process's own listener on a node
   * with the accept hook (`src/seams.ts`); the gatekeeper process resets at once. Nothing to hold without
   * `acceptLimit`.
   */
  readonly tarpit?: boolean | { readonly holdMs?: number; readonly max?: number };
  /**
   * DNS-SD discovery over mDNS, or `false` to run without discovery (dial known addresses only). Default `{}`:
   * every non-loopback IPv4 interface on port 5353. Loopback mode (tests):
   * `{ interface: '127.0.0.1', bind: '0.0.0.0', port: <random> }`.
   */
  readonly discovery?: DnsSdOptions | false;
  /**
   * Clock of the transport's timers — the dial time limit, and discovery's record expiry / POOF / queries unless
   * `discovery.scheduler` says otherwise — as an rxjs scheduler. Tests pass core's `VirtualClock`. Default: real time.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Listen through a gatekeeper process (default `false`): a child process (`child_process.fork`) owns the listening
   * socket, accepts, applies `acceptLimit`, caps the connections waiting for their 8-byte preamble (`maxWaiting` in
   * all, default {@link GATEKEEPER_MAX_WAITING} (64), and {@link GATEKEEPER_MAX_WAITING_PER_SOURCE} (8) per source
   * host; past a cap the oldest waiting connection of the source with the most is reset), gives each
   * `preambleTimeoutMs` (default core's `PRE_AUTH_TIMEOUT_MS`, 5 000) to send it, and checks it byte by byte against
   * the colink magic (PROTOCOL.md §1). Only a connection whose preamble is right reaches this process (the socket is
   * passed over IPC, the bytes the child read put back in front of it); the rest — silent, slowloris before the end of
   * the preamble, random bytes, connections past the allowance — is reset in the child and costs this process's event
   * loop nothing. The child runs at scheduling priority `nice` (default {@link GATEKEEPER_NICE}, 10: strangers get
   * what the device leaves of the CPU). It is restarted on the same port when it exits unexpectedly (at most
   * `GATEKEEPER_MAX_RESTARTS` times a minute, then {@link TcpTransport.gatekeeperFailure} is set); `stop()` ends
   * it and waits for its exit. Slowloris mid-TLS and untrusted identities still reach the device (node:tls cannot move
   * a TLS session between processes). `maxInboundConnections` then caps the connections handed over. The allowance
   * and the deadline run on the child's real clock (`scheduler` does not reach another process).
   */
  readonly gatekeeper?:
    | boolean
    | { readonly nice?: number; readonly preambleTimeoutMs?: number; readonly maxWaiting?: number };
}

/**
 * colink's LAN TCP medium: a core {@link Transport} producing TCP {@link Conduit}s (see {@link socketConduit}) and
 * finding devices with DNS-SD (RFC 6763) over mDNS (RFC 6762), service type `_colink._tcp.local`.
 *
 * @example
 * ```ts
 * const tcp = new TcpTransport({ host: '127.0.0.1', discovery: { interface: '127.0.0.1', bind: '0.0.0.0', port: 45353 } });
 * await tcp.start();
 * await tcp.advertise({ networkId, deviceName: 'desk', deviceType: 'pc' });
 * tcp.discover().subscribe((e) => e.type === 'found' && tcp.dial(e.peer.address));
 * ```
 */
export class TcpTransport implements Transport, Discovery {
  readonly medium = 'tcp' as const;
  readonly capabilities: TransportCapabilities = {
    maxFrameSize: TCP_MAX_FRAME_SIZE,
    reliable: true,
    bandwidth: 'high',
    latency: 'low',
    priority: TCP_PRIORITY,
  };
  readonly incoming$: Observable<Conduit>;

  readonly #options: TcpTransportOptions;
  readonly #incoming = new Subject<Conduit>();
  readonly #conduits = new Set<Conduit>();
  #inbound = 0;
  #rateLimited = 0;
  /** Accept allowance per source host (this process's listener; the gatekeeper keeps its own). */
  readonly #allowance: AcceptAllowance | undefined;
  #server: Server | undefined;
  /** The listener applies the per-source allowance before node builds a connection's socket ({@link admitBeforeSocket}). */
  #admitsBeforeSocket = false;
  /** Connections refused at accept, held before their reset (option `tarpit`). */
  #tarpit: Tarpit | undefined;
  /** The device's queue of inbound connections waiting for a work slice ({@link TcpTransport.queueInbound}). */
  #queue: InboundQueue | undefined;
  /** Accepted connections passed to `#queue` whose socket is not built yet. */
  readonly #waiting = new Set<AcceptedConnection>();
  /** The conduit of the connection `#take` builds (set by `#accept`, which node calls from within the build). */
  #taking: { conduit: Conduit | undefined } | undefined;
  #gatekeeper: Gatekeeper | undefined;
  /** Address and port listened on (by this process or the gatekeeper), once started. */
  #bound: { address: string; port: number } | undefined;
  readonly #discovery: DnsSdDiscovery | undefined;
  #advert: DeviceAdvert | undefined;
  #starting: Promise<void> | undefined;
  #localAddress: string | undefined;

  /**
   * @throws ColinkError `ERR_INVALID_ARGUMENT` when `acceptLimit` has a `burst` below 1 or a `perSecond` that is not
   *   a positive finite number (such a limit would refuse every connection), or when `gatekeeper` has a `nice` that
   *   is not an integer in -20…19, a `preambleTimeoutMs` that is not a positive finite number or a `maxWaiting` that
   *   is not an integer ≥ 1, or when `tarpit` has a `holdMs` that is not a positive finite number or a `max` that is
   *   not an integer ≥ 1, or when `maxInboundConnections` is not an integer ≥ 1 (node's listener takes 0 or NaN for
   *   "no limit" and a negative number for "refuse all"), or when `port` is not an integer in 0…65535,
   *   `connectTimeoutMs` not a positive finite number or `idleTimeoutMs` not a finite number ≥ 0 (node would fail
   *   at `start()` with a RangeError, time every dial out at once, or throw on every connection).
   */
  constructor(options: TcpTransportOptions = {}) {
    const invalid = (what: string, value: unknown): ColinkError =>
      new ColinkError(ErrorCode.INVALID_ARGUMENT, `${what}, got ${String(value)}`);
    const { port, connectTimeoutMs, idleTimeoutMs } = options;
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535))
      throw invalid('port must be an integer in 0…65535', port);
    if (connectTimeoutMs !== undefined && !(Number.isFinite(connectTimeoutMs) && connectTimeoutMs > 0))
      throw invalid('connectTimeoutMs must be a positive finite number', connectTimeoutMs);
    if (idleTimeoutMs !== undefined && !(Number.isFinite(idleTimeoutMs) && idleTimeoutMs >= 0))
      throw invalid('idleTimeoutMs must be a finite number ≥ 0', idleTimeoutMs);
    const maxInbound = options.maxInboundConnections;
    if (maxInbound !== undefined && !(Number.isInteger(maxInbound) && maxInbound >= 1))
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `maxInboundConnections must be an integer ≥ 1, got ${maxInbound}`,
      );
    const limit = options.acceptLimit;
    if (
      limit &&
      !(
        limit.burst >= 1 &&
        Number.isFinite(limit.burst) &&
        limit.perSecond > 0 &&
        Number.isFinite(limit.perSecond)
      )
    )
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `acceptLimit needs burst ≥ 1 and perSecond > 0, got ${JSON.stringify(limit)}`,
      );
    const gk = typeof options.gatekeeper === 'object' ? options.gatekeeper : {};
    if (
      (gk.nice !== undefined && !(Number.isInteger(gk.nice) && gk.nice >= -20 && gk.nice <= 19)) ||
      (gk.preambleTimeoutMs !== undefined &&
        !(gk.preambleTimeoutMs > 0 && Number.isFinite(gk.preambleTimeoutMs))) ||
      (gk.maxWaiting !== undefined && !(Number.isInteger(gk.maxWaiting) && gk.maxWaiting >= 1))
    )
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `gatekeeper needs an integer nice in -20…19, preambleTimeoutMs > 0 and an integer maxWaiting ≥ 1, got ${JSON.stringify(gk)}`,
      );
    const tp = typeof options.tarpit === 'object' ? options.tarpit : {};
    if (
      (tp.holdMs !== undefined && !(tp.holdMs > 0 && Number.isFinite(tp.holdMs))) ||
      (tp.max !== undefined && !(Number.isInteger(tp.max) && tp.max >= 1))
    )
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `tarpit needs holdMs > 0 and an integer max ≥ 1, got ${JSON.stringify(tp)}`,
      );
    this.#options = options;
    if (limit !== false) {
      const clock = options.scheduler;
      this.#allowance = new AcceptAllowance(
        limit ?? { burst: ACCEPT_BURST_PER_SOURCE, perSecond: ACCEPT_RATE_PER_SOURCE },
        MAX_TRACKED_ACCEPT_SOURCES,
        clock ? () => clock.now() : () => performance.now(),
      );
    }
    this.incoming$ = this.#incoming.asObservable();
    if (options.discovery !== false) {
      const d = options.discovery ?? {};
      this.#discovery = new DnsSdDiscovery(
        options.scheduler && !d.scheduler ? { ...d, scheduler: options.scheduler } : d,
      );
    }
  }

  /** `host:port` this transport listens on once started (`[::]:port` when listening on every address). */
  get localAddress(): string | undefined {
    return this.#localAddress;
  }

  /**
   * Inbound conduits open now (accepted and not yet closed), pre-authentication ones included — with the
   * `gatekeeper`, those handed over plus those waiting in it for their preamble (reported at most every 100 ms). At
   * most `maxInboundConnections`; core's `LocalDevice` keeps the unauthenticated ones to its pending cap (64 by default)
   * so the rest stays free for authenticated Links. Not counted: connections accepted but waiting in the device's
   * queue without a socket yet ({@link TcpTransport.queueInbound}), and those the tarpit holds
   * ({@link TcpTransport.tarpitCounts}).
   */
  get inboundConnections(): number {
    return this.#inbound + (this.#gatekeeper?.counts.waiting ?? 0);
  }

  /**
   * Inbound connections refused at accept because their source host exceeded its allowance (`acceptLimit`) — reset at
   * once or held by the tarpit first (`tarpit`) — since the transport was created.
   */
  get rateLimitedConnections(): number {
    return this.#rateLimited + (this.#gatekeeper?.counts.rateLimited ?? 0);
  }

  /**
   * The gatekeeper process (option `gatekeeper`) while it runs: its process id, the times it was restarted, and its
   * counters since the transport started (connections accepted, reset past the allowance, waiting now, handed over,
   * reset at a wrong magic byte, at the preamble deadline, evicted by the waiting caps, gone before their preamble,
   * reset with a right preamble while `maxWaiting` others waited for their turn to be handed to this process),
   * as last reported (at most every 100 ms). `undefined` without a gatekeeper or before `start()`.
   */
  get gatekeeperStats(): GatekeeperStats | undefined {
    const g = this.#gatekeeper;
    return g && { pid: g.pid, restarts: g.restarts, ...g.counts };
  }

  /**
   * Set (`ERR_INTERNAL`) when the gatekeeper process kept exiting and the transport stopped restarting it
   * (`GATEKEEPER_MAX_RESTARTS` within a minute): nobody listens on the port any more. Stop and start the
   * transport to try again.
   */
  get gatekeeperFailure(): ColinkError | undefined {
    return this.#gatekeeper?.failure;
  }

  /** The TCP port listened on, once started. */
  get port(): number | undefined {
    return this.#bound?.port;
  }

  /**
   * The tarpit (option `tarpit`) once listening: connections held now, reset once their hold ended, and reset early
   * because it was full, since the transport started. `undefined` without a tarpit.
   */
  get tarpitCounts(): TarpitCounts | undefined {
    return this.#tarpit?.counts();
  }

  /** Binds the listener and starts discovery. Rejects with `ERR_INTERNAL` (cause attached) when it cannot listen. */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((err) => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#options.gatekeeper) await this.#startGatekeeper();
    else await this.#listen();
    const bound = this.#bound!;
    this.#localAddress = formatAddress(bound.address, bound.port);
    log(
      'listening on %s%s',
      this.#localAddress,
      this.#gatekeeper ? ` (gatekeeper ${this.#gatekeeper.pid})` : '',
    );
    if (this.#discovery) {
      this.#discovery.start();
      if (this.#advert) await this.#discovery.advertise(this.#advert, this.port!, this.#listenHost());
    }
  }

  async #startGatekeeper(): Promise<void> {
    const o = typeof this.#options.gatekeeper === 'object' ? this.#options.gatekeeper : {};
    const gatekeeper = new Gatekeeper(
      {
        host: this.#options.host,
        port: this.#options.port ?? 0,
        acceptLimit: this.#allowance?.limit ?? false,
        maxTrackedSources: MAX_TRACKED_ACCEPT_SOURCES,
        preambleTimeoutMs: o.preambleTimeoutMs ?? PRE_AUTH_TIMEOUT_MS,
        maxWaiting: o.maxWaiting ?? GATEKEEPER_MAX_WAITING,
        maxWaitingPerSource: Math.min(
          o.maxWaiting ?? GATEKEEPER_MAX_WAITING,
          GATEKEEPER_MAX_WAITING_PER_SOURCE,
        ),
        statsIntervalMs: GATEKEEPER_STATS_INTERVAL_MS,
      },
      o.nice ?? GATEKEEPER_NICE,
      (socket, bytes) => this.#handedOver(socket, bytes),
    );
    this.#gatekeeper = gatekeeper;
    try {
      this.#bound = await gatekeeper.start();
    } catch (err) {
      this.#gatekeeper = undefined;
      await gatekeeper.stop();
      throw err;
    }
  }

  async #listen(): Promise<void> {
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.#accept(socket));
    server.maxConnections = this.#options.maxInboundConnections ?? DEFAULT_MAX_INBOUND_CONNECTIONS;
    const port = this.#options.port ?? 0;
    const host = this.#options.host;
    try {
      await listenDualStack(server, host, port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ColinkError(ErrorCode.INTERNAL, `cannot listen on ${host ?? '::'}:${port}: ${code}`, {
        cause: err,
      });
    }
    this.#server = server;
    // Connections past their source's allowance are refused before node builds a net.Socket for them (a storm's
    // refusals then cost a few µs each): held by the tarpit, then reset. Admitted ones wait in the device's queue
    // without a socket (#defer). On a node without the hook the allowance's check runs in #accept (reset at once).
    const tarpit = this.#options.tarpit !== false && this.#allowance ? this.#newTarpit() : undefined;
    this.#tarpit = tarpit;
    this.#admitsBeforeSocket = admitBeforeSocket(server, (host) => this.#allowOrCount(host), {
      defer: (connection) => this.#defer(connection),
      ...(tarpit
        ? {
            hold: (connection: AcceptedConnection) => {
              tarpit.hold(connection);
              return true;
            },
          }
        : {}),
    });
    // Without the hook the allowance is checked in #accept, where the socket exists already: nothing is held.
    if (!this.#admitsBeforeSocket) this.#tarpit = undefined;
    const bound = server.address();
    if (typeof bound === 'object' && bound) this.#bound = { address: bound.address, port: bound.port };
    server.on('error', (err) => log('listener error: %s', err.message));
  }

  /**
   * Sends DNS-SD goodbyes, ends discovery (`lost` with reason `stopped` for every known peer), stops listening (ends
   * the gatekeeper process and waits for its exit) and destroys every conduit with reason `going-away`.
   */
  async stop(): Promise<void> {
    const starting = this.#starting;
    if (!starting) return;
    this.#starting = undefined;
    await starting.catch(() => undefined);
    await this.#discovery?.stop();
    const reason = closeReason('going-away', 'TCP transport stopped');
    for (const conduit of this.#conduits) conduit.destroy(reason);
    this.#conduits.clear();
    for (const c of this.#waiting) c.reset();
    this.#waiting.clear();
    this.#tarpit?.clear();
    this.#tarpit = undefined;
    const server = this.#server;
    const gatekeeper = this.#gatekeeper;
    this.#server = undefined;
    this.#gatekeeper = undefined;
    this.#bound = undefined;
    this.#localAddress = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await gatekeeper?.stop();
  }

  /**
   * Announces this device as a DNS-SD instance (probing, then announcements; RFC 6762 §8). Replacing the advert
   * re-announces the changed TXT record, or says goodbye and probes anew when the device name changed.
   * Throws `ERR_INVALID_ARGUMENT` for an advert that does not fit DNS-SD (name > 63 bytes, TXT > 1300 bytes).
   */
  async advertise(advert: DeviceAdvert): Promise<void> {
    this.#advert = advert;
    if (this.#discovery && this.port !== undefined)
      await this.#discovery.advertise(advert, this.port, this.#listenHost());
  }

  /** Sends goodbyes (TTL 0, RFC 6762 §10.1) for this device's records and stops answering for them. */
  async unadvertise(): Promise<void> {
    this.#advert = undefined;
    await this.#discovery?.unadvertise();
  }

  /**
   * Discovery events (found / updated / lost). Hot: a new subscriber first gets `found` for every peer known now.
   * Empty when discovery is off. Events flow while the transport is started.
   */
  discover(): Observable<DiscoveryEvent> {
    return this.#discovery?.events$ ?? EMPTY;
  }

  /**
   * Opens a TCP conduit to `address` (`host:port` or `[v6]:port`). Rejects with `ERR_INVALID_ARGUMENT` (bad
   * address, or a `timeoutMs` that is not a positive finite number), `ERR_NOT_STARTED`, `ERR_TIMEOUT` (after `timeoutMs`, default 10 000), `ERR_ABORTED` (signal) or
   * `ERR_DIAL_FAILED` (errno in `detail.errno`, e.g. ECONNREFUSED).
   */
  dial(address: string, options: DialOptions = {}): Promise<Conduit> {
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseAddress(address));
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#starting)
      return Promise.reject(new ColinkError(ErrorCode.NOT_STARTED, 'TCP transport not started'));
    const timeoutMs = options.timeoutMs ?? this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
      return Promise.reject(
        new ColinkError(
          ErrorCode.INVALID_ARGUMENT,
          `timeoutMs must be a positive finite number, got ${String(timeoutMs)}`,
        ),
      );
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new ColinkError(ErrorCode.ABORTED, `dial ${address} aborted`));
    return new Promise<Conduit>((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.pause();
      const fail = (error: ColinkError) => {
        cleanup();
        socket.destroy();
        reject(error);
      };
      const onError = (err: NodeJS.ErrnoException) =>
        fail(
          new ColinkError(ErrorCode.DIAL_FAILED, `dial ${address} failed: ${err.code ?? err.message}`, {
            cause: err,
            detail: { errno: err.code },
          }),
        );
      const onAbort = () => fail(new ColinkError(ErrorCode.ABORTED, `dial ${address} aborted`));
      const onTimeout = () =>
        fail(new ColinkError(ErrorCode.TIMEOUT, `dial ${address} timed out after ${timeoutMs} ms`));
      const cancelTimer = runAfter(timeoutMs, onTimeout, { scheduler: this.#options.scheduler });
      const cleanup = () => {
        cancelTimer();
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        cleanup();
        if (!this.#starting) {
          socket.destroy();
          reject(new ColinkError(ErrorCode.NOT_STARTED, 'TCP transport stopped while dialling'));
          return;
        }
        resolve(this.#track(socket));
      });
    });
  }

  /**
   * Called by core's `LocalDevice` (core `Transport.queueInbound`) with its queue of inbound connections waiting for
   * their turn in its pre-authentication work slices, or `undefined` when it stops taking connections. While a queue
   * is set (and this node offers the accept hook, `src/seams.ts`), a connection the listener accepts and the per-source
   * allowance admits goes to that queue before node builds its `net.Socket`: socket and conduit are built when its turn
   * comes, in a work slice, and one the queue pushes out (past its 64 waiting connections, 8 per source host) is reset
   * from its raw handle, having cost neither. So the accept callback (libuv runs it once per turn of the event loop:
   * node 20, libuv 1.46) only reads the connection's address, takes its token and queues it — ~25 µs per connection
   * with the reset of those refused (the hook's total in a CPU profile of the `hostile` bench: 92 ms for ~3,600
   * connections) — and no longer builds and closes a socket and conduit for the connections the queue refuses.
   * Connections the gatekeeper process hands over still arrive on `incoming$`.
   */
  queueInbound(queue: InboundQueue | undefined): void {
    this.#queue = queue;
  }

  #newTarpit(): Tarpit {
    const o = typeof this.#options.tarpit === 'object' ? this.#options.tarpit : {};
    const scheduler = this.#options.scheduler;
    return new Tarpit(
      {
        now: scheduler ? () => scheduler.now() : () => performance.now(),
        later: (fn, ms) => runAfter(ms, fn, { scheduler }),
      },
      Math.min(o.max ?? TARPIT_MAX_HELD, Math.max(1, Math.floor(openFileLimit() / 4))),
      o.holdMs ?? TARPIT_HOLD_MS,
      TARPIT_TICK_MS,
      TARPIT_RESETS_PER_TICK,
    );
  }

  /** The address the listener is bound to (`::`, `0.0.0.0` or a specific address). */
  #listenHost(): string {
    return this.#bound?.address ?? '::';
  }

  /**
   * A connection the allowance admitted, before node built its socket: queued in the device's queue (true), or built
   * now (false: no queue, or nobody takes conduits).
   */
  #defer(connection: AcceptedConnection): boolean {
    const queue = this.#queue;
    if (!queue || !this.#incoming.observed) return false;
    this.#waiting.add(connection);
    queue.admit(sourceOf(connection.address), {
      take: () => this.#take(connection),
      refuse: () => {
        if (this.#waiting.delete(connection)) connection.reset();
      },
    });
    return true;
  }

  /**
   * Builds the socket and conduit of a queued connection (undefined when it was reset or the transport stopped).
   * The `maxConnections` check runs now, not at accept: a connection reset here (the listener filled up while it
   * waited) gives its source's token back, as one node drops at accept never takes one ({@link admitBeforeSocket}).
   */
  #take(connection: AcceptedConnection): Conduit | undefined {
    if (!this.#waiting.delete(connection)) return undefined;
    const taking: { conduit: Conduit | undefined } = { conduit: undefined };
    this.#taking = taking;
    try {
      connection.build(); // node emits `connection` from within: #accept fills `taking`
    } finally {
      this.#taking = undefined;
    }
    if (!taking.conduit) this.#allowance?.refund(connection.address);
    return taking.conduit;
  }

  #accept(socket: Socket): void {
    const taking = this.#taking;
    if (taking) {
      // A queued connection's turn came (#take): its conduit goes to the device that queued it, not to incoming$.
      this.#taking = undefined;
      taking.conduit = this.#track(socket, true);
      return;
    }
    if (!this.#incoming.observed) {
      log('refusing %s:%d: nobody takes incoming conduits', socket.remoteAddress, socket.remotePort);
      // Closed (a FIN), not reset: a dial to a transport nobody takes conduits from still connects (core's
      // compliance suite dials one; a RST can fail the dial's connect before it completes).
      socket.destroy();
      return;
    }
    if (!this.#admitsBeforeSocket && !this.#allowOrCount(socket.remoteAddress ?? '')) {
      socket.resetAndDestroy();
      return;
    }
    this.#incoming.next(this.#track(socket, true));
  }

  /** Takes one token of `host`'s accept allowance; false (counted as rate-limited: reset it) when it has none left. */
  #allowOrCount(host: string): boolean {
    if (this.#allowance?.take(host) ?? true) return true;
    this.#rateLimited++;
    return false;
  }

  /**
   * A connection the gatekeeper handed over (its preamble was right): `bytes` is what the gatekeeper read from it, put
   * back in front of the socket's stream, so the conduit (which reads what the socket holds first) delivers the
   * connection's bytes whole and in order.
   */
  #handedOver(socket: Socket, bytes: Buffer): void {
    socket.on('error', () => undefined); // until the conduit listens: a reset now ends in 'close'
    if (!this.#incoming.observed || !this.#starting) {
      log('refusing %s:%d: nobody takes incoming conduits', socket.remoteAddress, socket.remotePort);
      resetSocket(socket);
      return;
    }
    if (this.#inbound >= (this.#options.maxInboundConnections ?? DEFAULT_MAX_INBOUND_CONNECTIONS)) {
      log(
        'refusing %s:%d: %d inbound connections open',
        socket.remoteAddress,
        socket.remotePort,
        this.#inbound,
      );
      resetSocket(socket);
      return;
    }
    socket.pause();
    if (bytes.length > 0) socket.unshift(bytes);
    this.#incoming.next(this.#track(socket, true));
  }

  /**
   * `host`'s connection authenticated (core's device calls `Conduit.authenticated`): its token goes back, so the
   * allowance counts only connections that never authenticate — a storm of strangers — and authenticated devices
   * relinking often (several local devices on 127.0.0.1) never run it out.
   */
  #refund(host: string): void {
    if (this.#gatekeeper) this.#gatekeeper.refund(host);
    else this.#allowance?.refund(host);
  }

  #track(socket: Socket, inbound = false): Conduit {
    const host = socket.remoteAddress ?? '';
    const conduit = socketConduit(socket, {
      idleTimeoutMs: this.#options.idleTimeoutMs ?? 0,
      ...(inbound ? { onAuthenticated: () => this.#refund(host) } : {}),
    });
    this.#conduits.add(conduit);
    if (inbound) this.#inbound++;
    conduit.closed$.subscribe((reason: CloseReason) => {
      if (inbound) this.#inbound--;
      this.#conduits.delete(conduit);
      log('conduit %s closed: %s', conduit.remoteAddress, reason.code);
    });
    return conduit;
  }
}

/**
 * The source host of an accepted connection's address as core's `sourceHost` gives it for its conduit's
 * `remoteAddress` (an IPv4-mapped IPv6 address as plain IPv4, what `socketConduit` reports; `0.0.0.0` when unknown).
 */
function sourceOf(address: string): string {
  if (address === '') return '0.0.0.0';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Ends a socket the listener refuses with a TCP RST (`resetAndDestroy`), or destroys it when it is not TCP. */
function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy(); // ERR_INVALID_HANDLE_TYPE
  }
}

/** This process's soft limit of open files (`/proc/self/limits`); 1,024 when it cannot be read. */
function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const soft = line?.[1];
    if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : 1_024;
  } catch {
    return 1_024;
  }
}
