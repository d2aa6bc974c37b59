import type { Socket } from 'node:net';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { parseAdvert } from './advert.js';
import {
  decodeCloseReason,
  decodeJsonObject,
  decodePreamble,
  encodeCloseFrame,
  encodeFrame,
  encodeJson,
  encodePreamble,
  type Frame,
  FrameDecoder,
  FrameType,
  PREAMBLE_FLAG_SECURE,
  type Preamble,
  preambleMagicPrefixOk,
} from './codec.js';
import { type CloseReason, ColinkError, closeReason, ErrorCode } from './errors.js';
import { FirstFlight } from './first-flight.js';
import { ConduitInbound } from './inbound.js';
import {
  DEFAULT_CHANNEL_WINDOW,
  FRAME_HEADER_BYTES,
  MAX_CONTROL_PAYLOAD,
  PREAMBLE_BYTES,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
} from './limits.js';
import { logger } from './log.js';
import type { Conduit, DeviceAdvert } from './transport.js';

const log = logger('handshake');

/** No bytes (shared: never written to). */
const NOTHING = new Uint8Array(0);

/**
 * @internal The close reason of a connection whose first bytes are not the preamble's magic (PROTOCOL.md §2); the
 * device's pre-Link stage (`InboundPreamble`) gives the same.
 */
export const BAD_MAGIC: CloseReason = Object.freeze(
  closeReason('protocol-error', 'peer did not send the colink preamble (bad magic)'),
);

/** Which side opened the conduit. The initiator is the TLS client; v1 channel ids follow the role (PROTOCOL.md §4.3). */
export type LinkRole = 'initiator' | 'responder';

