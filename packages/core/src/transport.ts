import type { Socket } from 'node:net';
import type { Observable } from 'rxjs';
import type { CloseReason } from './errors.js';
import type { ConduitInbound } from './inbound.js';

/**
 * The name of a medium. Built-in transports use `'tcp'`, `'ble'`, `'wifi-p2p'` and `'memory'`; a custom transport
 * picks its own lower-case name.
 */
export type Medium = 'tcp' | 'ble' | 'wifi-p2p' | 'memory' | (string & {});

/** Bandwidth class of a medium, used to rank the Links that reach one device. */
export type BandwidthClass = 'low' | 'medium' | 'high';
/** Latency class of a medium. */
export type LatencyClass = 'low' | 'medium' | 'high';

/** What a transport's medium can do. Immutable for the life of the transport. */
export interface TransportCapabilities {
  /**
   * Largest write (bytes) the medium carries as one unit. core sizes its frames (header included) so that one
   * frame fits one unit: a BLE conduit reports ATT MTU - 3, TCP reports 65_548 (a 64 KiB payload plus the
   * 12-byte frame header). Individual conduits may report a smaller value (e.g. after BLE MTU exchange).
   */
  readonly maxFrameSize: number;
  /** Whether bytes arrive complete and in order. core requires `true`; unreliable media must add ARQ first. */
  readonly reliable: true;
  /** Rough bandwidth class (BLE low, TCP/P2P high). */
  readonly bandwidth: BandwidthClass;
  /** Rough latency class. */
  readonly latency: LatencyClass;
  /** Preference when several media reach a device: higher wins (memory 100, tcp 80, wifi-p2p 70, ble 20). */
  readonly priority: number;
}

/**
 * A raw, reliable, ordered byte pipe to one peer, produced by a transport's `dial()` or `listen()`. core turns
 * every Conduit into a {@link Link} by running the colink wire protocol (PROTOCOL.md) over it; a transport never
 * frames application data itself.
 *
 * Contract:
 * - `write()` accepts any length and never drops bytes; it returns `false` when the medium's own buffer is past
 *   its high-water mark, after which the caller waits for `drain$` before writing more (Node stream semantics).
 * - `data$` emits received chunks in order; chunk boundaries carry no meaning. Chunks that arrive before the first
 *   subscription are held and replayed to it (use {@link ConduitInbound}). It completes when the conduit closes.
 * - `closed$` emits exactly once (then completes) with the reason the conduit ended, whoever ended it.
 */
export interface Conduit {
  /** The medium this conduit runs on. */
  readonly medium: Medium;
  /** Local address in the medium's notation (`host:port`, `AA:BB:CC:DD:EE:FF`, …). */
  readonly localAddress: string;
  /** Remote address in the medium's notation. */
  readonly remoteAddress: string;
  /** Largest write carried as one unit, in bytes (see {@link TransportCapabilities.maxFrameSize}). */
  readonly maxFrameSize: number;
  /** Received bytes, in order. */
  readonly data$: Observable<Uint8Array>;
  /** Emits after `write()` returned `false` and the medium can take more. */
  readonly drain$: Observable<void>;
  /** Emits once when the conduit has ended, with the reason. */
  readonly closed$: Observable<CloseReason>;
  /**
   * Writes one or more chunks in order as one batch (TCP corks them). Returns `false` when the caller should wait for
   * `drain$`.
   * @throws ColinkError `ERR_CLOSED` (with the close reason) once `end()` or `destroy()` was called or the medium
   *   failed: bytes are never accepted and then silently dropped.
   */
  write(chunks: readonly Uint8Array[]): boolean;
  /** Flushes pending bytes, then ends the conduit gracefully. `closed$` then emits `reason`. */
  end(reason: CloseReason): void;
  /** Ends the conduit at once, discarding pending bytes. `closed$` then emits `reason`. */
  destroy(reason: CloseReason): void;
  /**
   * Optional: {@link Conduit.destroy}, telling the peer abortively where the medium can — TCP sends a RST instead of
   * a FIN (`net.Socket.resetAndDestroy`), so the connection ends with no FIN exchange and leaves no FIN_WAIT /
   * TIME_WAIT socket on this host; the peer's next read or write fails with ECONNRESET. `closed$` then emits
   * `reason`. `LocalDevice` uses it only for inbound connections it refuses or gives up on before the peer
   * authenticated (pre-authentication deadline, pending caps, a full work queue, a wrong preamble) or whose Link
   * fails before it opened (protocol error, TLS failure, refused identity, handshake timeout); a conduit without it
   * is destroyed instead.
   */
  reset?(reason: CloseReason): void;
  /**
   * Optional: stops `data$` until {@link Conduit.resume}; the medium's own flow control then holds the peer back
   * (TCP's receive window, an in-memory pipe's high-water mark). What is already on its way in may still arrive (at
   * most one read). The Link calls it when its receive budget is full (`LinkOptions.receiveBudget`); a conduit
   * without it cannot be held back, and the Link's receive budget then does not bound what it holds.
   */
  pause?(): void;
  /** Optional: delivers `data$` again after {@link Conduit.pause}. */
  resume?(): void;
  /**
   * Optional, for conduits over a connected `net.Socket` (transport-tcp, TCP over a Wi-Fi P2P group): stops the
   * conduit's own reading and hands the socket to a security stage, which runs node:tls directly on the socket's
   * handle — no JS stream between OpenSSL and the kernel (about 3× the throughput of TLS over `data$`/`write()`).
   * Bytes the socket received but the conduit had not delivered stay in the socket. Afterwards the caller owns every
   * read and write of the socket (`write()` must not be called again); `closed$` still reports the socket's close
   * and `destroy()` still destroys it. Returns undefined when the socket cannot be handed over (closing or already
   * detached): the caller keeps using `data$` and `write()`.
   */
  detachSocket?(): Socket | undefined;
  /**
   * Optional, for conduits that read into receive slabs (core's `socketConduit`): the Link tells the conduit where
   * the frame being received ends — `bytesToFrameEnd()` returns the bytes still missing of it, 0 at a frame boundary,
   * -1 when unknown — so the conduit can end a read there and start a new slab at a frame boundary instead of
   * splitting the next frame over two slabs (which costs the Link a copy of that frame). Called once, when the Link
   * starts reading frames.
   */
  frameBoundaries?(bytesToFrameEnd: () => number): void;
  /**
   * Optional, for inbound conduits: called at most once by the device that took the conduit in, when the peer at its
   * other end has authenticated — its security stage trusted it or, with no security stage, its Link opened (what
   * the admission control counts as authenticated). A transport that limits unauthenticated connections per source
   * (transport-tcp's accept allowance) gives this connection's share back, so that authenticated devices relinking
   * often never run it out while a storm of strangers from the same host still does.
   */
  authenticated?(): void;
}

