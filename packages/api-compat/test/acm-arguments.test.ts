import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context, UIAbilityContext } from '../src/ability/context.js';
import * as acm from '../src/abilityConnectionManager.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { setRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, memoryRuntime } from './helpers.js';

const ctx = new UIAbilityContext({
  bundleName: 'com.example.collab',
  moduleName: 'entry',
  name: 'EntryAbility',
});
const peer = {
  deviceId: 'a'.repeat(64),
  bundleName: 'com.example.collab',
  moduleName: 'entry',
  abilityName: 'EntryAbility',
};
let rt: DeviceRuntime;

/** Expects a synchronous throw shaped as abilityConnectionManager's (string code, harmony-api.md §0.2). */
function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(Error);
  expect((caught as { code: unknown }).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

beforeAll(() => {
  rt = memoryRuntime('args');
});
afterAll(async () => {
  await rt.stop();
  setRuntime(undefined);
  cleanupDirs();
});

describe('abilityConnectionManager argument checks (harmony-api.md §1)', () => {
  it('createAbilityConnectionSession: ids from 100 upward; 401 for every bad argument', () => {
    const a = acm.createAbilityConnectionSession('collabTest', ctx, peer, {});
    const b = acm.createAbilityConnectionSession('collabTest', ctx, peer, { needSendData: true });
    expect(a).toBeGreaterThanOrEqual(100);
    expect(b).toBe(a + 1);
    const bad: Array<Parameters<typeof acm.createAbilityConnectionSession>> = [
      ['', ctx, peer, {}],
      ['x'.repeat(257), ctx, peer, {}],
      [42 as never, ctx, peer, {}],
      ['s', null as never, peer, {}],
      // not an ability context: HarmonyOS cannot convert it to an AbilityContext (ability_dmsfwk JsToAbilityInfo)
      ['s', { abilityInfo: ctx.abilityInfo } as never, peer, {}],
      ['s', new Context('com.example.collab'), peer, {}],
      ['s', 'context' as never, peer, {}],
      ['s', ctx, null as never, {}],
      ['s', ctx, { ...peer, deviceId: '' }, {}],
      ['s', ctx, { ...peer, bundleName: undefined as never }, {}],
      ['s', ctx, peer, undefined as never],
      ['s', ctx, peer, { startOptions: 7 as never }],
    ];
    for (const args of bad)
      throwsCode(() => acm.createAbilityConnectionSession(...args), '401', /Parameter error/);
  });

  it('createAbilityConnectionSession: 202 for system-only options in a normal app; both stream flags 401 for a system app', () => {
    throwsCode(() => acm.createAbilityConnectionSession('s', ctx, peer, { needSendStream: true }), '202');
    throwsCode(() => acm.createAbilityConnectionSession('s', ctx, peer, { needReceiveStream: true }), '202');
    throwsCode(
      () =>
        acm.createAbilityConnectionSession('s', ctx, peer, {
          startOptions: acm.StartOptionParams.START_IN_BACKGROUND,
        }),
      '202',
    );
  });

  it('createAbilityConnectionSession checks in the platform order: option types (401), then system-only options (202), then empty peer fields and both stream flags (401), then permissions (201)', () => {
    // ability_dmsfwk: JSToConnectOption (startOptions type and range → 401) runs before CheckConnectOption (202);
    // AbilityConnectionManager::CreateSession (empty PeerInfo strings, both stream flags → 401) runs after it.
    throwsCode(
      () =>
        acm.createAbilityConnectionSession('s', ctx, peer, {
          needSendStream: true,
          startOptions: 7 as never,
        }),
      '401',
    );
    throwsCode(
      () => acm.createAbilityConnectionSession('s', ctx, { ...peer, deviceId: '' }, { needSendStream: true }),
      '202',
    );
    throwsCode(
      () =>
        acm.createAbilityConnectionSession(
          's',
          ctx,
          { ...peer, abilityName: '' },
          {
            startOptions: acm.StartOptionParams.START_IN_BACKGROUND,
          },
        ),
      '202',
    );
    throwsCode(
      () =>
        acm.createAbilityConnectionSession(
          's',
          ctx,
          { ...peer, deviceId: 5 as never },
          { needSendStream: true },
        ),
      '401',
    );
  });

  it('accepts the API 16 generation: serverId in PeerInfo and a ConnectOption with three booleans', () => {
    const id = acm.createAbilityConnectionSession(
      'collabTest',
      ctx,
      { ...peer, serverId: 'collabTest' },
      {
        needSendData: true,
        needSendStream: false,
        needReceiveStream: false,
        options: {
          'ohos.collabrate.key.start.option': acm.ConnectOptionParams.VALUE_START_OPTION_FOREGROUND,
        },
      },
    );
    expect(acm.getPeerInfoById(id)).toMatchObject({ deviceId: peer.deviceId, serviceName: 'collabTest' });
  });

  it('getPeerInfoById: the peer, undefined for an unknown id, 401 for a non-number', () => {
    const id = acm.createAbilityConnectionSession('collabTest', ctx, peer, {});
    expect(acm.getPeerInfoById(id)).toEqual({ ...peer, serviceName: 'collabTest' });
    expect(acm.getPeerInfoById(99_999)).toBeUndefined();
    // an empty PeerInfo.serviceName is replaced by the session's (ability_dmsfwk CreateAbilityConnectionSession)
    const empty = acm.createAbilityConnectionSession('collabTest', ctx, { ...peer, serviceName: '' }, {});
    expect(acm.getPeerInfoById(empty)).toEqual({ ...peer, serviceName: 'collabTest' });
    throwsCode(() => acm.getPeerInfoById('1' as never), '401');
  });

  it('destroyAbilityConnectionSession and disconnect: 401 "Failed to execute the function." for unknown ids', () => {
    const id = acm.createAbilityConnectionSession('collabTest', ctx, peer, {});
    acm.disconnect(id); // not connected: nothing to do
    acm.destroyAbilityConnectionSession(id);
    throwsCode(() => acm.destroyAbilityConnectionSession(id), '401', /Failed to execute the function/);
    throwsCode(() => acm.disconnect(id), '401', /Failed to execute the function/);
    throwsCode(() => acm.destroyAbilityConnectionSession(undefined as never), '401', /Parameter error/);
  });

  it('connect: 401 thrown for a non-number; rejects { code: 401 } (a number) for an unknown session', async () => {
    throwsCode(() => acm.connect('x' as never), '401');
    const err = await acm.connect(123_456).catch((e: unknown) => e);
    // ability_dmsfwk ConnectThreadsafeFunctionCallback: INVALID_SESSION_ID → ERR_INVALID_PARAMETERS → "Parameter error."
    expect(err).toEqual({ code: 401, message: 'Parameter error.' });
    expect(err).not.toBeInstanceOf(Error);
  });

  it('connect: a peer that is not around gives SYSTEM_INTERNAL_ERROR with a reason', async () => {
    const id = acm.createAbilityConnectionSession('collabTest', ctx, peer, {});
    const r = await acm.connect(id);
    expect(r.isConnected).toBe(false);
    expect(r.errorCode).toBe(acm.ConnectErrorCode.SYSTEM_INTERNAL_ERROR);
    expect(typeof r.reason).toBe('string');
  });

  it('acceptConnect and reject: 401 for bad arguments and unknown tokens', async () => {
    const id = acm.createAbilityConnectionSession('collabTest', ctx, peer, {});
    throwsCode(() => acm.acceptConnect(id, 5 as never), '401');
    expect(await acm.acceptConnect(id, 'no-such-token').catch((e: unknown) => e)).toEqual({
      code: 401,
      message: 'Failed to execute the function.',
    });
    // an unknown session: AbilityConnectionManager::AcceptConnect answers INVALID_PARAMETERS_ERR
    expect(await acm.acceptConnect(99_999, 'no-such-token').catch((e: unknown) => e)).toEqual({
      code: 401,
      message: 'Parameter error.',
    });
    throwsCode(() => acm.reject('no-such-token', 'why'), '401', /Failed to execute/);
    throwsCode(() => acm.reject('t', 'r'.repeat(1024)), '401', /Parameter error/);
    throwsCode(() => acm.reject(undefined as never, 'r'), '401');
  });

  it('sendMessage and sendData: 401 thrown for bad arguments (msg ≥ 1024 UTF-8 bytes), rejected when not connected', async () => {
    const id = acm.createAbilityConnectionSession('collabTest', ctx, peer, {});
    throwsCode(() => acm.sendMessage(id, 'x'.repeat(1024)), '401');
    throwsCode(() => acm.sendMessage(id, '字'.repeat(342)), '401'); // 1026 bytes
    throwsCode(() => acm.sendMessage(id, 7 as never), '401');
    throwsCode(() => acm.sendData(id, new Uint8Array(4) as never), '401');
    // not connected: the session has no message/data channel (GetTransChannelInfo → INVALID_PARAMETERS_ERR)
    const notConnected = { code: 401, message: 'Parameter error.' };
    expect(await acm.sendMessage(id, 'x'.repeat(1023)).catch((e: unknown) => e)).toEqual(notConnected);
    expect(await acm.sendData(id, new ArrayBuffer(8)).catch((e: unknown) => e)).toEqual(notConnected);
    expect(await acm.sendMessage(99_999, 'x').catch((e: unknown) => e)).toEqual(notConnected);
  });

  it('on/off: unknown type or session 401, system events 202, one listener per event, off ignores the callback', () => {
    const id = acm.createAbilityConnectionSession('collabTest', ctx, peer, {});
    throwsCode(() => acm.on('bogus' as never, id, () => undefined), '401');
    throwsCode(() => acm.on('connect', 999_999, () => undefined), '401', /Failed to execute/);
    throwsCode(() => acm.on('connect', id, 'nope' as never), '401');
    // the callback is checked before the session is looked up (ability_dmsfwk RegisterAbilityConnectionSessionCallback)
    throwsCode(() => acm.on('connect', 999_999, 'nope' as never), '401', /Parameter error/);
    throwsCode(() => acm.on('collaborateEvent', id, () => undefined), '202');
    throwsCode(() => acm.on('receiveImage', id, () => undefined), '202');
    throwsCode(() => acm.off('collaborateEvent', id), '202');
    acm.on('connect', id, () => undefined);
    acm.on('connect', id, () => undefined);
    acm.off('connect', id, () => undefined);
    acm.onReceiveMessage(id, () => undefined);
    acm.offReceiveMessage(id);
  });

  it('system-only stream and image APIs throw 202', () => {
    throwsCode(() => acm.sendImage(100, {}), '202');
    throwsCode(() => acm.createStream(100, { name: 's', role: acm.StreamRole.SOURCE }), '202');
    throwsCode(() => acm.startStream(1), '202');
    throwsCode(() => acm.stopStream(1), '202');
    throwsCode(() => acm.destroyStream(1), '202');
    throwsCode(() => acm.getSurfaceId(1, { width: 1, height: 1 }), '202');
    throwsCode(() => acm.setSurfaceId(1, 's', { width: 1, height: 1 }), '202');
    throwsCode(() => acm.updateSurfaceParam(1, { width: 1, height: 1 }), '202');
  });

  it('enums have the API 18 values', () => {
    expect(acm.DisconnectReason).toEqual({
      PEER_APP_CLOSE_COLLABORATION: 0,
      PEER_APP_EXIT: 1,
      NETWORK_DISCONNECTED: 2,
    });
    expect(acm.ConnectErrorCode.PEER_ABILITY_NO_ONCOLLABORATE).toBe(4);
    expect(acm.StartOptionParams).toEqual({ START_IN_FOREGROUND: 0, START_IN_BACKGROUND: 1 });
  });
});

describe('abilityConnectionManager permissions', () => {
  it('createAbilityConnectionSession throws 201 without DISTRIBUTED_DATASYNC', async () => {
    const prev = rt;
    const limited = memoryRuntime('limited', {
      COLINK_PERMISSIONS: 'INTERNET,GET_NETWORK_INFO,SET_NETWORK_INFO',
    });
    try {
      throwsCode(() => acm.createAbilityConnectionSession('collabTest', ctx, peer, {}), '201');
    } finally {
      await limited.stop();
      setRuntime(prev);
    }
  });
});
