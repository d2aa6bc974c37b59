import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Channel, LocalDevice, type LocalDeviceOptions } from '@colink/core';
import { createDeviceSecurity, type TlsSecurity } from '@colink/core/security';
import { TcpTransport } from '@colink/transport-tcp';
import { echoTrips } from './fixtures/echo-trips.js';
import { type PeerMessage, PeerProcess } from './helpers.js';

const hostileScript = new URL('./fixtures/hostile.mts', import.meta.url).pathname;
const trustedScript = new URL('./fixtures/trusted-rtt.mts', import.meta.url).pathname;

/** The short pre-authentication deadline the hostile tests give the device under attack, ms. */
export const TEST_PRE_AUTH_MS = 1_000;
/** The Link handshake timeout of the device under attack, ms: api-compat's binding time, far above the deadline. */
export const TEST_HANDSHAKE_MS = 60_000;
/** The account of every trusted device in the hostile tests. */
const ACCOUNT = 'hostile-test-account';

export function sh(...args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Kinds of misbehaviour of fixtures/hostile.mts. */
export type AttackKind =
  | 'random'
  | 'slow-preamble'
  | 'slow-tls'
  | 'huge-frame'
  | 'silent'
  | 'untrusted-flood'
  | 'untrusted-silent'
  | 'bind-flood';

export interface Attack {
  readonly kind: AttackKind;
  readonly conns: number;
  readonly secure?: boolean;
  /** Connect from these local addresses, round robin (many sources). */
  readonly sources?: readonly string[];
  /** Keep every slot busy for this long, ms: reopen a connection as soon as the device closes one. */
  readonly sustainMs?: number;
  /** Attempts the newcomer may make to dial in during the attack. Default 1. */
  readonly newcomerAttempts?: number;
  /** How long the hostile client holds a socket the device did not close, ms. Default 15 000. */
  readonly holdMs?: number;
}

/** What one attack showed. */
export interface AttackReport {
  readonly result: PeerMessage & {
    connected: number;
    closedByServer: number;
    held: number;
    tls: number;
    flooded: number;
    closeMsMedian: number | null;
    closeMsMax: number | null;
    /** Socket errors by code of the first round of connections (one per slot). */
    errors: Record<string, number>;
    reconnects: number;
    reconnectsClosedByServer: number;
    /** Socket errors by code of the reconnections of a sustained attack (`sustainMs`), every round after the first. */
    reconnectErrors: Record<string, number>;
    /**
     * Reconnections the hostile closed itself when the attack's time ran out (the device had not ended them; they saw
     * no error): at most one per slot, its last.
     */
    reconnectsHeldToEnd: number;
    /**
     * Socket errors by code of every other reconnection: those the device ended (reset at accept, evicted, refused,
     * timed out — also while their connect was completing) or that failed otherwise. A reconnection the device ended
     * with a FIN has no error and shows here as missing from the total.
     */
    reconnectErrorsEndedByDevice: Record<string, number>;
  };
  readonly engaged: PeerMessage & { connected: number; failed: number };
  /** Median RTT of the trusted session just before the attack (same count and size of round trips), ms. */
  readonly rttIdleMs: number;
  /**
   * Median RTT of the trusted session while the hostile sockets were open, ms: 20 round trips (unless `attack()` was
   * told otherwise) from the moment every
   * hostile connect completed (the device is still accepting and handling them), before the newcomer dials in (its
   * own TLS handshake, both ends of which run in this process, is not hostile work).
   */
  readonly rttUnderAttackMs: number;
  /** 90th percentile and longest of those round trips, ms. */
  readonly rttUnderAttackP90Ms: number;
  readonly rttUnderAttackMaxMs: number;
  /** A new trusted device dialled in during the attack (its echo came back). */
  readonly newcomerMs: number;
  /** Attempts the newcomer needed (1 unless the attack allowed retries). */
  readonly newcomerAttempts: number;
  /** Highest pending-handshake count sampled during the attack. */
  readonly pendingMax: number;
  /** The device's pending high-water mark since it started (exact, not sampled). */
  readonly pendingHighWater: number;
  /**
   * With the gatekeeper ({@link SceneOptions.gatekeeper}): its counters over this attack — connections reset at a wrong
   * magic byte, at the preamble deadline, evicted by its waiting caps, handed to the device — and its process's CPU
   * time, ms (/proc/<pid>/schedstat: time on a CPU). Its evictions and deadline resets are also counted in `evicted`
   * and `timedOut`.
   */
  readonly gatekeeper?: {
    badMagic: number;
    timedOut: number;
    evicted: number;
    handed: number;
    cpuMs: number;
  };
  /** Most inbound connections waiting for their turn in the pre-authentication work queue, since it started. */
  readonly queuedHighWater: number;
  /** Waiting connections closed because the queue was full, during this attack. */
  readonly queueRefused: number;
  /** Connections the listener reset at accept (per-source allowance used up), during this attack. */
  readonly rateLimited: number;
  /** Highest count of open inbound TCP conduits sampled during the attack. */
  readonly inboundMax: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  readonly heapBeforeMiB: number;
  readonly heapAfterMiB: number;
  readonly evicted: number;
  readonly timedOut: number;
  /**
   * CPU time of this process (user + system, every thread) from sending the attack until the hostile process
   * reported its result (every hostile socket closed), ms: the device's work for the attack, plus the fixed cost of
   * the trusted round trips and the newcomer's dial (both ends of its TLS handshake run here).
   */
  readonly cpuMs: number;
}

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

/** Options of {@link HostileScene}. */
export interface SceneOptions {
  /**
   * Scheduling priority of the hostile process (0–19; default 0). On a real LAN the attacker's CPU is not the
   * device's; the `hostile` bench runs it at 19 so that the device's own work is what is measured.
   */
  readonly hostileNice?: number;
  /**
   * Measure the trusted session's round trips from a trusted device in its own process (test/fixtures/trusted-rtt.mts)
   * instead of the one in this process (default false). On a real LAN the trusted peer is another machine; in this
   * process its half of every trip would also wait behind the device's pre-authentication work.
   */
  readonly trustedProcess?: boolean;
  /**
   * The device under attack listens through transport-tcp's gatekeeper process (`TcpTransport` option `gatekeeper`,
   * preamble deadline {@link TEST_PRE_AUTH_MS}): strangers that fail before the end of their preamble never reach it.
   */
  readonly gatekeeper?: boolean;
  /**
   * How long the device under attack holds a connection past its accept allowance before resetting it (`TcpTransport`
   * option `tarpit`), ms; 0 turns the tarpit off. Default `HOSTILE_TARPIT_MS` from the environment, else
   * {@link TEST_PRE_AUTH_MS}.
   */
  readonly tarpitMs?: number;
}

/** CPU time a process spent on a CPU so far, ms (/proc/<pid>/schedstat, ns); 0 when it cannot be read. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return 0;
  }
}

/**
 * A device under attack (TLS security, a TCP listener on `listenHost`, a short pre-authentication deadline), one
 * trusted device with an echo channel open to it, a newcomer trusted device that dials in during each attack, and a
 * hostile process (in `netns` when given).
 */
export class HostileScene {
  server!: LocalDevice;
  serverSecurity!: TlsSecurity;
  serverTcp!: TcpTransport;
  trusted!: LocalDevice;
  newcomer!: LocalDevice;
  channel!: Channel;
  hostile!: PeerProcess;
  idleRttMs = 0;
  /** Pending handshakes and inbound connections of the device once the scene had started ({@link HostileScene.quiesce}). */
  private baseline = { pending: 0, inbound: 0 };
  private readonly dirs: string[] = [];
  private counter = 0;

  /** The trusted device in its own process ({@link SceneOptions.trustedProcess}), whose round trips are measured. */
  remoteTrusted: PeerProcess | undefined;

  /**
   * @param listenHost Address the device under attack listens on.
   * @param netns Network namespace the hostile process runs in (none: this host's loopback).
   */
  constructor(
    readonly listenHost: string,
    readonly netns?: string,
    readonly options: SceneOptions = {},
  ) {}

  private tarpitMs(): number {
    return this.options.tarpitMs ?? Number(process.env.HOSTILE_TARPIT_MS ?? TEST_PRE_AUTH_MS);
  }

  get address(): string {
    return this.serverTcp.localAddress!;
  }

  private async security(): Promise<TlsSecurity> {
    const dir = await mkdtemp(join(tmpdir(), 'cltcp-hostile-'));
    this.dirs.push(dir);
    return createDeviceSecurity({ stateDir: dir, account: ACCOUNT });
  }

  private async device(
    name: string,
    tcp: TcpTransport,
    extra: Partial<LocalDeviceOptions> = {},
    security?: TlsSecurity,
  ): Promise<LocalDevice> {
    security ??= await this.security();
    const d = new LocalDevice({
      advert: { networkId: security.networkId, deviceName: name, deviceType: 'pc' },
      transports: [tcp],
      security,
      link: { handshakeTimeoutMs: TEST_HANDSHAKE_MS },
      ...extra,
    });
    await d.start();
    return d;
  }

  async start(): Promise<void> {
    this.serverTcp = new TcpTransport({
      host: this.listenHost,
      discovery: false,
      ...(this.options.gatekeeper ? { gatekeeper: { preambleTimeoutMs: TEST_PRE_AUTH_MS } } : {}),
      // Connections past the accept allowance are held before their reset: for `tarpitMs` (the tests: as long as the
      // scene's pre-authentication deadline, as the transport's default hold is core's default deadline).
      tarpit: this.tarpitMs() === 0 ? false : { holdMs: this.tarpitMs() },
    });
    // For an A/B comparison of taking connections into the device's work queue before their socket exists
    // (TcpTransport.queueInbound): `HOSTILE_QUEUE_INBOUND=0` hides it from the device, which then gets every admitted
    // connection as a conduit on incoming$, built in the accept loop.
    if (process.env.HOSTILE_QUEUE_INBOUND === '0')
      Object.defineProperty(this.serverTcp, 'queueInbound', { value: undefined });
    this.serverSecurity = await this.security();
    this.server = await this.device(
      'target',
      this.serverTcp,
      {
        admission: {
          preAuthTimeoutMs: TEST_PRE_AUTH_MS,
          // For an A/B comparison of the pre-authentication work slices: `HOSTILE_WORK_SLICE_MS=Infinity` turns them off.
          ...(process.env.HOSTILE_WORK_SLICE_MS
            ? { workSliceMs: Number(process.env.HOSTILE_WORK_SLICE_MS) }
            : {}),
        },
      },
      this.serverSecurity,
    );
    this.server.handle('echo', (ch) => {
      ch.messages$.subscribe((m) => void ch.send(m).catch(() => undefined));
    });
    this.trusted = await this.device('trusted', new TcpTransport({ host: '127.0.0.1', discovery: false }));
    this.newcomer = await this.device('newcomer', new TcpTransport({ host: '127.0.0.1', discovery: false }));
    const link = await this.trusted.connectAddress('tcp', this.address);
    this.channel = link.openChannel({ proto: 'echo' });
    await this.rtt(5); // warm-up
    this.idleRttMs = await this.rtt(20);
    if (this.options.trustedProcess) {
      this.remoteTrusted = new PeerProcess(
        { address: this.address, account: ACCOUNT },
        undefined,
        trustedScript,
      );
      await this.remoteTrusted.next((m) => m.ev === 'ready', 30_000);
    }
    this.hostile = new PeerProcess({ nice: this.options.hostileNice ?? 0 }, this.netns, hostileScript);
    await this.hostile.next((m) => m.ev === 'ready', 30_000);
    this.baseline = {
      pending: this.server.admissionStats().pending,
      inbound: this.serverTcp.inboundConnections,
    };
  }

  async stop(): Promise<void> {
    await this.hostile?.close();
    await this.remoteTrusted?.close();
    for (const d of [this.newcomer, this.trusted, this.server]) await d?.stop();
    for (const dir of this.dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }

  /** Median round trip of a 64-byte message on the trusted session, ms (`n` trips, each within 20 s). */
  async rtt(n: number, channel = this.channel): Promise<number> {
    return (await this.rttStats(n, channel)).median;
  }

  /** Median, 90th percentile and longest of `n` round trips of `bytes` (default 64) on the trusted session, ms. */
  async rttStats(
    n: number,
    channel = this.channel,
    bytes = 64,
  ): Promise<{ median: number; p90: number; max: number }> {
    return summarize(await echoTrips(channel, n, bytes));
  }

  /**
   * Median, 90th percentile and longest of `n` round trips of `bytes` on the measured trusted session, ms: the
   * trusted device's own process when {@link SceneOptions.trustedProcess} is set, else this process's.
   */
  async trustedRtt(n: number, bytes = 64): Promise<{ median: number; p90: number; max: number }> {
    const remote = this.remoteTrusted;
    if (!remote) return this.rttStats(n, this.channel, bytes);
    const id = `r${++this.counter}`;
    remote.send({ cmd: 'rtt', id, n, bytes });
    const m = await remote.next((x) => (x.ev === 'rtt' || x.ev === 'error') && x.id === id, 60_000);
    if (m.ev === 'error') throw new Error(`trusted process: ${String(m.message)}`);
    return summarize(m.times as number[]);
  }

  /**
   * A new trusted device dials in and gets an echo back, trying up to `attempts` times (an app retries a failed
   * connect); returns how long the successful attempt took, ms, and how many attempts it needed.
   */
  async newcomerDial(attempts = 1): Promise<{ ms: number; attempts: number }> {
    for (let i = 1; ; i++) {
      const t0 = performance.now();
      try {
        const link = await this.newcomer.connectAddress('tcp', this.address);
        const ch = link.openChannel({ proto: 'echo' });
        await this.rtt(1, ch);
        const ms = performance.now() - t0;
        await link.close();
        return { ms: Math.round(ms), attempts: i };
      } catch (e) {
        if (i >= attempts) throw e;
        await new Promise((r) => setTimeout(r, 50 * i)); // as an app retries: a little later each time
      }
    }
  }

  /**
   * Waits until the device is idle: no more pending handshakes and inbound connections than once the scene had
   * started (the trusted devices' Links) and nothing queued — the previous attack's connections closed and taken
   * down — then `settleMs` more (default 0). At most 30 s.
   */
  async quiesce(settleMs = 0): Promise<void> {
    const until = performance.now() + 30_000;
    const base = this.baseline;
    for (;;) {
      const s = this.server.admissionStats();
      if (s.pending <= base.pending && s.queued === 0 && this.serverTcp.inboundConnections <= base.inbound)
        break;
      if (performance.now() > until) throw new Error(`device not idle after 30 s: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  }

  /**
   * Runs `attack` from the hostile process and measures the device throughout. `rtt`: the trusted round trips
   * measured under attack (`trips`, default 20, of `bytes`, default 64; the `hostile` bench uses 1 KiB) and idle
   * just before (`idleTrips`, default `trips`) — with `settleMs`, once the device is idle
   * ({@link HostileScene.quiesce}): its idle value is then not measured while it still takes down the previous attack.
   * With `afterMs` the trips under attack start that long after every hostile connect settled instead of at once.
   */
  async attack(
    attack: Attack,
    rtt: { trips?: number; idleTrips?: number; bytes?: number; settleMs?: number; afterMs?: number } = {},
  ): Promise<AttackReport> {
    const id = `a${++this.counter}`;
    const [host, port] = splitAddress(this.address);
    const trips = rtt.trips ?? 20;
    if (rtt.settleMs !== undefined) await this.quiesce(rtt.settleMs);
    const rttIdleMs = (await this.trustedRtt(rtt.idleTrips ?? trips, rtt.bytes)).median;
    const mem0 = process.memoryUsage();
    const before = this.server.admissionStats();
    const rateLimited0 = this.serverTcp.rateLimitedConnections;
    // The attack opens many connections at once; the sampler reads the counters every 10 ms.
    let pendingMax = 0;
    let inboundMax = 0;
    const sample = setInterval(() => {
      pendingMax = Math.max(pendingMax, this.server.admissionStats().pending);
      inboundMax = Math.max(inboundMax, this.serverTcp.inboundConnections);
    }, 10);
    const gk0 = this.serverTcp.gatekeeperStats;
    const gkCpu0 = processCpuMs(gk0?.pid);
    const cpu0 = process.cpuUsage();
    try {
      this.hostile.send({ cmd: 'attack', id, host, port, holdMs: 15_000, ...attack });
      const engaged = (await this.hostile.next(
        (m) => m.ev === 'engaged' && m.id === id,
        60_000,
      )) as AttackReport['engaged'];
      // `afterMs`: the trips start that long after every hostile connect settled (mid-storm for a sustained attack).
      if (rtt.afterMs) await new Promise((r) => setTimeout(r, rtt.afterMs));
      const s0 = this.server.admissionStats();
      const underAttack = await this.trustedRtt(trips, rtt.bytes);
      if (process.env.HOSTILE_DEBUG) {
        const s1 = this.server.admissionStats();
        console.log(
          `TRIPS from queued ${s0.queued} pending ${s0.pending} slices ${s0.slices - before.slices} inbound ` +
            `${this.serverTcp.inboundConnections} to queued ${s1.queued} pending ${s1.pending} slices ${s1.slices - before.slices}`,
        );
      }
      const rttUnderAttackMs = underAttack.median;
      const newcomer = await this.newcomerDial(attack.newcomerAttempts);
      const result = (await this.hostile.next(
        (m) => m.ev === 'result' && m.id === id,
        60_000,
      )) as AttackReport['result'];
      const cpu = process.cpuUsage(cpu0);
      if (process.env.HOSTILE_DEBUG)
        console.log(`CPU user ${cpu.user / 1000} ms system ${cpu.system / 1000} ms`);
      const gkCpuMs = processCpuMs(gk0?.pid) - gkCpu0;
      if (gk0) await new Promise((r) => setTimeout(r, 250)); // its counters arrive at most every 100 ms
      const gk1 = this.serverTcp.gatekeeperStats;
      const gk =
        gk0 && gk1
          ? {
              badMagic: gk1.badMagic - gk0.badMagic,
              timedOut: gk1.timedOut - gk0.timedOut,
              evicted: gk1.evicted - gk0.evicted,
              handed: gk1.handed - gk0.handed,
              cpuMs: Math.round(gkCpuMs * 10) / 10,
            }
          : undefined;
      const mem1 = process.memoryUsage();
      const after = this.server.admissionStats();
      return {
        engaged,
        result,
        rttIdleMs,
        rttUnderAttackMs,
        rttUnderAttackP90Ms: underAttack.p90,
        rttUnderAttackMaxMs: underAttack.max,
        newcomerMs: newcomer.ms,
        newcomerAttempts: newcomer.attempts,
        pendingMax,
        pendingHighWater: after.pendingHighWater,
        queuedHighWater: after.queuedHighWater,
        queueRefused: after.queueRefused - before.queueRefused,
        rateLimited: this.serverTcp.rateLimitedConnections - rateLimited0,
        inboundMax,
        rssBeforeMiB: mib(mem0.rss),
        rssAfterMiB: mib(mem1.rss),
        heapBeforeMiB: mib(mem0.heapUsed),
        heapAfterMiB: mib(mem1.heapUsed),
        evicted: after.evicted - before.evicted + (gk?.evicted ?? 0),
        timedOut: after.timedOut - before.timedOut + (gk?.timedOut ?? 0),
        ...(gk ? { gatekeeper: gk } : {}),
        cpuMs: Math.round((cpu.user + cpu.system) / 100) / 10,
      };
    } finally {
      clearInterval(sample);
    }
  }
}

/**
 * Median, 90th percentile and longest of round-trip times, ms, rounded to 0.001 (1 µs: a loopback round trip is
 * ~0.15 ms, so rounding to 0.01 moved each figure by up to 3 % and a ratio of two by up to 7 %).
 */
function summarize(times: readonly number[]): { median: number; p90: number; max: number } {
  if (process.env.HOSTILE_DEBUG) console.log('RTTS', times.map((t) => t.toFixed(2)).join(' '));
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! * 1000) / 1000;
  return { median: at(0.5), p90: at(0.9), max: at(1) };
}

/** `host` and `port` of `host:port` / `[v6]:port`. */
function splitAddress(address: string): [string, number] {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`bad address ${address}`);
  return [m[1]!, Number(m[2])];
}

/** One line per attack for the test output (numbers for core's README "Robustness"). */
export function describeReport(env: string, name: string, r: AttackReport): string {
  const x = r.result;
  return (
    `[hostile ${env}] ${name}: ${x.connected}/${x.conns} connected, ${x.closedByServer} closed by the device ` +
    `(median ${x.closeMsMedian} ms, max ${x.closeMsMax} ms), ${x.held} held to the end, tls ${x.tls}, ` +
    `errors seen by the hostile sockets ${JSON.stringify(x.errors)}` +
    (x.reconnects > 0 ? ` (reconnections: ${JSON.stringify(x.reconnectErrors)})` : '') +
    ', ' +
    `flooded ${mib(x.flooded)} MiB; pending max ${r.pendingMax} (high-water ${r.pendingHighWater}), inbound max ${r.inboundMax}, evicted ${r.evicted}, queued max ${r.queuedHighWater}, ` +
    `queue-refused ${r.queueRefused}, rate-limited ${r.rateLimited}, ` +
    `timed out ${r.timedOut}; trusted RTT ${r.rttUnderAttackMs} ms (idle ${r.rttIdleMs} ms, ${Math.round((r.rttUnderAttackMs / r.rttIdleMs) * 10) / 10}×; p90 ${r.rttUnderAttackP90Ms} ms, max ${r.rttUnderAttackMaxMs} ms); newcomer in ` +
    `${r.newcomerMs} ms (attempt ${r.newcomerAttempts}); CPU ${r.cpuMs} ms` +
    (r.gatekeeper
      ? ` (gatekeeper ${r.gatekeeper.cpuMs} ms: ${r.gatekeeper.badMagic} bad magic, ${r.gatekeeper.timedOut} timed out, ${r.gatekeeper.evicted} evicted, ${r.gatekeeper.handed} handed over)`
      : '') +
    `; RSS ${r.rssBeforeMiB}→${r.rssAfterMiB} MiB, heap ${r.heapBeforeMiB}→${r.heapAfterMiB} MiB`
  );
}
