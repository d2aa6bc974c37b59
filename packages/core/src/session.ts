import { randomUUID } from 'node:crypto';
import {
  asyncScheduler,
  Observable,
  ReplaySubject,
  type SchedulerLike,
  Subject,
  type Subscriber,
  type Subscription,
} from 'rxjs';
import type { Channel } from './channel.js';
import { decodeJsonObject, encodeJson, fromUtf8 } from './codec.js';
import type { LocalDevice } from './device.js';
import { ColinkError, closeReason, ErrorCode } from './errors.js';
import {
  DEFAULT_SESSION_REQUEST_TIMEOUT_MS,
  FRAME_HEADER_BYTES,
  SESSION_CLOSE_TIMEOUT_MS,
  SESSION_DATA_MAX_BYTES,
  SESSION_HELD_MESSAGE_BYTES,
  SESSION_HELD_TRANSFER_BYTES,
  SESSION_HELD_TRANSFERS,
  SESSION_MESSAGE_MAX_BYTES,
  SESSION_WAITING_TRANSFERS,
} from './limits.js';
import type { Link } from './link.js';
import type { PeerConnection } from './peer-connection.js';
import { Transfer } from './transfer.js';
import type { DeviceAdvert } from './transport.js';

/** Protocol name of a session's control channel (PROTOCOL.md §7). */
export const SESSION_PROTO = 'colink.session/1';
/** Protocol name of a session's data channel (one per sending side). */
export const SESSION_DATA_PROTO = 'colink.session-data/1';
/** Protocol name of a channel carrying one session transfer ({@link Session.transfer}, PROTOCOL.md §7.4). */
export const SESSION_TRANSFER_PROTO = 'colink.session-transfer/1';

/** The app on one end of a session (HarmonyOS PeerInfo without the device id). */
export interface AppInfo {
  readonly bundleName: string;
  readonly moduleName: string;
  readonly abilityName: string;
}

/**
 * Why a session ended, from this side's point of view:
 * - `local`: this side called `close()`;
 * - `peer-closed`: the peer app closed the session (HarmonyOS `PEER_APP_CLOSE_COLLABORATION`);
 * - `peer-exit`: the peer app or device went away (`PEER_APP_EXIT`);
 * - `network-disconnected`: the Link carrying it was lost (`NETWORK_DISCONNECTED`).
 */
export type SessionEndReason = 'local' | 'peer-closed' | 'peer-exit' | 'network-disconnected';

/** How a session request failed on the peer. */
export type SessionRejectCode = 'rejected' | 'no-handler' | 'busy' | 'error';

/** Parameters of {@link SessionManager.request}. */
export interface SessionRequestInit {
  /** networkId of the peer device. */
  readonly peer: string;
  /** Service name, the same on both ends (HarmonyOS `serviceName`/`serverId`, ≤ 256 chars). */
  readonly service: string;
  /** The requesting app. */
  readonly local: AppInfo;
  /** The app to start on the peer. */
  readonly remote: AppInfo;
  /** Free-form options delivered to the peer app (HarmonyOS ConnectOptions). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** How long to wait for accept/reject in ms. Default 30_000. */
  readonly timeoutMs?: number;
  /** Largest text message in UTF-8 bytes. Default 1024 (HarmonyOS sendMessage). */
  readonly maxMessageBytes?: number;
}

/** A request from a peer that the local app accepts or rejects. */
export interface SessionRequest {
  /** Unique key of the session (also the HarmonyOS collaboration token). */
  readonly key: string;
  readonly service: string;
  /** The requesting device. */
  readonly peer: DeviceAdvert;
  /** The requesting app. */
  readonly from: AppInfo;
  /** The app the request is for (on this device). */
  readonly to: AppInfo;
  readonly options: Readonly<Record<string, unknown>>;
  /** Accepts: the requester's `request()` resolves; resolves with this side's {@link Session}. */
  accept(): Promise<Session>;
  /** Rejects with a human-readable reason; the requester's `request()` rejects with `ERR_REJECTED` carrying it. */
  reject(reason: string, code?: SessionRejectCode): void;
  /** Whether accept/reject was already called or the request went away. */
  readonly settled: boolean;
}

/** Data and transfer channels held while their session's accept is on its way (all sessions together). */
const MAX_ORPHAN_CHANNELS = 64;
/** How long such a channel waits for its session before it is refused, ms. */
const ORPHAN_CHANNEL_WAIT_MS = 5_000;

/** Largest time limit a Node timer takes, ms (2^31 − 1; longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const KIND_CONTROL = 0;
const KIND_TEXT = 1;

/**
 * A collaboration between the same service on two devices (what HarmonyOS abilityConnectionManager calls a
 * session): text messages on a control channel, bytes on per-direction data channels, and an end reason.
 *
 * A session belongs to the device pair, not to the Link: between two protocol-v2 devices its channels are
 * connection channels of the {@link PeerConnection}, so it moves to another Link of the peer when its Link is lost
 * and ends as `network-disconnected` only when no Link returns within the grace period (PROTOCOL.md §8).
 */
export class Session {
  readonly key: string;
  readonly service: string;
  readonly role: 'requester' | 'acceptor';
  readonly peer: DeviceAdvert;
  readonly local: AppInfo;
  readonly remote: AppInfo;
  readonly options: Readonly<Record<string, unknown>>;

