import type { Subject } from 'rxjs';
import { LabBindings } from './bindings.js';
import { LabDevices, type LabDevicesOptions, type RealDeviceOptions } from './devices.js';
import { LabFaults } from './faults.js';
import { LabJournal } from './journal.js';
import { LabLinkEnhance } from './link-enhance.js';
import { LabLinks } from './links.js';
import { LabNetworks } from './networks.js';
import type { Command, LabEvent, LabState } from './protocol.js';
import { LabSessions } from './sessions.js';

export type { RealDeviceOptions };

/** Options of {@link Lab}: its devices and mediums ({@link LabDevicesOptions}), and net-monitor. */
export interface LabOptions extends LabDevicesOptions {
  /** Devices to start with. Default phone, tablet, laptop. */
  readonly devices?: ReadonlyArray<{ name: string; type: string }>;
  /** Watch this machine's networks with net-monitor (read-only; no validation probes). Default true. */
  readonly networks?: boolean;
}

/** The devices a lab starts with when `LabOptions.devices` is not given. */
export const DEFAULT_DEVICES = [
  { name: 'phone', type: 'phone' },
  { name: 'tablet', type: 'tablet' },
  { name: 'laptop', type: '2in1' },
];

/** How often the lab samples the throughput of every Link, ms (the UI shows bytes per second). */
const SAMPLE_INTERVAL_MS = 1000;

/**
 * The virtual-device lab: devices on this machine, each a colink `LocalDevice` with its own identity, running
 * transport-tcp on loopback with DNS-SD discovery (and BLE, Wi-Fi Direct and an in-memory medium beside it),
 * sessions between them, bindings, fault injection, linkEnhance, this machine's networks, and a stream of state and
 * events for the web UI.
 *
 * It composes its parts ({@link LabDevices}, {@link LabLinks}, {@link LabSessions}, {@link LabBindings},
 * {@link LabFaults}, {@link LabLinkEnhance}, {@link LabNetworks}), which share one {@link LabJournal}; {@link command} dispatches the
 * UI's commands to them and {@link state} gathers what they show.
 */
