/**
 * The main-thread side of the net service: starts the service worker (one per process, lazily, on the first use of
 * `connection`), keeps a mirror of its state for the synchronous APIs, forwards change batches to listeners and
 * runs request/response calls (DNS, revalidation).
 *
 * Synchronous APIs (`getDefaultNetSync`, …) need the state before the first event loop turn; the first call blocks
 * on `Atomics.wait` until the worker's `NetMonitor` has read the state (typically 0.1–0.5 s, bounded by
 * {@link SERVICE_START_TIMEOUT_MS}) and then pulls the worker's messages with `receiveMessageOnPort`.
 *
 * Configuration (environment, read when the service starts):
 * - `COLINK_NET_NETNS`: watch this `ip netns` namespace instead of the process's own (root).
 * - `COLINK_NET_SOURCE`: `auto` (default), `netlink`, `ip-monitor` or `poll`.
 * - `COLINK_NET_POLL_INTERVAL_MS`: interval of the poll source, ms.
 * - `COLINK_NET_PROBE_URL`: validation probe URL; validation is off unless set (VALIDATED / PORTAL /
 *   CHECKING_CONNECTIVITY then come from it). `COLINK_NET_PROBE_INTERVAL_MS`: re-probe interval, ms.
 * - `COLINK_NET_METERED`: comma list of interface names that are metered (default: cellular bearers).
 * @module
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { NetCap, type NetEvent, type Network, type SourceKind } from '@colink/net-monitor';
import { codeForColink, netError } from './errors.js';
import type {
  ServiceMessage,
  ServiceOptions,
  ServiceRequest,
  ServiceRequestBody,
  ServiceState,
} from './service-protocol.js';

/** Longest the first call waits for the service (worker start + `NetMonitor.start`, incl. a namespace agent), ms. */
export const SERVICE_START_TIMEOUT_MS = 20_000;

/**
 * Longest a process exit waits for the service to close its monitor (netlink socket, `ip monitor` child, namespace
 * agent), ms. Killing the worker with the netlink socket open crashes the `netlink` addon, and would orphan children.
 */
export const SERVICE_CLOSE_TIMEOUT_MS = 3_000;

/** Requests in flight at most (DNS, revalidation); past it calls fail with 2100003 instead of queueing. */
export const MAX_PENDING_REQUESTS = 1024;

/** Receives every change batch, after the mirror was updated. */
export type BatchListener = (events: readonly NetEvent[]) => void;