  private readonly manager: SessionManager;
  private readonly control: Channel;
  private readonly link: Link;
  private readonly connection: PeerConnection | undefined;
  private readonly maxMessageBytes: number;
  /**
   * The subscribers of {@link Session.messages$}, called directly (no Subject between the channel and the app: the
   * text path is the latency path). Made on the first subscription: memory per idle session.
   */
  private messageReaders: Set<Subscriber<string>> | undefined;
  /** Text messages received while nobody subscribed to {@link Session.messages$}, for the next subscriber. */
  private heldMessages: string[] | undefined;
  private heldMessageBytes = 0;
  /** The control channel is paused: {@link SESSION_HELD_MESSAGE_BYTES} are held. */
  private controlPaused = false;
  /**
   * Subscribers of {@link Session.data$}, called directly (no Subject per message); incoming data channels are read
   * only while there is one. Made on the first subscription (most sessions never read data): memory per idle session.
   */
  private dataReaders: Set<Subscriber<Uint8Array>> | undefined;
  /** {@link Session.data$} has completed: the session ended and every incoming data channel was read to its end. */
  private dataDone = false;
  /** Incoming data channels not yet read to their end, and the reading subscription of each while data$ is read. */
  private dataIn: Map<Channel, Subscription | undefined> | undefined;
  /** Data of completed incoming transfers that nobody read yet (each already received whole). */
  private heldData: Uint8Array[] | undefined;
  /**
   * Incoming transfers held ({@link SESSION_HELD_TRANSFER_BYTES}): being received (counted at their announced size)
   * or completed and in {@link Session.heldData}; their bytes and their number.
   */
  private heldTransferBytes = 0;
  private heldTransfers = 0;
  /** Incoming transfers waiting, unread (channel paused), for room among the held ones; oldest first. */
  private waitingTransfers: Array<{ readonly channel: Channel; readonly size: number; admitted: boolean }> =
    [];
  /** Made on the first subscription to {@link Session.ended$} (replays the reason once ended). */
  private endedSubject: ReplaySubject<SessionEndReason> | undefined;
  /** Made on the first subscription to {@link Session.transfers$}. */
  private transfersSubject: Subject<Transfer> | undefined;
  /** Incoming transfers still running that arrived while {@link Session.transfers$} had no subscriber. */
  private unseen: Transfer[] = [];
  /** Transfers still running, both directions (made with the first). */
  private running: Set<Transfer> | undefined;
  private dataOut: Channel | undefined;
  private endReason: SessionEndReason | undefined;
  private peerEnd: SessionEndReason | undefined;

  /** @internal */
  constructor(
    manager: SessionManager,
    init: {
      key: string;
      service: string;
      role: 'requester' | 'acceptor';
      peer: DeviceAdvert;
      local: AppInfo;
      remote: AppInfo;
      options: Readonly<Record<string, unknown>>;
      control: Channel;
      link: Link;
      connection: PeerConnection | undefined;
      maxMessageBytes: number;
    },
  ) {
    this.manager = manager;
    this.key = init.key;
    this.service = init.service;
    this.role = init.role;
    this.peer = init.peer;
    this.local = init.local;
    this.remote = init.remote;
    this.options = init.options;
    this.control = init.control;
    this.link = init.link;
    this.connection = init.connection;
    this.maxMessageBytes = init.maxMessageBytes;
    // Internal listeners rather than rxjs subscriptions: ~1 KB less per session on each device (issue 19).
    this.control.listen((m) => this.onControl(m));
    this.control.onClosed((r) =>
      this.end(
        this.peerEnd ??
          (r.remote && r.code === 'going-away'
            ? 'peer-exit'
            : // the peer closed the control channel gracefully (its close message may wait behind held messages)
              r.remote && r.code === 'normal'
              ? 'peer-closed'
              : 'network-disconnected'),
      ),
    );
  }

  /**
   * Text messages from the peer. Nothing is dropped: messages that arrive while nobody subscribes (e.g. between
   * `request()` resolving and the app's `subscribe`) are held and delivered, in order, to the next subscriber — up to
   * {@link SESSION_HELD_MESSAGE_BYTES} (256 KiB); past that the session stops reading its control channel, so the
   * peer's `sendMessage` waits (backpressure) until someone subscribes. A subscriber that stops part way
   * (`firstValueFrom`, `take(n)`) leaves the rest held for the next one. Completes when the session has ended (after
   * the held messages).
   */
  get messages$(): Observable<string> {
    return new Observable<string>((subscriber) => {
      const flush = (): void => {
        const held = this.heldMessages;
        this.heldMessages = undefined;
        this.heldMessageBytes = 0;
        if (held === undefined) return;
        let i = 0;
        while (i < held.length && !subscriber.closed) subscriber.next(held[i++]!);
        // A subscriber that stopped part way (`take(1)`, `firstValueFrom`) leaves the rest to the next one.
        if (i < held.length) {
          const rest = held.slice(i);
          this.heldMessages = this.heldMessages === undefined ? rest : rest.concat(this.heldMessages);
          for (const m of rest) this.heldMessageBytes += Buffer.byteLength(m, 'utf8');
        }
      };
      flush();
      // Ended: the subject completes the subscriber at once, so what still waits in the paused channel comes first.
      while (this.endReason !== undefined && this.controlPaused && !subscriber.closed) {
        this.controlPaused = false;
        this.control.resume(); // delivers synchronously into the hold (pausing again past the bound)
        flush();
      }
      if (this.endReason !== undefined) {
        subscriber.complete();
        return;
      }
      this.messageReaders ??= new Set();
      const readers = this.messageReaders;
      readers.add(subscriber);
      if (this.controlPaused) {
        this.controlPaused = false;
        this.control.resume();
      }
      return () => {
        readers.delete(subscriber);
      };
    });
  }

