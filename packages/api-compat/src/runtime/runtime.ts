import { pathToFileURL } from 'node:url';
import {
  ColinkError,
  type DeviceAdvert,
  ErrorCode,
  LocalDevice,
  logger,
  MemoryNetwork,
  type SessionRequest,
  type Transport,
} from '@colink/core';
import {
  type ConfirmBinding,
  createDeviceSecurity,
  type TlsSecurity,
  trackTrust,
} from '@colink/core/security';
import { dropLinksOnNetworkLoss, NetMonitor } from '@colink/net-monitor';
import { BleTransport } from '@colink/transport-ble';
import { virtualTransportOptions } from '@colink/transport-ble/virtual';
import { TcpTransport } from '@colink/transport-tcp';
import { asyncScheduler, filter, firstValueFrom, type SchedulerLike, type Subscription, timeout } from 'rxjs';
import { CollaborateResult, LastExitReason, LaunchReason } from '../ability/constant.js';
import { UIAbilityContext } from '../ability/context.js';
import type { UIAbility } from '../ability/ui-ability.js';
import { type AbilityDecl, readAppDir } from './app-dir.js';
import { bindingConfirmation } from './binding.js';
import { configFromEnv, DEFAULT_UPGRADE_DIAL_MS, normalizePermission, type RuntimeConfig } from './config.js';
import { type DeviceIdentity, loadIdentity } from './identity.js';

import { type WarmUpResult, warmUpConnectPath } from './warm-up.js';

const log = logger('runtime');

/**
 * Handshake time of a secured Link, ms: covers two people comparing a binding code (TlsSecurity.bind suggests ≥ 60 s).
 * A peer that has not authenticated is held only for core's pre-authentication deadline (`PRE_AUTH_TIMEOUT_MS`, 5 s on
 * TCP): this time starts to matter once its identity is proven and a binding is being confirmed.
 */
const BINDING_HANDSHAKE_TIMEOUT_MS = 60_000;

/** A UIAbility class as an app module default-exports it. */
export type AbilityClass = new () => UIAbility;

/** Receives collaboration requests for the runtime (abilityConnectionManager installs one). */
export type CollaborationHandler = (request: SessionRequest, ability: UIAbility) => void;

interface Registered {
  readonly decl: Omit<AbilityDecl, 'srcEntry'> & { srcEntry?: string };
  cls?: AbilityClass;
  /** The import of `srcEntry` under way (started by {@link DeviceRuntime.start} or the first request). */
  loading?: Promise<AbilityClass>;
  instance?: UIAbility;
}

const memoryNetworks = new Map<string, MemoryNetwork>();

/**
 * The device this process is: identity, colink {@link LocalDevice} with the configured transports, granted
 * permissions, and the app's abilities (found in the app directory or registered in code). One per process by
 * default ({@link getRuntime}); tests may create more.
 */
export class DeviceRuntime {
  readonly config: RuntimeConfig;
  readonly identity: DeviceIdentity;
  readonly device: LocalDevice;
  /** The app's bundle name (AppScope/app.json5, else `COLINK_BUNDLE_NAME`, else `com.example.app`). */
  readonly bundleName: string;
  /**
   * This device's BLE MAC as HarmonyOS prints it (`AA:BB:CC:DD:EE:FF`): `COLINK_BLE_ADDRESS`, or — for devices without
   * a radio — a locally administered unicast address derived from the networkId, so linkEnhance can address them.
   */
  readonly bleMac: string;
  private readonly abilities = new Map<string, Registered>();
  private readonly collaborationHandlers = new Set<CollaborationHandler>();
  private startPromise: Promise<void> | undefined;
  /** net-monitor and its wiring when `config.netLinkLoss` is on. */
  private netLinkLoss: { monitor: NetMonitor; sub: Subscription } | undefined;
  private warmUpPromise: Promise<WarmUpResult> | undefined;

  /** The security layer (TLS 1.3 + trust), when `config.security` is on. */
  readonly security: TlsSecurity | undefined;

  /**
   * Answers bindings on this device — both those it starts (`DeviceManager.bindTarget`) and those a peer asks for:
   * the HarmonyOS PIN dialog. Defaults to the `COLINK_BIND_CONFIRM` policy ({@link BindConfirmPolicy}); replace it
   * to show the code in your own UI.
   */
  confirmBinding: ConfirmBinding = (request) =>
    bindingConfirmation(this.config.bindConfirm, (id) => {
      const d = this.device.directory.get(id);
      return d ? `"${d.deviceName}" (${id.slice(0, 12)}…)` : `${id.slice(0, 12)}…`;
    })(request);

