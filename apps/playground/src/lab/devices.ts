import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DeviceAdvert, type Link, LocalDevice, MemoryNetwork, type Transport } from '@colink/core';
import { createDeviceSecurity, type TlsSecurity, trackTrust } from '@colink/core/security';
import { BleTransport } from '@colink/transport-ble';
import { VirtualRadio, virtualTransportOptions } from '@colink/transport-ble/virtual';
import { TcpTransport } from '@colink/transport-tcp';
import { WifiP2pTransport } from '@colink/transport-wifi-p2p';
import { FakeP2pMedium, type FakeWpaSupplicant } from '@colink/transport-wifi-p2p/testing';
import type { LabJournal } from './journal.js';
import type { LabDevice, LabTrust } from './protocol.js';

/** The real device of `LabOptions.real`. */
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

/** The devices' mediums, or the one real device (the part of `LabOptions` that {@link LabDevices} takes). */
export interface LabDevicesOptions {
  /** mDNS port shared by the lab's devices (loopback mode). Default: random. */
  readonly mdnsPort?: number;
  /** Run the in-memory "air" medium beside TCP (shown as `memory`). Default true. */
  readonly memory?: boolean;
  /** Give every device a BLE adapter on one virtual LE radio (real noble/bleno host stacks). Default true. */
  readonly ble?: boolean;
  /** Give every device Wi-Fi Direct through a fake wpa_supplicant (loopback data path). Default true. */
  readonly p2p?: boolean;
  /**
   * One real device on this machine's adapters instead of virtual ones (`--real`; for a LAN, never in tests): TCP on
   * every interface with DNS-SD on the default mDNS group, BLE through HCI adapter 0 when `ble`, Wi-Fi Direct
   * through the wpa_supplicant control socket `wpaCtrl` when given. The virtual mediums are off.
   */
  readonly real?: RealDeviceOptions;
}

/** What the devices tell the rest of the lab (owned here; `Lab` wires it to its sessions, bindings and linkEnhance). */
export interface DeviceHooks {
  /** Device `id` was added with `security` (its identity, trust store and binding confirmations). */
  added(id: string, security: TlsSecurity): void;
  /** A LocalDevice of `id` is about to start (a fresh one after every restart). */
  starting(id: string, device: LocalDevice): void;
  /** Device `id` stopped (killed or removed). */
  stopped(id: string): void;
  /** A Link of device `id` opened (either end). */
  linkOpened(id: string, link: Link): void;
}

/** One device of the lab. */
export interface LabDeviceState {
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
  /** False while the "out of BLE range" fault is on (kept across restarts). */
  inBleRange: boolean;
}

/** The account every lab device is logged into (same-account trust). */
const LAB_ACCOUNT = 'colink-lab-account';
/** Link handshake limit: binding waits in the handshake while both users compare the 6-digit code. */
const HANDSHAKE_TIMEOUT_MS = 120_000;
/** A device name: 1–32 letters, digits, ".", "-" or "_" (it names the device's state directory). */
const DEVICE_NAME = /^[\w.-]{1,32}$/;

/**
 * The lab's devices and the mediums they share: each a colink {@link LocalDevice} with its own identity, running
 * transport-tcp on loopback with DNS-SD discovery, a BLE adapter on one virtual radio, Wi-Fi Direct through a fake
 * wpa_supplicant and an in-memory medium (each medium optional), and their Links.
 */
export class LabDevices {
  readonly mdnsPort: number;
  /** The lab's virtual LE radio, when it runs BLE. */
  readonly radio: VirtualRadio | undefined;
  private readonly devices = new Map<string, LabDeviceState>();
  /** Devices removed from the lab: peers may still hold their last BLE advert for a while; do not show them. */
  private readonly removed = new Set<string>();
  private readonly memory: MemoryNetwork | undefined;
  private readonly p2p: FakeP2pMedium | undefined;
  private readonly ctrlDir: string;
  /** State directories (identities, trust stores) of the lab's devices. */
  private readonly stateRoot: string;
  private readonly p2pPort: number;
  private nextMac = 1;

