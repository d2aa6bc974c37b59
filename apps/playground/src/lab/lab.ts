import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  closeReason,
  type DeviceAdvert,
  isColinkError,
  type Link,
  LocalDevice,
  MemoryNetwork,
  type Session,
  type SessionRequest,
  type Transport,
} from '@colink/core';
import {
  type BindingRequest,
  bindDevice,
  createDeviceSecurity,
  type TlsSecurity,
  trackTrust,
} from '@colink/core/security';
import { NetBearType, NetCap, NetMonitor, type Network } from '@colink/net-monitor';
import { BleTransport } from '@colink/transport-ble';
import { VirtualRadio, virtualTransportOptions } from '@colink/transport-ble/virtual';
import { TcpTransport } from '@colink/transport-tcp';
import { WifiP2pTransport } from '@colink/transport-wifi-p2p';
import { FakeP2pMedium, type FakeWpaSupplicant } from '@colink/transport-wifi-p2p/testing';
import { Subject } from 'rxjs';
import { LabLinkEnhance } from './link-enhance.js';
import type {
  Command,
  LabBindPrompt,
  LabDevice,
  LabEvent,
  LabLink,
  LabNetwork,
  LabPrompt,
  LabSession,
  LabState,
  LabTransfer,
  LabTrust,
} from './protocol.js';

/** Options of {@link Lab}. */
export interface LabOptions {
  /** mDNS port shared by the lab's devices (loopback mode). Default: random. */
  readonly mdnsPort?: number;
  /** Devices to start with. Default phone, tablet, laptop. */
  readonly devices?: ReadonlyArray<{ name: string; type: string }>;
  /** Run the in-memory "air" medium beside TCP (shown as `memory`). Default true. */
  readonly memory?: boolean;
  /** Give every device a BLE adapter on one virtual LE radio (real noble/bleno host stacks). Default true. */
  readonly ble?: boolean;
  /** Give every device Wi-Fi Direct through a fake wpa_supplicant (loopback data path). Default true. */
  readonly p2p?: boolean;
  /** Watch this machine's networks with net-monitor (read-only; no validation probes). Default true. */
  readonly networks?: boolean;
  /**
   * One real device on this machine's adapters instead of virtual ones (`--real`; for a LAN, never in tests): TCP on
   * every interface with DNS-SD on the default mDNS group, BLE through HCI adapter 0 when `ble`, Wi-Fi Direct
   * through the wpa_supplicant control socket `wpaCtrl` when given. The virtual mediums are off.
   */
  readonly real?: RealDeviceOptions;
}

/** The real device of {@link LabOptions.real}. */
export interface RealDeviceOptions {
  /** Persistent state directory (identity, trust store). */
  readonly stateDir: string;
  /** Account credential shared with the user's other devices (e.g. `COLINK_ACCOUNT`); without one, bind peers. */
  readonly account?: string;
  /** Use the HCI Bluetooth adapter 0 (noble/bleno). */
  readonly ble: boolean;
  /** wpa_supplicant P2P control socket (e.g. `/run/wpa_supplicant/p2p-dev-wlan0`). */
  readonly wpaCtrl?: string;
  /** The adapter's BLE MAC as peers see it (`COLINK_BLE_ADDRESS`), advertised for linkEnhance. */
  readonly bleAddress?: string;
}

interface LabDeviceState {
  readonly name: string;
  readonly type: string;
  /** Logged into the lab's account (false: a guest that must be bound). */
  readonly account: boolean;
  readonly advert: DeviceAdvert;
  /** BLE MAC on the lab's virtual radio. */
  readonly bleMac: string;
  /** This device's fake wpa_supplicant, when the lab runs Wi-Fi P2P. */
  readonly wpa: FakeWpaSupplicant | undefined;
  /** Identity, trust store and TLS 1.3 for every Link of this device. */
  readonly security: TlsSecurity;
  device: LocalDevice;
  tcp: TcpTransport;
  running: boolean;
  /** A LocalDevice starts once; restarting a stopped device builds a fresh one with the same identity. */
  used: boolean;
}

