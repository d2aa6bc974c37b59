/**
 * Named limits and defaults of the TCP transport and its DNS-SD discovery, each with the source of its number.
 * @module
 */
import { CONDUIT_CLOSE_TIMEOUT_MS, MAX_FRAME_SIZE } from '@colink/core';
import { PROTOCOL_VERSION_MAX } from '@colink/core/wire';

/**
 * Largest write the TCP conduit carries as one unit, in bytes: a 64 KiB payload plus core's 12-byte frame header
 * (core `TransportCapabilities.maxFrameSize`, PROTOCOL.md).
 */
export const TCP_MAX_FRAME_SIZE = MAX_FRAME_SIZE;

/** Default dial time limit in ms (core `DialOptions.timeoutMs`: "TCP 10_000"). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** How long a gracefully ended conduit waits for the peer's FIN before it destroys the socket, in ms (core's default). */
export const CLOSE_TIMEOUT_MS = CONDUIT_CLOSE_TIMEOUT_MS;

/** Default cap on simultaneously open inbound conduits (DSoftBus caps LNN/TCP connections at 30; we allow more). */
export const DEFAULT_MAX_INBOUND_CONNECTIONS = 256;

/**
 * Inbound connections one source host (the remote address without its port) may open at once before the listener
 * closes its further ones at accept, and {@link ACCEPT_RATE_PER_SOURCE} refills that allowance. Core's device keeps
 * at most 8 pending handshakes and 8 waiting connections per source (`MAX_PENDING_HANDSHAKES_PER_SOURCE`,
 * `MAX_QUEUED_INBOUND`'s per-source share) and closes the oldest past that, so a burst of more than 16 unauthenticated
 * connections from one host only ever evicts its own; closing the extras here instead costs a reset — no conduit, no
 * Link, no preamble, no TLS — which keeps a one-host storm off the event loop the trusted Links share. A connection
 * whose peer authenticates gives its share back (core's device calls `Conduit.authenticated`), so only connections
 * that never authenticate use the allowance up: devices on one host relinking often (several on 127.0.0.1) never
 * exhaust it, a storm of strangers from that host does. 32 leaves room for several devices behind one NAT address
 * reconnecting at once before any of them has authenticated.
 */
export const ACCEPT_BURST_PER_SOURCE = 32;
/**
 * Sustained inbound connections per second per source host (token-bucket refill of {@link ACCEPT_BURST_PER_SOURCE}).
 * A device opens one Link per medium and re-dials with exponential back-off (core's peer connection), so an honest
 * host needs a handful per second at most; 16 is far above that and far below a storm (the hostile tests' sustained
 * slowloris reconnected ~1,000 times a second).
 */
export const ACCEPT_RATE_PER_SOURCE = 16;
/**
 * How long the listener's tarpit (`TcpTransport` option `tarpit`) holds a connection refused at accept before it
 * resets it, ms: core's pre-authentication deadline (`PRE_AUTH_TIMEOUT_MS`, 5 000), so a refused stranger ties up
 * the attacker's connection as long as an admitted silent one would, instead of freeing it at once to reconnect.
 * Measured in the `hostile` bench's sustained storm (500 connections from 100 hosts reopened for 4 s): 3,900–4,800
 * reconnections with 5 s, 7,600–9,800 with a 1 s hold, 48,000–63,000 with none.
 */
export const TARPIT_HOLD_MS = 5_000;
/**
 * Most connections the tarpit holds at once (each is a file descriptor); past it the oldest held one is reset. Also
 * never more than a quarter of the process's soft `RLIMIT_NOFILE` (read from `/proc/self/limits`; node raises the soft
 * limit to the hard one at start-up, but a hard limit of 1,024 exists): with the 256 listener slots and core's 64
 * waiting connections that leaves room for everything else. Past the cap each new refused connection frees an
 * attacker's slot again (the oldest held is reset), so the cap is what an attacker must exceed to keep its churn:
 * 512 is above the 500 connections the `hostile` bench's sustained storm keeps open.
 */