  /**
   * Byte messages from the peer ({@link Session.sendData}, and completed {@link Session.transfers$ transfers}).
   * Nothing is dropped: the session reads its incoming data channels only while data$ has a subscriber, so what
   * arrives before (or between) subscribers waits in the channels — bounded by their receive windows, the peer's
   * `sendData` then waits — and goes to the next subscriber in order; completed transfers nobody read are held whole
   * until then, within a bound: the session holds at most `sessionHeldTransferBytes` (default 100 MiB,
   * {@link SESSION_HELD_TRANSFER_BYTES}) and {@link SESSION_HELD_TRANSFERS} (1,024) incoming transfers, counting those
   * being received at their announced size (one is always let in when none is held). A transfer that does not fit
   * waits unread — the sender's transfer waits (backpressure) — until a subscriber here takes what is held; past
   * {@link SESSION_WAITING_TRANSFERS} (16) waiting, further ones are refused (the sender's `done` rejects with
   * `ERR_CLOSED`, reason `refused`). A subscriber that stops part way (`firstValueFrom`, `take(n)`) leaves the rest
   * held for the next one. Completes once the session has ended and the data channels have delivered everything they
   * received.
   */
  get data$(): Observable<Uint8Array> {
    return new Observable<Uint8Array>((subscriber) => {
      const held = this.heldData;
      this.heldData = undefined;
      if (held !== undefined) {
        let i = 0;
        while (i < held.length && !subscriber.closed) {
          const d = held[i++]!;
          this.releaseTransfer(d.length);
          subscriber.next(d);
        }
        // A subscriber that stopped part way (`take(1)`, `firstValueFrom`) leaves the rest to the next one.
        if (i < held.length) {
          const rest = held.slice(i);
          this.heldData = this.heldData === undefined ? rest : rest.concat(this.heldData);
        }
        this.admitTransfers();
      }
      if (this.dataDone) {
        subscriber.complete();
        return;
      }
      this.dataReaders ??= new Set();
      const readers = this.dataReaders;
      readers.add(subscriber);
      if (readers.size === 1) for (const ch of [...(this.dataIn?.keys() ?? [])]) this.readData(ch);
      this.completeData();
      return () => {
        readers.delete(subscriber);
        if (readers.size > 0 || !this.dataIn) return;
        for (const [ch, reading] of this.dataIn) {
          reading?.unsubscribe();
          this.dataIn.set(ch, undefined);
        }
      };
    });
  }

  /** Emits once when the session ends, with the reason (replayed to later subscribers), then completes. */
  get ended$(): Observable<SessionEndReason> {
    if (this.endedSubject === undefined) {
      this.endedSubject = new ReplaySubject<SessionEndReason>(1);
      if (this.endReason !== undefined) {
        this.endedSubject.next(this.endReason);
        this.endedSubject.complete();
      }
    }
    return this.endedSubject.asObservable();
  }

  /**
   * Transfers the peer starts with {@link Session.transfer}: watch their progress (bytes received) or cancel them.
   * Each one's bytes are also emitted on {@link Session.data$} when it is done. Hot, except that transfers which
   * arrive while nobody subscribes (e.g. before `request()` resolved on the requester) and are still running go to
   * the first subscriber. A transfer waiting for room among the held ones ({@link Session.data$}) is emitted too; its
   * progress stays at 0 until it is read. Completes when the session ends.
   */
  get transfers$(): Observable<Transfer> {
    return new Observable<Transfer>((subscriber) => {
      this.transfersSubject ??= this.lazySubject<Transfer>();
      const sub = this.transfersSubject.subscribe(subscriber);
      const unseen = this.unseen;
      this.unseen = [];
      for (const t of unseen) subscriber.next(t);
      return sub;
    });
  }

  /** `open` until the session ends. */
  get state(): 'open' | 'closed' {
    return this.endReason === undefined ? 'open' : 'closed';
  }

  /** The Link carrying the session now (its peer connection's carrier; the Link it opened on, for a v1 peer). */
  get via(): Link {
    return this.connection?.carrier ?? this.link;
  }

