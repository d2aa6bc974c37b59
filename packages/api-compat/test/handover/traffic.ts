// Message and data checking of the handover tests, run inside the device process (test/fixtures/handover/device.ts):
// a sender of numbered messages (`m0`, `m1`, …) and numbered data chunks on a session, and a receiver that checks that
// every one arrives once and in order, checks each chunk's bytes and hashes the data (SHA-256) for the test to compare
// with the sender's hash.
import { createHash, type Hash } from 'node:crypto';
import type { Session } from '@colink/core';

/** How many ordering or content errors a receiver keeps (the first ones tell the story; the count stays bounded). */
export const MAX_REPORTED_ERRORS = 10;

/** Data chunk `i` of `size` bytes (size ≥ 4): its number as a big-endian u32, then a pattern that depends on it. */
export function chunk(i: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, i);
  for (let k = 4; k < size; k++) b[k] = (i * 31 + k) & 0xff;
  return b;
}

/** Whether `d` holds exactly the bytes of chunk `i` (the number, then the pattern). */
function isChunk(d: Uint8Array, i: number): boolean {
  if (d.byteLength < 4 || new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0) !== i) return false;
  for (let k = 4; k < d.byteLength; k++) if (d[k] !== ((i * 31 + k) & 0xff)) return false;
  return true;
}

/** Totals of one direction: messages, chunks, data bytes and the SHA-256 (hex) of the data so far. */
export interface Totals {
  messages: number;
  chunks: number;
  dataBytes: number;
  sha256: string;
}

/** A stream to send: `messages` numbered messages and `dataBytes` of data in chunks of `chunk` bytes, interleaved. */
export interface StreamPlan {
  messages: number;
  dataBytes: number;
  /** Chunk size, bytes (the last chunk may be shorter). */
  chunk: number;
  /** Largest data rate, bytes/s (0: none). Time lost to a stall is not made up, so every fault meets a running transfer. */
  rate?: number;
  /** Pause after each message, ms (0: none). */
  paceMs?: number;
}

/**
 * Sends on one session; numbering and the data hash go on across streams, so several batches on one session are
 * checked as one sequence by the receiver.
 */
export class Sender {
  private messages = 0;
  private chunks = 0;
  private dataBytes = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly session: Session) {}

  get totals(): Totals {
    const { messages, chunks, dataBytes } = this;
    return { messages, chunks, dataBytes, sha256: this.hash.copy().digest('hex') };
  }

  /** Sends `plan`: a data chunk after every ⌊messages / chunks⌋ messages (the rest after the last message). */
  async stream(plan: StreamPlan): Promise<void> {
    const rate = plan.rate ?? 0;
    const paceMs = plan.paceMs ?? 0;
    let due = performance.now();
    const pace = async (bytes: number): Promise<void> => {
      if (!rate) return;
      due = Math.max(due, performance.now()) + (bytes * 1000) / rate;
      const wait = due - performance.now();
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
    };
    const chunks = Math.max(1, Math.ceil(plan.dataBytes / plan.chunk));
    const every = Math.max(1, Math.floor(plan.messages / chunks));
    let sentData = 0;
    for (let i = 0; i < plan.messages || sentData < plan.dataBytes; i++) {
      if (i < plan.messages) {
        await this.session.sendMessage(`m${this.messages}`);
        this.messages++;
      }
      if ((i % every === every - 1 || i >= plan.messages) && sentData < plan.dataBytes) {
        const d = chunk(this.chunks, Math.min(plan.chunk, plan.dataBytes - sentData));
        this.hash.update(d);
        await this.session.sendData(d);
        this.chunks++;
        this.dataBytes += d.byteLength;
        sentData += d.byteLength;
        await pace(d.byteLength);
      }
      if (paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
    }
  }
}

/** What a {@link Receiver} reports: progress every `progressEvery` messages, and once when `want` has arrived. */
export interface ReceiverOptions {
  /** Report `onProgress` after every this many messages. */
  progressEvery: number;
  /** Totals after which `onComplete` is called once (never when absent). */
  want?: { messages: number; dataBytes: number };
  /** The medium carrying the session when a message arrives (counted per medium). */
  medium(): string;
  onProgress(t: Totals & { medium: string }): void;
  onComplete(t: Totals & { errors: string[] }): void;
}

/** Checks the numbered messages and chunks arriving on a session (once, in order, bytes intact) and hashes the data. */
export class Receiver {
  private messages = 0;
  private chunks = 0;
  private dataBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private completed = false;
  /** The first {@link MAX_REPORTED_ERRORS} errors. */
  readonly errors: string[] = [];
  /** Messages by the medium carrying the session when they arrived. */
  readonly byMedium: Record<string, number> = {};

  constructor(
    session: Session,
    private readonly opts: ReceiverOptions,
  ) {
    session.messages$.subscribe((text) => {
      if (text !== `m${this.messages}`) this.error(`message "${text}" arrived, expected m${this.messages}`);
      this.messages++;
      const medium = opts.medium();
      this.byMedium[medium] = (this.byMedium[medium] ?? 0) + 1;
      if (this.messages % opts.progressEvery === 0) opts.onProgress({ ...this.totals, medium });
      this.check();
    });
    session.data$.subscribe((d) => {
      if (!isChunk(d, this.chunks)) {
        const i = d.byteLength >= 4 ? new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0) : -1;
        this.error(i === this.chunks ? `chunk ${i} corrupt` : `chunk ${i} arrived, expected ${this.chunks}`);
      }
      this.chunks++;
      this.dataBytes += d.byteLength;
      this.hash.update(d);
      this.check();
    });
  }

  get totals(): Totals {
    const { messages, chunks, dataBytes } = this;
    return { messages, chunks, dataBytes, sha256: this.hash.copy().digest('hex') };
  }

  private error(e: string): void {
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(e);
  }

  private check(): void {
    const want = this.opts.want;
    if (this.completed || !want || this.messages !== want.messages || this.dataBytes !== want.dataBytes)
      return;
    this.completed = true;
    this.opts.onComplete({ ...this.totals, errors: [...this.errors] });
  }
}
