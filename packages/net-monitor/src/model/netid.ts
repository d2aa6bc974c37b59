/**
 * netId allocation: from {@link MIN_NET_ID} upward, never an id that is alive, and a released id is not handed out
 * again before the counter wraps at {@link MAX_NET_ID} (so a reappearing network always gets a new id).
 * Source: OpenHarmony netmanager (linux-net.md).
 * @module
 */
import { ColinkError, ErrorCode } from '@colink/core';
import { MAX_NET_ID, MIN_NET_ID } from '../constants.js';

export class NetIdAllocator {
  readonly #alive = new Set<number>();
  #next: number;
  readonly #min: number;
  readonly #max: number;

  constructor(min = MIN_NET_ID, max = MAX_NET_ID) {
    this.#min = min;
    this.#max = max;
    this.#next = min;
  }

  /** Returns a fresh id. Throws `ERR_LIMIT_EXCEEDED` when every id in range is alive. */
  allocate(): number {
    const span = this.#max - this.#min + 1;
    for (let i = 0; i < span; i++) {
      const id = this.#next;
      this.#next = id >= this.#max ? this.#min : id + 1;
      if (!this.#alive.has(id)) {
        this.#alive.add(id);
        return id;
      }
    }
    throw new ColinkError(ErrorCode.LIMIT_EXCEEDED, `all ${span} netIds are in use`);
  }

  /** Marks `id` as no longer alive. */
  release(id: number): void {
    this.#alive.delete(id);
  }

  /** True while `id` is allocated. */
  isAlive(id: number): boolean {
    return this.#alive.has(id);
  }
}
