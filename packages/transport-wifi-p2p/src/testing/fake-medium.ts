import { ColinkError, ErrorCode } from '@colink/core';
import { P2P_GO_IP_ADDRESS, P2P_GROUP_NETMASK, P2P_GROUP_PREFIX_LENGTH } from '../constants.js';
import { type GroupAddressing, interfaceAddressing } from '../group-addressing.js';
import {
  derivePsk,
  type FakeDaemonAir,
  type FakeFaults,
  type FakeGroupParams,
  FakeWpaSupplicant,
  type FakeWpaSupplicantOptions,
  ssidTxt,
} from './fake-wpa-supplicant.js';
import { ip } from './netns.js';

/**
 * How group members reach each other:
 * - `'netns'`: a real link per group in the daemons' network namespaces — a bridge named like the GO's group
 *   interface (`p2p-<ifname>-<n>`) holding 192.168.49.1/24, and per client a veth whose far end, in the client's
 *   namespace, is named like the client's group interface and holds the EAPOL-assigned address. Needs root.
 * - `'loopback'`: no interfaces; group addresses are taken from 127.<net>.<group>.0/24, which Linux routes to `lo`
 *   (`<net>` random per process, `<group>` counted per process, so concurrent test processes do not collide),
 *   so every member in one network namespace reaches the others. For machines without root. A GO whose EAPOL IP
 *   allocation (`SET ip_addr_go…`) lies in 127/8 gets exactly that: its `ip_addr_go`, clients from its range — so
 *   a GO service in another process knows its address in advance (`P2pServiceOptions.ipAllocation`).
 * - `'none'`: addresses are reported (192.168.49.0/24) but nothing is configured: control path only.
 */
export type FakeDataPath = 'netns' | 'loopback' | 'none';

/** Options of {@link FakeP2pMedium}. */
export interface FakeP2pMediumOptions {
  /** Default `'none'`. */
  readonly dataPath?: FakeDataPath;
  /** Delay of one over-the-air step (probe, negotiation frame, WPS), ms. Default 5. */
  readonly airtimeMs?: number;
  /** How long an unanswered GO Negotiation keeps retrying before `P2P-GO-NEG-FAILURE status=1`, ms. Default 15 000. */
  readonly goNegTimeoutMs?: number;
  /**
   * With `'netns'`: play the hosts' part too and put the group addresses on the interfaces (the GO's right after
   * `P2P-GROUP-STARTED`, a client's from its EAPOL allocation). `false` leaves that to the service
   * (`P2pServiceOptions.assignAddresses`), as on a real device. Default `true`.
   */
  readonly assignAddresses?: boolean;
}

/** A GO Negotiation a station waits for (its pending `P2P_CONNECT`), compared by identity. */
export interface FakePendingNegotiation {
  readonly goIntent: number;
  readonly persistent: boolean;
  /** WPS PIN, when the connect uses one (else push button). */
  readonly pin: string | undefined;
}

/**
 * What the medium needs from a daemon on it (owned here; {@link FakeWpaSupplicant} is one): its addresses and state,
 * its peer table and pending connects, its events, and its part in groups.
 */