  /**
   * Sends a text message (≤ 1024 bytes of UTF-8 by default; a lone surrogate is sent as U+FFFD, 3 bytes); the peer
   * receives exactly this text (a leading U+FEFF included). Resolves when the message is handed to the medium (at
   * once when the Link is idle).
   * @throws ColinkError (as a rejection) `ERR_MESSAGE_TOO_LARGE` over the limit; `ERR_NOT_CONNECTED` after the
   *   session ended; `ERR_INVALID_ARGUMENT` for a non-string.
   */
  sendMessage(text: string): Promise<void> {
    if (typeof text !== 'string')
      return Promise.reject(new ColinkError(ErrorCode.INVALID_ARGUMENT, 'message must be a string'));
    // The kind byte and the text's UTF-8 in the frame's own buffer, encoded in place: no copy, no extra promise.
    const length = Buffer.byteLength(text, 'utf8');
    if (length > this.maxMessageBytes) {
      return Promise.reject(
        new ColinkError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `message of ${length} bytes exceeds ${this.maxMessageBytes}`,
        ),
      );
    }
    if (this.endReason !== undefined) return Promise.reject(this.notConnected());
    // Room for the frame header in front: the Link fills it in and writes this one buffer (Channel.sendFramed).
    const m = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 1 + length);
    m[FRAME_HEADER_BYTES] = KIND_TEXT;
    // As many UTF-8 bytes as UTF-16 code units: all ASCII, whose Latin-1 bytes are its UTF-8 (a plain copy, ~30 %
    // cheaper than node's UTF-8 writer for 1,000 characters).
    m.write(text, FRAME_HEADER_BYTES + 1, length, length === text.length ? 'latin1' : 'utf8');
    return this.control.sendFramed(m);
  }

  /**
   * Sends bytes (≤ 100 MiB, HarmonyOS sendData's limit), fragmented over the Link; resolves when handed to the medium.
   * The bytes are not copied: do not modify them once sent (the medium may read them after the promise resolved).
   * @throws ColinkError (as a rejection) `ERR_MESSAGE_TOO_LARGE`, `ERR_NOT_CONNECTED`, `ERR_INVALID_ARGUMENT`.
   */
  sendData(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array))
      return Promise.reject(new ColinkError(ErrorCode.INVALID_ARGUMENT, 'data must be a Uint8Array'));
    if (data.length > SESSION_DATA_MAX_BYTES)
      return Promise.reject(
        new ColinkError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `data of ${data.length} bytes exceeds ${SESSION_DATA_MAX_BYTES}`,
        ),
      );
    if (this.endReason !== undefined) return Promise.reject(this.notConnected());
    if (this.dataOut === undefined) {
      const meta = { proto: SESSION_DATA_PROTO, key: this.key };
      try {
        this.dataOut =
          this.control.resumable && this.connection
            ? this.connection.openChannel(meta)
            : this.link.openChannel(meta);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.dataOut.send(data);
  }

  /**
   * Sends `data` (≤ 100 MiB) as a transfer both ends can watch and stop, on a channel of its own (PROTOCOL.md §7.4):
   * {@link Transfer.progress$} counts the bytes the peer acknowledged, {@link Transfer.cancel} stops it on both ends
   * with a reason, {@link Transfer.done} resolves once the peer has every byte. The peer sees it on
   * {@link Session.transfers$} and, once complete, on {@link Session.data$}. Between protocol-v2 devices it is a
   * connection channel: it survives a carrier move (it resumes from the last acknowledged 64 KiB chunk) and waits,
   * like every channel of the session, during the peer connection's grace period. Unlike {@link Session.sendData}
   * calls, transfers are not ordered with each other or with `sendData` (each has its own channel); await
   * {@link Transfer.done} to order them. With a protocol v1 peer progress jumps from 0 to the size when the peer
   * confirms the end (v1 has no ACK).
   * @throws ColinkError `ERR_MESSAGE_TOO_LARGE` over 100 MiB, `ERR_NOT_CONNECTED` after the session ended,
   *   `ERR_INVALID_ARGUMENT` when `data` is not a Uint8Array, and as {@link PeerConnection.openChannel}.
   */
  transfer(data: Uint8Array): Transfer {
    if (!(data instanceof Uint8Array))
      throw new ColinkError(ErrorCode.INVALID_ARGUMENT, 'data must be a Uint8Array');
    if (data.length > SESSION_DATA_MAX_BYTES)
      throw new ColinkError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `data of ${data.length} bytes exceeds ${SESSION_DATA_MAX_BYTES}`,
      );
    this.assertOpen();
    const meta = { proto: SESSION_TRANSFER_PROTO, key: this.key, size: data.length };
    const channel =
      this.control.resumable && this.connection
        ? this.connection.openChannel(meta)
        : this.link.openChannel(meta);
    const t = Transfer.send(channel, data);
    this.track(t);
    return t;
  }

  /**
   * Ends the session; the peer sees `peer-closed` (or `peer-exit` when `why` is `'exit'`). The session ends at once
   * on this side ({@link Session.ended$} emits `local`, running transfers are cancelled); the close message and what
   * `sendMessage`/`sendData` already accepted are then flushed, and the promise resolves once the peer has closed
   * the session's channels too — or after `timeoutMs` (default 5_000, `SESSION_CLOSE_TIMEOUT_MS`,
   * `@colink/core/wire`), whichever comes first. A peer app that reads nothing grants no credit, so what waits for
   * it would wait forever: at the time limit the session's control and data channels are reset (code `normal`, or
   * `going-away` for `'exit'`, with a message naming the time limit; the peer still sees `peer-closed` /
   * `peer-exit`), and every accepted send not yet handed to the medium rejects with `ERR_CLOSED`. Time runs on the
   * device's scheduler (virtual time with a `VirtualClock`). Resolves at once when the session has already ended.
   * @throws ColinkError (as a rejection) `ERR_INVALID_ARGUMENT` when `timeoutMs` is not a number of ms from 0 to
   *   2^31 − 1 (Node's largest timer); the session is then left open.
   */
  async close(why: 'closed' | 'exit' = 'closed', timeoutMs = SESSION_CLOSE_TIMEOUT_MS): Promise<void> {
    assertCloseTimeout(timeoutMs);
    return this.closeWithin(why, timeoutMs);
  }

  /**
   * @internal {@link Session.close} with `timeoutMs` unchecked; undefined: no time limit of its own — for
   * `LocalDevice.stop`, which bounds the flush itself (and reports what it could not flush before anything resets).
   */
  async closeWithin(why: 'closed' | 'exit', timeoutMs: number | undefined): Promise<void> {
    if (this.endReason !== undefined) return;
    this.end('local');
    const controlChannel = this.control;
    const dataOut = this.dataOut;
    const graceful = (async () => {
      try {
        await controlChannel.send(control({ t: 'close', why }));
      } catch {
        // the Link is already gone (the peer will see network-disconnected), or the time limit reset the channel
      }
      await Promise.all([dataOut?.close(), controlChannel.close()]);
    })();
    if (timeoutMs === undefined) return graceful;
    let timer: Subscription | undefined;
    const inTime = await Promise.race([
      graceful.then(() => true),
      new Promise<boolean>((r) => (timer = this.manager.scheduler.schedule(() => r(false), timeoutMs))),
    ]);
    timer?.unsubscribe();
    if (inTime) return;
    // The peer did not take what waits (its window is full, or it is unreachable): nothing more can be done in time.
    const reason = closeReason(
      why === 'exit' ? 'going-away' : 'normal',
      `session closed; its graceful close did not complete within ${timeoutMs} ms (the peer did not read)`,
    );
    dataOut?.reset(reason);
    controlChannel.reset(reason);
  }

  /** @internal incoming data channel of this session */
  attachData(channel: Channel): void {
    this.dataIn ??= new Map();
    this.dataIn.set(channel, undefined);
    if ((this.dataReaders?.size ?? 0) > 0) this.readData(channel);
  }

  /** Reads an incoming data channel into {@link Session.data$} (while it has a subscriber) until the channel ends. */
  private readData(channel: Channel): void {
    const reading = channel.messages$.subscribe({
      next: (m) => this.emitData(m),
      complete: () => {
        this.dataIn?.delete(channel);
        this.completeData();
      },
    });
    if (this.dataIn?.has(channel)) this.dataIn.set(channel, reading);
  }

  /** Hands `d` to every subscriber of {@link Session.data$}. */
  private emitData(d: Uint8Array): void {
    const readers = this.dataReaders;
    if (readers !== undefined) for (const r of readers) r.next(d);
  }

  /** data$ completes once the session ended and every incoming data channel was read to its end. */
  private completeData(): void {
    if (this.dataDone || this.endReason === undefined || (this.dataIn?.size ?? 0) > 0) return;
    this.dataDone = true;
    const readers = this.dataReaders;
    this.dataReaders = undefined;
    for (const r of [...(readers ?? [])]) r.complete();
  }

  /**
   * @internal Incoming transfer channel of this session (its metadata `size` checked by the manager). Read at once
   * when it fits among the held transfers ({@link SESSION_HELD_TRANSFER_BYTES}, {@link SESSION_HELD_TRANSFERS}); else
   * it waits unread — its window fills and the sender waits — or, past {@link SESSION_WAITING_TRANSFERS} waiting, is
   * refused (RESET `refused`: the sender's transfer fails with `ERR_CLOSED` and that reason).
   */
  attachTransfer(channel: Channel, size: number): void {
    const entry = { channel, size, admitted: false };
    if (this.waitingTransfers.length === 0 && this.fitsTransfer(size)) this.admit(entry);
    else if (this.waitingTransfers.length >= SESSION_WAITING_TRANSFERS) {
      channel.reset(
        closeReason(
          'refused',
          `the receiving app has not read ${this.heldTransfers} transfers (${this.heldTransferBytes} bytes) and ` +
            `${this.waitingTransfers.length} more wait: no room for another`,
        ),
      );
      return;
    } else {
      channel.pause(); // unread until admitted: the window fills, the sender's transfer waits
      this.waitingTransfers.push(entry);
    }
    const t = Transfer.receive(channel, size);
    this.track(t);
    t.done.then(
      (d) => {
        if ((this.dataReaders?.size ?? 0) > 0) {
          this.releaseTransfer(size);
          this.emitData(d);
          this.admitTransfers();
        } else {
          this.heldData ??= [];
          this.heldData.push(d);
        }
      },
      () => {
        if (entry.admitted) this.releaseTransfer(size);
        else this.waitingTransfers = this.waitingTransfers.filter((w) => w !== entry);
        this.admitTransfers();
      },
    );
    if (this.transfersSubject?.observed) this.transfersSubject.next(t);
    else {
      this.unseen.push(t);
      const drop = (): void => {
        this.unseen = this.unseen.filter((x) => x !== t);
      };
      t.done.then(drop, drop);
    }
  }

  /** Whether an incoming transfer of `size` bytes fits among the held ones (any one does when none is held). */
  private fitsTransfer(size: number): boolean {
    if (this.heldTransfers === 0) return true;
    return (
      this.heldTransfers < SESSION_HELD_TRANSFERS &&
      this.heldTransferBytes + size <= this.manager.heldTransferLimit
    );
  }

  private admit(entry: { readonly channel: Channel; readonly size: number; admitted: boolean }): void {
    entry.admitted = true;
    this.heldTransfers++;
    this.heldTransferBytes += entry.size;
  }

  /** A held transfer of `size` bytes was read by data$ (or ended without data). */
  private releaseTransfer(size: number): void {
    this.heldTransfers--;
    this.heldTransferBytes -= size;
  }

  /** Starts reading waiting transfers, oldest first, while they fit. */
  private admitTransfers(): void {
    while (this.waitingTransfers.length > 0 && this.fitsTransfer(this.waitingTransfers[0]!.size)) {
      const entry = this.waitingTransfers.shift()!;
      this.admit(entry);
      entry.channel.resume();
    }
  }

  private track(t: Transfer): void {
    this.running ??= new Set();
    const running = this.running;
    running.add(t);
    const forget = (): boolean => running.delete(t);
    t.done.then(forget, forget);
  }

  private assertOpen(): void {
    if (this.endReason !== undefined) throw this.notConnected();
  }

  /** A subject for messages$/data$/transfers$, already complete when the session has ended. */
  private lazySubject<T>(): Subject<T> {
    const subject = new Subject<T>();
    if (this.endReason !== undefined) subject.complete();
    return subject;
  }

  private notConnected(): ColinkError {
    return new ColinkError(ErrorCode.NOT_CONNECTED, `session ended (${this.endReason})`);
  }

  private onControl(m: Uint8Array): void {
    if (m[0] === KIND_TEXT) {
      try {
        const text = fromUtf8(m.subarray(1)); // decoded even without a reader: invalid UTF-8 still resets
        const readers = this.messageReaders;
        if (readers !== undefined && readers.size > 0) for (const r of readers) r.next(text);
        else this.holdMessage(text, m.length - 1);
      } catch {
        this.control.reset(closeReason('protocol-error', 'invalid UTF-8 in a session message'));
      }
      return;
    }
    if (m[0] === KIND_CONTROL) {
      const c = safeJson(m.subarray(1));
      if (c?.t === 'close') {
        this.peerEnd = c.why === 'exit' ? 'peer-exit' : 'peer-closed';
        this.end(this.peerEnd);
        void this.control.close();
        void this.dataOut?.close();
      }
    }
  }

  /** Keeps a text message for the next messages$ subscriber; past the bound, the control channel stops delivering. */
  private holdMessage(text: string, bytes: number): void {
    this.heldMessages ??= [];
    this.heldMessages.push(text);
    this.heldMessageBytes += bytes;
    if (this.heldMessageBytes >= SESSION_HELD_MESSAGE_BYTES && !this.controlPaused) {
      this.controlPaused = true;
      this.control.pause();
    }
  }

  private end(reason: SessionEndReason): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    this.manager.forget(this);
    // Transfers end with the session: closed here by the app, they are cancelled (both ends see ERR_CANCELLED);
    // ended by the peer or the network, they fail with ERR_CLOSED (the app did not cancel anything).
    for (const t of [...(this.running ?? [])]) {
      if (reason === 'local') t.cancel(`session ended (${reason})`);
      else
        t.abort(
          closeReason(reason === 'network-disconnected' ? 'lost' : 'normal', `session ended (${reason})`),
        );
    }
    this.endedSubject?.next(reason);
    this.endedSubject?.complete();
    const readers = this.messageReaders;
    this.messageReaders = undefined;
    for (const r of [...(readers ?? [])]) r.complete();
    this.completeData();
    this.transfersSubject?.complete();
  }
}

