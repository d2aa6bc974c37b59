/**
 * Named limits of colink, each with the source of its number. Options that override a limit say so.
 * @module
 */

/** Protocol versions this build speaks (PROTOCOL.md §2). */
export const PROTOCOL_VERSION_MIN = 1;
/** Highest protocol version this build speaks: 2 adds resumable connection channels (PROTOCOL.md §8). */
export const PROTOCOL_VERSION_MAX = 2;
/** The first protocol version with connection channels, ACK and RESUME (PROTOCOL.md §8). */
export const PROTOCOL_VERSION_RESUME = 2;
/**
 * Protocol v2: channel ids from here up (0x8000–0xFFFF) are connection channels — they belong to the peer connection,
 * keep their id on every Link and resume after a Link loss; ids below are Link channels (PROTOCOL.md §4.3).
 */
export const CONNECTION_CHANNEL_MIN = 0x8000;
/**
 * Closed connection-channel ids a peer connection remembers, so a RESUME for a channel that ended while its Link was
 * down is answered with the channel's end instead of being taken for a new channel (PROTOCOL.md §8.3). One per
 * possible channel of a Link ({@link MAX_CHANNELS_PER_LINK}).
 */
export const CLOSED_CHANNEL_MEMORY = 4096;

/** Bytes of the fixed frame header: length u32, type u8, flags u8, channel u16, seq u32 (PROTOCOL.md §3). */
export const FRAME_HEADER_BYTES = 12;
/** Bytes of the connection preamble: magic `CLNK`, min version, max version, flags u16 (PROTOCOL.md §2). */
export const PREAMBLE_BYTES = 8;

/** Largest frame payload on any medium: 64 KiB (issue #2: "a TCP link 64 KiB"). */
export const MAX_FRAME_PAYLOAD = 65_536;
/** Largest whole frame (header + payload). A conduit's `maxFrameSize` above this is clamped to it. */
export const MAX_FRAME_SIZE = MAX_FRAME_PAYLOAD + FRAME_HEADER_BYTES;
/** Smallest usable `maxFrameSize`: BLE's default ATT MTU 23 minus the 3-byte ATT header (Bluetooth Core 5.4 Vol 3 Part F §3.2.8). */
export const MIN_FRAME_SIZE = 20;

/**
 * Default per-channel receive window in bytes on small-frame media (BLE): like HTTP/2's and yamux's 256 KiB initial
 * windows.
 */
export const DEFAULT_CHANNEL_WINDOW = 256 * 1024;
/**
 * Default per-channel receive window on media whose frames are ≥ 16 KiB (TCP, Wi-Fi P2P, memory): 4 MiB. Measured on
 * loopback TCP, 256 KiB windows held a Link to 0.44–0.63× raw throughput and 4 MiB to 0.78–1.35× (transport-tcp
 * bench). It is credit, not a buffer: memory is used only while a reader is slower than its sender. Re-checked for
 * issue 19 (bench/README.md, "the plain Link's sender and receiver"): 1, 4 and 16 MiB windows gave no consistent
 * difference in throughput or receiver CPU; 4 MiB stays, since a larger one only raises what a slow reader can hold
 * (up to {@link MAX_CHANNELS_PER_LINK} windows per Link).
 */
export const DEFAULT_CHANNEL_WINDOW_FAST = 4 * 1024 * 1024;
/**
 * Default largest message on a channel: 100 MiB plus headroom — HarmonyOS sendData allows 100 MiB per message
 * (ability_dmsfwk channel caps, harmony-api.md §1.5).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024 + 4096;
/**
 * Default receive budget of a Link, bytes (`LinkOptions.receiveBudget`): what its channels may hold for their apps at
 * once — complete messages no app has taken yet plus the fragments of messages still arriving — before the Link stops
 * reading its medium (TCP's receive window then holds the peer back) until they are down to half. Per channel the
 * window (4 MiB on TCP) and the largest message bound what is held; without a Link-wide bound,
 * {@link MAX_CHANNELS_PER_LINK} channels could hold 4,096 windows (16 GiB) and as many messages in assembly. 2.5× the
 * largest default message ({@link DEFAULT_MAX_MESSAGE_BYTES}), so that two can be assembled at once with room left.
 * Like HTTP/2's connection-level flow-control window (RFC 9113 §6.9.1), but enforced by the receiver alone.
 */
