import {
  isColinkError,
  type Link,
  type LocalDevice,
  type PeerConnection,
  type Session,
  type SessionRequest,
  type Transfer,
} from '@colink/core';
import type { LabDevices } from './devices.js';
import type { LabJournal } from './journal.js';
import type { LabPrompt, LabSession, LabTransfer } from './protocol.js';

/** The app both ends of every lab session run (abilityConnectionManager's peer info). */
const APP = { bundleName: 'com.example.playground', moduleName: 'entry', abilityName: 'EntryAbility' };
/** How long a session request waits for the peer's answer, ms. */
const REQUEST_TIMEOUT_MS = 60_000;
/** Largest `send-data` payload the UI may ask for, bytes (100 MiB; the lab allocates it in memory). */
export const MAX_TRANSFER_BYTES = 100 * 1024 * 1024;
/** How many transfers the state lists (the newest). */
const LISTED_TRANSFERS = 20;

interface LabSessionState {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly service: string;
  /** Both ends, by device id. */
  readonly ends: Map<string, Session>;
  state: 'open' | 'closed';
  endReason?: string;
}

/**
 * The lab's sessions (abilityConnectionManager collaborations): requests between devices, the prompts a peer
 * answers, messages and data on either end, and how each end learns why the session ended.
 */
export class LabSessions {
  private readonly sessions = new Map<string, LabSessionState>();
  private readonly prompts = new Map<string, { device: string; request: SessionRequest }>();
  private readonly transfers = new Map<string, LabTransfer>();
  /** Both ends of each transfer: the sender's Transfer, the receiver's once it saw it, and their channel id. */
  private readonly handles = new Map<string, { out: Transfer; in?: Transfer; channel: number }>();
  private transferSeq = 0;
  /** Peer connections whose carrier moves are logged (once each). */
  private readonly watchedMoves = new WeakSet<PeerConnection>();

  /** `cut` drops a Link as the "cut" fault does (both ends see `lost`). */
  constructor(
    private readonly devices: LabDevices,
    private readonly journal: LabJournal,
    private readonly cut: (link: Link) => void,
  ) {}

  /** Follows the session requests that reach `device` (each becomes a prompt the user answers). */
  watch(id: string, device: LocalDevice): void {
    device.sessions.requests$.subscribe((req) => this.onRequest(id, req));
  }

  /** Forgets the prompts shown on a device that stopped. */
  deviceStopped(id: string): void {
    for (const [key, p] of this.prompts) if (p.device === id) this.prompts.delete(key);
    this.journal.changed();
  }

