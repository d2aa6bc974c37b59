import { describe, expect, it } from 'vitest';
import * as AbilityConstant from '../src/ability/constant.js';
import * as acm from '../src/abilityConnectionManager.js';
import * as connection from '../src/connection.js';
import * as ddm from '../src/distributedDeviceManager.js';
import * as hilog from '../src/hilog.js';
import * as wifiManager from '../src/wifiManager.js';

/** The SDK's members and values (interface_sdk-js commit 2c550ecc4c; harmony-api.md §1.4, §3.3, §4.4, §5). */
const SDK: Array<[string, object, Record<string, number | string>]> = [
  [
    'abilityConnectionManager.ConnectErrorCode',
    acm.ConnectErrorCode,
    {
      CONNECTED_SESSION_EXISTS: 0,
      PEER_APP_REJECTED: 1,
      LOCAL_WIFI_NOT_OPEN: 2,
      PEER_WIFI_NOT_OPEN: 3,
      PEER_ABILITY_NO_ONCOLLABORATE: 4,
      SYSTEM_INTERNAL_ERROR: 5,
    },
  ],
  [
    'abilityConnectionManager.DisconnectReason',
    acm.DisconnectReason,
    { PEER_APP_CLOSE_COLLABORATION: 0, PEER_APP_EXIT: 1, NETWORK_DISCONNECTED: 2 },
  ],
  ['abilityConnectionManager.VideoPixelFormat', acm.VideoPixelFormat, { UNKNOWN: -1, NV12: 0, NV21: 1 }],
  [
    'abilityConnectionManager.CollaborationKeys',
    acm.CollaborationKeys,
    {
      PEER_INFO: 'ohos.collaboration.key.peerInfo',
      CONNECT_OPTIONS: 'ohos.collaboration.key.connectOptions',
      COLLABORATE_TYPE: 'ohos.collaboration.key.abilityCollaborateType',
    },
  ],
  [
    'AbilityConstant.LastExitReason',
    AbilityConstant.LastExitReason,
    {
      UNKNOWN: 0,
      ABILITY_NOT_RESPONDING: 1,
      NORMAL: 2,
      CPP_CRASH: 3,
      JS_ERROR: 4,
      APP_FREEZE: 5,
      PERFORMANCE_CONTROL: 6,
      RESOURCE_CONTROL: 7,
      UPGRADE: 8,
      USER_REQUEST: 9,
      SIGNAL: 10,
    },
  ],
  [
    'AbilityConstant.LaunchReason',
    AbilityConstant.LaunchReason,
    {
      UNKNOWN: 0,
      START_ABILITY: 1,
      CALL: 2,
      CONTINUATION: 3,
      APP_RECOVERY: 4,
      SHARE: 5,
      AUTO_STARTUP: 8,
      INSIGHT_INTENT: 9,
      PREPARE_CONTINUATION: 10,
      PRELOAD: 11,
    },
  ],
  [
    'AbilityConstant.WindowMode',
    AbilityConstant.WindowMode,
    {
      WINDOW_MODE_UNDEFINED: 0,
      WINDOW_MODE_FULLSCREEN: 1,
      WINDOW_MODE_SPLIT_PRIMARY: 100,
      WINDOW_MODE_SPLIT_SECONDARY: 101,
      WINDOW_MODE_FLOATING: 102,
      WINDOW_MODE_SPLIT: 105,
    },
  ],
  [
    'AbilityConstant.PrepareTermination',
    AbilityConstant.PrepareTermination,
    { TERMINATE_IMMEDIATELY: 0, CANCEL: 1 },
  ],
  [
    'connection.NetCap',
    connection.NetCap,
    {
      NET_CAPABILITY_MMS: 0,
      NET_CAPABILITY_NOT_METERED: 11,
      NET_CAPABILITY_INTERNET: 12,
      NET_CAPABILITY_NOT_VPN: 15,
      NET_CAPABILITY_VALIDATED: 16,
      NET_CAPABILITY_PORTAL: 17,
      NET_CAPABILITY_CHECKING_CONNECTIVITY: 31,
    },
  ],
  ['connection.ProtocolType', connection.ProtocolType, { PROTO_TYPE_TCP: 6, PROTO_TYPE_UDP: 17 }],
  [
    'distributedDeviceManager.DeviceStateChange',
    ddm.DeviceStateChange,
    { UNKNOWN: 0, AVAILABLE: 1, UNAVAILABLE: 2 },
  ],
  ['hilog.LogLevel', hilog.LogLevel, { DEBUG: 3, INFO: 4, WARN: 5, ERROR: 6, FATAL: 7 }],
  [
    'wifiManager.P2pDeviceStatus',
    wifiManager.P2pDeviceStatus,
    { CONNECTED: 0, INVITED: 1, FAILED: 2, AVAILABLE: 3, UNAVAILABLE: 4 },
  ],
];

