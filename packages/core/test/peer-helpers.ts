import type { SchedulerLike } from 'rxjs';
import type { Channel } from '../src/channel.js';
import { Link } from '../src/link.js';
import { createConduitPair, type LinkModel, type MemoryConduit } from '../src/memory/conduit-pair.js';
import { PeerConnection, type PeerConnectionOptions } from '../src/peer-connection.js';
import { advert } from './helpers.js';

/** Two devices, `a` and `b`, each with a PeerConnection to the other; Links are added with `link()`. */
export function peers(
  options: Partial<PeerConnectionOptions> = {},
  linkScheduler?: SchedulerLike,
): {
  pa: PeerConnection;
  pb: PeerConnection;
  link(
    medium: string,
    model?: LinkModel,
  ): Promise<{ a: Link; b: Link; ca: MemoryConduit; cb: MemoryConduit }>;
} {
  const A = advert('a');
  const B = advert('b');
  const pa = new PeerConnection({ ...options, local: A.networkId, peer: B.networkId });
  const pb = new PeerConnection({ ...options, local: B.networkId, peer: A.networkId });
  return {
    pa,
    pb,
    async link(medium, model = {}) {
      const [ca, cb] = createConduitPair({ medium, model, addresses: [`${medium}:a`, `${medium}:b`] });
      const sched = linkScheduler ? { scheduler: linkScheduler } : {};
      const a = new Link(ca, { role: 'initiator', local: A, connectionOwner: (l) => pa.adopt(l), ...sched });
      const b = new Link(cb, { role: 'responder', local: B, connectionOwner: (l) => pb.adopt(l), ...sched });
      await Promise.all([a.opened, b.opened]);
      return { a, b, ca, cb };
    },
  };
}

/** A numbered message: u32 index + `size - 4` bytes derived from it. */
export function numbered(i: number, size: number): Uint8Array {
  const m = new Uint8Array(Math.max(4, size));
  new DataView(m.buffer).setUint32(0, i);
  for (let k = 4; k < m.length; k++) m[k] = (i + k) & 0xff;
  return m;
}

/** The index of a numbered message, after checking its body. */
export function indexOf(m: Uint8Array): number {
  const i = new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0);
  for (let k = 4; k < m.length; k++)
    if (m[k] !== ((i + k) & 0xff)) throw new Error(`message ${i} corrupt at ${k}`);
  return i;
}

/**
 * Reads `rx`'s numbered messages ({@link numbered}): `got` counts them, `order` keeps the first one out of place.
 */
export function inOrder(rx: Channel): { readonly got: number; readonly order: Error | undefined } {
  const seen = { got: 0, order: undefined as Error | undefined };
  rx.messages$.subscribe((m) => {
    if (indexOf(m) !== seen.got) seen.order ??= new Error(`got ${indexOf(m)}, expected ${seen.got}`);
    seen.got++;
  });
  return seen;
}
