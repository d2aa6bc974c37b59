import { isColinkError, type LocalDevice, type Session, type SessionRequest } from '@colink/core';
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
  private transferSeq = 0;

  constructor(
    private readonly devices: LabDevices,
    private readonly journal: LabJournal,
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
   * `device` sends `bytes` bytes (clamped to 1–{@link MAX_TRANSFER_BYTES}) on its end of session `key`, listed as a
   * transfer until the peer received it. @throws Error when it has no open end there.
   */
  async sendData(key: string, device: string, bytes: number): Promise<void> {
    const id = `t${++this.transferSeq}`;
    const size = Math.max(1, Math.min(bytes, MAX_TRANSFER_BYTES));
    this.transfers.set(id, { id, session: key, from: device, bytes: size, done: false });
    this.journal.changed();
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) data[i] = i & 0xff;
    await this.end(key, device).sendData(data);
    this.journal.log('data', `${this.devices.name(device)} sent ${formatBytes(size)}`, device);
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
      for (const t of this.transfers.values()) {
        if (t.session === st.key && t.from !== device && !t.done && t.bytes === d.length) {
          this.transfers.set(t.id, { ...t, done: true });
          break;
        }
      }
      this.journal.log('data', `${name()} received ${formatBytes(d.length)}`, device);
      this.journal.changed();
    });
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
