import { Observable, type Subscriber } from 'rxjs';

/**
 * The receive side of a {@link Conduit} as transports should build it: chunks that arrive before anyone subscribes
 * are held and replayed to the first subscriber, so no byte is lost between `dial()` resolving and core attaching its
 * Link. After the first subscription it is a plain hot stream. At most `limit` bytes are held (default 4 MiB);
 * past that `push()` returns false (the chunk is still held) and the transport must stop reading from its medium
 * until its `data$` is first subscribed: wrap `data$` to resume reading on subscription, as
 * `examples/unix-transport` does. After the first subscription `push()` returns true.
 */
export class ConduitInbound {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private readonly subscribers = new Set<Subscriber<Uint8Array>>();
  private done = false;
  private everSubscribed = false;

  constructor(private readonly limit = 4 * 1024 * 1024) {}

  /** The observable to expose as `data$`. */
  readonly data$: Observable<Uint8Array> = new Observable<Uint8Array>((s) => {
    this.subscribers.add(s);
    if (!this.everSubscribed) {
      this.everSubscribed = true;
      const held = this.held;
      this.held = [];
      this.heldBytes = 0;
      for (const c of held) s.next(c);
    }
    if (this.done) s.complete();
    return () => this.subscribers.delete(s);
  });

  /** Delivers a received chunk (or holds it). Returns false when the hold limit is reached. */
  push(chunk: Uint8Array): boolean {
    if (this.done) return false;
    if (!this.everSubscribed) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      return this.heldBytes < this.limit;
    }
    for (const s of this.subscribers) s.next(chunk);
    return true;
  }

  /** Ends the stream (after replay of anything held). */
  complete(): void {
    if (this.done) return;
    this.done = true;
    if (this.everSubscribed) for (const s of [...this.subscribers]) s.complete();
  }
}
