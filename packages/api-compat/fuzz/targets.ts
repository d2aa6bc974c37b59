/**
 * Fuzz targets of @colink/api-compat: argument validation of every public function of abilityConnectionManager,
 * linkEnhance, connection, wifiManager and distributedDeviceManager (and the objects they return). Each input calls
 * one function with hostile arguments (wrong types, null, undefined, NaN, huge strings, bigints, functions, objects
 * with hostile keys), mixed with valid values per position so deeper checks are reached. The call must return, or
 * throw / reject with a HarmonyOS error code the module documents (401, 201, 202, 801 and the module's own codes),
 * never a `TypeError` or other crash. Runs on a memory-network runtime with `COLINK_SECURITY=off` and without the
 * INTERNET permission (so no DNS query can leave the host). Run by `test/decoders.property.test.ts`, replayed from
 * `test/corpus/` by `test/corpus.test.ts`, fuzzed by `pnpm fuzz`.
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  defineTarget,
  describeError,
  ensure,
  type FuzzTarget,
  hostileValue,
  PropertyViolation,
  UntypedError,
} from '../../../scripts/fuzz/kit.js';
import * as acm from '../src/abilityConnectionManager.js';
import * as connection from '../src/connection.js';
import * as ddm from '../src/distributedDeviceManager.js';
import * as linkEnhance from '../src/linkEnhance.js';
import { shutdownNetService } from '../src/net-connection/service.js';
import { DeviceRuntime, setRuntime } from '../src/runtime/runtime.js';
import * as wifiManager from '../src/wifiManager.js';

/** Codes every module may answer with (harmony-api.md §6.1). */
const UNIVERSAL = [201, 202, 401, 801];

/** One public function: how to call it, valid values per argument position, and how to undo a success. */
interface Entry {
  readonly name: string;
  readonly call: (args: unknown[]) => unknown;
  /** Valid values per position (the rest of the time a position gets a hostile value). */
  readonly valid?: readonly fc.Arbitrary<unknown>[];
  /** Undoes what a successful call created (a session, a server, a listener). */
  readonly cleanup?: (result: unknown, args: unknown[]) => void;
}

interface Module {
  readonly prefix: string;
  readonly codes: (code: number) => boolean;
  readonly entries: readonly Entry[];
  /** Extra environment of the runtime. */
  readonly env?: Record<string, string>;
}

const fn = fc.constant(() => undefined);

/** Methods of linkEnhance's Server called with hostile arguments (`start` would listen: not an argument check). */
const SERVER_METHODS = [
  'on',
  'off',
  'stop',
  'onConnectionAccepted',
  'offConnectionAccepted',
  'onServerStopped',
  'offServerStopped',
];
/** Methods of linkEnhance's Connection called with hostile arguments (`connect` would dial). */
const CONNECTION_METHODS = ['on', 'off', 'sendData', 'getPeerDeviceId', 'disconnect', 'close'];
/** Methods of @ohos.net.connection's NetConnection called with hostile arguments. */
const NET_CONNECTION_METHODS = ['on', 'register', 'unregister'];
/** Methods of DeviceManager called with hostile arguments. */
const MANAGER_METHODS = [
  'getAvailableDeviceListSync',
  'getAvailableDeviceList',
  'getLocalDeviceNetworkId',
  'getLocalDeviceName',
  'getLocalDeviceType',
  'getLocalDeviceId',
  'getDeviceName',
  'getDeviceType',
  'startDiscovering',
  'stopDiscovering',
  'on',
  'off',
  'bindTarget',
  'unbindTarget',
];
const NID = 'a'.repeat(64);
const ctx = { abilityInfo: { bundleName: 'com.example.collab', moduleName: 'entry', name: 'EntryAbility' } };
const peer = {
  deviceId: NID,
  bundleName: 'com.example.collab',
  moduleName: 'entry',
  abilityName: 'EntryAbility',
};
const quiet = (f: () => unknown) => {
  try {
    f();
  } catch {
    /* cleanup of a hostile call: its own errors are not under test */
  }
};