/**
 * What a device announces about itself on every medium. Discovery records (DNS-SD TXT records, BLE advertising and
 * GATT, P2P device info) carry these fields.
 */
export interface DeviceAdvert {
  /** Stable identifier of the device (64 lower-case hex chars, derived from its public key when security is on). */
  readonly networkId: string;
  /**
   * Human-readable device name, ≤ 128 bytes of UTF-8 (`MAX_DEVICE_NAME_BYTES`, checked by `parseAdvert`). Media with
   * shorter fields carry the exact name elsewhere: transport-tcp truncates the DNS-SD instance label to 63 bytes
   * (RFC 6763 §4.1.1) and sends the full name in the TXT record.
   */
  readonly deviceName: string;
  /** Device type, e.g. `'phone'`, `'tablet'`, `'2in1'`, `'pc'`, `'tv'`, `'car'`, `'wearable'`. */
  readonly deviceType: string;
  /** The device's BLE MAC as HarmonyOS prints it (`'AA:BB:CC:DD:EE:FF'`), when it has one. */
  readonly bleMac?: string;
  /** Services offered (abilityConnectionManager service names, linkEnhance server names). */
  readonly services?: readonly string[];
}

/** A device seen by one transport's discovery. */
export interface DiscoveredPeer extends DeviceAdvert {
  /** The medium that saw it. */
  readonly medium: Medium;
  /** Where to `dial()` it on that medium. */
  readonly address: string;
}

/** One discovery event from one transport. */
export type DiscoveryEvent =
  | { readonly type: 'found'; readonly peer: DiscoveredPeer }
  | { readonly type: 'updated'; readonly peer: DiscoveredPeer }
  | {
      readonly type: 'lost';
      readonly peer: DiscoveredPeer;
      readonly reason: 'goodbye' | 'expired' | 'interface-down' | 'unreachable' | 'stopped';
    };

/** Options for {@link Transport.dial}. */
export interface DialOptions {
  /** Give up after this many milliseconds (default chosen by the transport; TCP 10_000). */
  readonly timeoutMs?: number;
  /** Aborts a pending dial; the promise rejects with `ERR_ABORTED`. */
  readonly signal?: AbortSignal;
}

/**
 * A medium plug-in: produces {@link Conduit}s by dialling (`dial`) and accepting (`listen`, i.e. `incoming$` after
 * `start()`). core builds Links, channels and sessions on top. Finding devices and announcing this one is the
 * separate, optional {@link Discovery} contract (as libp2p separates transports from peer discovery): a transport
 * that only dials addresses learnt out of band implements `Transport` alone, with no discovery stubs.
 *
 * Lifecycle: `start()` before anything else; `stop()` stops accepting and destroys every conduit it produced with
 * reason `going-away` (and, when the transport also implements {@link Discovery}, ends discovery and advertising,
 * sending goodbyes where the medium has them). Both are idempotent.
 *
 * See the core README, "Writing a transport", for a complete example, and run `@colink/core/compliance` against it.
 */
