/**
 * `connection.NetConnection` (harmony-api.md §3.1, events §3.4): watches the default network, or every network that
 * matches a `NetSpecifier`, and reports it through `netAvailable`, `netCapabilitiesChange`,
 * `netConnectionPropertiesChange`, `netBlockStatusChange`, `netLost` and `netUnavailable`.
 *
 * Each change batch of the net service is reconciled against the networks this connection has reported:
 * 1. every reported network that is gone or no longer wanted → `netLost` (so a handover is `netLost(old)` then
 *    `netAvailable(new)`, as documented for Wi-Fi → cellular);
 * 2. capability / property / block changes of networks still reported → the matching change event;
 * 3. every wanted network not reported yet → `netAvailable`, `netCapabilitiesChange`, `netConnectionPropertiesChange`.
 * "Wanted" is "is the default network" without a specifier, else `matchesNetSpecifier`. `register` replays the
 * current state the same way (step 3) right after its callback.
 * @module
 */
import {
  type ConnectionProperties,
  matchesNetSpecifier,
  type NetCapabilities,
  type NetEvent,
  type Network,
} from '@colink/net-monitor';
import type { Subscription } from 'rxjs';
import type { AsyncCallback, Callback } from '../base.js';
import { getRuntime } from '../runtime/runtime.js';
import { requireArg, requirePermission, toNetError } from './calls.js';
import { toConnectionProperties, toNetCapabilities } from './convert.js';
import { netError } from './errors.js';
import { NetHandle } from './net-handle.js';
import { type NetService, netService } from './service.js';
import type {
  NetBlockStatusInfo,
  NetCapabilityInfo,
  NetConnectionPropertyInfo,
  NetSpecifier,
} from './types.js';

/** Longest `timeout` of `createNetConnection`: a uint32 of ms (harmony-api.md §3.1 notes). */
export const MAX_NET_CONNECTION_TIMEOUT_MS = 0xffff_ffff;

/** Node timers fire after at most 2^31 − 1 ms; longer timeouts are waited for in steps of this size. */
const MAX_TIMER_MS = 0x7fff_ffff;

/** Listeners per event type and connection; past it `on` throws 401 instead of growing without bound. */
export const MAX_LISTENERS_PER_EVENT = 64;

/** The events of a NetConnection and their payloads. */
export interface NetConnectionEvents {
  netAvailable: NetHandle;
  netBlockStatusChange: NetBlockStatusInfo;
  netCapabilitiesChange: NetCapabilityInfo;
  netConnectionPropertiesChange: NetConnectionPropertyInfo;
  netLost: NetHandle;
  netUnavailable: undefined;
}
export type NetConnectionEvent = keyof NetConnectionEvents;

const EVENTS: ReadonlySet<string> = new Set<NetConnectionEvent>([
  'netAvailable',
  'netBlockStatusChange',
  'netCapabilitiesChange',
  'netConnectionPropertiesChange',
  'netLost',
  'netUnavailable',
]);

