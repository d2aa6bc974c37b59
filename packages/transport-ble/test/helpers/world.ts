import { createHash } from 'node:crypto';
import type { CloseReason, Conduit } from '@colink/core';
import { firstValueFrom, take, takeWhile, toArray } from 'rxjs';
import { BleTransport, type BleTransportOptions } from '../../src/index.js';
import { type VirtualRadio, virtualTransportOptions } from '../../src/virtual/index.js';

/** A transport on `radio` with both roles at `address`, started; stopped by `world.close()`. */
export class World {
  readonly transports: BleTransport[] = [];
  constructor(readonly radio: VirtualRadio) {}

  async device(address: string, options: Partial<BleTransportOptions> = {}): Promise<BleTransport> {
    const t = new BleTransport({ ...virtualTransportOptions(this.radio, address), ...options });
    this.transports.push(t);
    await t.start();
    return t;
  }

  async close(): Promise<void> {
    await Promise.all(this.transports.map((t) => t.stop()));
    this.radio.close();
  }
}

/** Advertises `t` with a test advert. */
export async function advertise(t: BleTransport, name: string): Promise<void> {
  await t.advertise({
    networkId: createHash('sha256').update(name).digest('hex'),
    deviceName: name,
    deviceType: 'phone',
  });
}

/** Dials `to` from `from`, returning both conduit ends. */
export async function connectPair(
  from: BleTransport,
  to: BleTransport,
  address: string,
): Promise<[Conduit, Conduit]> {
  const incoming = firstValueFrom(to.incoming$);
  const a = await from.dial(address);
  const b = await incoming;
  return [a, b];
}

/** Collects `n` bytes from a conduit. */
export function collect(c: Conduit, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let got = 0;
    if (n === 0) {
      resolve(Buffer.alloc(0));
      return;
    }
    // take() rather than unsubscribing inside next(): held bytes replay synchronously during subscribe().
    let done = false;
    c.data$.pipe(takeWhile(() => !done)).subscribe({
      next: (d) => {
        parts.push(d);
        got += d.length;
        if (got >= n) {
          done = true;
          resolve(Buffer.concat(parts));
        }
      },
      complete: () => {
        if (!done) reject(new Error(`conduit closed after ${got} of ${n} bytes`));
      },
    });
  });
}

/** Writes `bytes` honouring backpressure, in chunks of `chunk`. */
export async function writeAll(c: Conduit, bytes: Uint8Array, chunk = 16 * 1024): Promise<void> {
  for (let i = 0; i < bytes.length; i += chunk) {
    if (!c.write([bytes.subarray(i, i + chunk)])) await firstValueFrom(c.drain$);
  }
}

/** The reason a conduit closes with. */
export function closed(c: Conduit): Promise<CloseReason> {
  return firstValueFrom(c.closed$);
}

/** Deterministic pseudo-random bytes. */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b[i] = x & 0xff;
  }
  return b;
}

export { take, toArray };
