import os from 'node:os';
import path from 'node:path';
import type { SchedulerLike } from 'rxjs';
import { type BindConfirmPolicy, bindPolicyFromEnv } from './binding.js';

/**
 * How this process's device is set up. Every field has an environment variable; `configure()` overrides them.
 *
 * | field | env | default |
 * |---|---|---|
 * | deviceName | `COLINK_DEVICE_NAME` | the host name |
 * | deviceType | `COLINK_DEVICE_TYPE` | `pc` (phone, tablet, 2in1, pc, tv, car, wearable, …) |
 * | stateDir | `COLINK_STATE_DIR` | `~/.colink/<deviceName>` (identity, app files) |
 * | transports | `COLINK_TRANSPORTS` | `tcp` (comma list: tcp, ble, wifi-p2p, memory) |
 * | tcpHost | `COLINK_TCP_HOST` | `127.0.0.1` when mDNS is on loopback, else every address |
 * | mdnsInterface | `COLINK_MDNS_INTERFACE` | every non-loopback interface; `127.0.0.1` = loopback mode |
 * | mdnsPort | `COLINK_MDNS_PORT` | 5353 |
 * | bleRadio | `COLINK_BLE_RADIO` | the virtual radio to join (socket path) |
 * | bleAddress | `COLINK_BLE_ADDRESS` | this device's BLE MAC on that radio |
 * | account | `COLINK_ACCOUNT` | none (same-account trust group) |
 * | security | `COLINK_SECURITY` | `on`: every Link is mutually authenticated TLS 1.3; only same-account or bound peers get in (`off` to disable) |
 * | permissions | `COLINK_PERMISSIONS` | `all` (comma list of `ohos.permission.*` names, prefix optional) |
 * | appDir | `COLINK_APP_DIR` | the working directory (HarmonyOS project: AppScope/app.json5, <module>/src/main/module.json5) |
 * | systemApp | `COLINK_SYSTEM_APP` | `0` (1 = system app: system APIs do not throw 202) |
 * | memoryNetwork | `COLINK_MEMORY_NETWORK` | `default` (name of the in-process network for the `memory` transport) |
 * | preloadAbilities | `COLINK_PRELOAD_ABILITIES` | `on`: `start()` imports the abilities' modules in the background (`off`: on the first request) |
 * | warmUp | `COLINK_WARM_UP` | `on`: `start()` runs the connect path once in the background, on loopback only (`off` to skip) |
 */
export interface RuntimeConfig {
  readonly deviceName: string;
  readonly deviceType: string;
  readonly stateDir: string;
  readonly transports: readonly string[];
  readonly tcpHost: string | undefined;
  readonly mdnsInterface: string | undefined;
  readonly mdnsPort: number | undefined;
  readonly bleRadio: string | undefined;
  readonly bleAddress: string | undefined;
  readonly account: string | undefined;
  /** Mutually authenticated, encrypted Links with trust checks (on unless `COLINK_SECURITY=off`). */
  readonly security: boolean;
  /** Granted permissions, full names (`ohos.permission.X`), or `'all'`. */
  readonly permissions: readonly string[] | 'all';
  readonly appDir: string;
  readonly systemApp: boolean;
  readonly memoryNetwork: string;
  /** How bindings are confirmed (`COLINK_BIND_CONFIRM`, see {@link BindConfirmPolicy}). */
  readonly bindConfirm: BindConfirmPolicy;
  /**
   * Clock of the device's timers — its Links' keep-alive and handshake timeouts, session request timeouts, the
   * linkEnhance connect time limit (10 s), the DeviceManager discovery limit (2 min), a NetConnection's `timeout` (ms,
   * until netUnavailable; the one of the runtime current at `register`), the `@ohos.net.socket` connect timeouts (TCP
   * default 5000 ms, TLS, Local; the current runtime's) — as an rxjs scheduler. No
   * environment variable: tests pass core's `VirtualClock` (through `new DeviceRuntime({ scheduler })`) so those
   * timeouts run in virtual time. Default: real time (`asyncScheduler`).
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Whether `DeviceRuntime.start()` imports the abilities' `srcEntry` modules in the background (on unless
   * `COLINK_PRELOAD_ABILITIES=off`), taking module loading (hundreds of ms for a TypeScript entry) off the first
   * collaboration request. Abilities are still created (`onCreate`) only when a request arrives.
   */
  readonly preloadAbilities: boolean;
  /**
   * Whether `DeviceRuntime.start()` runs the code of a connect once in the background (on unless
   * `COLINK_WARM_UP=off`): two throwaway devices on 127.0.0.1 open a Link and a session, and the device's TLS upgrade
   * runs against itself over a loopback TCP pair. The first `connect()` after start then does not pay for the first
   * use of that code (tens of ms; see `warmUpConnectPath`).
   */
  readonly warmUp: boolean;
}

/** Reads the configuration from `env` (default `process.env`). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const deviceName = env.COLINK_DEVICE_NAME || os.hostname();
  const perms = (env.COLINK_PERMISSIONS ?? 'all').trim();
  const mdnsInterface = env.COLINK_MDNS_INTERFACE || undefined;
  return {
    deviceName,
    deviceType: env.COLINK_DEVICE_TYPE || 'pc',
    stateDir: env.COLINK_STATE_DIR || path.join(os.homedir(), '.colink', deviceName.replace(/[^\w.-]/g, '_')),
    transports: (env.COLINK_TRANSPORTS || 'tcp')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    tcpHost: env.COLINK_TCP_HOST || (mdnsInterface === '127.0.0.1' ? '127.0.0.1' : undefined),
    mdnsInterface,
    mdnsPort: env.COLINK_MDNS_PORT ? Number(env.COLINK_MDNS_PORT) : undefined,
    bleRadio: env.COLINK_BLE_RADIO || undefined,
    bleAddress: env.COLINK_BLE_ADDRESS || undefined,
    account: env.COLINK_ACCOUNT || undefined,
    security: (env.COLINK_SECURITY ?? 'on').toLowerCase() !== 'off',
    permissions: perms === 'all' ? 'all' : perms.split(',').map((p) => normalizePermission(p)),
    appDir: env.COLINK_APP_DIR || process.cwd(),
    systemApp: env.COLINK_SYSTEM_APP === '1',
    memoryNetwork: env.COLINK_MEMORY_NETWORK || 'default',
    bindConfirm: bindPolicyFromEnv(env),
    preloadAbilities: !['off', '0', 'false'].includes((env.COLINK_PRELOAD_ABILITIES ?? 'on').toLowerCase()),
    warmUp: !['off', '0', 'false'].includes((env.COLINK_WARM_UP ?? 'on').toLowerCase()),
  };
}

/** `DISTRIBUTED_DATASYNC` → `ohos.permission.DISTRIBUTED_DATASYNC`. */
export function normalizePermission(p: string): string {
  const t = p.trim();
  return t.startsWith('ohos.permission.') ? t : `ohos.permission.${t}`;
}