export interface FakeP2pStation {
  readonly deviceAddress: string;
  /** Interface address used in groups. */
  readonly interfaceAddress: string;
  readonly deviceName: string;
  /** Network namespace of its group interfaces (data path `'netns'`). */
  readonly netns: string | undefined;
  readonly isRunning: boolean;
  readonly p2pEnabled: boolean;
  /** Whether other devices can find it now. */
  readonly discoverable: boolean;
  /** Whether a `P2P_FIND` runs. */
  readonly isFinding: boolean;
  readonly faults: Readonly<FakeFaults>;
  /** The GO's EAPOL IP allocation settings, when set. */
  readonly eapolIpAllocation: { go: string; mask: string; start: string; end: string } | undefined;
  /** A device was seen during its find. */
  deviceSeen(peer: FakeP2pStation): void;
  /** A device it knew left the air. */
  deviceLost(peer: FakeP2pStation): void;
  /** Whether `addr` is in its peer table. */
  knows(addr: string): boolean;
  /** Its pending connect to `addr`, if any. */
  pendingConnect(addr: string): FakePendingNegotiation | undefined;
  /** Drops its pending connect to `addr`. */
  clearPending(addr: string): void;
  /** Its next GO Negotiation tie breaker bit. */
  nextTieBreaker(): boolean;
  /** Sends an event `<level>text` to its monitors. */
  emit(level: number, text: string): void;
  /** Allocates its next group interface name. */
  nextGroupIfname(): string;
  /** Saves a formed group as a persistent network block; returns its id. */
  storePersistent(ssid: string, passphrase: string, asGo: boolean): number;
  /** It became a member of `group` on `ifname`. */
  joinedGroup(ifname: string, role: 'GO' | 'client', group: FakeGroup): void;
  /** It left its group on `ifname`. */
  leftGroup(ifname: string): void;
  /** As GO, `client` asks to join by push button: true to accept now, false when it waits for `WPS_PBC`. */
  joinRequest(client: FakeP2pStation): boolean;
}

/** One P2P group on the medium. */
export interface FakeGroup {
  readonly seq: number;
  /** First three octets of the group's /24 on the loopback data path. */
  readonly loopNet: string;
  readonly go: FakeP2pStation;
  readonly goIfname: string;
  readonly ssid: string;
  readonly passphrase: string;
  readonly freq: number;
  readonly persistent: boolean;
  readonly networkId: number | undefined;
  readonly goIp: string;
  /** Clients; `ip` is the EAPOL-allocated address, undefined when the GO does no EAPOL IP allocation. */
  readonly clients: Map<FakeP2pStation, { ifname: string; ip: string | undefined; hostVeth?: string }>;
  readonly prefixLength: number;
  nextHost: number;
}

/**
 * The shared "air" of any number of {@link FakeWpaSupplicant}s in one process: discovery, GO Negotiation by intent
 * with tie breaker (Wi-Fi P2P spec §3.1.4.2), push-button join of an existing group, group removal and loss, and the
 * data path of formed groups.
 *
 * @example
 * ```ts
 * const medium = new FakeP2pMedium({ dataPath: 'loopback' });
 * const a = await medium.addDaemon({ ctrlDir: dirA, ifname: 'wlan0' });
 * const b = await medium.addDaemon({ ctrlDir: dirB, ifname: 'wlan1' });
 * // WpaCtrlClient.open({ ctrlPath: a.ctrlPath }) ...
 * await medium.close();
 * ```
 */
export class FakeP2pMedium {
  readonly dataPath: FakeDataPath;
  readonly airtimeMs: number;
  readonly goNegTimeoutMs: number;
  readonly assignAddresses: boolean;
  private readonly daemons: FakeWpaSupplicant[] = [];
  /** The same daemons, as the medium talks to them. */
  private readonly stations: readonly FakeP2pStation[] = this.daemons;
  private readonly groups = new Set<FakeGroup>();
  private groupSeq = 0;
  private linkSeq = 0;
  private readonly waiting = new Map<string, { initiator: FakeP2pStation; timer: NodeJS.Timeout }>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(options: FakeP2pMediumOptions = {}) {
    this.dataPath = options.dataPath ?? 'none';
    this.airtimeMs = options.airtimeMs ?? 5;
    this.goNegTimeoutMs = options.goNegTimeoutMs ?? 15_000;
    this.assignAddresses = options.assignAddresses ?? true;
  }

