import { BehaviorSubject, type Observable, Subject, type Subscription } from 'rxjs';
import type { Link } from './link.js';
import type { DeviceAdvert, DiscoveredPeer, Discovery, DiscoveryEvent, Medium } from './transport.js';

/** Whether this device trusts a peer (set by the security layer; `unknown` without one). */
export type TrustState = 'trusted' | 'untrusted' | 'unknown';

/** One device as the directory knows it, merged over every medium. */
export interface DeviceEntry {
  readonly networkId: string;
  readonly deviceName: string;
  readonly deviceType: string;
  /** BLE MAC (`AA:BB:CC:DD:EE:FF`) when the device announced one. */
  readonly bleMac?: string;
  /** Services the device announced. */
  readonly services: readonly string[];
  /** Dialable addresses per medium, as discovery found them. */
  readonly addresses: Readonly<Partial<Record<Medium, readonly string[]>>>;
  /** Mediums that reach the device right now: discovered there, or an open Link on it. */
  readonly mediums: readonly Medium[];
  /** Ids of open Links to the device. */
  readonly links: readonly string[];
  readonly trust: TrustState;
}

/** A change in the directory. */
export interface DirectoryEvent {
  readonly type: 'found' | 'updated' | 'lost';
  readonly device: DeviceEntry;
}

interface Record_ {
  advert: DeviceAdvert;
  sightings: Map<string, DiscoveredPeer>;
  links: Map<string, Link>;
  trust: TrustState;
  last: DeviceEntry | undefined;
}

/**
 * Merges discovery from every transport, and the Links that are open, into one list with one entry per device
 * (keyed by networkId). A device is present while at least one medium sees it or a Link to it is open; `lost` fires
 * when the last one goes.
 */
export class DeviceDirectory {
  private readonly records = new Map<string, Record_>();
  private readonly devicesSubject = new BehaviorSubject<readonly DeviceEntry[]>([]);
  private readonly eventsSubject = new Subject<DirectoryEvent>();
  private readonly selfId: string | undefined;

  /** @param selfNetworkId this device's own networkId, never listed. */
  constructor(selfNetworkId?: string) {
    this.selfId = selfNetworkId;
  }

  /** The current list (replays the latest to new subscribers). */
  get devices$(): Observable<readonly DeviceEntry[]> {
    return this.devicesSubject.asObservable();
  }

  /** found / updated / lost events (hot). */
  get events$(): Observable<DirectoryEvent> {
    return this.eventsSubject.asObservable();
  }

  /** The current list. */
  list(): readonly DeviceEntry[] {
    return this.devicesSubject.value;
  }

  /** The entry for `networkId`, if present. */
  get(networkId: string): DeviceEntry | undefined {
    const r = this.records.get(networkId);
    return r && this.present(r) ? r.last : undefined;
  }

  /** The entry whose BLE MAC is `mac` (case-insensitive). */
  findByBleMac(mac: string): DeviceEntry | undefined {
    const m = mac.toUpperCase();
    return this.list().find((d) => d.bleMac?.toUpperCase() === m);
  }

  /** Feeds a {@link Discovery}'s events (a transport's own, or a standalone one) into the directory until the returned subscription ends. */
  attach(discovery: Discovery): Subscription {
    return discovery.discover().subscribe((e) => this.ingest(e));
  }

  /** Applies one discovery event. */
  ingest(e: DiscoveryEvent): void {
    const p = e.peer;
    if (p.networkId === this.selfId) return;
    const key = `${p.medium}|${p.address}`;
    if (e.type === 'lost') {
      const r = this.records.get(p.networkId);
      if (!r) return;
      r.sightings.delete(key);
      this.refresh(p.networkId);
      return;
    }
    const r = this.record(p.networkId, p);
    r.advert = mergeAdvert(r.advert, p);
    // One address per medium and device: a device that moved ports replaces its old sighting.
    for (const [k, s] of r.sightings)
      if (s.medium === p.medium && k !== key && s.address !== p.address && e.type === 'updated')
        r.sightings.delete(k);
    r.sightings.set(key, p);
    this.refresh(p.networkId);
  }

  /** Records an open Link (its HELLO advert updates the entry); it is forgotten when the Link closes. */
  addLink(link: Link): void {
    const remote = link.remote;
    if (!remote || remote.networkId === this.selfId) return;
    const r = this.record(remote.networkId, remote);
    r.advert = mergeAdvert(r.advert, remote);
    r.links.set(link.id, link);
    this.refresh(remote.networkId);
    void link.closed.then(() => {
      r.links.delete(link.id);
      this.refresh(remote.networkId);
    });
  }

  /** Sets the trust state of a device (shown in entries). */
  setTrust(networkId: string, trust: TrustState): void {
    const r = this.records.get(networkId);
    if (!r || r.trust === trust) return;
    r.trust = trust;
    this.refresh(networkId);
  }

  private record(networkId: string, advert: DeviceAdvert): Record_ {
    let r = this.records.get(networkId);
    if (!r) {
      r = { advert, sightings: new Map(), links: new Map(), trust: 'unknown', last: undefined };
      this.records.set(networkId, r);
    }
    return r;
  }

  private present(r: Record_): boolean {
    return r.sightings.size > 0 || r.links.size > 0;
  }

  private refresh(networkId: string): void {
    const r = this.records.get(networkId);
    if (!r) return;
    const before = r.last;
    if (!this.present(r)) {
      r.last = undefined;
      this.publish();
      if (before) this.eventsSubject.next({ type: 'lost', device: before });
      if (r.trust === 'unknown') this.records.delete(networkId);
      return;
    }
    const entry = this.entry(r);
    r.last = entry;
    if (before && JSON.stringify(before) === JSON.stringify(entry)) return;
    this.publish();
    this.eventsSubject.next({ type: before ? 'updated' : 'found', device: entry });
  }

  private entry(r: Record_): DeviceEntry {
    const addresses: Partial<Record<Medium, string[]>> = {};
    const mediums = new Set<Medium>();
    for (const s of r.sightings.values()) {
      const list = addresses[s.medium] ?? [];
      addresses[s.medium] = list;
      if (!list.includes(s.address)) list.push(s.address);
      mediums.add(s.medium);
    }
    for (const l of r.links.values()) mediums.add(l.medium);
    const a = r.advert;
    return {
      networkId: a.networkId,
      deviceName: a.deviceName,
      deviceType: a.deviceType,
      ...(a.bleMac ? { bleMac: a.bleMac } : {}),
      services: [...(a.services ?? [])],
      addresses,
      mediums: [...mediums].sort(),
      links: [...r.links.keys()],
      trust: r.trust,
    };
  }

  private publish(): void {
    const list: DeviceEntry[] = [];
    for (const r of this.records.values()) if (r.last) list.push(r.last);
    list.sort((x, y) => x.deviceName.localeCompare(y.deviceName) || x.networkId.localeCompare(y.networkId));
    this.devicesSubject.next(list);
  }
}

function mergeAdvert(prev: DeviceAdvert, next: DeviceAdvert): DeviceAdvert {
  return {
    networkId: next.networkId,
    deviceName: next.deviceName || prev.deviceName,
    deviceType: next.deviceType || prev.deviceType,
    ...((next.bleMac ?? prev.bleMac) ? { bleMac: (next.bleMac ?? prev.bleMac)! } : {}),
    services: next.services ?? prev.services ?? [],
  };
}