describe('enums: the SDK values, name → value only at run time (as the NAPI objects)', () => {
  it.each(SDK)('%s', (_name, actual, expected) => {
    expect({ ...actual }).toEqual(expected);
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
  });

  it('no reverse mapping: DisconnectReason[1] is undefined', () => {
    expect((acm.DisconnectReason as unknown as Record<number, unknown>)[1]).toBeUndefined();
    expect(acm.DisconnectReason.PEER_APP_EXIT).toBe(1);
  });
});

describe('Want (a class in the SDK)', () => {
  it('new Want() is an empty object; fields are plain assignments; the kit and @ohos module export the same class', async () => {
    const { Want } = await import('../src/kits/AbilityKit.js');
    const { default: OhosWant } = await import('../src/ohos/app.ability.Want.js');
    expect(OhosWant).toBe(Want);
    const w = new Want();
    expect(Object.keys(w)).toEqual([]);
    w.bundleName = 'com.example.app';
    w.parameters = { k: 'v' };
    expect({ ...w }).toEqual({ bundleName: 'com.example.app', parameters: { k: 'v' } });
    expect(w).toBeInstanceOf(Want);
  });
});

describe('canIUse (a global through the register hook)', () => {
  it('answers true for the SystemCapabilities colink provides, false for others and for non-strings', async () => {
    const { canIUse, SYSTEM_CAPABILITIES } = await import('../src/syscaps.js');
    for (const cap of [
      'SystemCapability.DistributedSched.AppCollaboration',
      'SystemCapability.DistributedHardware.DeviceManager',
      'SystemCapability.Communication.NetManager.Core',
      'SystemCapability.HiviewDFX.HiLog',
      'SystemCapability.Ability.AbilityRuntime.Core',
    ])
      expect(canIUse(cap), cap).toBe(true);
    expect(Object.keys(SYSTEM_CAPABILITIES)).toContain('SystemCapability.Communication.WiFi.P2P');
    for (const cap of [
      'SystemCapability.Communication.WiFi.STA',
      'SystemCapability.Multimedia.Camera.Core',
      '',
      'x',
    ])
      expect(canIUse(cap), cap).toBe(false);
    for (const inherited of ['toString', 'constructor', '__proto__', 'hasOwnProperty'])
      expect(canIUse(inherited), inherited).toBe(false);
    expect(canIUse(42 as never)).toBe(false);
    expect(canIUse(undefined as never)).toBe(false);
  });

  it('installGlobals() puts canIUse on globalThis', async () => {
    const { installGlobals } = await import('../src/globals.js');
    const { canIUse } = await import('../src/syscaps.js');
    installGlobals();
    expect((globalThis as { canIUse?: unknown }).canIUse).toBe(canIUse);
  });
});

/**
 * Every run-time member each SDK namespace declares (functions, enums, constants; interfaces have no run-time
 * value), from interface_sdk-js commit 2c550ecc4c. The HarmonyOS entry points may export a subset of these, never
 * another name (colink extras live in `@colink/api-compat/runtime`). `ConnectOptionParams` and
 * `OnCollaborateResult` are the API 16 draft SDK's (harmony-api.md §1.6), kept for that generation's code.
 */