  /** Creates and starts a daemon serving `<ctrlDir>/<socketName>`. */
  addDaemon(options: FakeWpaSupplicantOptions): FakeWpaSupplicant {
    if (this.dataPath === 'netns' && !options.netns)
      throw new Error('dataPath netns needs a netns per daemon');
    if (options.p2p !== false && `p2p-${options.ifname}-99`.length > 15)
      throw new Error(`ifname ${options.ifname} too long for group names`);
    const idx = this.daemons.length + 1;
    const addr =
      options.deviceAddress ??
      `02:${hex2(process.pid >> 8)}:${hex2(process.pid)}:49:${hex2(idx >> 8)}:${hex2(idx)}`;
    const air: FakeDaemonAir = {
      changed: () => this.deviceChanged(d),
      findStarted: () => this.scheduleDiscovery(d),
      gone: () => this.deviceGone(d),
      find: (peerAddr) => this.findDaemon(peerAddr),
      negotiate: (peer, pc) => this.negotiate(d, peer, pc),
      answered: (peerAddr) => this.answered(d, peerAddr),
      cancelNegotiation: (peerAddr) => this.cancelNegotiation(d, peerAddr),
      join: (go, persistent) => this.join(d, go, persistent),
      acceptJoin: (client) => this.acceptJoin(d, client),
      startGroup: (group) => this.startGroup(d, group),
      leaveGroup: (ifname, reason) => this.leaveGroup(d, ifname, reason),
    };
    const d = new FakeWpaSupplicant(air, options, addr.toLowerCase());
    this.daemons.push(d);
    d.start();
    return d;
  }

  /**
   * The {@link GroupAddressing} for services driven by this medium's daemons. With `'netns'` it is the real check of
   * the interfaces of the caller's namespace; otherwise there is no interface, and the address is the one the medium
   * assigned (127.49.x.y lives on `lo`, so with `'loopback'` it is reachable for real).
   */
  get addressing(): GroupAddressing {
    if (this.dataPath === 'netns') return interfaceAddressing;
    return {
      waitForAddress: async (ifname, expected) => {
        for (const g of this.groups) {
          if (g.goIfname === ifname) return g.goIp;
          for (const c of g.clients.values()) if (c.ifname === ifname && c.ip) return c.ip;
        }
        if (expected !== undefined) return expected;
        throw new ColinkError(ErrorCode.NOT_CONNECTED, `no group interface ${ifname} on the fake medium`);
      },
    };
  }

  /** The daemon with P2P Device Address `addr`. */
  findDaemon(addr: string): FakeWpaSupplicant | undefined {
    return this.daemons.find((d) => d.deviceAddress === addr && d.isRunning);
  }

  /** Every group currently formed. */
  get activeGroups(): readonly FakeGroup[] {
    return [...this.groups];
  }

  /** Shuts every daemon down, tears every link down. */
  async close(): Promise<void> {
    for (const d of this.daemons) await d.shutdown();
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    await this.chain.catch(() => undefined);
    this.closed = true;
  }

  // ---------------- faults ----------------

  /** Group loss (out of range, radio failure): every member sees `P2P-GROUP-REMOVED`, the GO with reason UNAVAILABLE. */
  async loseGroup(go: FakeWpaSupplicant): Promise<void> {
    const g = this.ownedBy(go);
    if (g) await this.leaveGroup(go, g.goIfname, 'UNAVAILABLE');
  }

  /** The (first) group `go` owns. */
  private ownedBy(go: FakeP2pStation): FakeGroup | undefined {
    return [...this.groups].find((g) => g.go === go);
  }

  // ---------------- discovery ----------------

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** A running find sees every discoverable device after one probe round. */
  private scheduleDiscovery(finder: FakeP2pStation): void {
    this.later(this.airtimeMs, () => {
      if (!finder.isFinding || finder.faults.dropDiscovery) return;
      for (const d of this.stations) if (d !== finder && d.discoverable) finder.deviceSeen(d);
    });
  }

  /** A device changed what it advertises or became discoverable: running finds see it (again). */
  private deviceChanged(d: FakeP2pStation): void {
    this.later(this.airtimeMs, () => {
      if (!d.discoverable) return;
      for (const f of this.stations) if (f !== d && f.isFinding && !f.faults.dropDiscovery) f.deviceSeen(d);
    });
  }