export const DEFAULT_LINK_RECEIVE_BUDGET = 256 * 1024 * 1024;
/** Default bound of a channel's send buffer in bytes before `send()` waits (it never drops). */
export const DEFAULT_SEND_BUFFER_BYTES = 1024 * 1024;
/** Hard bound of messages queued on one channel before `send()` rejects with `ERR_SEND_BUFFER_FULL`. */
export const MAX_QUEUED_MESSAGES = 4096;
/** Most channels open at once on one Link (channel ids are u16; 0 and 1 are reserved). */
export const MAX_CHANNELS_PER_LINK = 4096;
/**
 * Most answers to the peer a Link holds unwritten while its medium pushes back, past which the peer is flooding it:
 * frames this side owes for the peer's own frames (a PONG per PING, a RESET per OPEN or RESUME it refuses) pile up
 * when the peer sends them and reads nothing. This side's own control frames (its OPENs, WINDOWs, ACKs, CLOSEs and
 * RESETs) do not count: an app opening and resetting channels while the peer is slow is not the peer's flood. 16 per
 * possible channel, at ~20–60 bytes a frame a few MiB at most. Like the outbound-queue flood limits HTTP/2
 * implementations added after the 2019 ping / reset / settings floods (CVE-2019-9512, -9514, -9515; nghttp2 closes
 * past 1,000 queued answers).
 */
export const MAX_QUEUED_ANSWERS = 16 * MAX_CHANNELS_PER_LINK;
/**
 * Rapid reset (HTTP/2's CVE-2023-44487, and "MadeYouReset", CVE-2025-8671): a peer that opens channels and ends them
 * at once, in a loop, makes this device route each one and run its incoming-channel handler — work the channel
 * limit ({@link MAX_CHANNELS_PER_LINK}) does not bound, since every channel is gone before the next arrives. A Link
 * counts the channels the peer **churned** — channels it opened and ended before this side's app sent a message on
 * them or closed them (reset them, or closed them without having sent a message), channels it opened and reset — or
 * closed before this side closed them — without having sent a message on them even though this side answered (a
 * service may answer on its own before the app runs: linkEnhance's server sends 'accepted' on every connection, and
 * a churner sending CLOSE instead of RESET was never counted), and channels this side reset for the peer's
 * breach of flow control or message order — in a token bucket: this many at once, refilled at
 * {@link RAPID_RESET_RATE_PER_SECOND}; past it the Link closes with GOAWAY `protocol-error` (with `going-away`, gracefully,
 * when the peer ended the channel that went past it with code `going-away`: a stopping device closes every channel it
 * opened so, and may hold more than the burst of them; PROTOCOL.md §4.5). Between protocol-v2
 * devices the bucket is the peer connection's: every Link to that peer counts into it, so reconnecting does not
 * refill it; a `LocalDevice` keeps one per peer networkId for Links without a peer connection (protocol v1,
 * `RAPID_RESET_TRACKED_PEERS`). The model is nghttp2's mitigation since 1.57.0 (`nghttp2_option_set_stream_reset_rate_limit`: a bucket
 * of 1,000 refilled at 33/s, counting every RST_STREAM it receives — node:http2's `streamResetBurst` /
 * `streamResetRate`), with the burst sized to colink instead: every channel a Link can hold
 * ({@link MAX_CHANNELS_PER_LINK}) may end at once without the receiver having answered on it — an app cancelling
 * everything it started, a session ending with its 1,040 transfers (1,024 held + 16 waiting) — so that many pass at
 * once; what the bucket stops is the repetition. This side's own channels and resets never count, nor do channels
 * that carried a message both ways before the peer reset them, nor channels this side closed and the peer then
 * closed (the close handshake; nghttp2 counts every RST_STREAM: a client resetting each stream after its response
 * hit the 33/s, nghttp2 issue #1984). Not counted either: a channel the peer closes after one message (OPEN + DATA +
 * CLOSE), which is what an honest one-way channel (a transfer, a notice) is: the peer pays a message per channel and
 * this side's app receives it. OPEN + CLOSE of a linkEnhance connection the client never sent on (a connect and
 * disconnect) counts: an app would have to do that more than 256 times a second, after a burst of 4,096, to be
 * closed. Go's
 * net/http instead bounds the handlers running at once (and closes when requests queue behind them), nginx the
 * requests per connection and new streams per event-loop turn; colink's incoming-channel handlers are synchronous
 * callbacks that have run by the time the RESET arrives, so the cost is the calls themselves, and a rate is what
 * bounds them.
 */