  constructor(
    private readonly options: LabDevicesOptions,
    private readonly journal: LabJournal,
    private readonly hooks: DeviceHooks,
  ) {
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

  /**
   * Adds and starts a device; resolves with its id (networkId). With `account: false` the device is a guest.
   * @throws Error when the name is taken or malformed, a second `--real` device is asked for, or a transport cannot
   * start.
   */
  async add(name: string, type: string, options: { account?: boolean } = {}): Promise<string> {
    if (!DEVICE_NAME.test(name)) throw new Error('a device name is 1–32 letters, digits, ".", "-" or "_"');
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
    this.hooks.added(networkId, security);
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
    this.devices.set(networkId, this.make(advert, bleMac, wpa, security, account, true));
    await this.start(networkId);
    return networkId;
  }

  /** Stops a device and removes it (its identity is forgotten). @throws Error for an unknown id. */
  async remove(id: string): Promise<void> {
    const d = this.get(id);
    await this.stop(id);
    await d.wpa?.shutdown();
    this.devices.delete(id);
    this.removed.add(id);
    this.journal.log('device', `${d.name} removed`);
    this.journal.changed();
  }

  /** Starts a stopped device (a fresh LocalDevice with the same identity). @throws Error for an unknown id. */
  async start(id: string): Promise<void> {
    let d = this.get(id);
    if (d.running) return;
    if (d.used) {
      d = this.make(d.advert, d.bleMac, d.wpa, d.security, d.account, d.inBleRange);
      this.devices.set(id, d);
    }
    d.used = true;
    const dev = d.device;
    const name = d.name;
    this.hooks.starting(id, dev);
    dev.directory.events$.subscribe((e) => {
      this.journal.log(
        'discovery',
        `${name} ${e.type} ${e.device.deviceName} via ${e.device.mediums.join(', ') || '—'}`,
        id,
      );
      this.journal.changed();
    });
    dev.linkOpened$.subscribe((link) => this.hooks.linkOpened(id, link));
    await dev.start();
    d.running = true;
    this.journal.log('device', `${name} started (tcp ${d.tcp.localAddress})`, id);
    this.journal.changed();
  }

  /** Stops a device as if killed (peers see it go); a stopped or unknown one is left as it is. */
  async stop(id: string): Promise<void> {
    const d = this.devices.get(id);
    if (!d?.running) return;
    d.running = false;
    await d.device.stop();
    this.hooks.stopped(id);
    this.journal.log('fault', `${d.name} stopped (killed)`, id);
    this.journal.changed();
  }

  /** Stops every device and the mediums; removes the state directories. */
  async close(): Promise<void> {
    await Promise.all([...this.devices.values()].map((d) => (d.running ? d.device.stop() : undefined)));
    this.radio?.close();
    await this.p2p?.close();
    fs.rmSync(this.ctrlDir, { recursive: true, force: true });
    fs.rmSync(this.stateRoot, { recursive: true, force: true });
  }

  /** The device `id`. @throws Error `no such device`. */
  get(id: string): LabDeviceState {
    const d = this.devices.get(id);
    if (!d) throw new Error('no such device');
    return d;
  }

  /** Whether the lab has device `id`. */
  has(id: string): boolean {
    return this.devices.has(id);
  }

  /** The running device `id`. @throws Error `that device is not running`. */
  running(id: string): LabDeviceState {
    const d = this.devices.get(id);
    if (!d?.running) throw new Error('that device is not running');
    return d;
  }

  /** How many devices the lab has. */
  get size(): number {
    return this.devices.size;
  }

  /** A device's name (or the start of its id when it is not in the lab). */
  name(id: string): string {
    return this.devices.get(id)?.name ?? id.slice(0, 8);
  }

  /** The id of the device whose BLE MAC is `mac` (any case), if any. */
  byMac(mac: string): string | undefined {
    return [...this.devices.entries()].find(([, d]) => d.bleMac === mac.toUpperCase())?.[0];
  }

  /** Every Link of every device, with the device that holds it (each Link twice: once per end). */
  links(): Array<{ owner: string; link: Link }> {
    return [...this.devices.entries()].flatMap(([owner, d]) =>
      d.device.links().map((link) => ({ owner, link })),
    );
  }

  /** The devices as the UI shows them. */
  state(): LabDevice[] {
    return [...this.devices.entries()].map(([id, d]) => ({
      id,
      name: d.name,
      type: d.type,
      running: d.running,
      account: d.account,
      bleMac: d.bleMac,
      inBleRange: d.inBleRange,
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
  }

  private make(
    advert: DeviceAdvert,
    bleMac: string,
    wpa: FakeWpaSupplicant | undefined,
    security: TlsSecurity,
    account: boolean,
    inBleRange: boolean,
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
      inBleRange,
    };
  }
}

/** How `security` trusts `peer`, given the directory's mark from the last handshake. */
function trustOf(security: TlsSecurity, peer: string, mark: string): LabTrust {
  if (security.isBound(peer)) return 'bound';
  return mark === 'trusted' ? 'account' : mark === 'untrusted' ? 'untrusted' : 'unknown';
}
