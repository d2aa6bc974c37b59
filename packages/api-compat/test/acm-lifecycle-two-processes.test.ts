import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UIAbilityContext } from '../src/ability/context.js';
import { acmService } from '../src/acm/registry.js';
import type { EventCallbackInfo } from '../src/acm/types.js';
import { ConnectErrorCode, DisconnectReason } from '../src/acm/types.js';
import type { DeviceRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, memoryRuntime } from './helpers.js';
import { deviceEnv, type Proc, randomPort, start } from './procs.js';

// abilityConnectionManager session lifecycle edge cases between two devices over TCP on loopback (security off on
// both: what is tested is above the Link): device B is test/fixtures/acm-lifecycle-app run by colink-device in its own process, what it does with
// a request chosen by the requester's ConnectOptions.parameters.mode; device A is a runtime in this process.
const BUNDLE = 'com.example.lifecycle';
const ctx = new UIAbilityContext({ bundleName: BUNDLE, moduleName: 'entry', name: 'EntryAbility' });
let b: Proc;
let a: DeviceRuntime;
let peerId: string;
const acm = () => acmService(a);

/**
 * A session of A to B's EntryAbility for service `service`; B's ability handles the request as `mode` says. Sessions
 * with the same service name have the same ends (one connection at a time, see the last test).
 */
function session(mode: string, service: string): number {
  return acm().createAbilityConnectionSession(
    service,
    ctx,
    { deviceId: peerId, bundleName: BUNDLE, moduleName: 'entry', abilityName: 'EntryAbility' },
    { parameters: { mode } },
  );
}

/** The events of `type` A's session `id` reports, collected. */
function events(type: 'disconnect' | 'receiveMessage', id: number): EventCallbackInfo[] {
  const seen: EventCallbackInfo[] = [];
  acm().on(type, id, (info: EventCallbackInfo) => seen.push(info));
  return seen;
}

const until = async (what: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  const port = randomPort();
  b = start(['dist/bin/colink-device.js', 'test/fixtures/acm-lifecycle-app'], {
    ...deviceEnv('tablet', 'tablet', port),
    COLINK_SECURITY: 'off',
    COLINK_HILOG_LEVEL: 'WARN',
  });
  peerId = (await b.waitFor((l) => l.event === 'ready')).networkId as string;
  a = memoryRuntime(
    'phone',
    { ...deviceEnv('phone', 'phone', port), COLINK_SECURITY: 'off', COLINK_BUNDLE_NAME: BUNDLE },
    false,
  );
  await a.start();
  await a.waitForDevices(1);
}, 30_000);
afterAll(async () => {
  await a?.stop();
  b?.child.kill('SIGKILL');
  cleanupDirs();
});

