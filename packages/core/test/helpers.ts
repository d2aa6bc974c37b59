import { createHash, randomBytes } from 'node:crypto';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import { Link, type LinkOptions } from '../src/link.js';
import { createConduitPair, type LinkModel } from '../src/memory/conduit-pair.js';
import type { DeviceAdvert } from '../src/transport.js';

export function advert(name: string): DeviceAdvert {
  return {
    networkId: createHash('sha256').update(name).digest('hex'),
    deviceName: name,
    deviceType: 'phone',
  };
}

export async function linkPair(
  model: LinkModel = {},
  extra: Partial<LinkOptions> = {},
): Promise<[Link, Link]> {
  const [ca, cb] = createConduitPair({ model });
  const a = new Link(ca, { role: 'initiator', local: advert('a'), ...extra });
  const b = new Link(cb, { role: 'responder', local: advert('b'), ...extra });
  await Promise.all([a.opened, b.opened]);
  return [a, b];
}

export function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

export function next<T>(o: Observable<T>, pred: (v: T) => boolean = () => true): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred)));
}