export const TARPIT_MAX_HELD = 512;
/**
 * Period of the tarpit's one timer, ms: a connection is reset between its hold and its hold plus this (no timer per
 * connection).
 */
export const TARPIT_TICK_MS = 100;
/**
 * Most held connections one tick resets, so that a burst held at once (hundreds) is released over several ticks — a
 * reset costs ~10 µs of kernel time, and hundreds in one callback would stall the event loop the trusted Links share.
 */
export const TARPIT_RESETS_PER_TICK = 32;
/** Source hosts whose accept allowance is tracked at once; the least recently seen is forgotten past it. */
export const MAX_TRACKED_ACCEPT_SOURCES = 1_024;

/** Transport priority when several media reach a device (core `TransportCapabilities.priority`: tcp 80). */
export const TCP_PRIORITY = 80;

/** The IANA-registered mDNS UDP port (RFC 6762 §3). */
export const MDNS_PORT = 5353;

/** The IPv4 mDNS link-local multicast group (RFC 6762 §3). */
export const MDNS_IPV4_GROUP = '224.0.0.251';

/** The IPv6 link-local mDNS multicast group (RFC 6762 §3). */
export const MDNS_IPV6_GROUP = 'ff02::fb';

/** DNS-SD service type of colink (RFC 6763 §7: `_<service>._tcp`). */
export const SERVICE_TYPE = '_colink._tcp.local';

/** DNS-SD service type enumeration name (RFC 6763 §9). */
export const SERVICE_ENUMERATION = '_services._dns-sd._udp.local';

/** Version of the TXT record layout (`txtvers`, RFC 6763 §6.7). */
export const TXT_VERSION = 1;

/** colink wire protocol version announced in TXT `pv` (PROTOCOL.md). */
export const PROTOCOL_VERSION = PROTOCOL_VERSION_MAX;

/** TTL in seconds of records naming a host (SRV, A, AAAA), RFC 6762 §10. */
export const HOST_RECORD_TTL_S = 120;

/** TTL in seconds of other records (PTR, TXT), RFC 6762 §10 (75 minutes). */
export const OTHER_RECORD_TTL_S = 4_500;

/** Longest DNS label in bytes (RFC 1035 §2.3.4; instance names, RFC 6763 §4.1.1). */
export const MAX_LABEL_BYTES = 63;

/** Longest TXT key=value string in bytes (one length-prefixed string, RFC 6763 §6.1). */
export const MAX_TXT_STRING_BYTES = 255;

/**
 * Largest TXT record we emit in bytes: RFC 6763 §6.2 says the total size "SHOULD" stay under 1300 bytes so the
 * whole response fits one Ethernet packet; 400 bytes is its "preferable" size, which we only exceed for long
 * service lists.
 */
export const MAX_TXT_RECORD_BYTES = 1_300;

/** Largest mDNS message we send in bytes: fits an Ethernet MTU with IP/UDP headers (RFC 6762 §17). */
export const MAX_MDNS_MESSAGE_BYTES = 1_440;

/** Probing: random initial wait upper bound in ms (RFC 6762 §8.1). */
export const PROBE_INITIAL_WAIT_MAX_MS = 250;
/** Probing: interval between the 3 probes in ms (RFC 6762 §8.1). */
export const PROBE_INTERVAL_MS = 250;
/** Probing: number of probes (RFC 6762 §8.1). */
export const PROBE_COUNT = 3;
/** Wait after losing a simultaneous-probe tiebreak before probing again, in ms (RFC 6762 §8.2). */
export const PROBE_DEFER_MS = 1_000;
/** After 15 conflicts within 10 s, wait this long before probing again, in ms (RFC 6762 §8.1). */
export const PROBE_RATE_LIMIT_MS = 5_000;

/** Number of unsolicited announcements after probing (RFC 6762 §8.3: at least two). */
export const ANNOUNCE_COUNT = 2;
/** Interval between announcements in ms (RFC 6762 §8.3: one second, then doubling). */
export const ANNOUNCE_INTERVAL_MS = 1_000;

