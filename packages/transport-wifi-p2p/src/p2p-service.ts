import { isIPv4 } from 'node:net';
import path from 'node:path';
import { assertArgument, ColinkError, clockNow, ErrorCode, runAfter } from '@colink/core';
import { truncateUtf8 } from '@colink/core/wire';
import { BehaviorSubject, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import {
  P2P_ADDRESS_WAIT_MS,
  P2P_CLIENT_IP_END,
  P2P_CLIENT_IP_START,
  P2P_CONNECT_TIMEOUT_MS,
  P2P_DEFAULT_GO_INTENT,
  P2P_DEVICE_NAME_MAX_BYTES,
  P2P_GO_INTENT_MAX,
  P2P_GO_IP_ADDRESS,
  P2P_GROUP_NETMASK,
  P2P_GROUP_PREFIX_LENGTH,
  P2P_SSID_PREFIX,
  SSID_MAX_BYTES,
  WPA_PASSPHRASE_MAX,
  WPA_PASSPHRASE_MIN,
} from './constants.js';
import { startDhcpClient, startDhcpServer } from './dhcp.js';
import { type GroupAddressing, interfaceAddressing, netmaskToPrefixLength } from './group-addressing.js';
import { P2P_GROUP_CAPAB_GROUP_OWNER, type P2pPeer, type P2pPeerStatus, parsePeerReply } from './p2p-peer.js';
import { WpaCtrlClient } from './wpa-ctrl-client.js';
import { type P2pGroupStartedEvent, type P2pRole, printfDecode, type WpaEvent } from './wpa-events.js';

/** A device in a group as the GO sees it (`AP-STA-CONNECTED`). */
export interface P2pGroupClient {
  readonly deviceAddress: string;
  readonly interfaceAddress: string;
  /** The client's address when the GO handed it out in EAPOL (`ip_addr=`). */
  readonly ipAddress: string | undefined;
}

/** A formed group, published only once this device's address is really on the group interface. */
export interface P2pGroupInfo {
  /** Group interface, e.g. `p2p-wlan0-0`. */
  readonly ifname: string;
  readonly role: P2pRole;
  readonly ssid: string;
  /** Operating frequency, MHz. */
  readonly freq: number;
  /** The passphrase (known on the GO, and on a client when the GO sent it). */
  readonly passphrase: string | undefined;
  /** The 256-bit PSK as 64 hex chars, when reported (client). */
  readonly psk: string | undefined;
  readonly goDeviceAddress: string;
  readonly persistent: boolean;
  /** Network block id of the stored persistent group, or -1. */
  readonly networkId: number;
  /** The GO's address on the group subnet (192.168.49.1 unless the GO said otherwise). */
  readonly goIpAddress: string;
  /** This device's address on the group interface (verified present). */
  readonly ipAddress: string;
  /** Clients (on the GO). */
  readonly clients: readonly P2pGroupClient[];
}

/** A stored persistent group (`LIST_NETWORKS` row flagged `[P2P-PERSISTENT]`). */
export interface P2pPersistentGroup {
  readonly networkId: number;
  readonly ssid: string;
  readonly bssid: string;
}

/** Why a group ended: wpa_supplicant's `reason=` and whether this device asked for it. */
export interface P2pGroupRemoval {
  readonly group: P2pGroupInfo;
  /** `REQUESTED`, `GO_ENDING_SESSION`, `IDLE`, `UNAVAILABLE`, `FORMATION_FAILED`, `PSK_FAILURE`, `FREQ_CONFLICT`, or `TERMINATING` (daemon exit). */
  readonly reason: string;
  /** True when this device removed the group itself. */
  readonly local: boolean;
}

/** Options of {@link P2pService}. */
export interface P2pServiceOptions {
  /** GO intent 0..15 for negotiations. Default 7 ({@link P2P_DEFAULT_GO_INTENT}). */
  readonly goIntent?: number;
  /** Decides on an unsolicited GO Negotiation Request (`P2P-GO-NEG-REQUEST`). Default: accept. */
  readonly acceptConnection?: (request: { address: string; goIntent: number }) => boolean;
  /** How group addresses are found. Default {@link interfaceAddressing} (this namespace's interfaces). */
  readonly addressing?: GroupAddressing;
  /** Address wait per group, ms. Default {@link P2P_ADDRESS_WAIT_MS}. */
  readonly addressWaitMs?: number;
  /** Connect timeout (negotiation + formation + address), ms. Default {@link P2P_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /**
   * Put group addresses on the group interfaces (needs CAP_NET_ADMIN): the GO's own address, and a client's
   * EAPOL-allocated one. Default `false` (something else on the host does it).
   */
  readonly assignAddresses?: boolean;
  /**
   * Clock of the service's time limits — finding the peer and forming the group within the connect timeout, a group
   * starting, a group going away, the group address appearing (`addressWaitMs`, polled every `ADDRESS_POLL_MS`) —
   * as an rxjs scheduler; tests pass core's `VirtualClock`. The DHCP client's lease limit
   * (`P2P_DHCP_CLIENT_TIMEOUT_MS`) stays real time (udhcpc retries in real time). Default: real time.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * EAPOL IP allocation this device hands out as GO (wpa_supplicant `ip_addr_go`, `ip_addr_mask`, `ip_addr_start`,
   * `ip_addr_end`), set by {@link P2pService.configureIpAllocation}. Default GO 192.168.49.1/24, clients .2–.254.
   * A `go` in 127/8 (the fake medium's loopback data path, which has no group interfaces) is this device's address
   * as GO: present at once, as every 127/8 address is on `lo`. Each field must be a dotted IPv4 address, else the
   * constructor throws `ERR_INVALID_ARGUMENT`.
   */
  readonly ipAllocation?: {
    readonly go: string;
    readonly mask: string;
    readonly start: string;
    readonly end: string;
  };
  /**
   * Address groups without EAPOL allocation by DHCP: as GO run dnsmasq on the group interface (range from
   * `ipAllocation`), as client run udhcpc. Needs root and Debian `dnsmasq-base` / `udhcpc`. Default `false`.
   */
  readonly dhcp?: boolean;
}

/** Options of {@link P2pService.connect}. */
export interface P2pConnectOptions {
  /** WPS method: push button (default) or PIN. */
  readonly method?: 'pbc' | 'pin';
  /** With `method: 'pin'`: the PIN to use (4 or 8 digits); without, wpa_supplicant generates one, passed to `onPin`. */
  readonly pin?: string;
  readonly onPin?: (pin: string) => void;
  /** GO intent 0..15 for this connect. Default the service's. */
  readonly goIntent?: number;
  /** Ask for a persistent group. */
  readonly persistent?: boolean;
  /** Join the peer's existing group instead of negotiating. Default: when the peer is a GO. */
  readonly join?: boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Options of {@link P2pService.createGroup}. */
export interface P2pCreateGroupOptions {
  /** Store the group as persistent (network block with `disabled 2`). */
  readonly persistent?: boolean;
  /** Restart the stored persistent group with this network id. */
  readonly networkId?: number;
  /** Chosen group name. Gets the `DIRECT-xy-` prefix the P2P spec requires when it lacks `DIRECT-`. */
  readonly ssid?: string;
  /** Chosen passphrase: 8..63 bytes of UTF-8 without control characters ({@link isWpaPassphrase}). */
  readonly passphrase?: string;
  /** `2` (2.4 GHz), `5` (5 GHz) or a frequency in MHz. */
  readonly freq?: number;
}

interface GroupState {
  readonly started: P2pGroupStartedEvent;
  readonly clients: Map<string, P2pGroupClient>;
  info: P2pGroupInfo | undefined;
  temporaryNetworkId: number | undefined;
  readonly abort: AbortController;
  /** DHCP leases the GO's server acknowledged (client interface address → IP). */
  readonly leases: Map<string, string>;
  /** DHCP server (GO) or client of this group, stopped when the group ends. */
  dhcp: { stop(): Promise<void> } | undefined;
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/**
 * Wi-Fi P2P on top of a {@link WpaCtrlClient}: device discovery and the peer table, listen, connect (push button or
 * PIN, GO intent, persistent, join), cancel, autonomous and persistent groups with a chosen SSID and passphrase,
 * group and client tracking, and group addressing checks. One service per P2P device interface.
 *
 * Errors: `ERR_INVALID_ARGUMENT` for bad input, `ERR_INTERNAL` (detail `{ command, reply }`) when wpa_supplicant
 * refuses a command, `ERR_DIAL_FAILED` (detail `{ status }`) when negotiation or formation fails, `ERR_TIMEOUT`.
 */
export class P2pService {
  private readonly goIntent: number;
  private readonly opts: P2pServiceOptions;
  private readonly peersSubject = new BehaviorSubject<ReadonlyMap<string, P2pPeer>>(new Map());
  private readonly groupsSubject = new BehaviorSubject<readonly P2pGroupInfo[]>([]);
  private readonly discoveringSubject = new BehaviorSubject<boolean>(false);
  private readonly removedSubject = new Subject<P2pGroupRemoval>();
  private readonly persistentSubject = new Subject<void>();
  private readonly failureSubject = new Subject<{
    address: string | undefined;
    status: number;
    event: string;
  }>();
  private readonly groups = new Map<string, GroupState>();
  private readonly connecting = new Set<string>();
  private readonly subs: Subscription[] = [];
  private closed = false;
  private wantListen = false;

  /** The peer table (P2P Device Address → peer), replaced on every change. */
  readonly peers$: Observable<ReadonlyMap<string, P2pPeer>> = this.peersSubject.asObservable();
  /** Groups whose address is on the interface. */
  readonly groups$: Observable<readonly P2pGroupInfo[]> = this.groupsSubject.asObservable();
  /** Whether a `P2P_FIND` runs. */
  readonly discovering$: Observable<boolean> = this.discoveringSubject.asObservable();
  /** Every group that ended, with the reason. */
  readonly groupRemoved$: Observable<P2pGroupRemoval> = this.removedSubject.asObservable();
  /** Emits when stored persistent groups may have changed. */
  readonly persistentGroupsChanged$: Observable<void> = this.persistentSubject.asObservable();
  /** GO negotiation / group formation failures (`status` per P2P spec table 8, -1 no response). */
  readonly connectionFailed$: Observable<{ address: string | undefined; status: number; event: string }> =
    this.failureSubject.asObservable();

  /** Runs `fn` once after `ms` on this clock (`scheduler` option; real time by default); returns the canceller. */
  private after(fn: () => void, ms: number): () => void {
    return runAfter(ms, fn, { scheduler: this.opts.scheduler });
  }

  /** Now in ms on the service's clock. */
  private now(): number {
    return clockNow(this.opts.scheduler);
  }

  constructor(
    readonly wpa: WpaCtrlClient,
    options: P2pServiceOptions = {},
  ) {
    const gi = options.goIntent ?? P2P_DEFAULT_GO_INTENT;
    assertArgument(
      Number.isInteger(gi) && gi >= 0 && gi <= P2P_GO_INTENT_MAX,
      `goIntent must be 0..15, got ${gi}`,
    );
    this.goIntent = gi;
    const a = options.ipAllocation;
    for (const k of ['go', 'mask', 'start', 'end'] as const)
      assertArgument(!a || isIpv4(a[k]), `ipAllocation.${k} must be a dotted IPv4 address, got ${a?.[k]}`);
    this.opts = options;
    this.subs.push(wpa.events$.subscribe((e) => this.onEvent(e)));
    this.subs.push(
      wpa.state$.subscribe((s) => {
        if (s === 'reconnecting') this.daemonGone();
      }),
    );
  }

  /** The peer table now. */
  get peers(): ReadonlyMap<string, P2pPeer> {
    return this.peersSubject.value;
  }
  /** Ready groups now. */
  get currentGroups(): readonly P2pGroupInfo[] {
    return this.groupsSubject.value;
  }
  /** Whether discovery runs now. */
  get discovering(): boolean {
    return this.discoveringSubject.value;
  }

  // ---------------- device ----------------

  /** This device: P2P Device Address (`STATUS` `p2p_device_address`) and name (`GET device_name`, '' when unset). */
  async localDevice(): Promise<{ deviceAddress: string; deviceName: string }> {
    const status = await this.wpa.request('STATUS');
    const m = /^p2p_device_address=(\S+)$/m.exec(status) ?? /^address=(\S+)$/m.exec(status);
    const name = await this.wpa.request('GET device_name');
    return { deviceAddress: m?.[1] ?? '00:00:00:00:00:00', deviceName: name === 'FAIL\n' ? '' : name };
  }

  /** Sets the WPS device name peers see (≤ 32 bytes, WSC spec). */
  async setDeviceName(name: string): Promise<void> {
    assertArgument(
      typeof name === 'string' &&
        name.length > 0 &&
        Buffer.byteLength(name) <= P2P_DEVICE_NAME_MAX_BYTES &&
        !/[\n\r]/.test(name),
      `device name must be 1..${P2P_DEVICE_NAME_MAX_BYTES} bytes on one line`,
    );
    await this.wpa.expectOk(`SET device_name ${name}`);
  }

  /** Replaces the vendor elements of P2P probe request (frame 0) and response (frame 1) frames; `''` clears them. */
  async setVendorElems(hex: string): Promise<void> {
    assertArgument(/^([0-9a-f]{2})*$/i.test(hex), 'vendor elements must be hex bytes');
    for (const frame of [0, 1]) {
      await this.wpa.request(`VENDOR_ELEM_REMOVE ${frame} *`);
      if (hex) await this.wpa.expectOk(`VENDOR_ELEM_ADD ${frame} ${hex}`);
    }
  }

  /**
   * Makes this device hand out client addresses in the EAPOL handshake when it is GO (Wi-Fi P2P spec §4.2.8), so
   * clients get `ip_addr=` in `P2P-GROUP-STARTED` and need no DHCP: `SET ip_addr_go/ip_addr_mask/ip_addr_start/
   * ip_addr_end`. Rejects with `ERR_INTERNAL` when the daemon refuses.
   */
  async configureIpAllocation(): Promise<void> {
    const a = this.opts.ipAllocation ?? {
      go: P2P_GO_IP_ADDRESS,
      mask: P2P_GROUP_NETMASK,
      start: P2P_CLIENT_IP_START,
      end: P2P_CLIENT_IP_END,
    };
    for (const [k, v] of [
      ['ip_addr_go', a.go],
      ['ip_addr_mask', a.mask],
      ['ip_addr_start', a.start],
      ['ip_addr_end', a.end],
    ] as const)
      await this.wpa.expectOk(`SET ${k} ${v}`);
  }

  // ---------------- discovery ----------------

  /** Starts device discovery (`P2P_FIND [timeoutS]`); without a timeout it runs until {@link stopFind}. */
  async find(timeoutS?: number): Promise<void> {
    assertArgument(
      timeoutS === undefined || (Number.isInteger(timeoutS) && timeoutS > 0),
      'timeout must be a positive integer (s)',
    );
    await this.wpa.expectOk(timeoutS === undefined ? 'P2P_FIND' : `P2P_FIND ${timeoutS}`);
    this.discoveringSubject.next(true);
  }

  /**
   * Stops discovery (`P2P_STOP_FIND`). wpa_supplicant stops listening with it; when {@link listen} was asked for,
   * listening resumes (`P2P_LISTEN`).
   */
  async stopFind(): Promise<void> {
    await this.wpa.expectOk('P2P_STOP_FIND');
    this.discoveringSubject.next(false);
    if (this.wantListen) await this.wpa.expectOk('P2P_LISTEN');
  }

  /** Makes this device discoverable without searching (`P2P_LISTEN`), and keeps it so after finds end. */
  async listen(): Promise<void> {
    this.wantListen = true;
    await this.wpa.expectOk('P2P_LISTEN');
  }

  /** Stops listening (`P2P_STOP_FIND`, which ends both find and listen). */
  async stopListen(): Promise<void> {
    this.wantListen = false;
    await this.wpa.expectOk('P2P_STOP_FIND');
    this.discoveringSubject.next(false);
  }

  /** Forgets every peer (`P2P_FLUSH`). */
  async flush(): Promise<void> {
    await this.wpa.expectOk('P2P_FLUSH');
    this.peersSubject.next(new Map());
  }

  /** Reads the daemon's whole peer table (`P2P_PEER FIRST`, then `P2P_PEER NEXT-<addr>`; there is no `P2P_PEERS`). */
  async refreshPeers(): Promise<P2pPeer[]> {
    const list: P2pPeer[] = [];
    let reply = await this.wpa.request('P2P_PEER FIRST');
    for (let guard = 0; guard < 1000; guard++) {
      const p = parsePeerReply(reply, this.statusOf(reply.split('\n')[0] ?? ''));
      if (!p) break;
      list.push(p);
      reply = await this.wpa.request(`P2P_PEER NEXT-${p.deviceAddress}`);
    }
    this.peersSubject.next(new Map(list.map((p) => [p.deviceAddress, p])));
    return list;
  }

  /** One peer's details (`P2P_PEER <addr>`), `undefined` when unknown. */
  async peer(address: string): Promise<P2pPeer | undefined> {
    const addr = address.toLowerCase();
    assertArgument(MAC.test(addr), `not a MAC address: ${address}`);
    return parsePeerReply(await this.wpa.request(`P2P_PEER ${addr}`), this.statusOf(addr));
  }

  // ---------------- connect ----------------

  /**
   * Sends `P2P_CONNECT` and returns at once (HarmonyOS `p2pConnect` semantics: the outcome arrives as events).
   * Resolves with the generated PIN for `method: 'pin'` without a PIN. A device this one is already in a group with
   * is left as it is: nothing is sent, no status changes, resolves with undefined — apps call `p2pConnect` again on
   * every peer-list change (the wifi-p2p guide's example does), and a second `P2P_CONNECT` would make
   * wpa_supplicant join the group anew under the running sockets.
   */
  async startConnect(address: string, options: P2pConnectOptions = {}): Promise<string | undefined> {
    const addr = address.toLowerCase();
    assertArgument(MAC.test(addr), `not a MAC address: ${address}`);
    const gi = options.goIntent ?? this.goIntent;
    assertArgument(
      Number.isInteger(gi) && gi >= 0 && gi <= P2P_GO_INTENT_MAX,
      `goIntent must be 0..15, got ${gi}`,
    );
    const method = options.method ?? 'pbc';
    if (options.pin !== undefined)
      assertArgument(/^(\d{4}|\d{8})$/.test(options.pin), 'PIN must be 4 or 8 digits');
    if (this.groupWith(addr)) return undefined;
    const known = this.peers.get(addr) ?? (await this.peer(addr));
    const join = options.join ?? ((known?.groupCapabilities ?? 0) & P2P_GROUP_CAPAB_GROUP_OWNER) !== 0;
    const wps = method === 'pin' ? (options.pin ?? 'pin') : 'pbc';
    const cmd = `P2P_CONNECT ${addr} ${wps}${join ? ' join' : ` go_intent=${gi}`}${options.persistent ? ' persistent' : ''}`;
    this.connecting.add(addr);
    this.setStatus(addr, 'invited');
    try {
      const reply = await this.wpa.value(cmd);
      if (method === 'pin' && options.pin === undefined) {
        options.onPin?.(reply);
        return reply;
      }
      return undefined;
    } catch (e) {
      this.connecting.delete(addr);
      this.setStatus(addr, 'failed');
      throw new ColinkError(ErrorCode.DIAL_FAILED, `P2P_CONNECT to ${addr} refused`, { cause: e });
    }
  }

  /**
   * Connects to a peer and resolves with the group once this device's address is on the group interface.
   * Rejects with `ERR_DIAL_FAILED` (negotiation/formation failed, detail `{ status }`), `ERR_TIMEOUT` (then cancels
   * with `P2P_CANCEL`), `ERR_ABORTED`.
   */
  async connect(address: string, options: P2pConnectOptions = {}): Promise<P2pGroupInfo> {
    const addr = address.toLowerCase();
    const existing = this.groupWith(addr);
    if (existing) return existing;
    const timeoutMs = options.timeoutMs ?? this.opts.connectTimeoutMs ?? P2P_CONNECT_TIMEOUT_MS;
    const deadline = this.now() + timeoutMs;
    await this.ensurePeer(addr, timeoutMs, options.signal);
    const outcome = this.waitForGroupWith(addr, Math.max(1, deadline - this.now()), options.signal);
    outcome.catch(() => undefined);
    await this.startConnect(addr, options);
    try {
      return await outcome;
    } catch (e) {
      if ((e as ColinkError).code !== ErrorCode.DIAL_FAILED)
        await this.wpa.request('P2P_CANCEL').catch(() => undefined);
      throw e;
    }
  }

  /**
   * Makes sure wpa_supplicant knows `addr` (it refuses `P2P_CONNECT` to unknown devices): when it does not, runs a
   * find until the peer shows up. Rejects with `ERR_UNREACHABLE` after `timeoutMs`.
   */
  private async ensurePeer(addr: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.peers.has(addr) || (await this.peer(addr))) return;
    const wasDiscovering = this.discovering;
    const seen = new Promise<void>((resolve, reject) => {
      const timer = this.after(() => {
        sub.unsubscribe();
        reject(new ColinkError(ErrorCode.UNREACHABLE, `P2P device ${addr} not found in ${timeoutMs} ms`));
      }, timeoutMs);
      const sub = this.peers$.subscribe((m) => {
        if (!m.has(addr)) return;
        timer();
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      });
      signal?.addEventListener(
        'abort',
        () => {
          timer();
          sub.unsubscribe();
          reject(new ColinkError(ErrorCode.ABORTED, `connect to ${addr} aborted`));
        },
        { once: true },
      );
    });
    seen.catch(() => undefined);
    if (!wasDiscovering) await this.find();
    try {
      await seen;
    } finally {
      if (!wasDiscovering) await this.stopFind().catch(() => undefined);
    }
  }

  /** Cancels an ongoing connect (`P2P_CANCEL`). Rejects with `ERR_INTERNAL` when nothing was in progress. */
  async cancel(): Promise<void> {
    await this.wpa.expectOk('P2P_CANCEL');
    for (const a of this.connecting) this.setStatus(a, 'available');
    this.connecting.clear();
  }

  /** The ready group in which `address` (a P2P Device Address) is GO or client, if any. */
  groupWith(address: string): P2pGroupInfo | undefined {
    const addr = address.toLowerCase();
    return this.currentGroups.find(
      (g) =>
        (g.role === 'client' && g.goDeviceAddress === addr) ||
        g.clients.some((c) => c.deviceAddress === addr),
    );
  }

  /** Resolves when a group with `address` is ready; rejects on failure events, timeout or abort. */
  waitForGroupWith(address: string, timeoutMs: number, signal?: AbortSignal): Promise<P2pGroupInfo> {
    const addr = address.toLowerCase();
    return new Promise<P2pGroupInfo>((resolve, reject) => {
      const subs: Subscription[] = [];
      const done = (): void => {
        timer();
        signal?.removeEventListener('abort', onAbort);
        for (const s of subs) s.unsubscribe();
      };
      const onAbort = (): void => {
        done();
        reject(new ColinkError(ErrorCode.ABORTED, `connect to ${addr} aborted`));
      };
      const timer = this.after(() => {
        done();
        reject(new ColinkError(ErrorCode.TIMEOUT, `no group with ${addr} after ${timeoutMs} ms`));
      }, timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      subs.push(
        this.groups$.subscribe(() => {
          const g = this.groupWith(addr);
          if (g) {
            done();
            resolve(g);
          }
        }),
      );
      subs.push(
        this.failureSubject.subscribe((f) => {
          if (f.address !== undefined && f.address !== addr) return;
          done();
          reject(
            new ColinkError(
              ErrorCode.DIAL_FAILED,
              `P2P connection to ${addr} failed: ${f.event} status=${f.status}`,
              {
                detail: { status: f.status, event: f.event },
              },
            ),
          );
        }),
      );
    });
  }

  // ---------------- groups ----------------

  /**
   * Starts a group with this device as GO (`P2P_GROUP_ADD`); with `ssid` + `passphrase` through a network block
   * (`ADD_NETWORK`, `SET_NETWORK n ssid/psk/mode 3/disabled 2`, then `P2P_GROUP_ADD persistent=n`). Resolves once the
   * group's address is on the interface. Rejects with `ERR_INVALID_ARGUMENT` (passphrase not 8..63 bytes or with a
   * control character, see {@link isWpaPassphrase}; SSID over 32 bytes), `ERR_INTERNAL` when wpa_supplicant refuses, `ERR_TIMEOUT`.
   */
  async createGroup(options: P2pCreateGroupOptions = {}): Promise<P2pGroupInfo> {
    const { persistent = false, networkId, ssid, passphrase, freq } = options;
    assertArgument(
      passphrase === undefined || isWpaPassphrase(passphrase),
      `passphrase must be ${WPA_PASSPHRASE_MIN}..${WPA_PASSPHRASE_MAX} bytes without control characters`,
    );
    assertArgument(freq === undefined || (Number.isInteger(freq) && freq > 0), 'freq must be 2, 5 or MHz');
    let id = networkId;
    let temporary: number | undefined;
    if (ssid !== undefined || passphrase !== undefined) {
      assertArgument(id === undefined, 'give either networkId or ssid/passphrase');
      const name = groupSsid(ssid ?? '');
      // wpa_config_parse_string takes `ssid "…"` up to the last quote: quotes inside are fine, a line break is not
      assertArgument(!/\n/.test(name), 'SSID must not contain line breaks');
      const pass = passphrase ?? randomPassphrase();
      id = Number(await this.wpa.value('ADD_NETWORK'));
      await this.wpa.expectOk(`SET_NETWORK ${id} ssid "${name}"`);
      await this.wpa.expectOk(`SET_NETWORK ${id} psk "${pass}"`);
      await this.wpa.expectOk(`SET_NETWORK ${id} mode 3`);
      await this.wpa.expectOk(`SET_NETWORK ${id} disabled 2`);
      if (!persistent) temporary = id;
    }
    const args = [
      id !== undefined ? `persistent=${id}` : persistent ? 'persistent' : '',
      freq ? `freq=${freq}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const ready = this.nextOwnGroup();
    ready.catch(() => undefined);
    await this.wpa.expectOk(args ? `P2P_GROUP_ADD ${args}` : 'P2P_GROUP_ADD');
    const g = await ready;
    const st = this.groups.get(g.ifname);
    if (st) st.temporaryNetworkId = temporary;
    if (persistent) this.persistentSubject.next();
    return g;
  }

  private nextOwnGroup(): Promise<P2pGroupInfo> {
    const before = new Set(this.currentGroups.map((g) => g.ifname));
    return new Promise((resolve, reject) => {
      const timer = this.after(
        () => {
          sub.unsubscribe();
          reject(new ColinkError(ErrorCode.TIMEOUT, 'group did not start'));
        },
        (this.opts.addressWaitMs ?? P2P_ADDRESS_WAIT_MS) + 5_000,
      );
      const sub = this.groups$.subscribe((gs) => {
        const g = gs.find((x) => x.role === 'GO' && !before.has(x.ifname));
        if (g) {
          timer();
          queueMicrotask(() => sub.unsubscribe());
          resolve(g);
        }
      });
    });
  }

  /** Leaves or ends a group (`P2P_GROUP_REMOVE <ifname>`, default all) and waits for `P2P-GROUP-REMOVED`. */
  async removeGroup(ifname?: string): Promise<void> {
    const targets = ifname === undefined ? [...this.groups.keys()] : [ifname];
    if (ifname === undefined && targets.length === 0)
      throw new ColinkError(ErrorCode.NOT_CONNECTED, 'no P2P group');
    const gone = Promise.all(targets.map((t) => this.waitRemoved(t)));
    await this.wpa.expectOk(`P2P_GROUP_REMOVE ${ifname ?? '*'}`);
    await gone;
  }

  private waitRemoved(ifname: string): Promise<void> {
    return new Promise((resolve) => {
      if (!this.groups.has(ifname)) return resolve();
      const timer = this.after(() => {
        sub.unsubscribe();
        resolve();
      }, 5_000);
      const sub = this.groupRemoved$.subscribe((r) => {
        if (r.group.ifname !== ifname) return;
        timer();
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      });
    });
  }

  /** Stored persistent groups (`LIST_NETWORKS`, rows flagged `[P2P-PERSISTENT]`). */
  async persistentGroups(): Promise<P2pPersistentGroup[]> {
    return parseListNetworks(await this.wpa.request('LIST_NETWORKS'));
  }

  /** Deletes a stored persistent group (`REMOVE_NETWORK <id>`). */
  async deletePersistentGroup(networkId: number): Promise<void> {
    assertArgument(Number.isInteger(networkId) && networkId >= 0, 'networkId must be a non-negative integer');
    await this.wpa.expectOk(`REMOVE_NETWORK ${networkId}`);
    this.persistentSubject.next();
  }

  /** Unsubscribes from the client (does not close it) and aborts address waits. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subs) s.unsubscribe();
    for (const g of this.groups.values()) {
      g.abort.abort();
      void g.dhcp?.stop();
    }
    this.peersSubject.complete();
    this.groupsSubject.complete();
    this.discoveringSubject.complete();
    this.removedSubject.complete();
    this.persistentSubject.complete();
    this.failureSubject.complete();
  }

  // ---------------- events ----------------

  private statusOf(addr: string): P2pPeerStatus {
    const a = addr.toLowerCase();
    if (this.groupWith(a)) return 'connected';
    if (this.connecting.has(a)) return 'invited';
    return this.peers.get(a)?.status === 'failed' ? 'failed' : 'available';
  }

  private setStatus(addr: string, status: P2pPeerStatus): void {
    const p = this.peers.get(addr);
    if (!p || p.status === status) return;
    const m = new Map(this.peers);
    m.set(addr, { ...p, status });
    this.peersSubject.next(m);
  }

  private onEvent(e: WpaEvent): void {
    if (this.closed) return;
    switch (e.type) {
      case 'P2P-DEVICE-FOUND': {
        const addr = e.p2pDevAddr.toLowerCase();
        void this.wpa.request(`P2P_PEER ${addr}`).then(
          (reply) => {
            if (this.closed) return;
            const p = parsePeerReply(reply, this.statusOf(addr));
            if (!p) return;
            const m = new Map(this.peers);
            m.set(addr, p);
            this.peersSubject.next(m);
          },
          () => undefined,
        );
        return;
      }
      case 'P2P-DEVICE-LOST': {
        const m = new Map(this.peers);
        if (m.delete(e.p2pDevAddr.toLowerCase())) this.peersSubject.next(m);
        return;
      }
      case 'P2P-FIND-STOPPED':
        if (this.discovering && this.wantListen) void this.wpa.request('P2P_LISTEN').catch(() => undefined);
        this.discoveringSubject.next(false);
        return;
      case 'P2P-GO-NEG-REQUEST': {
        const addr = e.address.toLowerCase();
        const accept = this.opts.acceptConnection?.({ address: addr, goIntent: e.goIntent }) ?? true;
        if (accept) {
          this.connecting.add(addr);
          void this.wpa.request(`P2P_CONNECT ${addr} pbc go_intent=${this.goIntent}`).catch(() => undefined);
        }
        return;
      }
      case 'P2P-GO-NEG-FAILURE':
      case 'P2P-GROUP-FORMATION-FAILURE': {
        const status = e.type === 'P2P-GO-NEG-FAILURE' ? e.status : -1;
        const addr = this.connecting.size === 1 ? [...this.connecting][0] : undefined;
        for (const a of this.connecting) this.setStatus(a, 'failed');
        this.connecting.clear();
        this.failureSubject.next({ address: addr, status, event: e.type });
        return;
      }
      case 'P2P-PROV-DISC-PBC-REQ': {
        // A device wants to join our group by push button: press it on the group interface, as Android's and
        // HarmonyOS's P2P services do (WPS_PBC belongs to the group interface's own control socket).
        const go = [...this.groups.values()].find((g) => g.started.role === 'GO');
        const addr = (e.p2pDevAddr ?? e.address).toLowerCase();
        if (!go || !(this.opts.acceptConnection?.({ address: addr, goIntent: -1 }) ?? true)) return;
        void this.pushButton(go.started.groupIfname).catch(() => undefined);
        return;
      }
      case 'P2P-GROUP-STARTED':
        this.groupStarted(e);
        return;
      case 'P2P-GROUP-REMOVED':
        this.groupEnded(e.groupIfname, e.reason);
        return;
      case 'AP-STA-CONNECTED':
      case 'AP-STA-DISCONNECTED': {
        if (!e.p2pDevAddr) return;
        const dev = e.p2pDevAddr.toLowerCase();
        const st = [...this.groups.values()].find((g) => g.started.role === 'GO');
        if (!st) return;
        if (e.type === 'AP-STA-CONNECTED') {
          const mac = e.address.toLowerCase();
          st.clients.set(dev, {
            deviceAddress: dev,
            interfaceAddress: mac,
            ipAddress: e.ipAddr ?? st.leases.get(mac),
          });
          this.connecting.delete(dev);
        } else st.clients.delete(dev);
        this.republish(st);
        this.setStatus(dev, e.type === 'AP-STA-CONNECTED' ? 'connected' : 'available');
        return;
      }
      default:
        return;
    }
  }

  /**
   * Sends `WPS_PBC` to the control socket of group interface `ifname` (next to the P2P device's socket).
   * Rejects with `ERR_DIAL_FAILED` / `ERR_INTERNAL` when the socket is missing or the daemon refuses.
   */
  async pushButton(ifname: string): Promise<void> {
    const group = await WpaCtrlClient.open({
      ctrlPath: path.join(path.dirname(this.wpa.ctrlPath), ifname),
      monitor: false,
      pingIntervalMs: 0,
    });
    try {
      await group.expectOk('WPS_PBC');
    } finally {
      await group.close();
    }
  }

  private groupStarted(e: P2pGroupStartedEvent): void {
    const st: GroupState = {
      started: e,
      clients: new Map(),
      info: undefined,
      temporaryNetworkId: undefined,
      abort: new AbortController(),
      leases: new Map(),
      dhcp: undefined,
    };
    this.groups.set(e.groupIfname, st);
    const addressing = this.opts.addressing ?? interfaceAddressing;
    const wait = this.opts.addressWaitMs ?? P2P_ADDRESS_WAIT_MS;
    // A GO's address is whatever the host put on the group interface, except on the loopback data path.
    const loopbackGo = this.opts.ipAllocation?.go.startsWith('127.') ? this.opts.ipAllocation.go : undefined;
    let expected = e.role === 'GO' ? loopbackGo : e.ipAddr;
    void (async () => {
      try {
        if (this.opts.dhcp && e.role === 'client' && !e.ipAddr) {
          // No EAPOL allocation: ask the GO's DHCP server (the client script puts the address on the interface).
          const client = startDhcpClient({ ifname: e.groupIfname });
          st.dhcp = client;
          expected = (await client.lease).ip;
        }
        if (this.opts.assignAddresses && addressing.assign) {
          if (e.role === 'GO') {
            const a = this.opts.ipAllocation;
            await addressing.assign(
              e.groupIfname,
              a?.go ?? P2P_GO_IP_ADDRESS,
              a ? netmaskToPrefixLength(a.mask) : P2P_GROUP_PREFIX_LENGTH,
            );
          } else if (e.ipAddr) {
            await addressing.assign(
              e.groupIfname,
              e.ipAddr,
              e.ipMask ? netmaskToPrefixLength(e.ipMask) : P2P_GROUP_PREFIX_LENGTH,
            );
          }
        }
        const ip = await addressing.waitForAddress(
          e.groupIfname,
          expected,
          wait,
          st.abort.signal,
          this.opts.scheduler,
        );
        if (this.opts.dhcp && e.role === 'GO' && this.groups.get(e.groupIfname) === st) {
          const a = this.opts.ipAllocation;
          const server = startDhcpServer({
            ifname: e.groupIfname,
            start: a?.start ?? P2P_CLIENT_IP_START,
            end: a?.end ?? P2P_CLIENT_IP_END,
            netmask: a?.mask ?? P2P_GROUP_NETMASK,
          });
          st.dhcp = server;
          server.leases$.subscribe({
            next: (lease) => {
              st.leases.set(lease.mac, lease.ip);
              for (const [dev, c] of st.clients) {
                if (c.interfaceAddress === lease.mac) st.clients.set(dev, { ...c, ipAddress: lease.ip });
              }
              this.republish(st);
            },
            error: () => undefined,
          });
        }
        const networkId = e.persistent ? await this.networkIdOf(e.ssid) : -1;
        if (this.groups.get(e.groupIfname) !== st) return;
        st.info = {
          ifname: e.groupIfname,
          role: e.role,
          ssid: e.ssid,
          freq: e.freq,
          passphrase: e.passphrase,
          psk: e.psk,
          goDeviceAddress: e.goDevAddr.toLowerCase(),
          persistent: e.persistent,
          networkId,
          goIpAddress: e.role === 'GO' ? ip : (e.goIpAddr ?? P2P_GO_IP_ADDRESS),
          ipAddress: ip,
          clients: [...st.clients.values()],
        };
        if (e.role === 'client') {
          this.connecting.delete(st.info.goDeviceAddress);
        }
        this.publish();
        if (e.role === 'client') this.setStatus(st.info.goDeviceAddress, 'connected');
        if (e.persistent) this.persistentSubject.next();
      } catch (err) {
        if (this.groups.get(e.groupIfname) !== st) return;
        this.failureSubject.next({
          address: e.role === 'client' ? e.goDevAddr.toLowerCase() : undefined,
          status: -1,
          event: `address: ${(err as Error).message}`,
        });
      }
    })();
  }

  private async networkIdOf(ssid: string): Promise<number> {
    const list = await this.persistentGroups().catch(() => []);
    return list.find((g) => g.ssid === ssid)?.networkId ?? -1;
  }

  private republish(st: GroupState): void {
    if (!st.info) return;
    st.info = { ...st.info, clients: [...st.clients.values()] };
    this.publish();
  }

  private publish(): void {
    this.groupsSubject.next([...this.groups.values()].flatMap((g) => (g.info ? [g.info] : [])));
  }

  private groupEnded(ifname: string, reason: string): void {
    const st = this.groups.get(ifname);
    if (!st) return;
    this.groups.delete(ifname);
    st.abort.abort();
    void st.dhcp?.stop();
    const members = st.info
      ? st.info.role === 'client'
        ? [st.info.goDeviceAddress]
        : st.info.clients.map((c) => c.deviceAddress)
      : [];
    if (st.temporaryNetworkId !== undefined)
      void this.wpa.request(`REMOVE_NETWORK ${st.temporaryNetworkId}`).catch(() => undefined);
    this.publish();
    for (const m of members) this.setStatus(m, 'available');
    if (st.info) this.removedSubject.next({ group: st.info, reason, local: reason === 'REQUESTED' });
  }

  private daemonGone(): void {
    for (const ifname of [...this.groups.keys()]) this.groupEnded(ifname, 'TERMINATING');
    this.discoveringSubject.next(false);
    this.peersSubject.next(new Map());
  }
}

/**
 * Whether wpa_supplicant takes `passphrase` as a WPA passphrase (`SET_NETWORK <id> psk "<passphrase>"`, hostap
 * 2.10 `config.c` `wpa_config_parse_psk`): {@link WPA_PASSPHRASE_MIN}..{@link WPA_PASSPHRASE_MAX} **bytes** of
 * UTF-8 (IEEE 802.11-2020 Annex J.4.1 hashes the bytes) and no control character (`has_ctrl_char`: below 0x20, or
 * 0x7f). Quotes and backslashes are fine: the daemon takes the text up to the last quote, as it is.
 */
export function isWpaPassphrase(passphrase: unknown): passphrase is string {
  if (typeof passphrase !== 'string') return false;
  const n = Buffer.byteLength(passphrase);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: has_ctrl_char's set, on purpose
  return n >= WPA_PASSPHRASE_MIN && n <= WPA_PASSPHRASE_MAX && !/[\x00-\x1f\x7f]/.test(passphrase);
}

/**
 * The stored persistent groups in a `LIST_NETWORKS` reply (hostap `wpa_supplicant_ctrl_iface_list_networks`: a
 * header line, then `id \t ssid \t bssid \t flags` per network): the rows whose **flags** column holds
 * `[P2P-PERSISTENT]` and whose id is a decimal number. The SSID is printf-encoded there (`wpa_ssid_txt`) and comes
 * back decoded, as events' SSIDs do, so the two compare. Other rows, a truncated last row or garbage are skipped.
 */
export function parseListNetworks(reply: string): P2pPersistentGroup[] {
  const groups: P2pPersistentGroup[] = [];
  for (const line of reply.split('\n').slice(1)) {
    const cols = line.split('\t');
    if (cols.length !== 4 || !/^\d{1,9}$/.test(cols[0]!) || !cols[3]!.includes('[P2P-PERSISTENT]')) continue;
    groups.push({ networkId: Number(cols[0]), ssid: printfDecode(cols[1]!), bssid: cols[2]! });
  }
  return groups;
}

/** A P2P SSID for a chosen name: `DIRECT-` names are kept; others become `DIRECT-xy-<name>`, cut to 32 bytes. */
export function groupSsid(name: string): string {
  const s = name.startsWith(P2P_SSID_PREFIX)
    ? name
    : `${P2P_SSID_PREFIX}${randomPassphrase().slice(0, 2)}${name ? `-${name}` : ''}`;
  return truncateUtf8(s, SSID_MAX_BYTES);
}

function isIpv4(v: unknown): boolean {
  return typeof v === 'string' && isIPv4(v);
}

function randomPassphrase(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 8; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}