interface LabSessionState {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly service: string;
  /** Both ends, by device id. */
  readonly ends: Map<string, Session>;
  state: 'open' | 'closed';
  endReason?: string;
}

interface BindPromptState extends LabBindPrompt {
  /** Answers the TLS layer's confirmation callback. */
  readonly answer: (confirm: boolean) => void;
}

const APP = { bundleName: 'com.example.playground', moduleName: 'entry', abilityName: 'EntryAbility' };
/** The account every lab device is logged into (same-account trust). */
const LAB_ACCOUNT = 'colink-lab-account';
/** Link handshake limit: binding waits in the handshake while both users compare the 6-digit code. */
const HANDSHAKE_TIMEOUT_MS = 120_000;

export const DEFAULT_DEVICES = [
  { name: 'phone', type: 'phone' },
  { name: 'tablet', type: 'tablet' },
  { name: 'laptop', type: '2in1' },
];

/**
 * The virtual-device lab: devices on this machine, each a colink {@link LocalDevice} with its own identity, running
 * transport-tcp on loopback with DNS-SD discovery (and an in-memory medium beside it), sessions between them, fault
 * injection, and a stream of state and events for the web UI.
 */
export class Lab {
  readonly mdnsPort: number;
  /** Events as they happen. */
  readonly events$ = new Subject<LabEvent>();
  /** Emits whenever the state may have changed (the server throttles). */
  readonly changed$ = new Subject<void>();
  private readonly devices = new Map<string, LabDeviceState>();
  private readonly sessions = new Map<string, LabSessionState>();
  private readonly prompts = new Map<string, { device: string; request: SessionRequest }>();
  private readonly bindPrompts = new Map<string, BindPromptState>();
  private bindSeq = 0;
  private readonly linkEnhance = new LabLinkEnhance({
    log: (text, device) => this.log('linkenhance', text, device),
    changed: () => this.changed$.next(),
    deviceByMac: (mac) => [...this.devices.entries()].find(([, d]) => d.bleMac === mac.toUpperCase())?.[0],
    name: (id) => this.name(id),
  });
  private readonly transfers = new Map<string, LabTransfer>();
  private readonly throughput = new Map<string, { bytes: number; rate: number }>();
  private readonly memory: MemoryNetwork | undefined;
  private readonly radio: VirtualRadio | undefined;
  private readonly outOfRange = new Set<string>();
  /** Devices removed from the lab: peers may still hold their last BLE advert for a while; do not show them. */
  private readonly removed = new Set<string>();
  private readonly p2p: FakeP2pMedium | undefined;
  private monitor: NetMonitor | undefined;
  private readonly ctrlDir: string;
  /** State directories (identities, trust stores) of the lab's devices. */
  private readonly stateRoot: string;
  private readonly p2pPort: number;
  private nextMac = 1;
  private readonly history: LabEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private transferSeq = 0;
  private eventSeq = 0;

  constructor(private readonly options: LabOptions = {}) {
    if (options.real) options = { ...options, memory: false, ble: false, p2p: false };
    this.options = options;
    this.mdnsPort = options.mdnsPort ?? 20_000 + Math.floor(Math.random() * 30_000);
    this.memory =
      options.memory === false
        ? undefined
        : new MemoryNetwork({ model: { latencyMs: 3, bandwidthBytesPerSec: 20e6 } });
    this.ctrlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-lab-wpa-'));
    this.stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-lab-state-'));
    this.p2pPort = 20_000 + Math.floor(Math.random() * 30_000);
    this.p2p = options.p2p === false ? undefined : new FakeP2pMedium({ dataPath: 'loopback' });
    // LE 2M, data length 251, 15 ms connection interval; adverts every 100 ms so discovery is quick.
    this.radio =
      options.ble === false
        ? undefined
        : new VirtualRadio({
            model: { pacing: 'realtime', phy: '2M', maxDataLength: 251, intervalMs: 15 },
            advertisingIntervalMs: 100,
          });
  }