export const RAPID_RESET_BURST = MAX_CHANNELS_PER_LINK;
/**
 * Churned channels a Link's rapid-reset bucket ({@link RAPID_RESET_BURST}) regains per second: 256. nghttp2's 33 closed
 * an honest app's Link: a transfer's receiver never answers on its channel, so every transfer the sender cancels counts,
 * and an app cancelling 100 transfers a second (a user scrolling past thumbnails) lost its Link after ~61 s (review9's
 * test in bounds-review.test.ts). A churned channel costs this side ~34–44 µs of CPU (measured over loopback TCP), so
 * 256 a second is ~1 % of a core per Link — what a hostile trusted peer can keep taking once the burst is spent.
 */
export const RAPID_RESET_RATE_PER_SECOND = 256;
/**
 * @internal Peers whose rapid-reset bucket ({@link RAPID_RESET_BURST}) a `LocalDevice` keeps for their Links that
 * have no peer connection (protocol v1 — a peer chooses its version, so without it a churner reconnecting over v1 got a
 * full bucket with every Link), by networkId, the least recently churning forgotten first: 1,024, as many as
 * transport-tcp tracks source hosts (`MAX_TRACKED_ACCEPT_SOURCES`). A forgotten peer starts over, as does a peer that
 * announces another networkId (without a security stage a networkId is whatever the peer says), so the bound gives
 * away nothing such a peer lacks; it bounds the memory (a bucket is a few numbers).
 */
export const RAPID_RESET_TRACKED_PEERS = 1_024;
/**
 * Peer connections a `LocalDevice` keeps at most once they have no Link left (state `disconnected` after
 * `peerGraceMs`, or `closed`), so that `peer(networkId)` can still report them: past it, when a new peer connection is
 * made, the oldest such are forgotten. Connected and reconnecting ones never are (their Links are bounded by the
 * transports' limits). Without it every networkId that ever opened a protocol-v2 Link kept its peer connection until
 * `stop()` — and without a security stage a networkId is whatever the peer says, so a stranger announcing new ones
 * grew the map without bound (review10). 1,024, as `RAPID_RESET_TRACKED_PEERS`.
 */
export const MAX_IDLE_PEER_CONNECTIONS = 1_024;
/** Payload of a PING (and so of its PONG), bytes: PROTOCOL.md §4.6. */
export const PING_PAYLOAD_BYTES = 8;
/**
 * Most bytes of OPEN / RESUME metadata that channels the peer opened hold at once, per Link (its Link channels) and
 * per peer connection (its connection channels), bytes: 4 MiB. Each metadata is at most {@link MAX_CONTROL_PAYLOAD}
 * (16 KiB), so {@link MAX_CHANNELS_PER_LINK} channels could hold 64 MiB of it — for their whole life, whether or not
 * an app ever reads them. A channel's metadata is kept as long as the channel (`Channel.metadata`), so it is counted
 * for that long and not against the receive budget (`LinkOptions.receiveBudget`): that budget frees itself as apps
 * read, and pausing the Link could never free metadata. 4 MiB is 1 KiB per channel at the channel limit, or 256
 * channels of the largest metadata; a session request's metadata is ~290 bytes (service, two app names, a key), so
 * 4,096 of them fit with room. Past it the peer's OPEN (or the RESUME that would open a channel) is answered with
 * RESET `refused`, like an OPEN past the channel limit; the Link stays.
 */
export const MAX_PEER_METADATA_BYTES = 4 * 1024 * 1024;
/**
 * Largest OPEN / RESUME metadata, HELLO or GOAWAY payload in bytes: 16 KiB (PROTOCOL.md §4.1, §4.4). The handshake
 * decodes the peer's first frame (its HELLO, or a GOAWAY) with this bound, so a larger one is a `protocol-error`
 * from its 12-byte header, before its payload is buffered or parsed.
 */
export const MAX_CONTROL_PAYLOAD = 16 * 1024;

/** Default keep-alive PING interval (ms). */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 10_000;
/** Default time without any received frame before a Link closes with `timeout` (ms): three missed pings. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Default time for preamble + security + HELLO before a Link closes with `timeout` (ms). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Default grace period of a peer connection with no Link left, ms: channels wait (writers see backpressure) and
 * re-dials run; after it they close with `lost`. Issue #15 asks for "the 10 s range"; it is also below the 30 s idle
 * timeout of a Link, so a session outlives a short outage but not a long one.
 */