export interface Transport {
  /** The medium name. */
  readonly medium: Medium;
  /** What the medium can do. */
  readonly capabilities: TransportCapabilities;
  /** This transport's own address, once started (what peers dial). */
  readonly localAddress: string | undefined;
  /** Starts the medium (bind, power on…). Idempotent. Rejects with a {@link ColinkError} when it cannot. */
  start(): Promise<void>;
  /** Stops the medium. Idempotent. */
  stop(): Promise<void>;
  /** Incoming conduits. Hot; a conduit that nobody takes is handled by whoever subscribed first (core's LocalDevice). */
  readonly incoming$: Observable<Conduit>;
  /**
   * Opens a conduit to `address` (as found by discovery or learnt out of band). Rejects with `ERR_DIAL_FAILED` when
   * nobody accepts at `address`, `ERR_TIMEOUT` (or `ERR_DIAL_FAILED`) after `options.timeoutMs`, `ERR_ABORTED` when
   * `options.signal` aborts, `ERR_NOT_STARTED` before `start()`.
   */
  dial(address: string, options?: DialOptions): Promise<Conduit>;
  /**
   * Optional: `LocalDevice` hands the transport its queue of inbound connections waiting for their turn in the
   * pre-authentication work slices (see {@link InboundQueue}) once it subscribed to `incoming$`, and `undefined` when
   * it stops taking connections (from then on the queue handed before refuses whatever is given to it). A transport that implements it may pass a connection to the queue BEFORE building
   * its conduit (`InboundQueue.admit`): the conduit is built only when the connection's turn comes, and one the queue
   * refuses is refused without ever having one — during a connection storm the device then spends no socket, conduit
   * or close on the connections it cannot take in. Connections not passed this way still arrive on `incoming$`.
   */
  queueInbound?(queue: InboundQueue | undefined): void;
}

/**
 * A device's queue of inbound connections waiting for their turn in its pre-authentication work slices (core's
 * `PreAuthWork`: bounded by `MAX_QUEUED_INBOUND`, 64, and `MAX_PENDING_HANDSHAKES_PER_SOURCE`, 8, per source; the
 * oldest waiting connection of the source with the most waiting is refused past them). Handed to transports through
 * {@link Transport.queueInbound}.
 */
export interface InboundQueue {
  /**
   * Takes in a connection from `source` (its remote host: the remote address without the port, as
   * core's `sourceHost` gives it for the conduit's `remoteAddress`) whose conduit is not built yet: now when no
   * pre-authentication work is backlogged, else when its turn comes. Exactly one of `connection.take()` — build the
   * conduit and return it (`undefined` when the connection is gone meanwhile: the peer reset it, the transport
   * stopped) — and `connection.refuse()` — end the connection without a conduit (TCP: a reset) — is called, either
   * synchronously from within `admit` or later. The time `take()` takes counts against the work slice.
   */
  admit(source: string, connection: QueuedConnection): void;
}

/** An inbound connection whose conduit is not built yet, waiting in an {@link InboundQueue}. */
export interface QueuedConnection {
  /** Builds its conduit now (undefined when the connection is gone). Called at most once. */
  take(): Conduit | undefined;
  /** Ends it without a conduit (a TCP RST where the medium has one). Called at most once, never after `take()`. */
  refuse(): void;
}

/**
 * Optional companion of a {@link Transport}: finds devices on the medium and announces this one. A transport
 * implements both when its medium has discovery (DNS-SD on TCP, BLE advertising, Wi-Fi P2P device discovery);
 * {@link hasDiscovery} tells. `LocalDevice` announces itself on, and follows the events of, every transport that
 * implements it plus any `discovery` given explicitly. Discovery events carry the `medium` and `address` a
 * transport of that medium dials.
 */
export interface Discovery {
  /** Sets (or replaces) what this device announces. Takes effect at once when started. */
  advertise(advert: DeviceAdvert): Promise<void>;
  /** Stops announcing this device (goodbye where the medium has it). */
  unadvertise(): Promise<void>;
  /** Discovery events of this medium. Hot: each subscriber first gets `found` for every peer currently known. */
  discover(): Observable<DiscoveryEvent>;
}

/**
 * Whether `value` implements {@link Discovery} (has `advertise`, `unadvertise` and `discover` functions). Used by
 * `LocalDevice` and the compliance suite to tell dial-only transports from those that also discover.
 */
export function hasDiscovery<T extends object>(value: T): value is T & Discovery {
  const d = value as Partial<Discovery>;
  return (
    typeof d.advertise === 'function' &&
    typeof d.unadvertise === 'function' &&
    typeof d.discover === 'function'
  );
}
