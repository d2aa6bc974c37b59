import { createHash, randomBytes } from 'node:crypto';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import type { LocalDevice } from '../src/device.js';
import { Link, type LinkOptions } from '../src/link.js';
import { createConduitPair, type LinkModel } from '../src/memory/conduit-pair.js';
import type { AppInfo, Session } from '../src/session.js';
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

/** `ability` of com.example.collab's entry module. */
export function app(ability: string): AppInfo {
  return { bundleName: 'com.example.collab', moduleName: 'entry', abilityName: ability };
}

/**
 * Opens a session from `a` to `b` for `service` (EntryAbility on both sides), `b` accepting every request; resolves
 * with the requester's session and the acceptor's.
 */
export async function openSession(
  a: LocalDevice,
  b: LocalDevice,
  service = 'collab',
): Promise<[Session, Session]> {
  const accepted = new Promise<Session>((resolve) => {
    b.sessions.requests$.subscribe((r) => void r.accept().then(resolve));
  });
  const s = await a.sessions.request({
    peer: b.advert.networkId,
    service,
    local: app('EntryAbility'),
    remote: app('EntryAbility'),
  });
  return [s, await accepted];
}