/** abilityConnectionManager (harmony-api.md §1): string codes on sync throws. */
const ACM: Module = {
  prefix: 'acm',
  codes: (c) => UNIVERSAL.includes(c),
  entries: [
    {
      name: 'createAbilityConnectionSession',
      call: (a) =>
        acm.createAbilityConnectionSession(...(a as Parameters<typeof acm.createAbilityConnectionSession>)),
      valid: [
        fc.constantFrom('collabTest', 'x'.repeat(256)),
        fc.constant(ctx),
        fc.constant(peer),
        fc.constant({}),
      ],
      cleanup: (id) => typeof id === 'number' && quiet(() => acm.destroyAbilityConnectionSession(id)),
    },
    {
      name: 'destroyAbilityConnectionSession',
      call: (a) => acm.destroyAbilityConnectionSession(a[0] as number),
    },
    { name: 'getPeerInfoById', call: (a) => acm.getPeerInfoById(a[0] as number) },
    { name: 'connect', call: (a) => acm.connect(a[0] as number) },
    { name: 'acceptConnect', call: (a) => acm.acceptConnect(a[0] as number, a[1] as string) },
    { name: 'reject', call: (a) => acm.reject(a[0] as string, a[1] as string) },
    { name: 'disconnect', call: (a) => acm.disconnect(a[0] as number) },
    { name: 'sendMessage', call: (a) => acm.sendMessage(a[0] as number, a[1] as string) },
    { name: 'sendData', call: (a) => acm.sendData(a[0] as number, a[1] as ArrayBuffer) },
    { name: 'sendImage', call: (a) => acm.sendImage(a[0] as number, a[1], a[2] as number) },
    { name: 'createStream', call: (a) => acm.createStream(a[0] as number, a[1] as never) },
    { name: 'setSurfaceId', call: (a) => acm.setSurfaceId(a[0] as number, a[1] as string, a[2] as never) },
    { name: 'getSurfaceId', call: (a) => acm.getSurfaceId(a[0] as number, a[1] as never) },
    { name: 'updateSurfaceParam', call: (a) => acm.updateSurfaceParam(a[0] as number, a[1] as never) },
    { name: 'destroyStream', call: (a) => acm.destroyStream(a[0] as number) },
    { name: 'startStream', call: (a) => acm.startStream(a[0] as number) },
    { name: 'stopStream', call: (a) => acm.stopStream(a[0] as number) },
    {
      name: 'on',
      call: (a) => acm.on(a[0] as 'connect', a[1] as number, a[2] as never),
      valid: [
        fc.constantFrom('connect', 'disconnect', 'receiveMessage', 'receiveData', 'collaborateEvent'),
        fc.integer(),
        fn,
      ],
      cleanup: (_r, a) => quiet(() => acm.off(a[0] as 'connect', a[1] as number)),
    },
    { name: 'off', call: (a) => acm.off(a[0] as 'connect', a[1] as number, a[2] as never) },
  ],
};

/** linkEnhance (harmony-api.md §2): numeric codes, 32390200-32390300. */
const LINK_ENHANCE: Module = {
  prefix: 'link-enhance',
  codes: (c) => UNIVERSAL.includes(c) || (c >= 32390200 && c <= 32390300),
  entries: [
    {
      name: 'createServer',
      call: (a) => linkEnhance.createServer(a[0] as string),
      valid: [fc.constantFrom('server', 'x'.repeat(255), 'x'.repeat(256))],
      cleanup: (s) => quiet(() => (s as { close(): void }).close()),
    },
    {
      name: 'createConnection',
      call: (a) => linkEnhance.createConnection(a[0] as string, a[1] as string),
      valid: [fc.constantFrom(NID, 'AA:BB:CC:DD:EE:FF', ''), fc.constantFrom('server', 'x'.repeat(256))],
      cleanup: (c) => quiet(() => (c as { close(): void }).close()),
    },
    {
      name: 'Server methods',
      call: (a) => {
        const s = linkEnhance.createServer('fuzz-server') as unknown as Record<
          string,
          (...x: unknown[]) => unknown
        >;
        try {
          const method = typeof a[0] === 'string' ? a[0] : '';
          if (SERVER_METHODS.includes(method)) return s[method]!(a[1], a[2]);
          return undefined;
        } finally {
          s.close!();
        }
      },
      valid: [fc.constantFrom(...SERVER_METHODS), fc.constantFrom('connectionAccepted', 'serverStopped'), fn],
    },
    {
      name: 'Connection methods',
      call: (a) => {
        const c = linkEnhance.createConnection(NID, 'fuzz') as unknown as Record<
          string,
          (...x: unknown[]) => unknown
        >;
        try {
          const method = typeof a[0] === 'string' ? a[0] : '';
          if (CONNECTION_METHODS.includes(method)) return c[method]!(a[1], a[2]);
          return undefined;
        } finally {
          c.close!();
        }
      },
      valid: [
        fc.constantFrom(...CONNECTION_METHODS),
        fc.constantFrom('connected', 'disconnected', 'dataReceived'),
        fn,
      ],
    },
  ],
};