export class Lab {
  readonly mdnsPort: number;
  /** Events as they happen. */
  readonly events$: Subject<LabEvent>;
  /** Emits whenever the state may have changed (the server throttles). */
  readonly changed$: Subject<void>;
  private readonly journal = new LabJournal();
  private readonly devices: LabDevices;
  private readonly links: LabLinks;
  private readonly sessions: LabSessions;
  private readonly bindings: LabBindings;
  private readonly faults: LabFaults;
  private readonly linkEnhance: LabLinkEnhance;
  private readonly networks: LabNetworks;
  private readonly options: LabOptions;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LabOptions = {}) {
    this.options = options.real ? { ...options, memory: false, ble: false, p2p: false } : options;
    this.events$ = this.journal.events$;
    this.changed$ = this.journal.changed$;
    this.devices = new LabDevices(this.options, this.journal, {
      added: (id, security) => this.bindings.watch(id, security),
      starting: (id, device) => this.sessions.watch(id, device),
      stopped: (id) => {
        this.sessions.deviceStopped(id);
        this.linkEnhance.deviceStopped(id);
      },
      linkOpened: (id, link) => this.links.opened(id, link),
    });
    this.mdnsPort = this.devices.mdnsPort;
    this.links = new LabLinks(this.devices, this.journal);
    this.sessions = new LabSessions(this.devices, this.journal, (link) => this.faults.cut(link));
    this.bindings = new LabBindings(this.devices, this.journal);
    this.faults = new LabFaults(this.devices, this.journal);
    this.linkEnhance = new LabLinkEnhance({
      log: (text, device) => this.journal.log('linkenhance', text, device),
      changed: () => this.journal.changed(),
      deviceByMac: (mac) => this.devices.byMac(mac),
      name: (id) => this.devices.name(id),
    });
    this.networks = new LabNetworks(this.journal);
  }

  /** Starts the initial devices, net-monitor (unless `networks: false`) and the throughput sampler. */
  async start(): Promise<void> {
    for (const d of this.options.devices ?? DEFAULT_DEVICES) await this.addDevice(d.name, d.type);
    if (this.options.networks !== false) await this.networks.start();
    this.timer = setInterval(() => this.links.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops every device (peers see app exit), net-monitor and the sampler. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.networks.close();
    await this.devices.close();
  }

  /** Recent events (up to 500), oldest first. */
  recentEvents(): readonly LabEvent[] {
    return this.journal.recent();
  }

  /**
   * Adds and starts a device; resolves with its id (networkId). With `account: false` the device is a guest: not on
   * the lab's account, so it and the lab's devices refuse each other's Links until they are bound ({@link bind}).
   * @throws Error when the name is taken or empty, or a transport cannot start.
   */
  addDevice(name: string, type: string, options: { account?: boolean } = {}): Promise<string> {
    return this.devices.add(name, type, options);
  }

  /** Stops a device and removes it from the lab (its identity is forgotten). */
  removeDevice(id: string): Promise<void> {
    return this.devices.remove(id);
  }

  /**
   * `from` binds with `to` (HarmonyOS: bind target): both devices show the same 6-digit code derived from the TLS
   * handshake ({@link LabState.bindPrompts}); answer each with the `bind-answer` command. Resolves once both
   * confirmed and both trust stores hold the binding.
   * @throws Error with the reason when either side declines, the connection fails, or they are already connected.
   */
  bind(from: string, to: string): Promise<void> {
    return this.bindings.bind(from, to);
  }

  /** `device` revokes its binding with `peer` and closes their Links: the next connect between them is refused. */
  unbind(device: string, peer: string): Promise<void> {
    return this.bindings.unbind(device, peer);
  }

  /**
   * Runs a UI command. Rejects with a readable message on failure (an unknown command included: the server does not
   * check what it parses). Every member of {@link Command} is handled: a new one that is not fails to compile.
   */
  async command(c: Command): Promise<void> {
    switch (c.t) {
      case 'request-session':
        return this.sessions.request(c.from, c.to, c.service);
      case 'answer':
        return this.sessions.answer(c.key, c.accept, c.reason);
      case 'send-message':
        return this.sessions.sendMessage(c.key, c.device, c.text);
      case 'send-data':
        return this.sessions.sendData(c.key, c.device, c.bytes, c.cutCarrierAt);
      case 'cancel-transfer':
        return this.sessions.cancelTransfer(c.id, c.device);
      case 'cut-carrier':
        return this.sessions.cutCarrier(c.key);
      case 'close-session':
        return this.sessions.close(c.key, c.device);
      case 'open-link':
        return this.faults.openLink(c.from, c.to, c.medium);
      case 'drop-link':
        return this.faults.dropLink(c.link);
      case 'ble-range':
        return this.faults.bleRange(c.device, c.inRange);
      case 'stop-device':
        return this.faults.kill(c.device);
      case 'start-device':
        return this.faults.restart(c.device);
      case 'add-device':
        await this.addDevice(c.name, c.type, c.account === false ? { account: false } : {});
        return;
      case 'remove-device':
        return this.removeDevice(c.device);
      case 'bind':
        return this.bindings.bind(c.from, c.to);
      case 'bind-answer':
        return this.bindings.answer(c.key, c.confirm);
      case 'unbind':
        return this.bindings.unbind(c.device, c.peer);
      case 'le-start-server': {
        const d = this.devices.running(c.device);
        return this.linkEnhance.startServer(c.device, d.device, d.bleMac, c.name);
      }
      case 'le-stop-server':
        return this.linkEnhance.stopServer(c.device, c.name);
      case 'le-connect': {
        const d = this.devices.running(c.device);
        this.linkEnhance.connect(c.device, d.device, d.bleMac, c.mac, c.name);
        return;
      }
      case 'le-send':
        return this.linkEnhance.send(c.conn, c.text);
      case 'le-close':
        return this.linkEnhance.close(c.conn);
      default: {
        const unhandled: never = c;
        throw new Error(`unknown command ${JSON.stringify((unhandled as { t?: unknown }).t)}`);
      }
    }
  }

  /** The current state snapshot. */
  state(): LabState {
    const sessions = this.sessions.state();
    const carried = new Map<string, number>();
    for (const s of sessions.sessions)
      if (s.state === 'open' && s.carrier) carried.set(s.carrier, (carried.get(s.carrier) ?? 0) + 1);
    return {
      devices: this.devices.state(),
      links: this.links.state().map((l) => ({ ...l, sessions: carried.get(l.id) ?? 0 })),
      ...sessions,
      bindPrompts: this.bindings.state(),
      linkEnhance: this.linkEnhance.state(),
      ...this.networks.state(),
    };
  }
}