  /**
   * @param security the prepared security layer; when `config.security` is on and none is given, the one
   *   {@link prepareRuntime} prepared for the state directory is used.
   * @throws ColinkError `ERR_NOT_STARTED` when security is on and none was prepared for the state directory.
   */
  constructor(
    config: Partial<RuntimeConfig> = {},
    env: NodeJS.ProcessEnv = process.env,
    security?: TlsSecurity,
  ) {
    this.config = { ...configFromEnv(env), ...config };
    const local = loadIdentity(this.config.stateDir);
    const sec = this.config.security ? (security ?? preparedSecurity.get(this.config.stateDir)) : undefined;
    if (this.config.security && !sec) {
      throw new ColinkError(
        ErrorCode.NOT_STARTED,
        'the device security (identity, trust store) is not prepared: run with `--import @colink/api-compat/register`, call `await prepareRuntime()` first, or set COLINK_SECURITY=off',
      );
    }
    this.security = sec;
    // With security on, the networkId is the one the device's key proves (SHA-256 of its public key).
    this.identity = sec ? { networkId: sec.networkId, udid: local.udid } : local;
    const app = readAppDir(this.config.appDir);
    this.bundleName = app?.bundleName ?? env.COLINK_BUNDLE_NAME ?? 'com.example.app';
    for (const a of app?.abilities ?? [])
      this.abilities.set(key(a.bundleName, a.moduleName, a.name), { decl: a });
    this.bleMac = (this.config.bleAddress ?? derivedBleMac(this.identity.networkId)).toUpperCase();
    const advert: DeviceAdvert = {
      networkId: this.identity.networkId,
      deviceName: this.config.deviceName,
      deviceType: this.config.deviceType,
      bleMac: this.bleMac,
    };
    this.device = new LocalDevice({
      // A binding waits inside the handshake while both users compare codes.
      ...(sec ? { security: sec, link: { handshakeTimeoutMs: BINDING_HANDSHAKE_TIMEOUT_MS } } : {}),
      advert,
      transports: this.config.transports.map((t) => this.makeTransport(t)),
      ...(this.config.scheduler ? { scheduler: this.config.scheduler } : {}),
      ...(this.config.peerGraceMs !== undefined ? { peerGraceMs: this.config.peerGraceMs } : {}),
      ...((this.config.upgradeDialMs ?? DEFAULT_UPGRADE_DIAL_MS) > 0
        ? { upgradeDialMs: this.config.upgradeDialMs ?? DEFAULT_UPGRADE_DIAL_MS }
        : {}),
    });
  }

  /** The clock of this device's timers ({@link RuntimeConfig.scheduler}; default real time). */
  get scheduler(): SchedulerLike {
    return this.config.scheduler ?? asyncScheduler;
  }

  /** Whether the device has been started. */
  get started(): boolean {
    return this.device.started;
  }

  /**
   * Starts the device (transports, discovery, the collaboration service). Idempotent; concurrent calls share one
   * start. Rejects when a transport cannot start, or (with `config.netLinkLoss`) when net-monitor cannot (the device is
   * stopped again then, and a later call tries anew). With `config.preloadAbilities` (the default) it also begins
   * importing the app's ability modules in the background ({@link DeviceRuntime.abilitiesLoaded}), so the first
   * collaboration request does not wait for module loading (only `onCreate` runs then, as on HarmonyOS). With
   * `config.warmUp` (the default) it then runs the connect path once in the background, on loopback only
   * ({@link DeviceRuntime.connectPathWarmed}).
   */
  start(): Promise<void> {
    this.startPromise ??= (async () => {
      if (this.config.preloadAbilities) void this.abilitiesLoaded();
      if (this.security) {
        trackTrust(this.device.directory, this.security);
        this.security.onBindRequest ??= (request) => this.confirmBinding(request);
      }
      this.device.sessions.requests$.subscribe((req) => void this.onRequest(req));
      await this.device.start();
      if (this.config.netLinkLoss) {
        try {
          const monitor = await NetMonitor.start();
          this.netLinkLoss = { monitor, sub: dropLinksOnNetworkLoss(monitor, this.device) };
        } catch (e) {
          // Half a start is no start: stop the device, and let a later start() try again.
          await this.device.stop().catch(() => undefined);
          this.startPromise = undefined;
          throw e;
        }
      }
      if (this.config.warmUp) this.warmUpPromise ??= warmUpConnectPath(this.security);
      log.debug('device %s (%s) started', this.config.deviceName, this.identity.networkId.slice(0, 12));
    })();
    return this.startPromise;
  }

  /**
   * Resolves once the connect path warm-up that {@link DeviceRuntime.start} began (`config.warmUp`) is over, with what
   * ran; with undefined when none was started. Never rejects.
   */
  connectPathWarmed(): Promise<WarmUpResult | undefined> {
    return this.warmUpPromise ?? Promise.resolve(undefined);
  }