/** @ohos.net.connection (harmony-api.md §3): plain `{ code, message }` objects, 2100001-2101xxx. */
const CONNECTION: Module = {
  prefix: 'connection',
  codes: (c) => UNIVERSAL.includes(c) || (c >= 2100001 && c <= 2101999),
  env: { COLINK_PERMISSIONS: 'ohos.permission.GET_NETWORK_INFO' },
  entries: [
    {
      name: 'createNetConnection',
      call: (a) => connection.createNetConnection(a[0] as never, a[1] as number),
      valid: [fc.constant({ netCapabilities: { bearerTypes: [3] } }), fc.integer({ min: 0, max: 1000 })],
    },
    {
      name: 'NetConnection methods',
      call: (a) => {
        const c = connection.createNetConnection() as unknown as Record<string, (...x: unknown[]) => unknown>;
        const method = typeof a[0] === 'string' ? a[0] : '';
        try {
          return NET_CONNECTION_METHODS.includes(method) ? c[method]!(a[1], a[2]) : undefined;
        } finally {
          quiet(() => c.unregister!(() => undefined));
        }
      },
      valid: [
        fc.constantFrom(...NET_CONNECTION_METHODS),
        fc.constantFrom('netAvailable', 'netLost', 'netUnavailable'),
        fn,
      ],
    },
    { name: 'getDefaultNet', call: (a) => connection.getDefaultNet(a[0] as never) },
    { name: 'getDefaultNetSync', call: () => connection.getDefaultNetSync() },
    { name: 'hasDefaultNet', call: (a) => connection.hasDefaultNet(a[0] as never) },
    { name: 'getAllNets', call: (a) => connection.getAllNets(a[0] as never) },
    { name: 'isDefaultNetMetered', call: (a) => connection.isDefaultNetMetered(a[0] as never) },
    { name: 'getNetCapabilities', call: (a) => connection.getNetCapabilities(a[0] as never, a[1] as never) },
    { name: 'getNetCapabilitiesSync', call: (a) => connection.getNetCapabilitiesSync(a[0] as never) },
    {
      name: 'getConnectionProperties',
      call: (a) => connection.getConnectionProperties(a[0] as never, a[1] as never),
    },
    {
      name: 'getConnectionPropertiesSync',
      call: (a) => connection.getConnectionPropertiesSync(a[0] as never),
    },
    { name: 'setNetExtAttribute', call: (a) => connection.setNetExtAttribute(a[0] as never, a[1] as string) },
    {
      name: 'setNetExtAttributeSync',
      call: (a) => connection.setNetExtAttributeSync(a[0] as never, a[1] as string),
    },
    { name: 'getNetExtAttribute', call: (a) => connection.getNetExtAttribute(a[0] as never) },
    { name: 'getNetExtAttributeSync', call: (a) => connection.getNetExtAttributeSync(a[0] as never) },
    { name: 'reportNetConnected', call: (a) => connection.reportNetConnected(a[0] as never, a[1] as never) },
    {
      name: 'reportNetDisconnected',
      call: (a) => connection.reportNetDisconnected(a[0] as never, a[1] as never),
    },
    // Without the INTERNET permission these end in 201 after their argument checks: no DNS query is sent.
    { name: 'getAddressesByName', call: (a) => connection.getAddressesByName(a[0] as string, a[1] as never) },
    {
      name: 'getAddressesByNameWithOptions',
      call: (a) => connection.getAddressesByNameWithOptions(a[0] as string, a[1] as never),
    },
    {
      name: 'addCustomDnsRule',
      call: (a) => connection.addCustomDnsRule(a[0] as string, a[1] as string[], a[2] as never),
    },
    {
      name: 'removeCustomDnsRule',
      call: (a) => connection.removeCustomDnsRule(a[0] as string, a[1] as never),
    },
    { name: 'getDnsAscii', call: (a) => connection.getDnsAscii(a[0] as string, a[1] as never) },
    { name: 'getDnsUnicode', call: (a) => connection.getDnsUnicode(a[0] as string, a[1] as never) },
    { name: 'getAppNet', call: (a) => connection.getAppNet(a[0] as never) },
    { name: 'getAppNetSync', call: () => connection.getAppNetSync() },
  ],
};