const SDK_VALUES: Record<string, string[]> = {
  '@ohos.distributedsched.abilityConnectionManager': [
    ...'acceptConnect connect createAbilityConnectionSession createStream destroyAbilityConnectionSession destroyStream disconnect getPeerInfoById getSurfaceId off on reject sendData sendImage sendMessage setSurfaceId startStream stopStream updateSurfaceParam'.split(
      ' ',
    ),
    ...'onConnect offConnect onDisconnect offDisconnect onReceiveMessage offReceiveMessage onReceiveData offReceiveData onReceiveImage offReceiveImage onCollaborateEvent offCollaborateEvent'.split(
      ' ',
    ),
    ...'CollaborateEventType CollaborationKeys CollaborationValues ConnectErrorCode DisconnectReason FlipOptions StartOptionParams StreamRole VideoPixelFormat ConnectOptionParams'.split(
      ' ',
    ),
  ],
  '@ohos.distributedsched.linkEnhance': ['createServer', 'createConnection'],
  '@ohos.distributedDeviceManager': [
    'createDeviceManager',
    'releaseDeviceManager',
    'DeviceStateChange',
    'StrategyForHeartbeat',
  ],
  '@ohos.hilog':
    'debug info warn error fatal isLoggable setMinLogLevel setLogLevel setOutputType setOutputTypeByDomainID getOutputType getOutputDir clean flush getLogFile LogLevel PreferStrategy OutputType'.split(
      ' ',
    ),
  '@ohos.app.ability.AbilityConstant':
    'LaunchReason LastExitReason OnContinueResult MemoryLevel WindowMode OnSaveResult StateType ContinueState CollaborateResult PrepareTermination REASON_MESSAGE_DESKTOP_SHORTCUT OnCollaborateResult'.split(
      ' ',
    ),
  '@ohos.wifiManager':
    'isWifiActive createGroup removeGroup startDiscoverDevices stopDiscoverDevices getP2pPeerDevices p2pConnect p2pCancelConnect getP2pLinkedInfo getCurrentGroup getP2pLocalDevice deletePersistentGroup getP2pGroups setDeviceName on off onP2pStateChange offP2pStateChange onP2pConnectionChange offP2pConnectionChange onP2pDeviceChange offP2pDeviceChange onP2pPeerDeviceChange offP2pPeerDeviceChange onP2pPersistentGroupChange offP2pPersistentGroupChange onP2pDiscoveryChange offP2pDiscoveryChange P2pConnectState P2pDeviceStatus GroupOwnerBand DeviceAddressType'.split(
      ' ',
    ),
  '@ohos.app.ability.common': [],
  // X509CertRawData is `cert.EncodingBlob`; its EncodingFormat belongs to @ohos.security.cert, not to socket.
  '@ohos.net.socket':
    'constructUDPSocketInstance constructMulticastSocketInstance constructTCPSocketInstance constructTLSSocketInstance constructTCPSocketServerInstance constructTLSSocketServerInstance constructLocalSocketInstance constructLocalSocketServerInstance Protocol ProxyTypes'.split(
      ' ',
    ),
  '@ohos.util':
    'printf format getErrorString errnoToString callbackWrapper promiseWrapper promisify generateRandomUUID generateRandomBinaryUUID parseUUID getHash TextDecoder TextEncoder RationalNumber LRUCache LruBuffer Scope ScopeHelper Base64 Base64Helper Type types Aspect StringDecoder'.split(
      ' ',
    ),
};

describe('HarmonyOS entry points export only names the SDK declares', () => {
  const MODULES: Record<string, () => Promise<{ default: object }>> = {
    '@ohos.distributedsched.abilityConnectionManager': () =>
      import('../src/ohos/distributedsched.abilityConnectionManager.js'),
    '@ohos.distributedsched.linkEnhance': () => import('../src/ohos/distributedsched.linkEnhance.js'),
    '@ohos.distributedDeviceManager': () => import('../src/ohos/distributedDeviceManager.js'),
    '@ohos.hilog': () => import('../src/ohos/hilog.js'),
    '@ohos.app.ability.AbilityConstant': () => import('../src/ohos/app.ability.AbilityConstant.js'),
    '@ohos.wifiManager': () => import('../src/ohos/wifiManager.js'),
    '@ohos.app.ability.common': () => import('../src/ohos/app.ability.common.js'),
    '@ohos.net.socket': () => import('../src/ohos/net.socket.js'),
    '@ohos.util': () => import('../src/ohos/util.js'),
  };
  it.each(Object.entries(SDK_VALUES))('%s', async (specifier, allowed) => {
    const mod = await MODULES[specifier]!();
    const extra = Object.keys(mod.default).filter((k) => !allowed.includes(k));
    expect(extra).toEqual([]);
  });

  it('@ohos.net.connection', async () => {
    const { default: c } = await import('../src/ohos/net.connection.js');
    const sdkEnums = [
      'NetBearType',
      'NetCap',
      'FamilyType',
      'ProxyMode',
      'Socks5DnsStrategy',
      'ProtocolType',
      'PacketsType',
      'TcpState',
      'ConversionProcess',
    ];
    for (const k of Object.keys(c)) {
      const v = (c as Record<string, unknown>)[k];
      // every function of this module is an SDK function (the README's table); values must be SDK enums
      if (typeof v !== 'function') expect(sdkEnums, k).toContain(k);
    }
    expect('NetHandle' in c).toBe(false);
    expect('NetConnection' in c).toBe(false);
    expect('MAX_NET_EXT_ATTRIBUTE_BYTES' in c).toBe(false);
  });
});
