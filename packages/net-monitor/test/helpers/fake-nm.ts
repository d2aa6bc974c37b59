/**
 * A private D-Bus daemon and a fake NetworkManager on it: the root object (GetDevices, Devices, DeviceAdded /
 * DeviceRemoved) and, per device, `Device` (Interface, IpInterface, DeviceType, Metered, Ip4Config, Ip6Config) and
 * an `IP4Config` (NameserverData, Searches, Domains). Built with `Interface.configureMembers`, working around the
 * fork's instance fields that shadow the configured members (linux-net.md "two traps").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as dbus from '@jellybrick/dbus-next';

const { Interface } = dbus.interface;
type Bus = ReturnType<typeof dbus.sessionBus>;

/** Copies the members configureMembers put on the prototype over the constructor's `undefined` instance fields. */
function restoreMembers(self: InstanceType<typeof Interface>): void {
  const proto = Object.getPrototypeOf(self) as InstanceType<typeof Interface>;
  self.$properties = proto.$properties;
  self.$methods = proto.$methods;
  self.$signals = proto.$signals;
}

class FakeNetworkManager extends Interface {
  Devices: string[] = [];
  constructor() {
    super('org.freedesktop.NetworkManager');
    restoreMembers(this);
  }
  GetDevices(): string[] {
    return this.Devices;
  }
  DeviceAdded(path: string): string {
    return path;
  }
  DeviceRemoved(path: string): string {
    return path;
  }
}
FakeNetworkManager.configureMembers({
  properties: { Devices: { signature: 'ao', access: 'read' } },
  methods: { GetDevices: { inSignature: '', outSignature: 'ao' } },
  signals: { DeviceAdded: { signature: 'o' }, DeviceRemoved: { signature: 'o' } },
});

class FakeDevice extends Interface {
  Interface: string;
  IpInterface: string;
  DeviceType = 1; // ethernet
  Metered: number;
  Ip4Config: string;
  Ip6Config = '/';
  constructor(name: string, metered: number, ip4Config: string) {
    super('org.freedesktop.NetworkManager.Device');
    restoreMembers(this);
    this.Interface = name;
    this.IpInterface = name;
    this.Metered = metered;
    this.Ip4Config = ip4Config;
  }
}
FakeDevice.configureMembers({
  properties: {
    Interface: { signature: 's', access: 'read' },
    IpInterface: { signature: 's', access: 'read' },
    DeviceType: { signature: 'u', access: 'read' },
    Metered: { signature: 'u', access: 'read' },
    Ip4Config: { signature: 'o', access: 'read' },
    Ip6Config: { signature: 'o', access: 'read' },
  },
});

class FakeIp4Config extends Interface {
  NameserverData: Record<string, dbus.Variant>[];
  Searches: string[];
  Domains: string[] = [];
  constructor(servers: string[], searches: string[]) {
    super('org.freedesktop.NetworkManager.IP4Config');
    restoreMembers(this);
    this.NameserverData = servers.map((address) => ({ address: new dbus.Variant('s', address) }));
    this.Searches = searches;
  }
}
FakeIp4Config.configureMembers({
  properties: {
    NameserverData: { signature: 'aa{sv}', access: 'read' },
    Searches: { signature: 'as', access: 'read' },
    Domains: { signature: 'as', access: 'read' },
  },
});

/** A running private bus with a fake NetworkManager. */
export class FakeNm {
  readonly address: string;
  readonly #daemon: ChildProcess;
  readonly #bus: Bus;
  readonly #socket: string;
  readonly #root = new FakeNetworkManager();
  readonly #devices = new Map<string, FakeDevice>();

  private constructor(address: string, daemon: ChildProcess, bus: Bus, socket: string) {
    this.address = address;
    this.#daemon = daemon;
    this.#bus = bus;
    this.#socket = socket;
  }

  /** Starts `dbus-daemon --session` on a socket of its own; `withNm: false` leaves NetworkManager off the bus. */
  static async start(tag: string, withNm = true): Promise<FakeNm> {
    const socket = `/tmp/clnm${process.pid}${tag}.bus`;
    const daemon = spawn(
      'dbus-daemon',
      ['--session', '--nofork', '--print-address=1', `--address=unix:path=${socket}`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const address = await new Promise<string>((resolve, reject) => {
      daemon.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code})`)));
    });
    const bus = dbus.sessionBus({ busAddress: address });
    const nm = new FakeNm(address, daemon, bus, socket);
    if (withNm) {
      await bus.requestName('org.freedesktop.NetworkManager', 0);
      bus.export('/org/freedesktop/NetworkManager', nm.#root);
    }
    return nm;
  }

  /** Adds device `n` for interface `name` with `Metered` and IPv4 DNS `servers` / `searches`. */
  addDevice(n: number, name: string, metered: number, servers: string[], searches: string[]): void {
    const path = `/org/freedesktop/NetworkManager/Devices/${n}`;
    const configPath = `/org/freedesktop/NetworkManager/IP4Config/${n}`;
    this.#bus.export(configPath, new FakeIp4Config(servers, searches));
    const device = new FakeDevice(name, metered, configPath);
    this.#bus.export(path, device);
    this.#devices.set(path, device);
    this.#root.Devices = [...this.#devices.keys()];
    this.#root.DeviceAdded(path);
  }

  /** Changes `Metered` of device `n` and emits PropertiesChanged. */
  setMetered(n: number, metered: number): void {
    const device = this.#devices.get(`/org/freedesktop/NetworkManager/Devices/${n}`)!;
    device.Metered = metered;
    Interface.emitPropertiesChanged(device, { Metered: metered }, []);
  }

  stop(): void {
    this.#bus.disconnect();
    this.#daemon.kill();
    rmSync(this.#socket, { force: true });
  }
}