/** wifiManager P2P (harmony-api.md §4): 2801000/2801001, plain objects. */
const WIFI: Module = {
  prefix: 'wifi-manager',
  codes: (c) => UNIVERSAL.includes(c) || c === 2800000 || c === 2801000 || c === 2801001,
  entries: [
    {
      name: 'createGroup',
      call: (a) => wifiManager.createGroup(a[0] as never),
      valid: [
        fc.constant({
          deviceAddress: '02:00:00:00:01:00',
          netId: -1,
          passphrase: '',
          groupName: 'g',
          goBand: 0,
        }),
      ],
    },
    { name: 'removeGroup', call: () => wifiManager.removeGroup() },
    { name: 'getP2pPeerDevices', call: (a) => wifiManager.getP2pPeerDevices(a[0] as never) },
    { name: 'p2pConnect', call: (a) => wifiManager.p2pConnect(a[0] as never) },
    { name: 'getP2pLinkedInfo', call: (a) => wifiManager.getP2pLinkedInfo(a[0] as never) },
    { name: 'getCurrentGroup', call: (a) => wifiManager.getCurrentGroup(a[0] as never) },
    { name: 'getP2pLocalDevice', call: (a) => wifiManager.getP2pLocalDevice(a[0] as never) },
    { name: 'deletePersistentGroup', call: (a) => wifiManager.deletePersistentGroup(a[0] as number) },
    { name: 'getP2pGroups', call: (a) => wifiManager.getP2pGroups(a[0] as never) },
    { name: 'setDeviceName', call: (a) => wifiManager.setDeviceName(a[0] as string) },
    {
      name: 'on',
      call: (a) => wifiManager.on(a[0] as 'p2pStateChange', a[1] as never),
      valid: [
        fc.constantFrom('p2pStateChange', 'p2pConnectionChange', 'p2pDeviceChange', 'p2pPeerDeviceChange'),
        fn,
      ],
      cleanup: (_r, a) => quiet(() => wifiManager.off(a[0] as 'p2pStateChange')),
    },
    { name: 'off', call: (a) => wifiManager.off(a[0] as 'p2pStateChange', a[1] as never) },
  ],
};

let manager: ddm.DeviceManager | undefined;

/** distributedDeviceManager (harmony-api.md §5): 401, 11600101-11600104. */
const DDM: Module = {
  prefix: 'device-manager',
  codes: (c) => UNIVERSAL.includes(c) || (c >= 11600101 && c <= 11600107),
  entries: [
    {
      name: 'createDeviceManager',
      call: (a) => ddm.createDeviceManager(a[0] as string),
      valid: [fc.constantFrom('com.example.collab', '', 'x'.repeat(256))],
      cleanup: (m) => quiet(() => ddm.releaseDeviceManager(m as ddm.DeviceManager)),
    },
    { name: 'releaseDeviceManager', call: (a) => ddm.releaseDeviceManager(a[0] as never) },
    {
      name: 'DeviceManager methods',
      call: (a) => {
        const m = manager as unknown as Record<string, (...x: unknown[]) => unknown>;
        const method = typeof a[0] === 'string' ? a[0] : '';
        if (!MANAGER_METHODS.includes(method)) return undefined;
        const r = m[method]!(a[1], a[2], a[3]);
        if (method === 'on') quiet(() => m.off!(a[1]));
        if (method === 'startDiscovering') quiet(() => m.stopDiscovering!());
        if (method === 'bindTarget') quiet(() => m.unbindTarget!(a[1]));
        return r;
      },
      valid: [
        fc.constantFrom(...MANAGER_METHODS),
        fc.constantFrom(NID, 'discoverSuccess', 'deviceStateChange', { discoverTargetType: 1 }),
        fn,
      ],
    },
  ],
};

/** The code of a thrown or rejected BusinessError (`Error` or plain object, string or number code), or undefined. */
function codeOf(e: unknown): number | undefined {
  if (e === null || typeof e !== 'object' || !('code' in e)) return undefined;
  const c = Number((e as { code: unknown }).code);
  return Number.isInteger(c) ? c : undefined;
}