export const DEFAULT_PEER_GRACE_MS = 10_000;
/**
 * Default period of a device's make-before-break upgrade dials, ms (`LocalDeviceOptions.upgradeDialMs`): while a
 * worse medium carries a peer connection (BLE) and the directory knows an address of the peer on a better one (TCP,
 * Wi-Fi P2P), the better one is dialled at most this often per peer and medium — issue #15 asks for make-before-break
 * as the behaviour. 2 s is what the HarmonyOS device runtime has used since it turned the upgrade on: one dial + TLS +
 * HELLO over TCP took 18–73 ms in the handover tests, so a failed attempt costs about 1–4 % of the period, and a
 * medium that appears is taken within one period (the follower waits two, so the leader dials first).
 */
export const DEFAULT_UPGRADE_DIAL_MS = 2_000;
/**
 * How long `LocalDevice.stop()` lets what apps already passed to `send()` / `sendData()` / `sendMessage()` flush —
 * sessions' close messages and queued data, connection and Link channels' queues — before the rest is rejected with
 * `ERR_CLOSED`, ms: 5 s, the default flush time of `Link.close` and `PeerConnection.close`; a full TCP send buffer
 * (4 MiB, {@link DEFAULT_CHANNEL_WINDOW_FAST}) needs only 0.8 MiB/s to drain in it. Bounded, so that a peer whose app
 * stops reading cannot hold this device's shutdown.
 */
export const DEVICE_STOP_FLUSH_MS = 5_000;
/** Longest wait of a planned carrier move for the old Link's data to be acknowledged, ms (then RESUME resends). */
export const DEFAULT_HANDOVER_DRAIN_MS = 2_000;
/**
 * Delayed ACK (protocol v2, PROTOCOL.md §4.11), ms: a receiver acknowledges at once after a quarter of the window
 * (with the WINDOW that returns it), by the end of the event-loop turn after {@link ACK_EVERY_MESSAGES} messages,
 * with any other frame its Link writes, else at a tick of a timer of this period — within two periods — like TCP's
 * delayed ACK (RFC 1122 §4.2.3.2, at most 500 ms; far shorter here, since a planned carrier move waits for the ACKs).
 */
export const DELAYED_ACK_MS = 5;
/**
 * Complete messages after which an ACK goes out by the end of the event-loop turn, or with the app's next write in
 * it (see {@link DELAYED_ACK_MS}).
 */
export const ACK_EVERY_MESSAGES = 32;
/** First re-dial backoff of a peer connection, ms; doubled per attempt (exponential backoff). */
export const DEFAULT_REDIAL_INITIAL_MS = 100;
/** Largest re-dial backoff, ms: a 10 s grace period gets at least five attempts. */
export const DEFAULT_REDIAL_MAX_MS = 2_000;

/** HarmonyOS abilityConnectionManager `sendMessage` limit: 1 KB of UTF-8 (harmony-api.md §1.1, §1.5). */
export const SESSION_MESSAGE_MAX_BYTES = 1024;
/** HarmonyOS abilityConnectionManager `sendData` per-message limit: 100 MiB (harmony-api.md §1.5 [impl]). */
export const SESSION_DATA_MAX_BYTES = 100 * 1024 * 1024;
/**
 * Size of the messages a transfer is cut into, in bytes (PROTOCOL.md §7.4): the largest DATA payload (§3), so on TCP
 * a chunk is one frame. Progress advances and a carrier move resends per chunk: the peer acknowledges complete
 * messages only (ACK, §4.11), and RESUME resends an incomplete message from its first byte (§4.10).
 */
export const TRANSFER_CHUNK_BYTES = 64 * 1024;
/**
 * Bytes of text messages a session holds for its app while nobody subscribes to `Session.messages$`: 256 KiB, the
 * smallest medium's channel window ({@link DEFAULT_CHANNEL_WINDOW}, BLE). Past it the session stops reading its control
 * channel, whose own window then fills and the peer's `sendMessage` waits (backpressure): at most 256 KiB plus one
 * window is held, nothing is dropped.
 */
