import os from 'node:os';
import path from 'node:path';
import { ColinkError, ErrorCode } from '@colink/core';
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
 * | tcpGatekeeper | `COLINK_TCP_GATEKEEPER` | `off` (`on`: the TCP listener runs in transport-tcp's gatekeeper process, which takes strangers' connections off the device's event loop; `start()` then takes ~0.3 s more and the child ~59 MB) |
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
 * | netLinkLoss | `COLINK_NET_LINK_LOSS` | `off` (`on`: net-monitor watches this process's network namespace and a Link whose local address is gone is dropped at once) |
 * | peerGraceMs | `COLINK_PEER_GRACE_MS` | 10_000 (core's `DEFAULT_PEER_GRACE_MS`): how long sessions and linkEnhance connections wait for a Link to their peer after the last one was lost, ms |
 * | upgradeDialMs | `COLINK_UPGRADE_DIAL_MS` | 2_000 (`DEFAULT_UPGRADE_DIAL_MS`; 0 = off): while a worse medium carries a peer connection, a better one the directory knows is dialled at most this often, ms |
 * | warmUp | `COLINK_WARM_UP` | `on`: `start()` runs the connect path once in the background, on loopback only (`off` to skip) |
 */
export interface RuntimeConfig {
  readonly deviceName: string;
  readonly deviceType: string;
  readonly stateDir: string;
  readonly transports: readonly string[];
  readonly tcpHost: string | undefined;
  /** The TCP listener behind transport-tcp's gatekeeper process (`COLINK_TCP_GATEKEEPER=on`; default off). */
  readonly tcpGatekeeper: boolean;
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
   * Network change as immediate Link loss (`COLINK_NET_LINK_LOSS=on`): `start()` runs a `NetMonitor` on this
   * process's network namespace and `dropLinksOnNetworkLoss` (`@colink/net-monitor`), so a Link whose local address
   * was removed, or whose interface went down, is dropped at once and its sessions move to another medium (or re-dial)
   * instead of waiting for the keep-alive timeout (30 s). Off by default (it loads the rtnetlink addon).
   */
  readonly netLinkLoss: boolean;
  /**
   * How long a peer connection — and the abilityConnectionManager sessions and linkEnhance connections on it — waits
   * for a Link to the peer after the last one was lost, in ms (re-dialling meanwhile); after it they end with
   * `NETWORK_DISCONNECTED` / `disconnected` (32390300). `COLINK_PEER_GRACE_MS`; default: core's
   * `DEFAULT_PEER_GRACE_MS` (10 s).
   */
  readonly peerGraceMs?: number;
  /**
   * Make-before-break upgrade by itself: while a peer connection is carried by a medium of lower priority (BLE) than
   * one the directory knows an address of the peer for (TCP, Wi-Fi P2P), that medium is dialled — at most once per
   * `upgradeDialMs` per peer and medium — and the new Link takes the sessions over (core's
   * `LocalDeviceOptions.upgradeDialMs`). In ms; `COLINK_UPGRADE_DIAL_MS`; undefined means
   * {@link DEFAULT_UPGRADE_DIAL_MS}, 0 turns it off (the app dials better media itself).
   */
  readonly upgradeDialMs?: number;
  /**
   * Whether `DeviceRuntime.start()` runs the code of a connect once in the background (on unless
   * `COLINK_WARM_UP=off`): two throwaway devices on 127.0.0.1 open a Link and a session (with security: over TLS 1.3
   * with throwaway identities and a throwaway account key, trust exchange included), and the device's TLS upgrade
   * runs against itself over a loopback TCP pair. The first `connect()` after start then does not pay for the first
   * use of that code (tens of ms; see `warmUpConnectPath`).
   */
  readonly warmUp: boolean;
}

/**
 * How often a HarmonyOS device process tries a better medium while a worse one carries, ms: one dial attempt per
 * peer and medium per period (a dial costs a TCP + TLS handshake, a few ms on a LAN).
 */
export const DEFAULT_UPGRADE_DIAL_MS = 2_000;

/**
 * Reads the configuration from `env` (default `process.env`); the variables and defaults are in the table above.
 * @throws ColinkError `ERR_INVALID_ARGUMENT` when `COLINK_PEER_GRACE_MS` or `COLINK_UPGRADE_DIAL_MS` is not a whole
 *   number of ms.
 */
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
    tcpGatekeeper: ['on', '1', 'true'].includes((env.COLINK_TCP_GATEKEEPER ?? 'off').toLowerCase()),
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
    netLinkLoss: ['on', '1', 'true'].includes((env.COLINK_NET_LINK_LOSS ?? 'off').toLowerCase()),
    ...(env.COLINK_PEER_GRACE_MS
      ? { peerGraceMs: msFromEnv('COLINK_PEER_GRACE_MS', env.COLINK_PEER_GRACE_MS) }
      : {}),
    ...(env.COLINK_UPGRADE_DIAL_MS
      ? { upgradeDialMs: msFromEnv('COLINK_UPGRADE_DIAL_MS', env.COLINK_UPGRADE_DIAL_MS) }
      : {}),
    warmUp: !['off', '0', 'false'].includes((env.COLINK_WARM_UP ?? 'on').toLowerCase()),
  };
}

/**
 * An environment variable (`name`) holding a duration as a number of ms.
 * @throws ColinkError `ERR_INVALID_ARGUMENT` for anything but a non-negative integer.
 */
function msFromEnv(name: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `${name} must be a whole number of ms, got "${v}"`);
  return n;
}

/** `DISTRIBUTED_DATASYNC` → `ohos.permission.DISTRIBUTED_DATASYNC`. */
export function normalizePermission(p: string): string {
  const t = p.trim();
  return t.startsWith('ohos.permission.') ? t : `ohos.permission.${t}`;
}