/**
 * Requests, accepts and tracks {@link Session}s of a {@link LocalDevice} (`device.sessions`).
 *
 * Flow (PROTOCOL.md §7): the requester opens a control channel carrying service, both apps and options; the peer
 * device emits a {@link SessionRequest} on {@link SessionManager.requests$}; the app accepts or rejects; the
 * requester's `request()` resolves with the session or rejects with `ERR_REJECTED` (reason in the message and
 * `detail.reason`), `ERR_NO_HANDLER` (nobody listens for requests), or `ERR_TIMEOUT`.
 */
export class SessionManager {
  private readonly device: LocalDevice;
  /** @internal The device's clock: session request and close time limits run on it. */
  readonly scheduler: SchedulerLike;
  /** @internal Bytes of incoming transfers each session holds ({@link SESSION_HELD_TRANSFER_BYTES} by default). */
  readonly heldTransferLimit: number;
  private readonly requestsSubject = new Subject<SessionRequest>();
  private readonly sessionsSubject = new Subject<Session>();
  private readonly live = new Map<string, Session>();
  /** Data and transfer channels that arrived before their session's accept (requester side), by session key. */
  private readonly orphans = new Map<
    string,
    Array<{ channel: Channel; size?: number; timer?: Subscription }>
  >();
  private installed = false;