  /** Starts the initial devices and the statistics sampler. */
  async start(): Promise<void> {
    for (const d of this.options.devices ?? DEFAULT_DEVICES) await this.addDevice(d.name, d.type);
    if (this.options.networks !== false) {
      try {
        this.monitor = await NetMonitor.start();
        this.log(
          'network',
          `net-monitor watching ${this.monitor.networks.length} network(s) via ${this.monitor.source}`,
        );
        this.monitor.events$.subscribe((e) => {
          const net =
            'network' in e && e.network ? `${e.network.interfaceName} (netId ${e.network.netId})` : '';
          this.log('network', `${e.type} ${net}`.trim());
          this.changed$.next();
        });
      } catch (e) {
        this.log('error', `net-monitor unavailable: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  /** Stops every device (peers see app exit) and the sampler. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.monitor?.close();
    await Promise.all([...this.devices.values()].map((d) => (d.running ? d.device.stop() : undefined)));
    this.radio?.close();
    await this.p2p?.close();
    fs.rmSync(this.ctrlDir, { recursive: true, force: true });
    fs.rmSync(this.stateRoot, { recursive: true, force: true });
  }

  /** Recent events (up to 500), oldest first. */
  recentEvents(): readonly LabEvent[] {
    return this.history;
  }

  /**
   * Adds and starts a device; resolves with its id (networkId). With `account: false` the device is a guest: not on
   * the lab's account, so it and the lab's devices refuse each other's Links until they are bound ({@link bind}).
   * @throws Error when the name is taken or empty, or a transport cannot start.
   */
  async addDevice(name: string, type: string, options: { account?: boolean } = {}): Promise<string> {
    if (!/^[\w.-]{1,32}$/.test(name))
      throw new Error('a device name is 1–32 letters, digits, ".", "-" or "_"');
    if ([...this.devices.values()].some((d) => d.name === name))
      throw new Error(`a device named ${name} exists`);
    const account = options.account !== false;
    // Each device has its own key and certificate; the lab's devices share its account, so they trust each other
    // and every Link is mutually authenticated TLS 1.3.
    const real = this.options.real;
    if (real && this.devices.size > 0) throw new Error('--real runs one device: this machine');
    const security = await createDeviceSecurity(
      real
        ? { stateDir: real.stateDir, ...(real.account ? { account: real.account } : {}) }
        : { stateDir: path.join(this.stateRoot, name), ...(account ? { account: LAB_ACCOUNT } : {}) },
    );
    const networkId = security.networkId;
    this.removed.delete(networkId);
    security.onBindRequest = (req) => this.confirmBinding(networkId, req, false);
    security.trust$.subscribe((e) => {
      if (e.trust === 'untrusted')
        this.log(
          'trust',
          `${this.name(networkId)} refused ${this.name(e.networkId)}: ${e.reason}`,
          networkId,
        );
      else if (e.basis === 'new-binding')
        this.log('trust', `${this.name(networkId)} bound ${this.name(e.networkId)}`, networkId);
      this.changed$.next();
    });
    const n = this.nextMac++;
    const bleMac =
      real?.bleAddress?.toUpperCase() ?? `C0:11:4B:00:00:${n.toString(16).padStart(2, '0').toUpperCase()}`;
    const advert: DeviceAdvert = {
      networkId,
      deviceName: name,
      deviceType: type,
      services: ['playground'],
      // linkEnhance addresses devices by BLE MAC: the one on the virtual radio (or, without a radio, a stand-in).
      bleMac,
    };
    const wpa = this.p2p?.addDaemon({
      ctrlDir: this.ctrlDir,
      ifname: `wlan${n - 1}`,
      deviceName: name,
    });
    const state = this.makeDevice(advert, bleMac, wpa, security, account);
    this.devices.set(networkId, state);
    await this.startDevice(networkId);
    return networkId;
  }

  /** Stops a device and removes it from the lab (its identity is forgotten). */
  async removeDevice(id: string): Promise<void> {
    const d = this.devices.get(id);
    if (!d) throw new Error('no such device');
    await this.stopDevice(id);
    await d.wpa?.shutdown();
    this.devices.delete(id);
    this.removed.add(id);
    this.outOfRange.delete(id);
    this.log('device', `${d.name} removed`);
    this.changed$.next();
  }

  /**
   * `from` binds with `to` (HarmonyOS: bind target): both devices show the same 6-digit code derived from the TLS
   * handshake ({@link LabState.bindPrompts}); answer each with the `bind-answer` command. Resolves once both
   * confirmed and both trust stores hold the binding.
   * @throws Error with the reason when either side declines, the connection fails, or they are already connected.
   */
  async bind(from: string, to: string): Promise<void> {
    const d = this.devices.get(from);
    if (!d?.running) throw new Error('that device is not running');
    if (!this.devices.has(to)) throw new Error('no such device');
    this.log('trust', `${d.name} asks ${this.name(to)} to bind`, from);
    try {
      await bindDevice(d.device, d.security, to, (req) => this.confirmBinding(from, req, true));
      this.log('trust', `${d.name} and ${this.name(to)} are bound`, from);
    } catch (e) {
      const text = isColinkError(e) ? `${e.code}: ${e.message}` : String(e);
      this.log('trust', `binding ${d.name} with ${this.name(to)} failed: ${text}`, from);
      throw new Error(text);
    } finally {
      // Both attempts are over: the initiator's binding settled, so the responder's prompt is moot too.
      for (const [key, p] of this.bindPrompts) {
        if ((p.device === from && p.peer === to) || (p.device === to && p.peer === from))
          this.bindPrompts.delete(key);
      }
      this.changed$.next();
    }
  }

  /** `device` revokes its binding with `peer` and closes their Links: the next connect between them is refused. */
  async unbind(device: string, peer: string): Promise<void> {
    const d = this.devices.get(device);
    if (!d) throw new Error('no such device');
    if (!(await d.security.trustStore?.revoke(peer)))
      throw new Error(`${d.name} is not bound with ${this.name(peer)}`);
    for (const link of d.device.links(peer)) link.abort(closeReason('handshake-failed', 'binding revoked'));
    this.log('trust', `${d.name} revoked its binding with ${this.name(peer)}`, device);
    this.changed$.next();
  }

  /** Shows a binding code on `device` until the user answers or the connection fails. */
  private confirmBinding(device: string, req: BindingRequest, initiator: boolean): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const key = `b${++this.bindSeq}`;
      const onAbort = (): void => {
        this.bindPrompts.delete(key);
        this.log('trust', `${this.name(device)}: binding with ${this.name(req.networkId)} abandoned`, device);
        this.changed$.next();
        resolve(false);
      };
      if (req.signal.aborted) return onAbort();
      req.signal.addEventListener('abort', onAbort, { once: true });
      const answer = (confirm: boolean): void => {
        req.signal.removeEventListener('abort', onAbort);
        const p = this.bindPrompts.get(key);
        // A confirmed prompt stays ("waiting for the other device") until the attempt settles.
        if (confirm && p) this.bindPrompts.set(key, { ...p, confirmed: true });
        else this.bindPrompts.delete(key);
        this.log(
          'trust',
          `${this.name(device)} ${confirm ? 'confirmed' : 'declined'} code ${req.code}`,
          device,
        );
        this.changed$.next();
        resolve(confirm);
      };
      this.bindPrompts.set(key, {
        key,
        device,
        peer: req.networkId,
        code: req.code,
        initiator,
        confirmed: false,
        answer,
      });
      this.log(
        'trust',
        `${this.name(device)} shows binding code ${req.code} for ${this.name(req.networkId)}`,
        device,
      );
      this.changed$.next();
    });
  }

  /** Runs a UI command. Rejects with a readable message on failure. */
  async command(c: Command): Promise<void> {
    switch (c.t) {
      case 'request-session':
        return this.requestSession(c.from, c.to, c.service);
      case 'answer': {
        const p = this.prompts.get(c.key);
        if (!p) throw new Error('that request is no longer pending');
        this.prompts.delete(c.key);
        if (c.accept) {
          const s = await p.request.accept();
          this.attach(this.sessions.get(c.key)!, p.device, s);
          this.log(
            'session',
            `${this.name(p.device)} accepted the session from ${this.name(s.peer.networkId)}`,
            p.device,
          );
        } else {
          p.request.reject(c.reason || 'rejected in the playground');
          this.log(
            'session',
            `${this.name(p.device)} rejected: "${c.reason || 'rejected in the playground'}"`,
            p.device,
          );
        }
        this.changed$.next();
        return;
      }
      case 'send-message': {
        await this.end(c.key, c.device).sendMessage(c.text);
        this.log('message', `${this.name(c.device)} → "${c.text}"`, c.device);
        return;
      }
      case 'send-data': {
        const id = `t${++this.transferSeq}`;
        const bytes = Math.max(1, Math.min(c.bytes, 100 * 1024 * 1024));
        this.transfers.set(id, { id, session: c.key, from: c.device, bytes, done: false });
        this.changed$.next();
        const data = new Uint8Array(bytes);
        for (let i = 0; i < bytes; i += 4096) data[i] = i & 0xff;
        await this.end(c.key, c.device).sendData(data);
        this.log('data', `${this.name(c.device)} sent ${formatBytes(bytes)}`, c.device);
        return;
      }
      case 'close-session': {
        await this.end(c.key, c.device).close();
        return;
      }
      case 'open-link': {
        const d = this.devices.get(c.from);
        if (!d?.running) throw new Error('that device is not running');
        const link = await d.device.connect(c.to, { medium: c.medium });
        this.log('link', `${d.name} opened a ${link.medium} link to ${this.name(c.to)}`, c.from);
        return;
      }
      case 'drop-link': {
        const link = this.allLinks().find((l) => l.link.id === c.link);
        if (!link) throw new Error('no such link');
        this.log(
          'fault',
          `dropped link ${link.link.id} (${link.link.medium}) between ${this.name(link.owner)} and ${this.name(link.link.remote?.networkId ?? '')}`,
        );
        link.link.abort(closeReason('lost', 'dropped in the playground'));
        return;
      }
      case 'ble-range': {
        const d = this.devices.get(c.device);
        if (!d || !this.radio) throw new Error('no such device or no BLE radio in this lab');
        if (c.inRange) {
          this.outOfRange.delete(c.device);
          this.radio.loseAdvertisements(d.bleMac, 0);
          this.radio.refuseConnections(d.bleMac, false);
          this.log('fault', `${d.name} is back in BLE range`, c.device);
        } else {
          this.outOfRange.add(c.device);
          this.radio.loseAdvertisements(d.bleMac, 1);
          this.radio.refuseConnections(d.bleMac, true);
          const n = this.radio.dropLink(d.bleMac);
          this.log(
            'fault',
            `${d.name} moved out of BLE range (${n} BLE link${n === 1 ? '' : 's'} lost)`,
            c.device,
          );
        }
        this.changed$.next();
        return;
      }
      case 'stop-device':
        return this.stopDevice(c.device);
      case 'start-device':
        return this.startDevice(c.device);
      case 'add-device':
        await this.addDevice(c.name, c.type, c.account === false ? { account: false } : {});
        return;
      case 'remove-device':
        return this.removeDevice(c.device);
      case 'bind':
        return this.bind(c.from, c.to);
      case 'bind-answer': {
        const p = this.bindPrompts.get(c.key);
        if (!p || p.confirmed) throw new Error('that binding request is no longer pending');
        p.answer(c.confirm);
        return;
      }
      case 'unbind':
        return this.unbind(c.device, c.peer);
      case 'le-start-server': {
        const d = this.running(c.device);
        this.linkEnhance.startServer(c.device, d.device, d.bleMac, c.name);
        return;
      }
      case 'le-stop-server':
        return this.linkEnhance.stopServer(c.device, c.name);
      case 'le-connect': {
        const d = this.running(c.device);
        this.linkEnhance.connect(c.device, d.device, d.bleMac, c.mac, c.name);
        return;
      }
      case 'le-send':
        return this.linkEnhance.send(c.conn, c.text);
      case 'le-close':
        return this.linkEnhance.close(c.conn);
      default:
        throw new Error(`unknown command ${JSON.stringify((c as { t?: unknown }).t)}`);
    }
  }

  /** The current state snapshot. */
  state(): LabState {
    const devices: LabDevice[] = [...this.devices.entries()].map(([id, d]) => ({
      id,
      name: d.name,
      type: d.type,
      running: d.running,
      account: d.account,
      bleMac: d.bleMac,
      inBleRange: !this.outOfRange.has(id),
      mediums: d.device.transports.map((t) => t.medium),
      addresses: Object.fromEntries(
        d.device.transports.flatMap((t) => (t.localAddress ? [[t.medium, t.localAddress]] : [])),
      ),
      sees: d.running
        ? d.device.directory
            .list()
            .filter((e) => !this.removed.has(e.networkId))
            .map((e) => ({
              id: e.networkId,
              name: e.deviceName,
              mediums: e.mediums,
              trust: trustOf(d.security, e.networkId, e.trust),
            }))
        : [],
    }));
    // Each Link appears once per end; show it once (from the initiator's side).
    const links: LabLink[] = this.allLinks()
      .filter(({ link }) => link.role === 'initiator')
      .map(({ owner, link }) => ({
        id: link.id,
        from: owner,
        to: link.remote?.networkId ?? '',
        medium: link.medium,
        state: link.state,
        rttMs: link.stats().srttMs,
        throughput: this.throughput.get(link.id)?.rate ?? 0,
        channels: link.openChannels.length,
      }));
    const sessions: LabSession[] = [...this.sessions.values()].map((s) => ({
      key: s.key,
      from: s.from,
      to: s.to,
      service: s.service,
      state: s.state,
      ...(s.endReason ? { endReason: s.endReason } : {}),
    }));
    const prompts: LabPrompt[] = [...this.prompts.entries()].map(([key, p]) => ({
      key,
      device: p.device,
      from: p.request.peer.networkId,
      service: p.request.service,
    }));
    const def = this.monitor?.defaultNetwork?.netId;
    const networks: LabNetwork[] = (this.monitor?.networks ?? []).map((n: Network) => ({
      netId: n.netId,
      interfaceName: n.interfaceName,
      bearer: BEARER_NAMES.get(n.capabilities.bearerTypes[0] ?? -1) ?? 'unknown',
      isDefault: n.netId === def,
      virtual: n.virtual,
      addresses: n.properties.linkAddresses.map((a) => `${a.address.address}/${a.prefixLength}`),
      caps: n.capabilities.networkCap.map((c) =>
        (CAP_NAMES.get(c) ?? String(c)).replace('NET_CAPABILITY_', ''),
      ),
      mtu: n.properties.mtu,
    }));
    return {
      devices,
      links,
      sessions,
      prompts,
      bindPrompts: [...this.bindPrompts.values()].map(({ answer: _, ...p }) => p),
      transfers: [...this.transfers.values()].slice(-20),
      linkEnhance: this.linkEnhance.state(),
      networks,
      networkSource: this.monitor?.source,
    };
  }

  private makeDevice(
    advert: DeviceAdvert,
    bleMac: string,
    wpa: FakeWpaSupplicant | undefined,
    security: TlsSecurity,
    account: boolean,
  ): LabDeviceState {
    const real = this.options.real;
    // Real: every interface, DNS-SD on the default mDNS group. Lab: loopback only, mDNS on a private port.
    const tcp = new TcpTransport(
      real
        ? {}
        : { host: '127.0.0.1', discovery: { interface: '127.0.0.1', bind: '0.0.0.0', port: this.mdnsPort } },
    );
    const transports: Transport[] = [tcp];
    if (real?.ble) transports.push(new BleTransport({ sharedAdapter: true }));
    if (real?.wpaCtrl) transports.push(new WifiP2pTransport({ ctrlPath: real.wpaCtrl }));
    if (this.radio) transports.push(new BleTransport(virtualTransportOptions(this.radio, bleMac)));
    if (wpa && this.p2p) {
      transports.push(
        new WifiP2pTransport({ ctrlPath: wpa.ctrlPath, addressing: this.p2p.addressing, port: this.p2pPort }),
      );
    }
    // The in-memory "air" ranks below TCP (like a radio): sessions prefer TCP, links over it are opened on request.
    if (this.memory)
      transports.push(this.memory.createTransport({ address: `air-${advert.deviceName}`, priority: 20 }));
    const device = new LocalDevice({
      advert,
      transports,
      security,
      link: { keepAliveIntervalMs: 1000, idleTimeoutMs: 5000, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS },
    });
    trackTrust(device.directory, security);
    return {
      name: advert.deviceName,
      type: advert.deviceType,
      account,
      advert,
      bleMac,
      wpa,
      security,
      device,
      tcp,
      running: false,
      used: false,
    };
  }

  private async startDevice(id: string): Promise<void> {
    let d = this.devices.get(id);
    if (!d) throw new Error('no such device');
    if (d.running) return;
    if (d.used) {
      d = this.makeDevice(d.advert, d.bleMac, d.wpa, d.security, d.account);
      this.devices.set(id, d);
    }
    d.used = true;
    const dev = d.device;
    dev.sessions.requests$.subscribe((req) => this.onRequest(id, req));
    dev.directory.events$.subscribe((e) => {
      this.log(
        'discovery',
        `${d!.name} ${e.type} ${e.device.deviceName} via ${e.device.mediums.join(', ') || '—'}`,
        id,
      );
      this.changed$.next();
    });
    dev.linkOpened$.subscribe((link) => this.onLink(id, link));
    await dev.start();
    d.running = true;
    this.log('device', `${d.name} started (tcp ${d.tcp.localAddress})`, id);
    this.changed$.next();
  }

  private async stopDevice(id: string): Promise<void> {
    const d = this.devices.get(id);
    if (!d?.running) return;
    d.running = false;
    for (const [key, p] of this.prompts) if (p.device === id) this.prompts.delete(key);
    await d.device.stop();
    this.linkEnhance.deviceStopped(id);
    this.log('fault', `${d.name} stopped (killed)`, id);
    this.changed$.next();
  }

  private onLink(owner: string, link: Link): void {
    if (link.role === 'initiator') {
      this.log(
        'link',
        `${this.name(owner)} ⇄ ${this.name(link.remote?.networkId ?? '')} link ${link.id} open over ${link.medium}`,
        owner,
      );
    }
    this.changed$.next();
    void link.closed.then((r) => {
      if (link.role === 'initiator')
        this.log('link', `link ${link.id} closed: ${r.code}${r.message ? ` (${r.message})` : ''}`, owner);
      this.throughput.delete(link.id);
      this.changed$.next();
    });
  }

  private async requestSession(from: string, to: string, service: string): Promise<void> {
    const d = this.devices.get(from);
    if (!d?.running) throw new Error('that device is not running');
    this.log('session', `${this.name(from)} asks ${this.name(to)} for a "${service}" session`, from);
    try {
      const s = await d.device.sessions.request({
        peer: to,
        service,
        local: APP,
        remote: APP,
        timeoutMs: 60_000,
      });
      let st = this.sessions.get(s.key);
      if (!st) {
        st = { key: s.key, from, to, service, ends: new Map(), state: 'open' };
        this.sessions.set(s.key, st);
      }
      this.attach(st, from, s);
      this.log('session', `session open: ${this.name(from)} ⇄ ${this.name(to)} over ${s.via.medium}`, from);
    } catch (e) {
      const text = isColinkError(e) ? `${e.code}: ${e.message}` : String(e);
      this.log('session', `request from ${this.name(from)} failed: ${text}`, from);
      throw new Error(text);
    }
  }

  private onRequest(device: string, request: SessionRequest): void {
    this.prompts.set(request.key, { device, request });
    if (!this.sessions.has(request.key)) {
      this.sessions.set(request.key, {
        key: request.key,
        from: request.peer.networkId,
        to: device,
        service: request.service,
        ends: new Map(),
        state: 'open',
      });
    }
    this.log(
      'session',
      `${this.name(device)} is asked by ${request.peer.deviceName} to collaborate on "${request.service}"`,
      device,
    );
    this.changed$.next();
  }

  private attach(st: LabSessionState, device: string, s: Session): void {
    st.ends.set(device, s);
    s.messages$.subscribe((m) => this.log('message', `${this.name(device)} ← "${m}"`, device));
    s.data$.subscribe((d) => {
      for (const t of this.transfers.values()) {
        if (t.session === st.key && t.from !== device && !t.done && t.bytes === d.length) {
          this.transfers.set(t.id, { ...t, done: true });
          break;
        }
      }
      this.log('data', `${this.name(device)} received ${formatBytes(d.length)}`, device);
      this.changed$.next();
    });
    s.ended$.subscribe((why) => {
      st.ends.delete(device);
      if (why !== 'local' || st.ends.size === 0) {
        st.state = 'closed';
        st.endReason = why;
      }
      this.log('session', `${this.name(device)}: session ended (${why})`, device);
      this.changed$.next();
    });
    this.changed$.next();
  }

  private running(id: string): LabDeviceState {
    const d = this.devices.get(id);
    if (!d?.running) throw new Error('that device is not running');
    return d;
  }

  private end(key: string, device: string): Session {
    const s = this.sessions.get(key)?.ends.get(device);
    if (!s) throw new Error('that device has no open end of this session');
    return s;
  }

  private allLinks(): Array<{ owner: string; link: Link }> {
    return [...this.devices.entries()].flatMap(([owner, d]) =>
      d.device.links().map((link) => ({ owner, link })),
    );
  }

  private sample(): void {
    let changed = false;
    for (const { link } of this.allLinks()) {
      if (link.role !== 'initiator') continue;
      const s = link.stats();
      const total = s.bytesSent + s.bytesReceived;
      const prev = this.throughput.get(link.id);
      const rate = prev ? total - prev.bytes : 0;
      this.throughput.set(link.id, { bytes: total, rate });
      changed = true;
    }
    if (changed) this.changed$.next();
  }

  private name(id: string): string {
    return this.devices.get(id)?.name ?? id.slice(0, 8);
  }

  private log(kind: LabEvent['kind'], text: string, device?: string): void {
    const e: LabEvent = { seq: ++this.eventSeq, at: Date.now(), kind, text, ...(device ? { device } : {}) };
    this.history.push(e);
    if (this.history.length > 500) this.history.shift();
    this.events$.next(e);
  }
}

/** How `security` trusts `peer`, given the directory's mark from the last handshake. */
function trustOf(security: TlsSecurity, peer: string, mark: string): LabTrust {
  if (security.isBound(peer)) return 'bound';
  return mark === 'trusted' ? 'account' : mark === 'untrusted' ? 'untrusted' : 'unknown';
}

const BEARER_NAMES = new Map<number, string>(Object.entries(NetBearType).map(([k, v]) => [v, k]));
const CAP_NAMES = new Map<number, string>(Object.entries(NetCap).map(([k, v]) => [v, k]));

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
