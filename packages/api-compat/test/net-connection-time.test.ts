// NetConnection's `timeout` (harmony-api.md §3.1: netUnavailable when no matching network appeared in time) runs on
// the device runtime's clock: a VirtualClock makes 10 s and the uint32 maximum (~49.7 days, waited in steps of
// 2^31 − 1 ms, Node's longest timer) take milliseconds. The net service watches this namespace for real; no network
// here is cellular, so the Cellular request below never matches.
import { VirtualClock } from '@colink/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import * as connection from '../src/connection.js';
import { MAX_NET_CONNECTION_TIMEOUT_MS } from '../src/net-connection/net-connection.js';
import { shutdownNetService } from '../src/net-connection/service.js';
import { setRuntime } from '../src/runtime/runtime.js';
import { cleanupDirs, memoryRuntime } from './helpers.js';

afterAll(async () => {
  try {
    await shutdownNetService();
  } finally {
    setRuntime(undefined);
    cleanupDirs();
  }
});

const cellular = { netCapabilities: { bearerTypes: [connection.NetBearType.BEARER_CELLULAR] } };

/** A registered connection on a runtime whose clock is `clock`; counts netUnavailable. */
async function registered(clock: VirtualClock, timeoutMs: number) {
  memoryRuntime(`net-time-${timeoutMs}`, {}, true, { scheduler: clock });
  const conn = connection.createNetConnection(cellular, timeoutMs);
  const seen = { unavailable: 0, available: 0 };
  conn.on('netUnavailable', () => void seen.unavailable++);
  conn.on('netAvailable', () => void seen.available++);
  await new Promise<void>((resolve, reject) =>
    conn.register((err) => (err ? reject(new Error(`register: ${JSON.stringify(err)}`)) : resolve())),
  );
  return { conn, seen };
}

function unregister(conn: connection.NetConnection): Promise<void> {
  return new Promise((resolve) => conn.unregister(() => resolve()));
}

describe('NetConnection timeout in virtual time', () => {
  it('netUnavailable fires once, 10 000 ms after register, not before', async () => {
    const clock = new VirtualClock();
    const { conn, seen } = await registered(clock, 10_000);
    try {
      await clock.advance(9_999);
      expect(seen.unavailable).toBe(0);
      await clock.advance(1);
      expect(seen.unavailable).toBe(1);
      await clock.advance(60_000);
      expect(seen).toEqual({ unavailable: 1, available: 0 });
    } finally {
      await unregister(conn);
    }
  });

  it('the uint32 maximum (4 294 967 295 ms) is waited for in full across Node-timer-sized steps', async () => {
    const clock = new VirtualClock();
    const { conn, seen } = await registered(clock, MAX_NET_CONNECTION_TIMEOUT_MS);
    try {
      await clock.advance(0x7fff_ffff); // one full step: not yet
      expect(seen.unavailable).toBe(0);
      await clock.advance(MAX_NET_CONNECTION_TIMEOUT_MS - 0x7fff_ffff - 1);
      expect(seen.unavailable).toBe(0);
      await clock.advance(1);
      expect(seen.unavailable).toBe(1);
    } finally {
      await unregister(conn);
    }
  });

  it('unregister before the timeout cancels it', async () => {
    const clock = new VirtualClock();
    const { conn, seen } = await registered(clock, 10_000);
    await clock.advance(5_000);
    await unregister(conn);
    await clock.advance(10_000);
    expect(seen.unavailable).toBe(0);
  });

  it('register, unregister and register again at once: one timeout, netUnavailable once, cancelled by unregister', async () => {
    const clock = new VirtualClock();
    memoryRuntime('net-time-again', {}, true, { scheduler: clock });
    const conn = connection.createNetConnection(cellular, 10_000);
    let unavailable = 0;
    conn.on('netUnavailable', () => void unavailable++);
    const results: Array<number | undefined> = [];
    const all = new Promise<void>((resolve) => {
      const done = (err: { code: number } | undefined): void => {
        results.push(err?.code);
        if (results.length === 3) resolve();
      };
      conn.register(done as never);
      conn.unregister(done as never); // drops the listener above: the one below is the only one
      conn.on('netUnavailable', () => void unavailable++);
      conn.register(done as never);
    });
    await all;
    expect(results).toEqual([undefined, undefined, undefined]);
    await clock.advance(10_000);
    expect(unavailable).toBe(1);
    await unregister(conn);
    await clock.advance(60_000);
    expect(unavailable).toBe(1);
  });

  it('a timeout left from an earlier registration does not fire into a later one', async () => {
    const clock = new VirtualClock();
    memoryRuntime('net-time-stale', {}, true, { scheduler: clock });
    const conn = connection.createNetConnection(cellular, 10_000);
    let unavailable = 0;
    await new Promise<void>((resolve) => {
      conn.register(() => undefined);
      conn.unregister(() => undefined);
      conn.register(() => resolve());
    });
    conn.on('netUnavailable', () => void unavailable++);
    await clock.advance(10_000);
    expect(unavailable).toBe(1);
    await unregister(conn);
  });
});