  /**
   * `from` asks `to` for a session of `service`; resolves once the peer accepted.
   * @throws Error `"<code>: <message>"` with the ColinkError's code when it fails (rejected, untrusted, timeout…).
   */
  async request(from: string, to: string, service: string): Promise<void> {
    const d = this.devices.running(from);
    const name = (id: string): string => this.devices.name(id);
    this.journal.log('session', `${name(from)} asks ${name(to)} for a "${service}" session`, from);
    try {
      const s = await d.device.sessions.request({
        peer: to,
        service,
        local: APP,
        remote: APP,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      let st = this.sessions.get(s.key);
      if (!st) {
        st = { key: s.key, from, to, service, ends: new Map(), state: 'open' };
        this.sessions.set(s.key, st);
      }
      this.attach(st, from, s);
      this.journal.log('session', `session open: ${name(from)} ⇄ ${name(to)} over ${s.via.medium}`, from);
    } catch (e) {
      const text = isColinkError(e) ? `${e.code}: ${e.message}` : String(e);
      this.journal.log('session', `request from ${name(from)} failed: ${text}`, from);
      throw new Error(text);
    }
  }

  /** Answers prompt `key`: accept, or reject with `reason`. @throws Error when it is no longer pending. */
  async answer(key: string, accept: boolean, reason?: string): Promise<void> {
    const p = this.prompts.get(key);
    if (!p) throw new Error('that request is no longer pending');
    this.prompts.delete(key);
    if (accept) {
      const s = await p.request.accept();
      this.attach(this.sessions.get(key)!, p.device, s);
      this.journal.log(
        'session',
        `${this.devices.name(p.device)} accepted the session from ${this.devices.name(s.peer.networkId)}`,
        p.device,
      );
    } else {
      p.request.reject(reason || 'rejected in the playground');
      this.journal.log(
        'session',
        `${this.devices.name(p.device)} rejected: "${reason || 'rejected in the playground'}"`,
        p.device,
      );
    }
    this.journal.changed();
  }

  /** `device` sends `text` on its end of session `key`. @throws Error when it has no open end there. */
  async sendMessage(key: string, device: string, text: string): Promise<void> {
    await this.end(key, device).sendMessage(text);
    this.journal.log('message', `${this.devices.name(device)} → "${text}"`, device);
  }

  /**
   * `device` sends `bytes` bytes (clamped to 1–{@link MAX_TRANSFER_BYTES}) on its end of session `key` as a transfer
   * (core `Session.transfer`): listed with the bytes the peer acknowledged until it is done, cancelled or failed
   * (logged; the promise still resolves). With `cutCarrierAt` (0–1) the Link carrying the session is cut once that
   * fraction is acknowledged. @throws Error when it has no open end there.
   */
  async sendData(key: string, device: string, bytes: number, cutCarrierAt?: number): Promise<void> {
    const session = this.end(key, device);
    const st = this.sessions.get(key)!;
    const to = device === st.from ? st.to : st.from;
    const name = (id: string): string => this.devices.name(id);
    const id = `t${++this.transferSeq}`;
    const size = Math.max(1, Math.min(Math.floor(bytes) || 1, MAX_TRANSFER_BYTES));
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) data[i] = i & 0xff;
    const t = session.transfer(data);
    this.handles.set(id, { out: t, channel: t.channel.id });
    this.transfers.set(id, { id, session: key, from: device, to, bytes: size, acked: 0, state: 'running' });
    for (const old of [...this.transfers.keys()].slice(0, -LISTED_TRANSFERS)) {
      this.transfers.delete(old);
      this.handles.delete(old);
    }
    this.journal.log(
      'data',
      `${name(device)} sends ${formatBytes(size)} to ${name(to)} over ${session.via.medium} (transfer ${id})`,
      device,
    );
    const cutAt =
      cutCarrierAt !== undefined && cutCarrierAt > 0 && cutCarrierAt < 1 ? cutCarrierAt : undefined;
    let cutDone = false;
    t.progress$.subscribe((p) => {
      const rec = this.transfers.get(id);
      if (rec)
        this.transfers.set(id, {
          ...rec,
          acked: p.bytes,
          state: p.state,
          ...(p.error ? { reason: `${p.error.code}: ${p.error.message}` } : {}),
        });
      this.journal.changed();
      if (cutAt !== undefined && !cutDone && p.state === 'running' && p.bytes >= cutAt * size) {
        cutDone = true;
        // not from inside the ACK's frame handler: the Link being cut is the one delivering this progress
        setTimeout(() => {
          if (session.state === 'open') this.cut(session.via);
        }, 0);
      }
    });
    try {
      await t.done;
      this.journal.log(
        'data',
        `${name(device)} sent ${formatBytes(size)}: ${name(to)} acknowledged every byte (transfer ${id})`,
        device,
      );
    } catch (e) {
      const text = isColinkError(e) ? `${e.code}: ${e.message}` : String(e);
      this.journal.log('data', `transfer ${id} from ${name(device)} ended: ${text}`, device);
    }
  }

  /**
   * `device` cancels transfer `id` from its end (sender or receiver); the other end sees it cancelled.
   * @throws Error when the transfer is not running or `device` is neither of its ends.
   */
  cancelTransfer(id: string, device: string): void {
    const rec = this.transfers.get(id);
    const h = this.handles.get(id);
    if (!rec || !h || rec.state !== 'running') throw new Error('that transfer is not running');
    const t = device === rec.from ? h.out : device === rec.to ? h.in : undefined;
    if (!t) throw new Error('that device is not an end of this transfer (yet)');
    t.cancel(`cancelled in the playground on ${this.devices.name(device)}`);
  }

  /** Cuts the Link carrying session `key` now. @throws Error when the session is not open. */
  cutCarrier(key: string): void {
    const st = this.sessions.get(key);
    const end = st && (st.ends.get(st.from) ?? st.ends.values().next().value);
    if (!st || !end || end.state !== 'open') throw new Error('that session is not open');
    this.cut(end.via);
  }

  /** `device` closes its end of session `key`. @throws Error when it has no open end there. */
  async close(key: string, device: string): Promise<void> {
    await this.end(key, device).close();
  }

  /** The sessions, pending prompts and the newest transfers, as the UI shows them. */
  state(): { sessions: LabSession[]; prompts: LabPrompt[]; transfers: LabTransfer[] } {
    return {
      sessions: [...this.sessions.values()].map((s) => ({
        key: s.key,
        from: s.from,
        to: s.to,
        service: s.service,
        state: s.state,
        ...(s.endReason ? { endReason: s.endReason } : {}),
        ...this.carrier(s),
      })),
      prompts: [...this.prompts.entries()].map(([key, p]) => ({
        key,
        device: p.device,
        from: p.request.peer.networkId,
        service: p.request.service,
      })),
      transfers: [...this.transfers.values()].slice(-LISTED_TRANSFERS),
    };
  }

  private onRequest(device: string, request: SessionRequest): void {
    this.prompts.set(request.key, { device, request });
    if (!this.sessions.has(request.key)) {
      this.sessions.set(request.key, {
        key: request.key,
        from: request.peer.networkId,
        to: device,
        service: request.service,
        ends: new Map(),
        state: 'open',
      });
    }
    this.journal.log(
      'session',
      `${this.devices.name(device)} is asked by ${request.peer.deviceName} to collaborate on "${request.service}"`,
      device,
    );
    this.journal.changed();
  }

  private attach(st: LabSessionState, device: string, s: Session): void {
    const name = (): string => this.devices.name(device);
    st.ends.set(device, s);
    s.messages$.subscribe((m) => this.journal.log('message', `${name()} ← "${m}"`, device));
    s.data$.subscribe((d) => {
      this.journal.log('data', `${name()} received ${formatBytes(d.length)}`, device);
      this.journal.changed();
    });
    s.transfers$.subscribe((t) => {
      for (const [id, h] of this.handles) {
        const rec = this.transfers.get(id);
        if (rec?.session === st.key && rec.to === device && !h.in && h.channel === t.channel.id) {
          h.in = t;
          break;
        }
      }
    });
    if (device === st.from) this.watchMoves(st, device, s);
    s.ended$.subscribe((why) => {
      st.ends.delete(device);
      if (why !== 'local' || st.ends.size === 0) {
        st.state = 'closed';
        st.endReason = why;
      }
      this.journal.log('session', `${name()}: session ended (${why})`, device);
      this.journal.changed();
    });
    this.journal.changed();
  }

  /** Logs the carrier moves of the peer connection under `s` ("session moved tcp → ble"), once per connection. */
  private watchMoves(st: LabSessionState, device: string, s: Session): void {
    const pc = this.devices.running(device).device.peer(s.peer.networkId);
    if (!pc || this.watchedMoves.has(pc)) return;
    this.watchedMoves.add(pc);
    const name = (id: string): string => this.devices.name(id);
    let last: string | undefined = pc.carrier?.medium;
    pc.moves$.subscribe((m) => {
      const from = m.from ?? last;
      last = m.to;
      if (m.why === 'initial') return;
      this.journal.log(
        'session',
        `${name(st.from)} ⇄ ${name(st.to)}: session moved ${from ?? '(no link)'} → ${m.to} (${m.why})`,
        device,
      );
      this.journal.changed();
    });
  }

  /** The Link carrying an open session: its medium and its id as the lab's link list shows it (the initiator's). */
  private carrier(st: LabSessionState): { via?: string; carrier?: string } {
    if (st.state !== 'open') return {};
    const end = st.ends.get(st.from) ?? st.ends.values().next().value;
    if (end?.state !== 'open') return {};
    const via = end.via;
    if (via.state !== 'open') return { via: via.medium };
    if (via.role === 'initiator') return { via: via.medium, carrier: via.id };
    const pair = new Set([st.from, st.to]);
    const twin = this.devices
      .links()
      .find(
        ({ owner, link }) =>
          link.role === 'initiator' &&
          link.medium === via.medium &&
          link.state === 'open' &&
          pair.has(owner) &&
          pair.has(link.remote?.networkId ?? '') &&
          owner !== link.remote?.networkId,
      );
    return twin ? { via: via.medium, carrier: twin.link.id } : { via: via.medium };
  }

  private end(key: string, device: string): Session {
    const s = this.sessions.get(key)?.ends.get(device);
    if (!s) throw new Error('that device has no open end of this session');
    return s;
  }
}

/** `n` bytes as `B`, `KiB` or `MiB` with one decimal. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