  /** Stops the device; peers' sessions end with PEER_APP_EXIT. */
  async stop(): Promise<void> {
    if (!this.startPromise) return;
    await this.startPromise.catch(() => undefined);
    await this.warmUpPromise;
    this.startPromise = undefined;
    this.netLinkLoss?.sub.unsubscribe();
    await this.netLinkLoss?.monitor.close();
    this.netLinkLoss = undefined;
    await this.device.stop();
  }

  /** Resolves once `count` other devices are in the directory (default 1), or rejects after `timeoutMs`. */
  async waitForDevices(count = 1, timeoutMs = 10_000): Promise<void> {
    await this.start();
    await firstValueFrom(
      this.device.directory.devices$.pipe(
        filter((l) => l.length >= count),
        timeout({
          first: timeoutMs,
          with: () => Promise.reject(new Error(`fewer than ${count} devices found within ${timeoutMs} ms`)),
        }),
      ),
    );
  }

  /**
   * Imports the module (`srcEntry`) of every ability not loaded yet, without creating any ability: what
   * {@link DeviceRuntime.start} begins in the background. Resolves when every import has settled; a module that fails
   * to load is imported again by the first request for its ability, which is then rejected with the error.
   */
  async abilitiesLoaded(): Promise<void> {
    const pending = [...this.abilities.values()]
      .filter((r) => !r.cls && r.decl.srcEntry)
      .map((r) =>
        this.load(r).catch((e: unknown) => {
          log.debug('preloading %s failed: %s', r.decl.srcEntry, e instanceof Error ? e.message : e);
        }),
      );
    await Promise.all(pending);
  }

  /** Whether the app holds `permission` (`ohos.permission.` prefix optional). */
  hasPermission(permission: string): boolean {
    const p = this.config.permissions;
    return p === 'all' || p.includes(normalizePermission(permission));
  }

  /** Registers an ability in code (instead of, or besides, the app directory). */
  registerAbility(
    info: { bundleName?: string; moduleName: string; abilityName: string },
    cls: AbilityClass,
  ): void {
    const bundleName = info.bundleName ?? this.bundleName;
    this.abilities.set(key(bundleName, info.moduleName, info.abilityName), {
      decl: { bundleName, moduleName: info.moduleName, name: info.abilityName },
      cls,
    });
  }

  /** The abilities this runtime knows. */
  listAbilities(): ReadonlyArray<{ bundleName: string; moduleName: string; name: string }> {
    return [...this.abilities.values()].map((r) => ({
      bundleName: r.decl.bundleName,
      moduleName: r.decl.moduleName,
      name: r.decl.name,
    }));
  }

  /** @internal abilityConnectionManager receives requests through this. */
  onCollaboration(handler: CollaborationHandler): () => void {
    this.collaborationHandlers.add(handler);
    return () => this.collaborationHandlers.delete(handler);
  }

  /** A context for code that runs outside any ability (`getContext()`). */
  defaultContext(): UIAbilityContext {
    const first = [...this.abilities.values()][0]?.decl;
    return new UIAbilityContext(
      {
        bundleName: this.bundleName,
        moduleName: first?.moduleName ?? 'entry',
        name: first?.name ?? 'EntryAbility',
      },
      this.config.stateDir,
    );
  }