export const SESSION_HELD_MESSAGE_BYTES = DEFAULT_CHANNEL_WINDOW;
/**
 * Bytes of incoming transfers a session holds for its app (`Session.transfer` on the peer): the announced sizes of
 * the transfers it is receiving plus the bytes of completed ones no `Session.data$` subscriber has taken yet — 100 MiB,
 * one largest transfer ({@link SESSION_DATA_MAX_BYTES}, HarmonyOS sendData's limit). A transfer that does not fit
 * waits unread (its channel's window fills, the sender's transfer waits: backpressure) until `data$` takes what is
 * held; one transfer is always let in when nothing is held, so any transfer up to the size limit completes.
 */
export const SESSION_HELD_TRANSFER_BYTES = SESSION_DATA_MAX_BYTES;
/**
 * Incoming transfers a session holds at once, received or being received (see {@link SESSION_HELD_TRANSFER_BYTES}):
 * 1,024, so that the bookkeeping of many tiny or empty transfers is bounded too (their bytes alone would not be).
 */
export const SESSION_HELD_TRANSFERS = 1_024;
/**
 * Incoming transfers a session lets wait, unread, for room among those it holds: 16. Each holds at most one channel
 * receive window while it waits (4 MiB on TCP, 256 KiB on BLE: {@link DEFAULT_CHANNEL_WINDOW_FAST},
 * {@link DEFAULT_CHANNEL_WINDOW}), so waiting ones hold at most 64 MiB on TCP. Past it a new transfer is refused: its
 * channel is reset with `refused`, and the sender's `Transfer.done` rejects with `ERR_CLOSED` carrying that reason.
 * (Transfers also wait when the app reads `data$` but more than the held bound is being received at once: a sender
 * with more than that in flight plus 16 should await `done` before starting more.)
 */
export const SESSION_WAITING_TRANSFERS = 16;
/** Default time a session request waits for the peer app to accept or reject (ms). */
export const DEFAULT_SESSION_REQUEST_TIMEOUT_MS = 30_000;
/**
 * How long `Session.close()` waits for its graceful end — the close message and what `sendMessage`/`sendData` already
 * queued handed to the medium, and the peer's answering CLOSEs — before it resets the session's channels, ms: 5 s,
 * the default flush time of `Link.close` and `LocalDevice.stop` ({@link DEVICE_STOP_FLUSH_MS}). Bounded, because a
 * peer app that reads nothing grants no credit: the close message would otherwise wait behind its full window
 * forever.
 */
export const SESSION_CLOSE_TIMEOUT_MS = 5_000;

/**
 * Largest DATA payload (bytes) written as one copied buffer together with its 12-byte header instead of header +
 * the caller's bytes: a small frame is cheaper copied once (node's pooled `Buffer.allocUnsafe`) than carried as a
 * separate iovec. Measured over TCP between two processes: +10–14% messages/s at 1 KiB, neutral at 64 B, and a loss
 * at 3 KB (the copy costs more than it saves) — hence 1 KiB, HarmonyOS `sendMessage`'s limit.
 */
export const COALESCE_MAX_PAYLOAD = 1024;

/**
 * Size of the receive slabs of core's socket readers while data streams in, bytes: four largest frames (4 ×
 * {@link MAX_FRAME_SIZE}, 256 KiB + 48 bytes), so on a TCP or secure conduit, whose reads end at frame
 * boundaries (`Conduit.frameBoundaries`), four 64 KiB frames fill a slab exactly and none is split over two slabs (before, with
 * 256 KiB, every fourth one was, and was copied: 4,096 of 16,384 frames per GiB; now ~100). Once a Link reads a TCP
 * conduit (core's `socketConduit`) or a secure conduit, the kernel read — or node:tls's decryption of a record —
 * lands at the free end of the current slab instead of in a new buffer per read, so consecutive chunks are
 * consecutive bytes and a 64 KiB frame spread over several reads reaches the Link as one view, without being copied
 * together. A slab is freed once no view into it is left; the frame decoder copies payloads under an eighth of their
 * buffer (of {@link RECEIVE_SLAB_SMALL_BYTES} or more), so a message an app keeps holds at most 8× its size of slab.
 */