/** Reads {@link ServiceOptions} from the environment (see the module comment). */
export function serviceOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceOptions {
  const ms = (v: string | undefined): number | undefined => (v ? Number(v) : undefined);
  const source = env.COLINK_NET_SOURCE as ServiceOptions['source'];
  const probeInterval = ms(env.COLINK_NET_PROBE_INTERVAL_MS);
  const poll = ms(env.COLINK_NET_POLL_INTERVAL_MS);
  return {
    ...(env.COLINK_NET_NETNS ? { netns: env.COLINK_NET_NETNS } : {}),
    ...(source ? { source } : {}),
    ...(poll ? { pollIntervalMs: poll } : {}),
    ...(env.COLINK_NET_PROBE_URL
      ? {
          validation: {
            url: env.COLINK_NET_PROBE_URL,
            ...(probeInterval ? { intervalMs: probeInterval } : {}),
          },
        }
      : {}),
    ...(env.COLINK_NET_METERED
      ? {
          metered: env.COLINK_NET_METERED.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
  };
}

/** The Worker's entry code: the compiled worker, or (running from TypeScript sources) the `.ts` one through tsx. */
function workerSource(): { code: string; execArgv: string[] } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) {
    const url = new URL('./service-worker.js', self).href;
    return { code: `import(${JSON.stringify(url)})`, execArgv: [] };
  }
  const url = new URL('./service-worker.ts', self).href;
  // tsx's ESM API entry (`exports['./esm/api'].import`) sits next to the CommonJS one `require.resolve` finds.
  const tsx = pathToFileURL(
    createRequire(self)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  return {
    code: `import(${JSON.stringify(tsx)}).then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(self)}))`,
    execArgv: ['--conditions=@colink/source'],
  };
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** The process's connection to its net service worker. */
export class NetService {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<BatchListener>();
  readonly #ready: Promise<void>;
  readonly #onExit = (): void => this.closeSync();
  #resolveReady!: () => void;
  #nextId = 1;
  #state: ServiceState = { networks: [], defaultNetId: 0 };
  #byId = new Map<number, Network>();
  #failure: string | undefined;
  #source: SourceKind | undefined;
  #holds = 0;
  #closed = false;

  constructor(options: ServiceOptions) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
    const { code, execArgv } = workerSource();
    this.#worker = new Worker(code, {
      eval: true,
      execArgv,
      workerData: { options, port: port2, flag: this.#flag.buffer },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    this.#worker.on('error', (e) => this.#fail(`net service worker failed: ${e.message}`));
    this.#worker.on('exit', () => this.#fail('net service worker exited'));
    this.#port.on('message', (m: ServiceMessage) => this.#handle(m));
    // Referenced until the first state arrives (an awaited `ready()` must not let the process exit).
    process.once('exit', this.#onExit);
  }

  /** Blocks until the service has its first state (or failed); throws 2100002 when it cannot start. */
  readySync(): void {
    if (this.#source === undefined && this.#failure === undefined) {
      const r = Atomics.wait(this.#flag, 0, 0, SERVICE_START_TIMEOUT_MS);
      if (r === 'timed-out') this.#fail(`no answer within ${SERVICE_START_TIMEOUT_MS} ms`);
      for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port))
        this.#handle(m.message as ServiceMessage);
    }
    if (this.#failure !== undefined) throw netError(2100002, `net service: ${this.#failure}`);
  }

  /** Resolves when the service has its first state; rejects with 2100002 when it cannot start. */
  async ready(): Promise<void> {
    await this.#ready;
    if (this.#failure !== undefined) throw netError(2100002, `net service: ${this.#failure}`);
  }

  /** The event source the monitor uses (after start). */
  get source(): SourceKind | undefined {
    return this.#source;
  }

  /** Current networks sorted by netId (call {@link readySync} or await {@link ready} first). */
  get networks(): readonly Network[] {
    return this.#state.networks;
  }

  /** netId of the default network as HarmonyOS picks it ({@link harmonyDefaultNetId}), 0 when there is none. */
  get defaultNetId(): number {
    return this.#state.defaultNetId;
  }

  /** The live network with `netId`, or undefined. */
  network(netId: number): Network | undefined {
    return this.#byId.get(netId);
  }

  /** Adds a batch listener; returns its removal. */
  listen(listener: BatchListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Keeps the process alive while held (a registered `NetConnection` waits for events, as an app would); returns
   * the release function.
   */
  hold(): () => void {
    this.#holds++;
    this.#port.ref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds === 0) this.#unref();
    };
  }

  /** Sends a request; rejects with the worker's net.connection code (2100001 / 2100002 / 2100003). */
  async request(req: ServiceRequestBody): Promise<unknown> {
    await this.ready();
    if (this.#closed) throw netError(2100002, 'net service closed');
    if (this.#pending.size >= MAX_PENDING_REQUESTS)
      throw netError(2100003, `more than ${MAX_PENDING_REQUESTS} requests in flight`);
    const id = this.#nextId++;
    const done = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#port.ref();
    this.#port.postMessage({ ...req, id } as ServiceRequest);
    return done.finally(() => {
      if (this.#pending.size === 0 && this.#holds === 0) this.#unref();
    });
  }

  /** Stops the monitor and the worker. */
  async close(): Promise<void> {
    process.off('exit', this.#onExit);
    if (this.#closed) return;
    if (this.#failure === undefined) await this.request({ type: 'close' }).catch(() => undefined);
    this.#closed = true;
    await this.#worker.terminate();
    this.#port.close();
  }

  /**
   * Closes the monitor synchronously (process `exit`): asks the worker to close and blocks until it has, at most
   * {@link SERVICE_CLOSE_TIMEOUT_MS}.
   */
  closeSync(): void {
    process.off('exit', this.#onExit);
    if (this.#closed) return;
    this.#closed = true;
    if (Atomics.load(this.#flag, 0) === 0) Atomics.wait(this.#flag, 0, 0, SERVICE_START_TIMEOUT_MS);
    if (Atomics.load(this.#flag, 0) !== 1) return;
    this.#port.postMessage({ type: 'close', id: 0 } satisfies ServiceRequest);
    Atomics.wait(this.#flag, 0, 1, SERVICE_CLOSE_TIMEOUT_MS);
  }

  #unref(): void {
    this.#port.unref();
    this.#worker.unref();
  }

  #apply(s: ServiceState): void {
    this.#state = { networks: s.networks, defaultNetId: harmonyDefaultNetId(s.networks, s.defaultNetId) };
    this.#byId = new Map(s.networks.map((n) => [n.netId, n]));
  }

  #fail(reason: string): void {
    this.#failure ??= reason;
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(netError(2100002, `net service: ${reason}`));
    this.#pending.clear();
    this.#resolveReady();
    this.#unref();
  }

  #handle(m: ServiceMessage): void {
    switch (m.type) {
      case 'ready':
        this.#source = m.source;
        this.#apply(m);
        this.#resolveReady();
        if (this.#holds === 0 && this.#pending.size === 0) this.#unref();
        return;
      case 'failed':
        this.#fail(m.message);
        return;
      case 'update':
        this.#apply(m);
        for (const l of [...this.#listeners]) l(m.events);
        return;
      case 'reply':
      case 'replyError': {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.type === 'reply') p.resolve(m.value);
        else p.reject(netError(codeForColink(m.colinkCode), m.message));
      }
    }
  }
}

/** The Linux main routing table (`rtnetlink.h` RT_TABLE_MAIN). */
const RT_TABLE_MAIN = 254;

const qualifies = (n: Network): boolean =>
  n.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_INTERNET) &&
  n.capabilities.networkCap.includes(NetCap.NET_CAPABILITY_NOT_VPN);

/**
 * HarmonyOS's default network: one with NET_CAPABILITY_INTERNET that is not a VPN (harmony-api.md §3.1 notes). The
 * monitor's default (`kernelDefault`: the interface of the kernel's route lookup, which on Linux may be a VPN or a
 * network reached through non-default routes) when it qualifies; else the qualifying network whose best default route
 * wins (main table first, then lowest metric, then lowest netId); else 0.
 */
export function harmonyDefaultNetId(networks: readonly Network[], kernelDefault: number): number {
  const kernel = networks.find((n) => n.netId === kernelDefault);
  if (kernel !== undefined && qualifies(kernel)) return kernel.netId;
  let best: { netId: number; table: number; metric: number } | undefined;
  for (const n of networks) {
    if (!qualifies(n)) continue;
    for (const r of n.properties.routes) {
      if (!r.isDefaultRoute) continue;
      const table = r.table === RT_TABLE_MAIN ? 0 : 1;
      if (
        best === undefined ||
        table < best.table ||
        (table === best.table &&
          (r.metric < best.metric || (r.metric === best.metric && n.netId < best.netId)))
      )
        best = { netId: n.netId, table, metric: r.metric };
    }
  }
  return best?.netId ?? 0;
}

let current: NetService | undefined;

/** The process's net service, started on first use from {@link serviceOptionsFromEnv}. */
export function netService(): NetService {
  current ??= new NetService(serviceOptionsFromEnv());
  return current;
}

/**
 * Sets the HarmonyOS block status of a network for this app (HarmonyOS derives it from its network policy, e.g.
 * background data restrictions; Linux has no per-app equivalent, so a host application or a test sets it here).
 * NetConnections watching the network get `netBlockStatusChange`. Rejects 2100001 for a netId naming no live network.
 */
export async function setNetworkBlocked(netId: number, blocked: boolean): Promise<void> {
  await netService().request({ type: 'setBlocked', netId, blocked });
}

/**
 * Stops the process's net service (tests, or an app that wants to exit while a NetConnection is registered).
 * The next use of `connection` starts a new one, reading the environment again.
 */
export async function shutdownNetService(): Promise<void> {
  const s = current;
  current = undefined;
  await s?.close();
}
