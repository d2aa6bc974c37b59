import { Observable, type Subscriber, type Subscription } from 'rxjs';
import { resetConduit } from './admission.js';
import { decodePreamble, type Preamble, preambleMagicPrefixOk } from './codec.js';
import { type CloseReason, closeReason } from './errors.js';
import { FirstFlight } from './first-flight.js';
import { BAD_MAGIC } from './handshake.js';
import { type MAX_FIRST_FLIGHT_BYTES, PREAMBLE_BYTES } from './limits.js';
import type { Conduit } from './transport.js';

/** What an {@link InboundPreamble} reports to its owner (the device). */
export interface InboundPreambleEvents {
  /**
   * The peer's 8-byte preamble arrived with the right magic (PROTOCOL.md §1) — and, with a {@link PreambleAnswer},
   * was answered, and the security stage's first flight is whole. Build the Link over `conduit` now (`answered`: this
   * side's preamble was written already, the Link's handshake must not write it again): it must subscribe to
   * `conduit.data$` before returning; the preamble and every byte after it reach that subscriber once this returns,
   * in order, none lost. Throwing closes the connection (`refused`) and reports `gone`.
   */
  spoke(conduit: Conduit, answered: boolean): void;
  /**
   * The connection ended before its preamble was complete: closed by the peer, or by {@link InboundPreamble.abort}
   * (a wrong magic byte, the admission control). Called at most once, and never after `spoke`.
   */
  gone(): void;
}

/**
 * How the pre-Link stage of a device with a security stage that reads a first flight
 * (`SecurityUpgrade.firstFlightLength`: TLS's ClientHello record) goes on past a right preamble without a Link: it
 * writes this side's preamble as the handshake would (at once, before negotiating), and when the peer's preamble
 * leads to the security stage it waits for that first flight before the Link is built.
 */
export interface PreambleAnswer {
  /** This side's 8-byte preamble (the responder's, PROTOCOL.md §1). */
  readonly preamble: Uint8Array;
  /** Whether the peer's preamble leads to the security stage (a common version, `SECURE` as ours). */
  secure(p: Preamble): boolean;
  /** `SecurityUpgrade.firstFlightLength`: the first flight's size from its head, 0 while unknown; throws when bad. */
  firstFlightLength(head: Uint8Array): number;
}

/** A conduit that can deliver to the Link directly once the preamble was handed on (`ConduitGate`). */
interface HandsOver {
  handOver(subscriber: Subscriber<Uint8Array>): void;
}

enum Stage {
  Reading = 0,
  /** The preamble was right and answered; the security stage's first flight is being read. */
  FirstFlight = 1,
  Handed = 2,
  Gone = 3,
}

/**
 * @internal The pre-Link stage of an inbound connection: reads a stranger's first bytes until its 8-byte preamble is
 * complete, checking the magic ("CLNK", PROTOCOL.md §1) byte by byte, and only then lets the device build a Link and
 * its handshake over it — a connection that never sends a valid preamble (silent, slowloris, random bytes) costs no
 * Link, Handshake, Subjects, Promises or handshake timer. A wrong byte closes the connection at once with the same
 * close reason the handshake gives (`protocol-error`, "bad magic"); the pre-authentication deadline and the pending
 * caps ({@link Admission}) close silent or slow ones through {@link InboundPreamble.abort}. Every such close is a
 * reset ({@link Conduit.reset}: TCP RST), not a FIN.
 *
 * Hand-off without loss or copy: when the preamble arrives in one chunk (the usual case) that chunk goes to the Link
 * as it is, with whatever followed it; a preamble split over chunks is gathered in one 8-byte buffer (the only copy)
 * and the rest of the chunk that completed it follows as a view. The instance is its own `data$` observer (no
 * closures per connection for the bytes); a conduit that can (`ConduitGate.handOver`) then delivers to the Link
 * directly, so the stage adds nothing to the Link's path for the rest of its life.
 *
 * With a {@link PreambleAnswer} (a device whose security stage reads a first flight) a right preamble is answered here
 * and, when the security stage follows, the Link is built only once the peer's first flight (TLS: its ClientHello
 * record) is whole: a stranger that stops inside it (slowloris mid-TLS) costs no Link either, only the bytes it sent
 * (at most {@link MAX_FIRST_FLIGHT_BYTES}). A first flight that cannot start the stage closes the connection with
 * `handshake-failed`, as the Link's handshake would.
 */