/** The authenticated identity a security upgrade proved about the peer. */
export interface VerifiedPeer {
  /** networkId proven by the peer's key; HELLO must carry the same value. */
  readonly networkId: string;
  /** Anything the security layer wants to expose (certificate fingerprint, trust kind…). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * The security stage: turns the raw conduit into an authenticated, encrypted one before any frame flows
 * (PROTOCOL.md §2.2). `@colink/core` ships none in its main entry; `@colink/core/security` plugs in here.
 */
export interface SecurityUpgrade {
  /** Short name for stats and logs, e.g. `'tls1.3'`. */
  readonly name: string;
  /**
   * Runs the handshake over `conduit` (whose first bytes are the peer's first bytes after the preamble) and
   * resolves with the secured conduit and the verified peer. Rejects with `ERR_HANDSHAKE_FAILED` or
   * `ERR_UNTRUSTED`; the Link then closes with `handshake-failed`.
   */
  upgrade(conduit: Conduit, role: LinkRole): Promise<{ conduit: Conduit; peer: VerifiedPeer }>;
  /**
   * Optional: how many bytes of the initiator's first flight (after the preamble) the responder waits for before it
   * calls {@link SecurityUpgrade.upgrade}, read from the bytes received so far (`head`): the total size in bytes
   * (at most {@link MAX_FIRST_FLIGHT_BYTES}), or 0 while `head` is too short to tell. So a stranger that stops part
   * way through its first message costs the bytes it sent, not the stage's state (TlsSecurity: the ClientHello
   * record, before any `TLSSocket` exists). The held bytes are the first ones `upgrade` reads.
   * @throws ColinkError `ERR_HANDSHAKE_FAILED` when the bytes cannot start this stage: the Link closes with
   *   `handshake-failed` and the error's message, without starting the stage.
   */
  firstFlightLength?(head: Uint8Array): number;
}

/** The peer's HELLO (PROTOCOL.md §4.1). */
export interface Hello {
  readonly advert: DeviceAdvert;
  /** Receive window the peer grants on every channel, bytes. */
  readonly window: number;
}

/** What the handshake hands the multiplexer: a conduit positioned at the first frame after the peer's HELLO. */
export interface Established {
  /**
   * The (secured) conduit. Its `data$` starts with the bytes that followed the peer's HELLO and replays them to its
   * first subscriber; `closed$` and `drain$` are the underlying conduit's (subscribe synchronously in `open`).
   */
  readonly io: Conduit;
  /**
   * The same bytes as `io.data$` without an rxjs hop per chunk: calls `reader` with what followed the HELLO, then
   * with every chunk as it arrives, until the conduit closes or the returned function is called. One reader at a
   * time (a later one replaces it); either this or `io.data$`, not both.
   */
  read(reader: (chunk: Uint8Array) => void): () => void;
  /** Negotiated protocol version (1 or 2). */
  readonly version: number;
  readonly hello: Hello;
  readonly verified: VerifiedPeer | undefined;
  /** Frames and bytes (header included) the handshake sent and received: one HELLO each way. */
  readonly counters: {
    readonly framesSent: number;
    readonly bytesSent: number;
    readonly framesReceived: number;
    readonly bytesReceived: number;
  };
}

/** Options of {@link Handshake}. Times in ms, sizes in bytes. */
export interface HandshakeOptions {
  readonly role: LinkRole;
  readonly local: DeviceAdvert;
  readonly security?: SecurityUpgrade;
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  /** The receive window announced in HELLO. */
  readonly window: number;
  /** Largest frame (header included) announced in HELLO. */
  readonly maxFrame: number;
  /** Highest protocol version offered in the preamble. Default {@link PROTOCOL_VERSION_MAX}. */
  readonly maxVersion?: number;
  /**
   * Responder: the device's pre-Link stage already wrote this side's preamble in answer to the initiator's (which
   * the conduit still replays first): the handshake does not write it again.
   */
  readonly preambleAnswered?: boolean;
  /** Name for logs. */
  readonly id: string;
}

/** Outcome callbacks of a {@link Handshake}; exactly one of them is called, once, synchronously in the event. */
export interface HandshakeEvents {
  /** Both HELLOs crossed: subscribe to `io.closed$`/`io.drain$` before returning. */
  open(established: Established): void;
  /**
   * The handshake failed: the conduit is already ended or destroyed. `error` is the security stage's rejection when
   * that is what failed.
   */
  fail(reason: CloseReason, error: ColinkError | undefined): void;
}

/**
 * @internal What a responder makes of the initiator's well-formed preamble `p` (PROTOCOL.md §2): the protocol version
 * both speak — and then the security stage runs exactly when `secure` (the peer set `SECURE` as we would) — or the
 * close reason (`version-mismatch`, or `handshake-failed` when one side runs the security stage and the other not).
 * `ourMax`: the highest version this side offers.
 */
export function negotiatePreamble(
  p: Preamble,
  ourMax: number,
  secure: boolean,
): { readonly version: number } | { readonly reason: CloseReason } {
  const version = Math.min(p.maxVersion, ourMax);
  if (version < Math.max(p.minVersion, PROTOCOL_VERSION_MIN)) {
    return {
      reason: closeReason(
        'version-mismatch',
        `peer speaks ${p.minVersion}..${p.maxVersion}, we speak ${PROTOCOL_VERSION_MIN}..${ourMax}`,
      ),
    };
  }
  if (((p.flags & PREAMBLE_FLAG_SECURE) !== 0) !== secure) {
    return {
      reason: closeReason(
        'handshake-failed',
        secure
          ? 'peer does not run the security stage'
          : 'peer requires the security stage, which is not configured here',
      ),
    };
  }
  return { version };
}

/**
 * @internal Where a {@link Handshake} is: reading the peer's preamble, waiting for the peer's whole first message of
 * the security stage (responder, {@link SecurityUpgrade.firstFlightLength}), in the security stage, exchanging HELLOs,
 * done.
 */
export type HandshakeStage = 'preamble' | 'first-flight' | 'secure' | 'hello' | 'done';

/**
 * The handshake stage of a Link (PROTOCOL.md §2, §4.1), like js-libp2p's upgrader before the muxer: writes this
 * side's preamble (the initiator at once, the responder once the initiator's preamble arrived with the right magic),
 * reads the peer's, negotiates the version, runs the security upgrade when both ask for it, then exchanges HELLO. On success it hands an {@link Established} connection to the multiplexer ({@link Link}); on
 * failure it ends the conduit with a reason (`version-mismatch`, `handshake-failed`, `protocol-error`, `timeout`,
 * `lost`, or the peer's GOAWAY reason) and reports it.
 */
export class Handshake {
  private readonly raw: Conduit;
  private readonly options: HandshakeOptions;
  private readonly events: HandshakeEvents;
  private stage: HandshakeStage = 'preamble';
  private preambleBuf: Uint8Array = NOTHING;
  private secureInbound: ConduitInbound | undefined;
  private io: Conduit | undefined;
  private readonly decoder: FrameDecoder;
  private readonly subs: Subscription[] = [];
  private timer: Subscription | undefined;
  private helloSent = false;
  private helloBytes = 0;
  private version = 0;
  private verified: VerifiedPeer | undefined;
  /** The raw conduit closed while the security stage ran. */
  private rawClosedInSecure: CloseReason | undefined;
  /** Bytes after the HELLO: handed on to the multiplexer through this. */
  private forward: Forward | undefined;
  /** The initiator's first security bytes, held until its first flight is whole (stage `first-flight`). */
  private firstFlight: FirstFlight | undefined;