export const RECEIVE_SLAB_BYTES = 4 * MAX_FRAME_SIZE;
/** Largest plaintext of one TLS record, bytes: 2^14 = 16 KiB (RFC 8446 §5.1). */
export const TLS_RECORD_BYTES = 16 * 1024;
/**
 * Size of the receive slabs while reads are small (an idle or chatty Link), bytes: 8 KiB, eight times a 1 KiB
 * message (HarmonyOS `sendMessage`'s limit), so such a message is handed to the app as a view of the slab it was
 * read into — the frame decoder copies payloads under an eighth of their buffer — rather than copied out of a larger
 * slab (was 16 KiB: one copy and one pool allocation more per 1 KiB message, ~0.7 µs CPU per secure round trip in
 * `bench/tls-rtt.mjs`). A reader starts with these and switches to {@link RECEIVE_SLAB_BYTES} when a read fills its
 * space or brings a whole TLS record ({@link TLS_RECORD_BYTES}), and back after {@link RECEIVE_SMALL_READS_TO_SHRINK}
 * small reads in a row, so an idle Link reads into one small slab per direction (slabs still viewed by payloads an
 * app keeps stay alive with them: at most 8× each payload's size). A TLS record larger than the free space is
 * decrypted over two reads.
 */
export const RECEIVE_SLAB_SMALL_BYTES = 8 * 1024;
/**
 * Least free space of a small receive slab for the next read, bytes: 2 KiB, so one small slab takes six 1 KiB
 * messages before the next is allocated (a larger read fills the space and switches to large slabs, whose least free
 * space is one TLS record, {@link TLS_RECORD_BYTES}).
 */
export const RECEIVE_SLAB_SMALL_MIN_FREE_BYTES = 2 * 1024;
/** Reads under {@link TLS_RECORD_BYTES} in a row after which a reader goes back to small slabs. */
export const RECEIVE_SMALL_READS_TO_SHRINK = 8;

/**
 * Most bytes the Link hands its conduit in one `write()` when frames are queued, bytes: 256 KiB (four 64 KiB frames,
 * header + payload pairs, round robin over the channels). One write is one corked `writev` on a socket, one
 * `SSL_write` under TLS. Measured on loopback TCP against tcp-compare's peer (interleaved rounds, shared 2-core machine,
 * noisy): with 64 KiB batches the sending process used ~2× raw's CPU per MiB; 256 KiB moved the plain Link from
 * 0.37/0.47× to 1.00/1.06× raw in two paired runs. Larger batches (1 MiB) were not clearly better.
 */
export const WRITE_BATCH_BYTES = 256 * 1024;
/** Most chunks (frames, or header + payload pairs) in one conduit `write()`: bounds the iovec count of a `writev`. */
export const WRITE_BATCH_CHUNKS = 64;

/**
 * How long a gracefully ended conduit waits for the peer's close before it destroys the connection, ms: transport-tcp's
 * socket conduit and the secure conduit on a native socket (js-libp2p's TCP close timeout is 500 ms; we allow a
 * slower peer). The memory pipe (`createConduitPair`) delivers what an ended end sent to a paused peer after it.
 */
export const CONDUIT_CLOSE_TIMEOUT_MS = 2_000;

/**
 * Time a connection has to authenticate — preamble, TLS 1.3 handshake and trust decision — before it is closed, ms,
 * on high- and medium-bandwidth media (TCP, Wi-Fi P2P). It is separate from the Link's handshake timeout, which also
 * covers a user comparing a binding code (api-compat sets 60 s). A TLS 1.3 handshake is 1 RTT and about 2 KB in all
 * (self-signed P-256 certificates): milliseconds on a LAN; 5 s leaves 100× that for a loaded host and bounds how long a stalled or silent peer holds a
 * listener slot. For comparison sshd's LoginGraceTime is 120 s but its MaxStartups cap (10:30:100) sheds
 * unauthenticated connections long before; nginx's `client_header_timeout` is 60 s.
 */
export const PRE_AUTH_TIMEOUT_MS = 5_000;
/**
 * The pre-authentication deadline on low-bandwidth media (BLE), ms. A TLS 1.3 handshake with self-signed P-256
 * certificates moves about 2 KB in all: milliseconds at LE 2M, but ~4 s at the 0.005 Mbit/s of 20-byte ATT writes
 * with response (transport-ble README, the bench's naive baseline), so 30 s.
 */
export const PRE_AUTH_TIMEOUT_LOW_BANDWIDTH_MS = 30_000;
/**
 * Most inbound handshakes not yet authenticated at once on one device: a quarter of transport-tcp's 256 listener
 * slots, so three quarters stay for authenticated Links (trusted peers) whatever strangers do. Like sshd's
 * MaxStartups (unauthenticated connections, default full drop at 100), sized to the listener.
 */