/** What the runtime of a module target left behind. */
interface State {
  runtime: DeviceRuntime | undefined;
  dir: string | undefined;
  late: string[];
}

function moduleTarget(m: Module): FuzzTarget {
  const state: State = { runtime: undefined, dir: undefined, late: [] };
  const allowed = (e: unknown): boolean => {
    const c = codeOf(e);
    return c !== undefined && m.codes(c) && typeof (e as { message?: unknown }).message === 'string';
  };
  const arbitrary = fc.integer({ min: 0, max: m.entries.length - 1 }).chain((i) => {
    const e = m.entries[i]!;
    const positions = Math.max(e.valid?.length ?? 0, 3);
    const arg = (p: number) => {
      const v = e.valid?.[p];
      return v ? fc.oneof(v, hostileValue()) : hostileValue();
    };
    return fc.record({
      fn: fc.constant(e.name),
      args: fc
        .tuple(...Array.from({ length: positions }, (_, p) => arg(p)))
        .chain((args) => fc.integer({ min: 0, max: args.length }).map((n) => args.slice(0, n))),
    });
  });
  return defineTarget({
    name: `api-compat.${m.prefix}-arguments`,
    description: `every public function of ${m.prefix} with hostile arguments: returns, or throws/rejects with a documented code (never a crash)`,
    arbitrary,
    async: true,
    testRuns: 300,
    async setup() {
      state.dir = fs.mkdtempSync(path.join(os.tmpdir(), `colink-fuzz-${m.prefix}-`));
      state.runtime = new DeviceRuntime(
        {},
        {
          COLINK_DEVICE_NAME: `fuzz-${m.prefix}`,
          COLINK_DEVICE_TYPE: 'phone',
          COLINK_STATE_DIR: state.dir,
          COLINK_TRANSPORTS: 'memory',
          COLINK_MEMORY_NETWORK: `fuzz-${m.prefix}-${process.pid}`,
          COLINK_APP_DIR: state.dir,
          COLINK_BUNDLE_NAME: 'com.example.collab',
          COLINK_SECURITY: 'off',
          ...m.env,
        },
      );
      setRuntime(state.runtime);
      if (m === DDM) manager = ddm.createDeviceManager('com.example.collab');
    },
    async teardown() {
      if (manager) quiet(() => ddm.releaseDeviceManager(manager!));
      manager = undefined;
      if (m === CONNECTION) await shutdownNetService();
      await state.runtime?.stop();
      setRuntime(undefined);
      if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
      const late = state.late.splice(0);
      if (late.length > 0)
        throw new PropertyViolation(`late rejections with undocumented errors: ${late.join('; ')}`);
    },
    async check({ fn: name, args }) {
      const late = state.late.splice(0);
      ensure(
        late.length === 0,
        () => `an earlier call rejected with an undocumented error: ${late.join('; ')}`,
      );
      const entry = m.entries.find((e) => e.name === name)!;
      let result: unknown;
      try {
        result = entry.call(args);
      } catch (e) {
        if (!allowed(e)) throw new UntypedError(`${name} threw ${describeError(e)}`, { cause: e });
        return;
      }
      if (result instanceof Promise) {
        const settled = await Promise.race([
          result.then(
            (v) => ({ ok: true as const, v }),
            (e: unknown) => ({ ok: false as const, e }),
          ),
          new Promise<undefined>((r) => setImmediate(() => r(undefined))),
        ]);
        if (settled === undefined) {
          // Still running (a dial, a scan): its outcome is checked when it comes.
          result.then(
            (v) => entry.cleanup?.(v, args),
            (e: unknown) => {
              if (!allowed(e)) state.late.push(`${name}: ${describeError(e)}`);
            },
          );
          return;
        }
        if (!settled.ok) {
          if (!allowed(settled.e))
            throw new UntypedError(`${name} rejected with ${describeError(settled.e)}`, { cause: settled.e });
          return;
        }
        result = settled.v;
      }
      entry.cleanup?.(result, args);
    },
  });
}

/** Targets of @colink/api-compat. */
export const targets: readonly FuzzTarget[] = [ACM, LINK_ENHANCE, CONNECTION, WIFI, DDM].map(moduleTarget);