  /** @internal */
  constructor(
    device: LocalDevice,
    scheduler: SchedulerLike = asyncScheduler,
    heldTransferLimit = SESSION_HELD_TRANSFER_BYTES,
  ) {
    this.device = device;
    this.scheduler = scheduler;
    this.heldTransferLimit = heldTransferLimit;
  }

  /** Incoming requests (hot). With no subscriber, requests are rejected with `no-handler`. */
  get requests$(): Observable<SessionRequest> {
    this.install();
    return this.requestsSubject.asObservable();
  }

  /** Every session as it opens, on either side (hot). */
  get opened$(): Observable<Session> {
    return this.sessionsSubject.asObservable();
  }

  /** Open sessions. */
  list(): readonly Session[] {
    return [...this.live.values()];
  }

  /**
   * Asks the peer's app to collaborate. See the class doc for the errors; plus `ERR_INVALID_ARGUMENT` for a bad
   * init, and the errors of {@link LocalDevice.connect}.
   */
  async request(init: SessionRequestInit): Promise<Session> {
    validateInit(init);
    this.install();
    const link = await this.device.connect(init.peer);
    const key = randomUUID();
    const meta = {
      proto: SESSION_PROTO,
      key,
      service: init.service,
      from: init.local,
      to: init.remote,
      options: init.options ?? {},
    };
    // Between v2 devices the session's channels belong to the peer connection and survive a Link's loss.
    const connection = link.resumable ? this.device.peer(init.peer) : undefined;
    const channel = connection ? connection.openChannel(meta) : link.openChannel(meta);
    const timeoutMs = init.timeoutMs ?? DEFAULT_SESSION_REQUEST_TIMEOUT_MS;
    return new Promise<Session>((resolve, reject) => {
      let settled = false;
      // Dropped once answered: the session keeps its own watch on the channel (memory per open session).
      let closedSub: Subscription | undefined;
      const timer = this.scheduler.schedule(() => {
        if (settled) return;
        settled = true;
        channel.reset(closeReason('timeout', 'no answer to the session request'));
        reject(
          new ColinkError(
            ErrorCode.TIMEOUT,
            `peer did not answer the session request within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const sub = channel.messages$.subscribe((m) => {
        if (settled) return;
        const c = m[0] === KIND_CONTROL ? safeJson(m.subarray(1)) : undefined;
        if (c?.t === 'accept') {
          settled = true;
          timer.unsubscribe();
          sub.unsubscribe();
          closedSub?.unsubscribe();
          const s = new Session(this, {
            key,
            service: init.service,
            role: 'requester',
            peer: link.remote!,
            local: init.local,
            remote: init.remote,
            options: init.options ?? {},
            control: channel,
            link,
            connection,
            maxMessageBytes: init.maxMessageBytes ?? SESSION_MESSAGE_MAX_BYTES,
          });
          this.track(s);
          resolve(s);
        } else if (c?.t === 'reject') {
          settled = true;
          timer.unsubscribe();
          closedSub?.unsubscribe();
          const reason = typeof c.reason === 'string' ? c.reason : '';
          const code = c.code === 'no-handler' ? ErrorCode.NO_HANDLER : ErrorCode.REJECTED;
          reject(new ColinkError(code, reason || 'session rejected', { detail: { reason, code: c.code } }));
        }
      });
      closedSub = channel.closed$.subscribe((r) => {
        if (settled) return;
        settled = true;
        timer.unsubscribe();
        reject(
          r.code === 'refused'
            ? new ColinkError(ErrorCode.NO_HANDLER, r.message ?? 'peer does not accept sessions', {
                reason: r,
              })
            : ColinkError.closed('session request', r),
        );
      });
    });
  }

  /**
   * Ends every open session, each as {@link Session.close} with `timeoutMs` (default 5_000, `SESSION_CLOSE_TIMEOUT_MS`).
   * @throws ColinkError (as a rejection) `ERR_INVALID_ARGUMENT` for a `timeoutMs` that is not 0 … 2^31 − 1 ms.
   */
  async closeAll(why: 'closed' | 'exit' = 'closed', timeoutMs = SESSION_CLOSE_TIMEOUT_MS): Promise<void> {
    assertCloseTimeout(timeoutMs);
    await Promise.all(this.list().map((s) => s.close(why, timeoutMs)));
  }

  /**
   * @internal The device stops: every session ends with `exit`, with no time limit of the sessions' own — `stop()`
   * bounds the flush (`stopFlushMs`), reports what it could not flush, then closes what carries them.
   */
  closeAllForStop(): Promise<void> {
    return Promise.all(this.list().map((s) => s.closeWithin('exit', undefined))).then(() => undefined);
  }

  /**
   * @internal The device stops: data and transfer channels still waiting for their session's accept are refused
   * (reset with `refused`) and their wait timers end.
   */
  refuseWaiting(): void {
    for (const list of this.orphans.values())
      for (const o of list) {
        o.timer?.unsubscribe();
        o.channel.reset(closeReason('refused', 'no such session'));
      }
    this.orphans.clear();
  }

  /** @internal */
  forget(s: Session): void {
    this.live.delete(s.key);
  }

  private track(s: Session): void {
    this.live.set(s.key, s);
    const orphans = this.orphans.get(s.key);
    this.orphans.delete(s.key);
    this.sessionsSubject.next(s);
    for (const o of orphans ?? []) {
      o.timer?.unsubscribe();
      if (o.size === undefined) s.attachData(o.channel);
      else s.attachTransfer(o.channel, o.size);
    }
  }

  private install(): void {
    if (this.installed) return;
    this.installed = true;
    this.device.handle(SESSION_PROTO, (channel, link) => this.onRequest(channel, link));
    this.device.handle(SESSION_DATA_PROTO, (channel) => this.onDataChannel(channel, undefined));
    this.device.handle(SESSION_TRANSFER_PROTO, (channel) => {
      const size = channel.metadata.size;
      if (
        typeof size !== 'number' ||
        !Number.isSafeInteger(size) ||
        size < 0 ||
        size > SESSION_DATA_MAX_BYTES
      ) {
        channel.reset(
          closeReason('protocol-error', `transfer size must be 0–${SESSION_DATA_MAX_BYTES} bytes`),
        );
        return;
      }
      this.onDataChannel(channel, size);
    });
  }

  /** A data (`size` undefined) or transfer channel for a session. */
  private onDataChannel(channel: Channel, size: number | undefined): void {
    const key = String(channel.metadata.key);
    const s = this.live.get(key);
    if (s) {
      if (size === undefined) s.attachData(channel);
      else s.attachTransfer(channel, size);
      return;
    }
    let waiting = 0;
    for (const l of this.orphans.values()) waiting += l.length;
    if (waiting >= MAX_ORPHAN_CHANNELS) {
      channel.reset(closeReason('refused', 'no such session'));
      return;
    }
    // A data or transfer channel can overtake the accept on the requester side: hold it briefly.
    const entry: { channel: Channel; size?: number; timer?: Subscription } =
      size === undefined ? { channel } : { channel, size };
    const list = this.orphans.get(key) ?? [];
    list.push(entry);
    this.orphans.set(key, list);
    entry.timer = this.scheduler.schedule(() => {
      const l = this.orphans.get(key);
      const at = l?.indexOf(entry) ?? -1;
      if (!l || at < 0) return;
      l.splice(at, 1);
      if (l.length === 0) this.orphans.delete(key);
      channel.reset(closeReason('refused', 'no such session'));
    }, ORPHAN_CHANNEL_WAIT_MS);
  }

  private onRequest(channel: Channel, link: Link): void {
    const md = channel.metadata;
    const from = md.from as AppInfo | undefined;
    const to = md.to as AppInfo | undefined;
    if (typeof md.key !== 'string' || typeof md.service !== 'string' || !isApp(from) || !isApp(to)) {
      channel.reset(closeReason('protocol-error', 'malformed session request'));
      return;
    }
    let settled = false;
    const answer = (body: Record<string, unknown>): void => {
      void channel.send(control(body)).catch(() => undefined);
    };
    const req: SessionRequest = {
      key: md.key,
      service: md.service,
      peer: link.remote!,
      from,
      to,
      options: (md.options as Record<string, unknown>) ?? {},
      get settled() {
        return settled || channel.state !== 'open';
      },
      accept: async () => {
        if (settled) throw new ColinkError(ErrorCode.CONFLICT, 'session request already answered');
        if (channel.state !== 'open')
          throw ColinkError.closed('session request', channel.closeReason ?? closeReason('normal'));
        settled = true;
        const s = new Session(this, {
          key: md.key as string,
          service: md.service as string,
          role: 'acceptor',
          peer: link.remote!,
          local: to,
          remote: from,
          options: (md.options as Record<string, unknown>) ?? {},
          control: channel,
          link,
          connection: channel.resumable ? this.device.peer(link.remote!.networkId) : undefined,
          maxMessageBytes: SESSION_MESSAGE_MAX_BYTES,
        });
        this.track(s);
        await channel.send(control({ t: 'accept' }));
        return s;
      },
      reject: (reason: string, code: SessionRejectCode = 'rejected') => {
        if (settled) return;
        settled = true;
        answer({ t: 'reject', reason: String(reason ?? ''), code });
        void channel.close();
      },
    };
    if (!this.requestsSubject.observed) {
      req.reject(`no app on this device accepts sessions for ${md.service}`, 'no-handler');
      return;
    }
    this.requestsSubject.next(req);
  }
}

function control(body: Record<string, unknown>): Uint8Array {
  const j = encodeJson(body);
  const m = new Uint8Array(1 + j.length);
  m[0] = KIND_CONTROL;
  m.set(j, 1);
  return m;
}

/** @throws ColinkError `ERR_INVALID_ARGUMENT` unless `ms` is a number of ms from 0 to 2^31 − 1. */
function assertCloseTimeout(ms: unknown): void {
  if (!(typeof ms === 'number' && ms >= 0 && ms <= MAX_TIMER_MS))
    throw new ColinkError(
      ErrorCode.INVALID_ARGUMENT,
      `timeoutMs ${String(ms)} is not a number of ms from 0 to ${MAX_TIMER_MS}`,
    );
}

function safeJson(b: Uint8Array): Record<string, unknown> | undefined {
  try {
    return decodeJsonObject(b);
  } catch {
    return undefined;
  }
}

function isApp(a: unknown): a is AppInfo {
  const x = a as AppInfo | undefined;
  return (
    !!x &&
    typeof x.bundleName === 'string' &&
    typeof x.moduleName === 'string' &&
    typeof x.abilityName === 'string'
  );
}

function validateInit(init: SessionRequestInit): void {
  const bad = (m: string): never => {
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, m);
  };
  if (!init || typeof init.peer !== 'string' || init.peer === '') bad('peer networkId is required');
  if (typeof init.service !== 'string' || init.service === '') bad('service name is required');
  if (!isApp(init.local) || !isApp(init.remote))
    bad('local and remote app infos need bundleName, moduleName and abilityName');
}