export const MAX_PENDING_HANDSHAKES = 64;
/**
 * Most pending inbound handshakes from one source host: one LAN neighbour cannot take the whole pending cap (OpenSSH
 * 8.5 added PerSourceMaxStartups for the same reason). A real device opens one Link per medium, rarely two at once
 * (simultaneous dials); 8 leaves room for a few devices behind one NAT or on one host.
 */
export const MAX_PENDING_HANDSHAKES_PER_SOURCE = 8;
/**
 * Longest stretch of pre-authentication work — taking in a new inbound connection (its Link, preamble, evictions)
 * and reading a not-yet-authenticated peer's bytes (preamble checks, starting TLS) — that a device runs before it
 * leaves the event loop to everything else for {@link PRE_AUTH_WORK_GAP_MS}, ms. Only applies while such work is
 * backlogged (a connection storm); one honest handshake never waits. One accepted connection costs ~0.1–0.3 ms on a
 * loaded host (measured in transport-tcp's hostile tests), so a slice takes one or two (one item always runs, even
 * past the slice); an authenticated frame arriving meanwhile waits at most about one slice. The figure trades the
 * latency of trusted Links (lower is better) against how fast a device works through a storm (each slice has a fixed
 * cost): 0.25 ms is ~2–3 round trips of an idle loopback Link, and with the {@link PRE_AUTH_WORK_GAP_MS} break
 * strangers get at most about a fifth of the event loop. It was 1 ms (half the loop): in transport-tcp's `hostile`
 * bench (issue 16, trusted 1 KiB RTT p50 under a storm against idle), three alternating pairs of runs gave, for 500
 * slowloris mid-preamble, 1.55 / 4.88 / 5.87× with 1 ms against 0.95 / 1.31 / 1.13× with 0.25 ms, for 1,000 silent
 * connections 1.94 / 3.81 / 4.38× against 1.87 / 1.47 / 0.94×, and 7 against 11 of 12 rows within 2×.
 */
export const PRE_AUTH_WORK_SLICE_MS = 0.25;
/**
 * The break after each {@link PRE_AUTH_WORK_SLICE_MS} slice of backlogged pre-authentication work, ms, during which
 * only authenticated traffic, timers and the kernel's own work run: with the 0.25 ms slice strangers get at most about
 * a fifth of the event loop, trusted peers the rest (like a CPU share, cgroup `cpu.max` "quota period"). 1 ms is
 * the shortest timer node has.
 */
export const PRE_AUTH_WORK_GAP_MS = 1;
/**
 * Most inbound connections waiting for their turn in the pre-authentication work queue (see
 * {@link PRE_AUTH_WORK_SLICE_MS}) on one device; past it the oldest waiting one of the source with the most waiting
 * is closed (`refused`, see `PreAuthWork.admit`), which costs no more than the close. Waiting connections hold listener slots, so like {@link MAX_PENDING_HANDSHAKES} a
 * quarter of transport-tcp's 256: waiting and pending ones together leave half the listener to authenticated Links.
 */
export const MAX_QUEUED_INBOUND = 64;
/**
 * Most bytes of one not-yet-authenticated connection held back while pre-authentication work is backlogged (see
 * {@link PRE_AUTH_WORK_SLICE_MS}), bytes: 256 KiB, far above what an honest peer sends before it is authenticated (the
 * 8-byte preamble, a TLS 1.3 handshake flight of a few KiB). Past it the connection is closed (`refused`): a
 * stranger's flood must not pile up in memory while its bytes wait for their turn. The bound ends with the gating:
 * once the peer is trusted — or, on a device without a security stage, once its preamble was right — what it held
 * goes on at once, so a peer that starts sending the moment its own end opened is not cut off.
 */
export const MAX_PRE_AUTH_HELD_BYTES = 256 * 1024;
/**
 * Most bytes a responder holds of the initiator's first security message before its security stage starts, bytes:
 * 64 KiB (see `SecurityUpgrade.firstFlightLength`). Far above the one record TLS needs (a ClientHello record is at most
 * 5 + 2^14 bytes, RFC 8446 §5.1); a stage that asks for more, or cannot tell the size within it, fails the handshake
 * (`protocol-error`).
 */
export const MAX_FIRST_FLIGHT_BYTES = 64 * 1024;