/** Calls a listener; an exception in it is rethrown on its own (uncaught, as on HarmonyOS) without stopping others. */
function invoke<T>(listener: Callback<T>, data: T): void {
  try {
    listener(data);
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

interface Registration {
  readonly service: NetService;
  readonly stop: () => void;
  readonly release: () => void;
}

/** A subscription to network changes; create it with `connection.createNetConnection`. */
export class NetConnection {
  readonly #spec: NetSpecifier | undefined;
  readonly #timeoutMs: number;
  readonly #listeners = new Map<NetConnectionEvent, Callback<never>[]>();
  /** netIds reported available (and not lost since). */
  readonly #reported = new Set<number>();
  /** The current registration (a fresh object per `register`, so work left from an earlier one can tell). */
  #registered: Registration | undefined;
  /** Settles when the last `register` has called back: callbacks of later calls run after it, in call order. */
  #settled: Promise<void> = Promise.resolve();
  /** The register callback ran and the state was replayed: batches may be reported from now on. */
  #live = false;
  #timer: Subscription | undefined;
  #everAvailable = false;

  /** @internal Use `connection.createNetConnection(netSpecifier?, timeout?)`. */
  constructor(netSpecifier: NetSpecifier | undefined, timeoutMs: number) {
    this.#spec = netSpecifier;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Adds `callback` for `type` (several listeners per type are kept, each once). Call before or after `register`,
   * also inside the register callback. Throws 401 for an unknown type or a non-function callback.
   */
  on(type: 'netAvailable', callback: Callback<NetHandle>): void;
  on(type: 'netBlockStatusChange', callback: Callback<NetBlockStatusInfo>): void;
  on(type: 'netCapabilitiesChange', callback: Callback<NetCapabilityInfo>): void;
  on(type: 'netConnectionPropertiesChange', callback: Callback<NetConnectionPropertyInfo>): void;
  on(type: 'netLost', callback: Callback<NetHandle>): void;
  on(type: 'netUnavailable', callback: Callback<void>): void;
  on(type: NetConnectionEvent, callback: Callback<never>): void {
    requireArg(
      typeof type === 'string' && EVENTS.has(type),
      `unknown NetConnection event ${typeof type === 'string' ? type : `(a ${typeof type})`}`,
    );
    requireArg(typeof callback === 'function', 'callback must be a function');
    const list = this.#listeners.get(type) ?? [];
    if (list.includes(callback)) return;
    requireArg(list.length < MAX_LISTENERS_PER_EVENT, `more than ${MAX_LISTENERS_PER_EVENT} listeners`);
    list.push(callback);
    this.#listeners.set(type, list);
  }

  /** ArkTS-static twin of `on('netBlockStatusChange', …)`. */
  onNetBlockStatusChange(callback: Callback<NetBlockStatusInfo>): void {
    this.on('netBlockStatusChange', callback);
  }

  /** ArkTS-static twin of `on('netLost', …)`. */
  onNetLost(callback: Callback<NetHandle>): void {
    this.on('netLost', callback);
  }

  /** ArkTS-static twin of `on('netUnavailable', …)`. */
  onNetUnavailable(callback: Callback<void>): void {
    this.on('netUnavailable', callback);
  }

  /**
   * Starts watching. `callback(undefined)` on success, then the current state is reported (`netAvailable`,
   * `netCapabilitiesChange`, `netConnectionPropertiesChange` for the default / each matching network). With a
   * specifier and `timeout` > 0, `netUnavailable` fires when no matching network appeared within `timeout` ms (on the
   * device runtime's clock, `RuntimeConfig.scheduler`; real time by default).
   * While registered the process is kept alive. Errors through the callback: 201 without GET_NETWORK_INFO, 2101008
   * when already registered, 2100002 when the net service cannot start. A non-function callback throws 401.
   * Callbacks of `register` / `unregister` run in call order: `register(a); unregister(b)` calls `a(undefined)`, then
   * `b(undefined)`, and reports nothing.
   */
  register(callback: AsyncCallback<void>): void {
    requireArg(typeof callback === 'function', 'callback must be a function');
    try {
      requirePermission('GET_NETWORK_INFO');
      if (this.#registered) throw netError(2101008);
    } catch (e) {
      this.#after(() => callback(toNetError(e) as never, undefined));
      return;
    }
    const service = netService();
    const release = service.hold();
    const stop = service.listen((events) => this.#onBatch(events));
    const registration: Registration = { service, stop, release };
    this.#registered = registration;
    this.#settled = service.ready().then(
      () => {
        // Registered, even when `unregister` already followed: the callback is due either way.
        invoke(callback as unknown as (err: undefined) => void, undefined);
        if (this.#registered !== registration) return;
        this.#live = true;
        this.#reconcile([]);
        this.#armTimeout();
      },
      (e: unknown) => {
        if (this.#registered === registration) this.#teardown();
        callback(toNetError(e) as never, undefined);
      },
    );
  }

  /**
   * Stops watching and drops every listener (HarmonyOS has no `off`). `callback(undefined)` on success; errors through
   * the callback: 201 without GET_NETWORK_INFO (XTS), 2101007 when not registered. A non-function callback throws 401.
   * Called from a listener, nothing more of the change being reported is delivered; a later `register` reports every
   * wanted network afresh. The callback runs after the callback of a `register` still in progress.
   */
  unregister(callback: AsyncCallback<void>): void {
    requireArg(typeof callback === 'function', 'callback must be a function');
    let error: unknown;
    try {
      requirePermission('GET_NETWORK_INFO');
      if (!this.#registered) throw netError(2101007);
    } catch (e) {
      error = toNetError(e);
    }
    if (error === undefined) {
      this.#teardown();
      this.#listeners.clear();
    }
    this.#after(() => callback(error as never, undefined));
  }

  /** Runs `fn` once the last `register` has called back (at the earliest in a microtask). */
  #after(fn: () => void): void {
    void this.#settled.then(fn, fn);
  }

  #teardown(): void {
    const r = this.#registered;
    this.#registered = undefined;
    r?.stop();
    r?.release();
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    this.#reported.clear();
    this.#everAvailable = false;
    this.#live = false;
  }

  #armTimeout(): void {
    if (this.#spec === undefined || this.#timeoutMs <= 0 || this.#everAvailable) return;
    // The device runtime's clock (RuntimeConfig.scheduler; real time by default), so tests run it in virtual time.
    const scheduler = getRuntime().scheduler;
    const registration = this.#registered;
    let left = this.#timeoutMs;
    const step = (): void => {
      const wait = Math.min(left, MAX_TIMER_MS);
      left -= wait;
      this.#timer = scheduler.schedule(() => {
        this.#timer = undefined;
        if (left > 0) step();
        else if (!this.#everAvailable && registration !== undefined && this.#registered === registration)
          this.#emit('netUnavailable', undefined);
      }, wait);
    };
    step();
  }

  #wants(network: Network, defaultNetId: number): boolean {
    return this.#spec === undefined
      ? network.netId === defaultNetId
      : matchesNetSpecifier(network, this.#spec as Parameters<typeof matchesNetSpecifier>[1]);
  }

  #onBatch(events: readonly NetEvent[]): void {
    // Before the register callback, batches are left out: the replay right after it reads the newest state.
    if (this.#registered && this.#live) this.#reconcile(events);
  }

  #reconcile(events: readonly NetEvent[]): void {
    const registration = this.#registered;
    if (!registration) return;
    const { service } = registration;
    // A listener may unregister (and register again): the rest of this batch belongs to no registration then.
    const gone = (): boolean => this.#registered !== registration;
    const def = service.defaultNetId;
    // 1. lost: gone, or no longer wanted (lost events first, in their order).
    const lostOrder = [
      ...events.flatMap((e) => (e.type === 'lost' ? [e.network.netId] : [])),
      ...this.#reported,
    ];
    for (const id of new Set(lostOrder)) {
      if (!this.#reported.has(id)) continue;
      const n = service.network(id);
      if (n !== undefined && this.#wants(n, def)) continue;
      this.#reported.delete(id);
      this.#emit('netLost', new NetHandle(id));
      if (gone()) return;
    }
    // 2. changes of networks still reported.
    for (const e of events) {
      if (e.type === 'lost' || e.type === 'available' || e.type === 'defaultChanged') continue;
      const id = e.network.netId;
      if (!this.#reported.has(id) || service.network(id) === undefined) continue;
      if (e.type === 'capabilitiesChanged') this.#emitCaps(id, e.capabilities);
      else if (e.type === 'propertiesChanged') this.#emitProps(id, e.properties);
      else this.#emit('netBlockStatusChange', { netHandle: new NetHandle(id), blocked: e.blocked });
      if (gone()) return;
    }
    // 3. newly wanted networks.
    for (const n of service.networks) {
      if (this.#reported.has(n.netId) || !this.#wants(n, def)) continue;
      this.#reported.add(n.netId);
      this.#everAvailable = true;
      this.#timer?.unsubscribe();
      this.#timer = undefined;
      this.#emit('netAvailable', new NetHandle(n.netId));
      if (gone()) return;
      this.#emitCaps(n.netId, n.capabilities);
      if (gone()) return;
      this.#emitProps(n.netId, n.properties);
      if (gone()) return;
    }
  }

  #emitCaps(netId: number, caps: NetCapabilities): void {
    this.#emit('netCapabilitiesChange', { netHandle: new NetHandle(netId), netCap: toNetCapabilities(caps) });
  }

  #emitProps(netId: number, props: ConnectionProperties): void {
    this.#emit('netConnectionPropertiesChange', {
      netHandle: new NetHandle(netId),
      connectionProperties: toConnectionProperties(props),
    });
  }

  #emit<K extends NetConnectionEvent>(type: K, data: NetConnectionEvents[K]): void {
    for (const l of [...(this.#listeners.get(type) ?? [])])
      invoke(l as Callback<NetConnectionEvents[K]>, data);
  }
}
