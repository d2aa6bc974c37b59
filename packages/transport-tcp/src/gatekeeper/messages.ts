/**
 * The IPC messages between {@link TcpTransport} and its gatekeeper process (`child.ts`), and the child's
 * configuration. JSON over the `child_process.fork` channel; a handed-over connection travels as the message's handle.
 * @module
 */
import type { AcceptLimit } from '../accept-allowance.js';
import type { TcpTransport } from '../tcp-transport.js';

/** @internal What the gatekeeper process is told at start (JSON in its first command-line argument). */
export interface GatekeeperConfig {
  /** Address to listen on; undefined: `'::'`, falling back to `'0.0.0.0'` on a host without IPv6. */
  readonly host: string | undefined;
  /** TCP port to listen on (0: ephemeral). */
  readonly port: number;
  /** Per-source accept allowance, or false for none. */
  readonly acceptLimit: AcceptLimit | false;
  /** Most source hosts whose allowance is tracked. */
  readonly maxTrackedSources: number;
  /** Time a connection has to send its 8-byte preamble, ms. */
  readonly preambleTimeoutMs: number;
  /** Most connections waiting for their preamble at once. */
  readonly maxWaiting: number;
  /** Most connections from one source host waiting for their preamble at once. */
  readonly maxWaitingPerSource: number;
  /** Shortest time between two counter reports, ms. */
  readonly statsIntervalMs: number;
}

/**
 * The gatekeeper process's counters since it started (connection counts; `waiting` is a gauge), as
 * {@link TcpTransport.gatekeeperStats} reports them and the child sends them over IPC.
 */
export interface GatekeeperCounts {
  /** Connections accepted (allowance permitting). */
  readonly accepted: number;
  /** Connections reset at accept: their source's allowance was used up. */
  readonly rateLimited: number;
  /** Connections waiting for their preamble now. */
  readonly waiting: number;
  /** Connections handed to the device (right preamble). */
  readonly handed: number;
  /**
   * Connections reset at their first wrong byte: of the preamble's magic, or of the TLS record header that bytes sent
   * behind a secure preamble must start (a ClientHello sent early).
   */
  readonly badMagic: number;
  /** Connections reset at the preamble deadline (their preamble, or a ClientHello they started early, incomplete). */
  readonly timedOut: number;
  /** Waiting connections reset to make room (the caps on waiting connections). */
  readonly evicted: number;
  /** Connections that ended (closed by the peer) before their preamble was complete. */
  readonly gone: number;
  /**
   * Connections with a right preamble reset while waiting for their turn to be handed over: `maxWaiting` were waiting
   * (the device's process had not taken them yet) and this one was the oldest of the source with the most.
   */
  readonly backlogged: number;
}

/** @internal Every counter at zero: the child's start, and the transport's before the first report. */
export const NO_GATEKEEPER_COUNTS: GatekeeperCounts = Object.freeze({
  accepted: 0,
  rateLimited: 0,
  waiting: 0,
  handed: 0,
  badMagic: 0,
  timedOut: 0,
  evicted: 0,
  gone: 0,
  backlogged: 0,
});

/** @internal Gatekeeper → transport. */
export type FromGatekeeper =
  | { readonly t: 'listening'; readonly address: string; readonly port: number }
  | { readonly t: 'listen-failed'; readonly code: string; readonly message: string }
  /** A connection whose preamble was right; `bytes` (base64) is everything read from it so far, preamble first. */
  | { readonly t: 'conn'; readonly bytes: string }
  | ({ readonly t: 'stats' } & GatekeeperCounts);

/** @internal Transport → gatekeeper. */
export type ToGatekeeper =
  /** A connection from `host` authenticated: its allowance token goes back. */
  | { readonly t: 'refund'; readonly host: string }
  /** Stop listening, reset every waiting connection, exit. */
  | { readonly t: 'stop' };