export class InboundPreamble {
  private stage = Stage.Reading;
  /** Preamble bytes gathered so far when it comes in pieces. */
  private partial: Uint8Array | undefined;
  private have = 0;
  private dataSub: Subscription | undefined;
  private closedSub: Subscription | undefined;
  /** The Link's handshake, reading the conduit handed to it. */
  private sink: Subscriber<Uint8Array> | undefined;
  /** Stage FirstFlight: the peer's preamble, and the bytes of its first flight so far. */
  private preamble: Uint8Array | undefined;
  private flight: FirstFlight | undefined;

  /**
   * @param conduit the inbound conduit (as the pre-authentication gate delivers it); read once {@link start} runs.
   * @param answer answer a right preamble here and wait for the security stage's first flight before the Link.
   */
  constructor(
    readonly conduit: Conduit,
    private readonly events: InboundPreambleEvents,
    private readonly answer?: PreambleAnswer,
  ) {}

  /** The peer's address (for logs and per-source caps). */
  get remoteAddress(): string {
    return this.conduit.remoteAddress;
  }

  /** The local end's address. */
  get localAddress(): string {
    return this.conduit.localAddress;
  }

  /** Whether the Link has taken over (the preamble was complete and valid). */
  get handed(): boolean {
    return this.stage === Stage.Handed;
  }

  /** Starts reading. Bytes the conduit already holds may arrive (and be handed on) before this returns. */
  start(): void {
    const closed = this.conduit.closed$.subscribe(() => this.vanished());
    if (this.stage === Stage.Reading) this.closedSub = closed;
    else closed.unsubscribe();
    const data = this.conduit.data$.subscribe(this);
    // Ended, or handed on and already let go by the Link, while the conduit replayed what it held.
    if (this.stage === Stage.Gone || (this.stage === Stage.Handed && !this.sink)) data.unsubscribe();
    else this.dataSub = data;
  }

  /**
   * Closes the connection with `reason` if its Link has not been built yet — resetting the conduit
   * ({@link Conduit.reset}: TCP RST, the peer sees ECONNRESET; destroying one that cannot be reset): a stranger
   * refused before its preamble was complete gets no FIN exchange — then reports `gone`. Does nothing once the
   * preamble was handed on (close the Link instead) or after the end.
   */
  abort(reason: CloseReason): void {
    if (this.stage !== Stage.Reading && this.stage !== Stage.FirstFlight) return;
    this.stop();
    resetConduit(this.conduit, reason);
    this.events.gone();
  }