  /** @internal Where the handshake is (admission control evicts handshakes still reading the preamble first). */
  get currentStage(): HandshakeStage {
    return this.stage;
  }

  constructor(raw: Conduit, options: HandshakeOptions, events: HandshakeEvents) {
    this.raw = raw;
    this.options = options;
    this.events = events;
    // Only the peer's first frame is decoded here — its HELLO, or a GOAWAY — and both are control payloads: a larger
    // one is refused from its header, before its bytes are buffered or JSON-parsed (PROTOCOL.md §4.1).
    this.decoder = new FrameDecoder(MAX_CONTROL_PAYLOAD);
  }

  /**
   * Starts: writes the initiator's preamble, reads the conduit, arms the time limit. Separate from the constructor
   * because a conduit may answer on subscribe — replay bytes it holds, or report that it has closed — and the events
   * that follow (`fail`, even `open`) must find their owner (the Link) fully built.
   */
  start(): void {
    const raw = this.raw;
    const options = this.options;
    // The initiator's preamble goes out before we read: a conduit replays bytes it already holds synchronously on
    // subscribe, and the peer's preamble must not start the security stage before ours is written. The responder
    // writes its preamble only once the initiator's 8 bytes arrived with the right magic (PROTOCOL.md §1), still
    // before anything the peer's preamble starts (see `onPreambleData`): a stranger that sends nothing, garbage or
    // a slow preamble gets nothing written (on loopback a write also runs the receiving end's TCP stack).
    if (options.role === 'initiator') this.writePreamble();
    this.subs.push(
      raw.data$.subscribe((chunk) => this.onRawData(chunk)),
      raw.closed$.subscribe((reason) => {
        // During the security stage the upgrade decides how the handshake failed (its own refusal says more than
        // the peer hanging up). Once secured, the secure conduit reports the end.
        if (this.stage === 'secure') this.rawClosedInSecure = reason;
        else if (this.io === undefined || this.io === raw) this.fail(vanished(reason));
      }),
    );
    this.timer = options.scheduler.schedule(() => {
      if (this.stage !== 'done')
        this.abort(closeReason('timeout', `handshake not complete after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
  }

  /** Stops forwarding bytes to the multiplexer (it has closed). */
  dispose(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
    this.forward?.complete();
  }

  /** Ends the handshake at once with `reason` (GOAWAY to the peer once our HELLO is out). */
  abort(reason: CloseReason, error?: ColinkError): void {
    if (this.stage === 'done') return;
    if (this.helloSent && this.io)
      write(this.io, [encodeCloseFrame(FrameType.GOAWAY, 0, reason)], this.options.id);
    (this.io ?? this.raw).destroy(reason);
    this.fail(reason, error);
  }

  private fail(reason: CloseReason, error?: ColinkError): void {
    if (this.stage === 'done') return;
    this.stage = 'done';
    this.cleanup();
    this.secureInbound?.complete();
    this.events.fail(reason, error);
  }

  private cleanup(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    // The data subscription feeding the multiplexer stays (see `forward`); everything else ends here.
    if (!this.forward) for (const s of this.subs) s.unsubscribe();
  }

  private onRawData(chunk: Uint8Array): void {
    try {
      if (this.forward) {
        if (this.io === this.raw) this.forward.push(chunk);
        else this.secureInbound?.push(chunk);
        return;
      }
      switch (this.stage) {
        case 'preamble':
          this.onPreambleData(chunk);
          return;
        case 'first-flight':
          this.onFirstFlightData(chunk);
          return;
        case 'secure':
          this.secureInbound?.push(chunk);
          return;
        case 'hello':
          if (this.io === this.raw) this.onHelloData(chunk);
          else this.secureInbound?.push(chunk);
          return;
        default:
          return;
      }
    } catch (e) {
      this.protocolError(e);
    }
  }

  private onPreambleData(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.preambleBuf.length > 0) {
      buf = new Uint8Array(this.preambleBuf.length + chunk.length);
      buf.set(this.preambleBuf, 0);
      buf.set(chunk, this.preambleBuf.length);
    }
    // A stranger sending anything but the magic ends here, at its first wrong byte and before any write or
    // allocation: a plain close reason, no exception (a random-bytes storm costs no stack trace per connection).
    if (!preambleMagicPrefixOk(buf)) {
      this.abort(BAD_MAGIC);
      return;
    }
    if (buf.length < PREAMBLE_BYTES) {
      if (buf === chunk) buf = chunk.slice(); // the conduit may reuse its chunk
      this.preambleBuf = buf;
      return;
    }
    const p = decodePreamble(buf);
    const rest = buf.subarray(PREAMBLE_BYTES);
    this.preambleBuf = NOTHING;
    // The responder answers a well-formed preamble with its own before negotiating, so that a peer with no common
    // version or the other security setting learns why (it reads our preamble too), and before the security stage
    // or HELLO starts — unless the device's pre-Link stage has answered it already (`preambleAnswered`).
    if (this.options.role === 'responder' && !this.options.preambleAnswered) {
      this.writePreamble();
      if (this.stage !== 'preamble') return; // the conduit closed while we wrote
    }
    const security = this.options.security;
    const agreed = negotiatePreamble(p, this.options.maxVersion ?? PROTOCOL_VERSION_MAX, Boolean(security));
    if ('reason' in agreed) {
      this.abort(agreed.reason);
      return;
    }
    this.version = agreed.version;
    if (!security) {
      this.stage = 'hello';
      this.io = this.raw;
      this.sendHello();
      if (rest.length > 0) this.onHelloData(rest);
      return;
    }
    this.startSecurity(security, rest);
  }

  /** Writes this side's 8-byte preamble (PROTOCOL.md §2): the versions we speak and whether we run security. */
  private writePreamble(): void {
    const flags = this.options.security ? PREAMBLE_FLAG_SECURE : 0;
    const maxVersion = this.options.maxVersion ?? PROTOCOL_VERSION_MAX;
    write(
      this.raw,
      [encodePreamble({ minVersion: PROTOCOL_VERSION_MIN, maxVersion, flags })],
      this.options.id,
    );
  }

  /**
   * The security stage starts — for a responder whose stage reads a first flight
   * ({@link SecurityUpgrade.firstFlightLength}), once that flight is whole.
   */
  private startSecurity(security: SecurityUpgrade, rest: Uint8Array): void {
    if (this.options.role === 'responder' && security.firstFlightLength) {
      this.stage = 'first-flight';
      if (rest.length > 0) this.onFirstFlightData(rest.slice());
      return;
    }
    this.beginSecurity(security, rest);
  }

  /** Holds the initiator's first security bytes until its first flight is whole, then starts the stage with them. */
  private onFirstFlightData(chunk: Uint8Array): void {
    const security = this.options.security!;
    this.firstFlight ??= new FirstFlight((head) => security.firstFlightLength!(head));
    let flight: Uint8Array | undefined;
    try {
      flight = this.firstFlight.push(chunk);
    } catch (e) {
      this.abort(FirstFlight.closeReasonOf(e), e instanceof ColinkError ? e : undefined);
      return;
    }
    if (!flight) return;
    this.firstFlight = undefined;
    this.beginSecurity(security, flight);
  }

  private beginSecurity(security: SecurityUpgrade, rest: Uint8Array): void {
    this.stage = 'secure';
    // The security layer reads the raw bytes through a view that holds what arrives before it subscribes.
    const inbound = new ConduitInbound(Number.POSITIVE_INFINITY);
    if (rest.length > 0) inbound.push(rest.slice());
    this.secureInbound = inbound;
    const raw = this.raw;
    const view: Conduit = {
      medium: raw.medium,
      localAddress: raw.localAddress,
      remoteAddress: raw.remoteAddress,
      maxFrameSize: raw.maxFrameSize,
      data$: inbound.data$,
      drain$: raw.drain$,
      closed$: raw.closed$,
      write: (chunks) => raw.write(chunks),
      end: (r) => raw.end(r),
      destroy: (r) => raw.destroy(r),
      ...(raw.detachSocket ? { detachSocket: () => this.detachForSecurity(raw, inbound) } : {}),
      ...(raw.pause ? { pause: () => raw.pause!(), resume: () => raw.resume?.() } : {}),
    };
    security.upgrade(view, this.options.role).then(
      ({ conduit, peer }) => {
        if (this.stage === 'done') {
          conduit.destroy(closeReason('normal'));
          return;
        }
        if (this.rawClosedInSecure) {
          conduit.destroy(this.rawClosedInSecure);
          this.fail(vanished(this.rawClosedInSecure));
          return;
        }
        this.verified = peer;
        this.io = conduit;
        this.stage = 'hello';
        this.subs.push(
          conduit.data$.subscribe((c) => {
            try {
              if (this.forward) this.forward.push(c);
              else this.onHelloData(c);
            } catch (e) {
              this.protocolError(e);
            }
          }),
          conduit.closed$.subscribe((r) => this.fail(vanished(r))),
        );
        this.sendHello();
      },
      (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        const code = e instanceof ColinkError && e.reason ? e.reason.code : 'handshake-failed';
        this.abort(closeReason(code, msg), e instanceof ColinkError ? e : undefined);
      },
    );
  }

  /**
   * The security stage takes the raw socket (see {@link Conduit.detachSocket}): bytes that arrived after the
   * preamble and wait in the stage's inbound go back into the socket, where node:tls reads them first.
   */
  private detachForSecurity(raw: Conduit, inbound: ConduitInbound): Socket | undefined {
    const socket = raw.detachSocket?.();
    if (!socket) return undefined;
    this.secureInbound = undefined;
    const held: Uint8Array[] = [];
    inbound.data$.subscribe((c) => held.push(c)).unsubscribe();
    if (held.length > 0) socket.unshift(Buffer.concat(held));
    return socket;
  }

  /** Writes this side's HELLO (PROTOCOL.md §4.1); one over MAX_CONTROL_PAYLOAD fails the handshake instead. */
  private sendHello(): void {
    const hello = {
      v: this.version,
      advert: this.options.local,
      window: this.options.window,
      maxFrame: this.options.maxFrame,
    };
    const payload = encodeJson(hello);
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      // The peer would refuse it (see onHelloData); LocalDevice checks its advert up front (assertValidAdvert).
      const message = `this side's HELLO is ${payload.length} bytes, over ${MAX_CONTROL_PAYLOAD} (MAX_CONTROL_PAYLOAD)`;
      const reason = closeReason('handshake-failed', message);
      const io = this.io ?? this.raw;
      this.fail(reason, new ColinkError(ErrorCode.INVALID_ARGUMENT, message)); // before the conduit reports its end
      io.destroy(reason);
      return;
    }
    const frame = encodeFrame(FrameType.HELLO, 0, 0, 0, payload);
    this.helloSent = true;
    this.helloBytes = frame.length;
    write(this.io!, [frame], this.options.id);
  }

  /**
   * Feeds the bytes after the security stage (or the preamble) to the decoder of the peer's first frame.
   * @throws ColinkError `ERR_PROTOCOL` when that frame's header announces more than {@link MAX_CONTROL_PAYLOAD}
   *   (16 KiB) of payload — checked on the 12-byte header, before the payload is buffered or parsed — or when it is
   *   not a well-formed HELLO; the handshake then fails with `protocol-error`.
   */
  private onHelloData(chunk: Uint8Array): void {
    try {
      this.decoder.push(chunk, (f) => this.onFrame(f));
    } catch (e) {
      if (this.stage === 'hello' && e instanceof ColinkError && e.code === ErrorCode.PROTOCOL)
        throw new ColinkError(ErrorCode.PROTOCOL, `peer's HELLO: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** The first frame must be HELLO (or GOAWAY); returns false to stop decoding once the HELLO is in. */
  private onFrame(f: Frame): boolean {
    if (this.stage !== 'hello') return false;
    if (f.type === FrameType.GOAWAY) {
      const reason = decodeCloseReason(f.payload);
      log.debug('%s GOAWAY during the handshake: %s %s', this.options.id, reason.code, reason.message ?? '');
      this.io?.end(reason);
      this.fail(reason);
      return false;
    }
    if (f.type !== FrameType.HELLO)
      throw new ColinkError(ErrorCode.PROTOCOL, `frame type ${f.type} before HELLO`);
    const h = decodeJsonObject(f.payload);
    const advert = parseAdvert(h.advert, 'HELLO');
    const window = typeof h.window === 'number' && h.window > 0 ? h.window : DEFAULT_CHANNEL_WINDOW;
    const v = this.verified;
    if (v && v.networkId !== advert.networkId) {
      this.abort(closeReason('handshake-failed', 'HELLO networkId differs from the authenticated identity'));
      return false;
    }
    this.establish({ advert, window }, f.payload.length + FRAME_HEADER_BYTES);
    return false;
  }

  private establish(hello: Hello, helloReceivedBytes: number): void {
    const io = this.io!;
    // Bytes behind the HELLO (and every later chunk) go to the multiplexer through a replaying hand-over.
    const forward = new Forward();
    for (const c of this.decoder.takeBuffered()) forward.push(c);
    this.forward = forward;
    this.stage = 'done';
    this.cleanup();
    this.events.open({
      io: {
        medium: io.medium,
        localAddress: io.localAddress,
        remoteAddress: io.remoteAddress,
        maxFrameSize: io.maxFrameSize,
        data$: new Observable<Uint8Array>((s) =>
          forward.read(
            (c) => s.next(c),
            () => s.complete(),
          ),
        ),
        drain$: io.drain$,
        closed$: io.closed$,
        write: (chunks) => io.write(chunks),
        ...(io.frameBoundaries ? { frameBoundaries: (f: () => number) => io.frameBoundaries!(f) } : {}),
        ...(io.pause ? { pause: () => io.pause!(), resume: () => io.resume?.() } : {}),
        end: (r) => {
          io.end(r);
        },
        destroy: (r) => {
          io.destroy(r);
        },
      },
      read: (reader) => forward.read(reader),
      version: this.version,
      hello,
      verified: this.verified,
      counters: {
        framesSent: 1,
        bytesSent: this.helloBytes,
        framesReceived: 1,
        bytesReceived: helloReceivedBytes,
      },
    });
    // The underlying stream ends: so does the forwarded one.
    this.subs.push(io.closed$.subscribe(() => forward.complete()));
  }

  private protocolError(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    log.debug('%s protocol error in the handshake: %s', this.options.id, msg);
    this.abort(closeReason('protocol-error', msg));
  }
}

/**
 * The bytes behind the peer's HELLO on their way to the multiplexer: held until it reads them, then handed straight
 * to its reader, one call per chunk (the receive path of every message; no rxjs subscriber chain, no subscriber set).
 * Unbounded while nobody reads, like the replaying inbound it replaces: the Link reads in the same turn it opens.
 */
class Forward {
  private held: Uint8Array[] = [];
  private reader: ((chunk: Uint8Array) => void) | undefined;
  private onEnd: (() => void) | undefined;
  private done = false;

  push(chunk: Uint8Array): void {
    if (this.done) return;
    const reader = this.reader;
    if (reader !== undefined) reader(chunk);
    else this.held.push(chunk);
  }

  /**
   * Replays what is held to `reader`, then makes it the reader (`onEnd` is called when the stream ends, at once when
   * it has). Returns the function that stops it.
   */
  read(reader: (chunk: Uint8Array) => void, onEnd?: () => void): () => void {
    const held = this.held;
    this.held = [];
    for (const c of held) reader(c);
    if (this.done) {
      onEnd?.();
      return () => undefined;
    }
    this.reader = reader;
    this.onEnd = onEnd;
    return () => {
      if (this.reader !== reader) return;
      this.reader = undefined;
      this.onEnd = undefined;
    };
  }

  /** Ends the stream: nothing more is delivered (what is held is still replayed to a first reader). */
  complete(): void {
    if (this.done) return;
    this.done = true;
    const onEnd = this.onEnd;
    this.reader = undefined;
    this.onEnd = undefined;
    onEnd?.();
  }
}

/**
 * The medium ended before the Link opened or without the peer's GOAWAY: whatever the conduit says (a TCP FIN looks
 * "normal"), the peer vanished — a crashed or killed process, a cut cable — so it is reported as `lost`.
 */
export function vanished(reason: CloseReason): CloseReason {
  if (reason.code !== 'normal' || !reason.remote) return reason;
  return closeReason(
    'lost',
    `the peer ended the connection without GOAWAY${reason.message ? ` (${reason.message})` : ''}`,
    { remote: true, ...(reason.detail ? { detail: reason.detail } : {}) },
  );
}

/**
 * Writes to a conduit. A conduit may throw once it has closed (transport-tcp does); the caller then stops writing
 * and lets the conduit's `closed$` end it.
 */
export function write(io: Conduit, chunks: readonly Uint8Array[], id: string): boolean {
  try {
    return io.write(chunks);
  } catch (e) {
    log.debug('%s write after close: %s', id, e instanceof Error ? e.message : String(e));
    return false;
  }
}