/** Random delay range for responses containing shared records, in ms (RFC 6762 §6: 20-120 ms). */
export const SHARED_RESPONSE_DELAY_MS: readonly [number, number] = [20, 120];
/** A record is not multicast again within this time in ms, except to defend a probe (RFC 6762 §6). */
export const MIN_MULTICAST_INTERVAL_MS = 1_000;
/** Probe defence may repeat a record after this time in ms (RFC 6762 §6). */
export const PROBE_DEFENCE_INTERVAL_MS = 250;

/** Delay range before the first query, in ms (RFC 6762 §5.2: 20-120 ms). */
export const FIRST_QUERY_DELAY_MS: readonly [number, number] = [20, 120];
/** First interval of continuous querying in ms (RFC 6762 §5.2: at least one second). */
export const QUERY_INTERVAL_MIN_MS = 1_000;
/** Cap of continuous querying interval in ms (RFC 6762 §5.2: sixty minutes). */
export const QUERY_INTERVAL_MAX_MS = 3_600_000;

/** Cache refresh queries at these fractions of a record's TTL, each plus up to 2 % (RFC 6762 §5.2). */
export const REFRESH_FRACTIONS: readonly number[] = [0.8, 0.85, 0.9, 0.95];

/** A record received with TTL 0 (goodbye) is deleted this many ms later (RFC 6762 §10.1). */
export const GOODBYE_GRACE_MS = 1_000;

/** POOF: unanswered queries needed before a record is flushed (RFC 6762 §10.5: "two or more"). */
export const POOF_QUERY_COUNT = 2;
/** POOF: window in ms during which no answer was seen (RFC 6762 §10.5: ten seconds). */
export const POOF_WINDOW_MS = 10_000;
/** POOF: a flush also waits this long after the last unanswered query, leaving the responder time to answer (ms). */
export const POOF_ANSWER_GRACE_MS = 1_000;

/** Default interval between `os.networkInterfaces()` scans in ms (multicast-dns itself rescans every 5 s). */
export const INTERFACE_SCAN_INTERVAL_MS = 1_000;

/**
 * Default scheduling priority (nice value, -20…19) of the gatekeeper process (`TcpTransport` option `gatekeeper`):
 * below the device's (0), so on a busy device strangers get only the CPU the device leaves (the scheduler's weight
 * of nice 10 is about a tenth of nice 0's, Linux `sched_prio_to_weight`).
 */
export const GATEKEEPER_NICE = 10;
/**
 * Most connections waiting for their 8-byte preamble in the gatekeeper at once; past it the oldest waiting one of the
 * source with the most waiting is reset. Core's cap on pending handshakes (`MAX_PENDING_HANDSHAKES`, 64, a quarter of
 * the 256 listener slots): an honest peer sends its preamble the moment it connects, so waiting ones are strangers.
 */
export const GATEKEEPER_MAX_WAITING = 64;
/**
 * Most connections from one source host waiting for their preamble in the gatekeeper; past it that source's oldest
 * is reset. Core's `MAX_PENDING_HANDSHAKES_PER_SOURCE` (8).
 */
export const GATEKEEPER_MAX_WAITING_PER_SOURCE = 8;
/**
 * Shortest time between two counter reports of the gatekeeper process (`rateLimitedConnections`,
 * `inboundConnections`), ms: a report per stranger would put an IPC message per connection back on the device's
 * event loop, the work the gatekeeper is there to take away.
 */
export const GATEKEEPER_STATS_INTERVAL_MS = 100;
/**
 * Restarts of a gatekeeper process that exited unexpectedly allowed within {@link GATEKEEPER_RESTART_WINDOW_MS};
 * past it the transport stops restarting and reports the failure (`TcpTransport.gatekeeperFailure`).
 */
export const GATEKEEPER_MAX_RESTARTS = 5;
/** Window of {@link GATEKEEPER_MAX_RESTARTS}, ms. */
export const GATEKEEPER_RESTART_WINDOW_MS = 60_000;
/** How long `stop()` waits for the gatekeeper process to exit before it kills it (SIGKILL), ms. */
export const GATEKEEPER_STOP_TIMEOUT_MS = 3_000;