  /** @internal `data$` observer: a chunk from the peer. */
  next(chunk: Uint8Array): void {
    if (this.stage === Stage.Handed) {
      this.sink?.next(chunk);
      return;
    }
    if (this.stage === Stage.FirstFlight) {
      if (chunk.length > 0) this.onFlight(chunk);
      return;
    }
    if (this.stage !== Stage.Reading || chunk.length === 0) return;
    if (this.have === 0) {
      // A stranger sending anything but the magic ends at its first wrong byte, before any allocation.
      if (!preambleMagicPrefixOk(chunk)) {
        this.abort(BAD_MAGIC);
        return;
      }
      if (chunk.length >= PREAMBLE_BYTES) {
        this.spoken(chunk, undefined);
        return;
      }
      this.partial = new Uint8Array(PREAMBLE_BYTES);
      this.partial.set(chunk, 0); // the conduit may reuse its chunk
      this.have = chunk.length;
      return;
    }
    const partial = this.partial!;
    const n = Math.min(PREAMBLE_BYTES - this.have, chunk.length);
    partial.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.have);
    this.have += n;
    if (!preambleMagicPrefixOk(partial.subarray(0, this.have))) {
      this.abort(BAD_MAGIC);
      return;
    }
    if (this.have === PREAMBLE_BYTES) this.spoken(partial, n < chunk.length ? chunk.subarray(n) : undefined);
  }

  /**
   * The peer's preamble is complete with the right magic: `first` starts with it, `rest` (if any) follows. Without
   * a {@link PreambleAnswer} the Link takes over now; with one, this side's preamble is written, and the security
   * stage's first flight is read first when the peer's preamble leads there.
   */
  private spoken(first: Uint8Array, rest: Uint8Array | undefined): void {
    const answer = this.answer;
    if (!answer) {
      this.hand(first, rest, false);
      return;
    }
    try {
      this.conduit.write([answer.preamble]);
    } catch {
      return; // the conduit has closed: its closed$ ends this stage
    }
    if (this.stage !== Stage.Reading) return; // ended while we wrote
    if (!answer.secure(decodePreamble(first))) {
      this.hand(first, rest, true); // the Link's handshake reports the mismatch
      return;
    }
    this.stage = Stage.FirstFlight;
    this.partial = undefined;
    this.preamble = first.length === PREAMBLE_BYTES ? first : first.subarray(0, PREAMBLE_BYTES);
    if (first.length > PREAMBLE_BYTES) this.onFlight(first.subarray(PREAMBLE_BYTES));
    if (rest && this.stage === Stage.FirstFlight) this.onFlight(rest);
  }

  /** Stage FirstFlight: gathers the peer's first security bytes; once the flight is whole the Link takes over. */
  private onFlight(chunk: Uint8Array): void {
    const answer = this.answer!;
    this.flight ??= new FirstFlight((head) => answer.firstFlightLength(head));
    let flight: Uint8Array | undefined;
    try {
      flight = this.flight.push(chunk);
    } catch (e) {
      this.abort(FirstFlight.closeReasonOf(e));
      return;
    }
    if (!flight) return;
    const preamble = this.preamble!;
    this.preamble = undefined;
    this.flight = undefined;
    this.hand(preamble, flight, true);
  }

  /** @internal `data$` observer: the conduit failed. Before the hand-off its `closed$` reports the end. */
  error(e: unknown): void {
    if (this.stage === Stage.Handed) this.sink?.error(e);
  }

  /** @internal `data$` observer: the peer ended. Before the hand-off its `closed$` reports the end. */
  complete(): void {
    if (this.stage === Stage.Handed) this.sink?.complete();
  }

  private hand(first: Uint8Array, rest: Uint8Array | undefined, answered: boolean): void {
    this.stage = Stage.Handed;
    this.partial = undefined;
    this.closedSub?.unsubscribe(); // the Link watches the conduit's end from now on
    this.closedSub = undefined;
    try {
      this.events.spoke(this.view(), answered);
    } catch {
      this.stage = Stage.Reading;
      this.abort(closeReason('refused', 'could not build a Link for this connection'));
      return;
    }
    this.sink?.next(first);
    if (rest) this.sink?.next(rest);
    // Later bytes need not pass through this stage: the gate delivers them to the Link itself.
    const sink = this.sink;
    const gate = this.conduit as Partial<HandsOver>;
    if (sink && !sink.closed && typeof gate.handOver === 'function') gate.handOver(sink);
  }

  /** The conduit as the Link sees it: its `data$` continues this stage's one subscription. */
  private view(): Conduit {
    const c = this.conduit;
    const data$ = new Observable<Uint8Array>((s) => {
      this.sink = s;
      return () => {
        if (this.sink !== s) return;
        this.sink = undefined;
        this.dataSub?.unsubscribe();
        this.dataSub = undefined;
      };
    });
    return {
      medium: c.medium,
      localAddress: c.localAddress,
      remoteAddress: c.remoteAddress,
      maxFrameSize: c.maxFrameSize,
      data$,
      drain$: c.drain$,
      closed$: c.closed$,
      write: (chunks) => c.write(chunks),
      end: (reason) => c.end(reason),
      destroy: (reason) => c.destroy(reason),
      ...(c.frameBoundaries
        ? { frameBoundaries: (bytesToFrameEnd: () => number) => c.frameBoundaries!(bytesToFrameEnd) }
        : {}),
      ...(c.detachSocket ? { detachSocket: () => c.detachSocket?.() } : {}),
      ...(c.pause ? { pause: () => c.pause!(), resume: () => c.resume?.() } : {}),
    };
  }

  /** The conduit closed (the peer hung up, or something destroyed it) before the preamble was complete. */
  private vanished(): void {
    if (this.stage !== Stage.Reading && this.stage !== Stage.FirstFlight) return;
    this.stop();
    this.events.gone();
  }

  private stop(): void {
    this.stage = Stage.Gone;
    this.partial = undefined;
    this.preamble = undefined;
    this.flight = undefined;
    this.dataSub?.unsubscribe();
    this.dataSub = undefined;
    this.closedSub?.unsubscribe();
    this.closedSub = undefined;
  }
}