describe('abilityConnectionManager session lifecycle across two devices', () => {
  it('acceptConnect on a session that is already connected rejects with 401 and leaves that connection alone', async () => {
    const kept = session('keep', 'reuse-first');
    expect(await acm().connect(kept)).toEqual({ isConnected: true, reason: '' });
    const keptOnB = (await b.waitFor((l) => l.event === 'accepted' && l.mode === 'keep')).sessionId;

    // B answers a second request with acceptConnect(keptOnB, token): rejected, as ability_dmsfwk's
    // AcceptConnect answers a session that is not unconnected (INVALID_PARAMETERS_ERR → 401 "Parameter error.").
    const second = session('reuse', 'reuse-second');
    const secondResult = acm().connect(second);
    let settled: unknown;
    void secondResult.then((r) => (settled = r));
    expect(await b.waitFor((l) => l.mode === 'reuse')).toMatchObject({
      event: 'acceptFailed',
      code: 401,
      message: 'Parameter error.',
    });
    // The first connection still carries the session: A's message arrives on B's kept session.
    const from = b.lines.length;
    await acm().sendMessage(kept, 'still the first');
    expect(
      await b.waitFor((l) => l.event === 'receiveMessage' && l.mode === 'keep', 10_000, from),
    ).toMatchObject({ sessionId: keptOnB, msg: 'still the first' });
    expect(settled).toBeUndefined(); // the request was not accepted (it stays open until answered or timed out)
    acm().destroyAbilityConnectionSession(second);
    acm().destroyAbilityConnectionSession(kept);
  }, 30_000);

  it('destroyAbilityConnectionSession right after acceptConnect: no connect event, acceptConnect rejects, the requester is disconnected', async () => {
    const id = session('destroy', 'destroy');
    const disconnects = events('disconnect', id);
    const result = await acm().connect(id);
    const outcome = await b.waitFor(
      (l) => l.mode === 'destroy' && (l.event === 'accepted' || l.event === 'acceptFailed'),
    );
    expect(outcome).toMatchObject({ event: 'acceptFailed', code: 401 });
    // B's accept went out before the destroy: A connects, then its session ends — B's destroyed session does not
    // stay connected.
    expect(result).toEqual({ isConnected: true, reason: '' });
    await until(() => disconnects.length > 0);
    expect(disconnects[0]).toMatchObject({ sessionId: id, reason: 0 });
    expect(b.lines.some((l) => l.mode === 'destroy' && l.event === 'connect')).toBe(false);
    acm().destroyAbilityConnectionSession(id);
  }, 30_000);

  it('disconnect() while connect() is under way, then connect() again: the first resolves not connected, the second connects', async () => {
    const id = session('plain', 'reconnect');
    const messages = events('receiveMessage', id);
    const from = b.lines.length;
    const first = acm().connect(id);
    acm().disconnect(id);
    const second = acm().connect(id);
    expect(await first).toMatchObject({
      isConnected: false,
      errorCode: ConnectErrorCode.SYSTEM_INTERNAL_ERROR,
    });
    expect(await second).toEqual({ isConnected: true, reason: '' });
    // B accepted twice; the connection of the abandoned connect() is closed (B's first session is disconnected).
    const accepted = [await b.waitFor((l) => l.event === 'accepted' && l.mode === 'plain', 10_000, from)];
    await b.waitFor((l) => l.event === 'disconnect' && l.mode === 'plain', 10_000, from);
    accepted.push(
      await b.waitFor(
        (l) => l.event === 'accepted' && l.mode === 'plain' && l.sessionId !== accepted[0]!.sessionId,
        10_000,
        from,
      ),
    );
    const closed = b.lines.slice(from).find((l) => l.event === 'disconnect' && l.mode === 'plain');
    const live = accepted.find((l) => l.sessionId !== closed!.sessionId)!;
    // The session A now has is B's live one: a message reaches it, and nothing arrives on A from the closed one.
    const at = b.lines.length;
    await acm().sendMessage(id, 'to the live one');
    expect(
      await b.waitFor((l) => l.event === 'receiveMessage' && l.msg === 'to the live one', 10_000, at),
    ).toMatchObject({ sessionId: live.sessionId });
    expect(messages).toEqual([]);
    acm().destroyAbilityConnectionSession(id);
  }, 30_000);

  it('a second session to the same peer app: connect() resolves CONNECTED_SESSION_EXISTS while the first is connected', async () => {
    const first = session('plain', 'same-ends');
    const second = session('plain', 'same-ends');
    const before = b.lines.length;
    expect(await acm().connect(first)).toEqual({ isConnected: true, reason: '' });
    await b.waitFor((l) => l.event === 'accepted' && l.mode === 'plain', 10_000, before);
    const from = b.lines.length;
    // ability_dmsfwk keeps one connection per (service, local app, peer device and app): UpdateClientSession.
    expect(await acm().connect(second)).toMatchObject({
      isConnected: false,
      errorCode: ConnectErrorCode.CONNECTED_SESSION_EXISTS,
    });
    // Once the first is disconnected, the second connects.
    acm().disconnect(first);
    expect(await acm().connect(second)).toEqual({ isConnected: true, reason: '' });
    // B saw one request in between: the second session's successful one.
    await b.waitFor((l) => l.event === 'accepted' && l.mode === 'plain', 10_000, from);
    expect(b.lines.slice(from).filter((l) => l.event === 'accepted')).toHaveLength(1);
    acm().destroyAbilityConnectionSession(first);
    acm().destroyAbilityConnectionSession(second);
  }, 30_000);

  it("a message the peer sends as soon as it accepted arrives after 'connect' and after connect() resolved", async () => {
    // B sends 'hello' the moment its acceptConnect resolves; its accept and the message often reach A in one read.
    // HarmonyOS delivers a session's messages only once it is connected, after connect()'s promise (ability_dmsfwk
    // ExeuteMessageEventCallback waits for FinishSessionConnect): an app may register 'receiveMessage' after
    // `await connect()` and still gets it.
    for (let i = 0; i < 10; i++) {
      const id = session('greet', `greet-${i}`);
      const order: string[] = [];
      acm().on('connect', id, () => order.push('connect'));
      expect(await acm().connect(id)).toEqual({ isConnected: true, reason: '' });
      order.push('resolved');
      acm().on('receiveMessage', id, (info: EventCallbackInfo) => order.push(`message ${info.msg}`));
      await until(() => order.length === 3, 5_000).catch(() => undefined);
      expect(order).toEqual(['connect', 'resolved', 'message hello']);
      acm().destroyAbilityConnectionSession(id);
    }
  }, 60_000);

  // Last: it ends device B.
  it('the peer device process exits (SIGTERM): disconnect fires once with PEER_APP_EXIT on both of its sessions', async () => {
    const first = session('plain', 'exit-1');
    const second = session('plain', 'exit-2');
    const seen = [events('disconnect', first), events('disconnect', second)];
    expect(await acm().connect(first)).toEqual({ isConnected: true, reason: '' });
    expect(await acm().connect(second)).toEqual({ isConnected: true, reason: '' });
    await b.kill();
    await until(() => seen.every((d) => d.length > 0));
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    expect(seen).toEqual([
      [{ sessionId: first, reason: DisconnectReason.PEER_APP_EXIT }],
      [{ sessionId: second, reason: DisconnectReason.PEER_APP_EXIT }],
    ]);
    await expect(acm().sendMessage(first, 'gone')).rejects.toMatchObject({ code: 401 });
  }, 30_000);
});