  /**
   * A collaboration request arrived: "start" the target ability (import its srcEntry, instantiate, onCreate once)
   * and hand it to the collaboration handler, which calls onCollaborate. No such ability, or one without
   * onCollaborate, rejects the request with `no-handler` (PEER_ABILITY_NO_ONCOLLABORATE on the requester).
   */
  private async onRequest(req: SessionRequest): Promise<void> {
    const reg = this.abilities.get(key(req.to.bundleName, req.to.moduleName, req.to.abilityName));
    if (!reg) {
      req.reject(
        `no ability ${req.to.bundleName}/${req.to.moduleName}/${req.to.abilityName} on this device`,
        'no-handler',
      );
      return;
    }
    let ability: UIAbility;
    try {
      ability = await this.instantiate(reg);
    } catch (e) {
      req.reject(`ability failed to start: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return;
    }
    if (typeof ability.onCollaborate !== 'function' || this.collaborationHandlers.size === 0) {
      req.reject('the ability does not implement onCollaborate', 'no-handler');
      return;
    }
    for (const h of this.collaborationHandlers) h(req, ability);
  }

  /** The ability's class: imported from `srcEntry` once (concurrent callers share the import; a failed one is retried). */
  private load(reg: Registered): Promise<AbilityClass> {
    if (reg.cls) return Promise.resolve(reg.cls);
    reg.loading ??= (async () => {
      const entry = reg.decl.srcEntry;
      if (!entry) throw new Error('ability has neither a class nor a srcEntry');
      const mod = (await import(pathToFileURL(entry).href)) as { default?: AbilityClass };
      if (typeof mod.default !== 'function') throw new Error(`${entry} has no default-exported UIAbility`);
      reg.cls = mod.default;
      return mod.default;
    })().catch((e: unknown) => {
      reg.loading = undefined;
      throw e;
    });
    return reg.loading;
  }

  private async instantiate(reg: Registered): Promise<UIAbility> {
    if (reg.instance) return reg.instance;
    const cls = await this.load(reg);
    // Two requests may have waited for the same import: the first creates the ability.
    if (reg.instance) return reg.instance;
    const ability = new cls();
    const info = { bundleName: reg.decl.bundleName, moduleName: reg.decl.moduleName, name: reg.decl.name };
    ability.context = new UIAbilityContext(info, this.config.stateDir);
    const want = {
      bundleName: info.bundleName,
      moduleName: info.moduleName,
      abilityName: info.name,
      deviceId: this.identity.networkId,
    };
    ability.launchWant = want;
    ability.lastRequestWant = want;
    reg.instance = ability;
    ability.onCreate(want, {
      launchReason: LaunchReason.START_ABILITY,
      lastExitReason: LastExitReason.NORMAL,
      lastExitMessage: '',
    });
    return ability;
  }

  private makeTransport(name: string): Transport {
    switch (name) {
      case 'memory': {
        let net = memoryNetworks.get(this.config.memoryNetwork);
        if (!net) {
          net = new MemoryNetwork();
          memoryNetworks.set(this.config.memoryNetwork, net);
        }
        return net.createTransport();
      }
      case 'tcp':
        return createTcp(this.config);
      case 'ble':
        // COLINK_BLE_RADIO names a virtual radio broker (unix socket); without it, the real adapter hci0.
        return new BleTransport(
          this.config.bleRadio ? virtualTransportOptions(this.config.bleRadio, this.bleMac) : {},
        );
      default:
        throw new Error(
          `COLINK_TRANSPORTS: transport "${name}" is not available in this build (available: tcp, ble, memory)`,
        );
    }
  }
}

function createTcp(c: RuntimeConfig): Transport {
  const loopback = c.mdnsInterface === '127.0.0.1';
  return new TcpTransport({
    ...(c.tcpHost ? { host: c.tcpHost } : {}),
    ...(c.tcpGatekeeper ? { gatekeeper: true } : {}),
    discovery: {
      ...(c.mdnsInterface ? { interface: c.mdnsInterface } : {}),
      ...(loopback || c.mdnsInterface ? { bind: '0.0.0.0' } : {}),
      ...(c.mdnsPort ? { port: c.mdnsPort } : {}),
    },
  });
}

/** A locally administered (bit 1 of the first octet set), unicast (bit 0 clear) MAC from the networkId's first 6 bytes. */
function derivedBleMac(networkId: string): string {
  const b = Buffer.from(networkId.slice(0, 12), 'hex');
  b[0] = (b[0]! | 0x02) & 0xfe;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function key(bundle: string, module: string, ability: string): string {
  return `${bundle}/${module}/${ability}`;
}

let current: DeviceRuntime | undefined;
/** Security layers prepared by {@link prepareRuntime}, by state directory. */
const preparedSecurity = new Map<string, TlsSecurity>();
let pendingConfig: Partial<RuntimeConfig> = {};

/**
 * Sets this process's device configuration before first use (later calls after the runtime exists throw).
 * Fields as {@link RuntimeConfig}; unset fields come from the environment.
 */
export function configure(config: Partial<RuntimeConfig>): void {
  if (current) throw new Error('configure() must be called before the device runtime is first used');
  pendingConfig = { ...pendingConfig, ...config };
}

/**
 * Prepares what the device runtime cannot make synchronously: with security on (the default), the device's
 * identity (key pair and certificate, created on first use in the state directory) and trust store, and the
 * account key (`COLINK_ACCOUNT`). `@colink/api-compat/register` and `colink-device` await it; code that uses the
 * runtime without them awaits it once before the first API call. Idempotent per state directory.
 */
export async function prepareRuntime(config: Partial<RuntimeConfig> = {}): Promise<void> {
  if (Object.keys(config).length > 0) configure(config);
  const cfg = { ...configFromEnv(), ...pendingConfig };
  if (!cfg.security || preparedSecurity.has(cfg.stateDir)) return;
  preparedSecurity.set(
    cfg.stateDir,
    await createDeviceSecurity({ stateDir: cfg.stateDir, ...(cfg.account ? { account: cfg.account } : {}) }),
  );
}

/** This process's device runtime, created on first use from {@link configure} and the environment. */
export function getRuntime(): DeviceRuntime {
  current ??= new DeviceRuntime(pendingConfig);
  return current;
}

/** Replaces the process's runtime (tests that run several devices in one process switch between them). */
export function setRuntime(rt: DeviceRuntime | undefined): void {
  current = rt;
}

export { CollaborateResult };