  /** A device left the air (daemon stopped). */
  private deviceGone(d: FakeP2pStation): void {
    for (const f of this.stations) if (f !== d) f.deviceLost(d);
  }

  // ---------------- GO negotiation ----------------

  /** GO Negotiation from `initiator` (pending connect `pc`) to `responder`. */
  private negotiate(initiator: FakeP2pStation, responder: FakeP2pStation, pc: FakePendingNegotiation): void {
    this.later(this.airtimeMs, () => {
      if (initiator.pendingConnect(responder.deviceAddress) !== pc) return; // cancelled
      const fault =
        initiator.faults.failGoNegotiation !== false
          ? initiator.faults.failGoNegotiation
          : responder.faults.failGoNegotiation;
      if (!responder.isRunning || !responder.p2pEnabled) return this.noResponse(initiator, responder);
      if (fault !== false) {
        initiator.clearPending(responder.deviceAddress);
        initiator.emit(3, `P2P-GO-NEG-FAILURE status=${fault}`);
        if (responder.pendingConnect(initiator.deviceAddress)) {
          responder.clearPending(initiator.deviceAddress);
          responder.emit(3, `P2P-GO-NEG-FAILURE status=${fault}`);
        }
        return;
      }
      const theirs = responder.pendingConnect(initiator.deviceAddress);
      if (theirs) return void this.complete(initiator, responder);
      // Not authorized: the responder reports the request and answers "information currently unavailable";
      // the initiator keeps retrying until the responder connects back or the time runs out.
      // Receiving a GO Negotiation Request adds an unknown sender to the peer table (p2p_process_go_neg_req).
      if (!responder.knows(initiator.deviceAddress)) responder.deviceSeen(initiator);
      responder.emit(
        3,
        `P2P-GO-NEG-REQUEST ${initiator.deviceAddress} dev_passwd_id=${pc.pin ? 1 : 4} go_intent=${pc.goIntent}`,
      );
      const key = `${responder.deviceAddress}<${initiator.deviceAddress}`;
      clearTimeout(this.waiting.get(key)?.timer);
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        if (initiator.pendingConnect(responder.deviceAddress) !== pc) return;
        initiator.clearPending(responder.deviceAddress);
        initiator.emit(3, 'P2P-GO-NEG-FAILURE status=1');
      }, this.goNegTimeoutMs);
      this.waiting.set(key, { initiator, timer });
    });
  }

  private noResponse(initiator: FakeP2pStation, responder: FakeP2pStation): void {
    this.later(Math.min(this.goNegTimeoutMs, 1_000), () => {
      initiator.clearPending(responder.deviceAddress);
      initiator.emit(3, 'P2P-GO-NEG-FAILURE status=-1');
    });
  }

  /** `P2P_CANCEL` on `d`: a peer waiting on it stops waiting. */
  private cancelNegotiation(d: FakeP2pStation, peerAddr: string): void {
    const key = `${peerAddr}<${d.deviceAddress}`;
    const w = this.waiting.get(key);
    if (w) clearTimeout(w.timer);
    this.waiting.delete(key);
  }

  /** `responder` answered a waiting initiator by connecting back (or authorizing): negotiation completes. */
  private answered(responder: FakeP2pStation, initiatorAddr: string): boolean {
    const key = `${responder.deviceAddress}<${initiatorAddr}`;
    const w = this.waiting.get(key);
    if (!w) return false;
    clearTimeout(w.timer);
    this.waiting.delete(key);
    this.later(this.airtimeMs, () => void this.complete(w.initiator, responder));
    return true;
  }

  private async complete(initiator: FakeP2pStation, responder: FakeP2pStation): Promise<void> {
    const pi = initiator.pendingConnect(responder.deviceAddress);
    const pr = responder.pendingConnect(initiator.deviceAddress);
    if (!pi || !pr) return;
    initiator.clearPending(responder.deviceAddress);
    responder.clearPending(initiator.deviceAddress);
    if (pi.goIntent === 15 && pr.goIntent === 15) {
      initiator.emit(3, 'P2P-GO-NEG-FAILURE status=9');
      responder.emit(3, 'P2P-GO-NEG-FAILURE status=9');
      return;
    }
    const tie = initiator.nextTieBreaker();
    const initiatorIsGo = pi.goIntent > pr.goIntent || (pi.goIntent === pr.goIntent && tie);
    const go = initiatorIsGo ? initiator : responder;
    const client = initiatorIsGo ? responder : initiator;
    const persistent = (initiatorIsGo ? pi : pr).persistent;
    const freq = 2437;
    const wps = pi.pin ? 'Display' : 'PBC';
    go.emit(
      3,
      `P2P-GO-NEG-SUCCESS role=GO freq=${freq} ht40=0 peer_dev=${client.deviceAddress} peer_iface=${client.interfaceAddress} wps_method=${wps}`,
    );
    client.emit(
      3,
      `P2P-GO-NEG-SUCCESS role=client freq=${freq} ht40=0 peer_dev=${go.deviceAddress} peer_iface=${go.interfaceAddress} wps_method=${wps}`,
    );
    const ifname = go.nextGroupIfname();
    const ssid = `DIRECT-${randomPair()}`;
    const passphrase = randomPassphrase();
    const networkId = persistent ? go.storePersistent(ssid, passphrase, true) : undefined;
    const group = await this.startGroup(go, { ifname, ssid, passphrase, freq, persistent, networkId }, true);
    if (!group) return;
    await this.addClient(group, client, persistent, true);
  }

  // ---------------- groups ----------------

  /** Starts a group with `go` as owner (autonomous `P2P_GROUP_ADD`, or after negotiation). */
  private startGroup(
    go: FakeP2pStation,
    p: FakeGroupParams,
    formation = false,
  ): Promise<FakeGroup | undefined> {
    return this.serial(async () => {
      if (!go.isRunning) return undefined;
      const seq = ++this.groupSeq;
      const loopNet = `127.${LOOPBACK_NET}.${nextLoopbackGroup()}`;
      const eapol = go.eapolIpAllocation;
      const goIp =
        this.dataPath === 'loopback' && !isLoopbackAllocation(eapol)
          ? `${loopNet}.1`
          : (eapol?.go ?? P2P_GO_IP_ADDRESS);
      const prefixLength = eapol ? maskToPrefix(eapol.mask) : P2P_GROUP_PREFIX_LENGTH;
      const group: FakeGroup = {
        loopNet,
        seq,
        go,
        goIfname: p.ifname,
        ...p,
        goIp,
        prefixLength,
        clients: new Map(),
        nextHost: 2,
      };
      if (this.dataPath === 'netns') {
        await ip(['link', 'add', p.ifname, 'type', 'bridge'], go.netns);
        await ip(['link', 'set', p.ifname, 'up'], go.netns);
      }
      this.groups.add(group);
      go.joinedGroup(p.ifname, 'GO', group);
      go.emit(
        3,
        `P2P-GROUP-STARTED ${p.ifname} GO ssid="${ssidTxt(p.ssid)}" freq=${p.freq} passphrase="${p.passphrase}" go_dev_addr=${go.deviceAddress}${p.persistent ? ' [PERSISTENT]' : ''}`,
      );
      if (formation) go.emit(3, 'P2P-GROUP-FORMATION-SUCCESS');
      // The GO host configures its address after the interface is up, as HarmonyOS and Android do.
      if (this.dataPath === 'netns' && this.assignAddresses) {
        await ip(['addr', 'add', `${goIp}/${prefixLength}`, 'dev', p.ifname], go.netns);
      }
      this.deviceChanged(go);
      return group;
    });
  }

  /** `P2P_CONNECT <go> pbc join`: provision discovery, then WPS with the GO. */
  private join(client: FakeP2pStation, go: FakeP2pStation, persistent: boolean): void {
    this.later(this.airtimeMs, () => {
      if (!go.isRunning || !this.ownedBy(go)) {
        client.emit(3, 'P2P-GROUP-FORMATION-FAILURE');
        return;
      }
      if (!go.knows(client.deviceAddress)) go.deviceSeen(client);
      go.emit(
        3,
        `P2P-PROV-DISC-PBC-REQ ${client.deviceAddress} p2p_dev_addr=${client.deviceAddress} pri_dev_type=1-0050F204-1 name='${client.deviceName}' config_methods=0x188 dev_capab=0x25 group_capab=0x0`,
      );
      client.emit(3, `P2P-PROV-DISC-PBC-RESP ${go.deviceAddress}`);
      joinPersistent.set(client, persistent);
      if (go.joinRequest(client)) this.acceptJoin(go, client);
    });
  }

  /** The GO accepted a push-button join (auto or `WPS_PBC`). */
  private acceptJoin(go: FakeP2pStation, client: FakeP2pStation): void {
    const g = this.ownedBy(go);
    if (!g || !client.isRunning) return;
    void this.addClient(g, client, joinPersistent.get(client) ?? false, true);
  }

  private addClient(
    group: FakeGroup,
    client: FakeP2pStation,
    persistent: boolean,
    formation: boolean,
  ): Promise<void> {
    return this.serial(async () => {
      if (!this.groups.has(group) || !client.isRunning) return;
      const ifname = client.nextGroupIfname();
      const host = group.nextHost++;
      // EAPOL IP allocation (Wi-Fi P2P spec §4.2.8) happens only when the GO host configured ip_addr_go/… ;
      // the loopback data path always allocates: from the GO's range when in 127/8, else 127.<net>.<group>.0/24.
      const eapol = group.go.eapolIpAllocation;
      let clientIp: string | undefined;
      let mask = P2P_GROUP_NETMASK;
      if (this.dataPath === 'loopback' && !isLoopbackAllocation(eapol)) clientIp = `${group.loopNet}.${host}`;
      else if (eapol) {
        const candidate = ipv4Add(eapol.start, host - 2);
        if (ipv4ToInt(candidate) <= ipv4ToInt(eapol.end)) clientIp = candidate;
        mask = eapol.mask;
      }
      let hostVeth: string | undefined;
      if (this.dataPath === 'netns') {
        hostVeth = `wp2p${process.pid % 10000}g${++this.linkSeq}`;
        await ip(
          ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', ifname, 'netns', client.netns!],
          group.go.netns,
        );
        await ip(['link', 'set', hostVeth, 'master', group.goIfname, 'up'], group.go.netns);
        // The client's group interface carries its P2P interface address (what AP-STA-CONNECTED and DHCP show).
        await ip(['link', 'set', ifname, 'address', client.interfaceAddress, 'up'], client.netns);
      }
      group.clients.set(client, { ifname, ip: clientIp, ...(hostVeth && { hostVeth }) });
      client.joinedGroup(ifname, 'client', group);
      const keep = persistent && group.persistent;
      if (keep) client.storePersistent(group.ssid, group.passphrase, false);
      if (formation) client.emit(3, 'P2P-GROUP-FORMATION-SUCCESS');
      client.emit(
        3,
        `P2P-GROUP-STARTED ${ifname} client ssid="${ssidTxt(group.ssid)}" freq=${group.freq} psk=${derivePsk(group.passphrase, group.ssid)} go_dev_addr=${group.go.deviceAddress}${keep ? ' [PERSISTENT]' : ''}${clientIp ? ` ip_addr=${clientIp} ip_mask=${mask} go_ip_addr=${group.goIp}` : ''}`,
      );
      group.go.emit(
        3,
        `AP-STA-CONNECTED ${client.interfaceAddress} p2p_dev_addr=${client.deviceAddress}${clientIp ? ` ip_addr=${clientIp}` : ''}`,
      );
      if (this.dataPath === 'netns' && this.assignAddresses && clientIp) {
        await ip(['addr', 'add', `${clientIp}/${group.prefixLength}`, 'dev', ifname], client.netns);
      }
    });
  }

  /**
   * `d` leaves its group on interface `ifname` (`P2P_GROUP_REMOVE`, daemon exit, loss). A GO leaving ends the group
   * for every client (`reason=GO_ENDING_SESSION`, or `IDLE` when the group was lost without notice).
   */
  private leaveGroup(d: FakeP2pStation, ifname: string, reason: 'REQUESTED' | 'UNAVAILABLE'): Promise<void> {
    return this.serial(async () => {
      const owned = [...this.groups].find((g) => g.go === d && g.goIfname === ifname);
      if (owned) {
        const g = owned;
        for (const [client, c] of g.clients) {
          client.leftGroup(c.ifname);
          client.emit(
            3,
            `P2P-GROUP-REMOVED ${c.ifname} client reason=${reason === 'REQUESTED' ? 'GO_ENDING_SESSION' : 'IDLE'}`,
          );
          d.emit(3, `AP-STA-DISCONNECTED ${client.interfaceAddress} p2p_dev_addr=${client.deviceAddress}`);
          if (this.dataPath === 'netns')
            await ip(['link', 'del', c.ifname], client.netns).catch(() => undefined);
        }
        g.clients.clear();
        d.leftGroup(ifname);
        this.groups.delete(g);
        d.emit(3, `P2P-GROUP-REMOVED ${ifname} GO reason=${reason}`);
        if (this.dataPath === 'netns') await ip(['link', 'del', ifname], d.netns).catch(() => undefined);
        this.deviceChanged(d);
        return;
      }
      const g = [...this.groups].find((x) => x.clients.get(d)?.ifname === ifname);
      if (!g) return;
      const c = g.clients.get(d);
      g.clients.delete(d);
      d.leftGroup(ifname);
      d.emit(3, `P2P-GROUP-REMOVED ${ifname} client reason=${reason}`);
      g.go.emit(3, `AP-STA-DISCONNECTED ${d.interfaceAddress} p2p_dev_addr=${d.deviceAddress}`);
      if (this.dataPath === 'netns' && c) await ip(['link', 'del', c.ifname], d.netns).catch(() => undefined);
    });
  }

  /** Runs data-path changes one at a time, in order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

const joinPersistent = new WeakMap<FakeP2pStation, boolean>();

/** Second octet of loopback group subnets, random per process (16..254) so parallel test processes rarely meet. */
const LOOPBACK_NET = 16 + Math.floor(Math.random() * 239);
let loopbackGroups = 0;
/** Third octet: groups counted per process, across media. */
function nextLoopbackGroup(): number {
  loopbackGroups = (loopbackGroups % 254) + 1;
  return loopbackGroups;
}

/** Whether a GO's EAPOL IP allocation lies in 127/8, which the loopback data path then uses as it is. */
function isLoopbackAllocation(a: { go: string; start: string; end: string } | undefined): boolean {
  return !!a && [a.go, a.start, a.end].every((x) => x.startsWith('127.'));
}

function ipv4ToInt(a: string): number {
  return a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function ipv4Add(a: string, n: number): string {
  const v = ipv4ToInt(a) + n;
  return [24, 16, 8, 0].map((sh) => Math.floor(v / 2 ** sh) % 256).join('.');
}

function maskToPrefix(mask: string): number {
  return ipv4ToInt(mask).toString(2).replace(/0+$/, '').length;
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

function randomPair(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return alphabet[Math.floor(Math.random() * 62)]! + alphabet[Math.floor(Math.random() * 62)]!;
}

function randomPassphrase(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += randomPair()[0];
  return s;
}
