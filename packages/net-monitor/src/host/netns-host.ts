/**
 * A {@link Host} for another network namespace: an agent process started with `ip netns exec <ns>` runs a LocalHost
 * there. A netlink socket belongs to the namespace of the thread that opens it and Node cannot `setns()`, so a
 * child process is the one way that works for the `netlink` package, `ip monitor`, sysfs (remounted by
 * `ip netns exec`), `/etc/netns/<ns>/resolv.conf`, and sockets of probes and DNS queries alike. Needs root
 * (CAP_SYS_ADMIN).
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ColinkError, ErrorCode, type ErrorCode as ErrorCodeType, logger } from '@colink/core';
import { type Observable, Subject } from 'rxjs';
import { AGENT_REQUEST_TIMEOUT_MS, AGENT_START_TIMEOUT_MS, MAX_AGENT_LINE_BYTES } from '../constants.js';
import type { ResolveRequest } from '../dns.js';
import type { ProbeRequest, ProbeResult } from '../probe.js';
import type { NetAddress, ReaderKind, SourceKind } from '../types.js';
import type { AgentError, AgentMessage, AgentRequest } from './agent-protocol.js';
import type { Host, HostOptions } from './host.js';
import type { HostSnapshot } from './snapshot.js';

const log = logger('net-monitor');

/** Network namespace names `ip netns` accepts as a path component. */
const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/** Bytes of agent stderr kept for error messages. */
const STDERR_TAIL_BYTES = 4096;

/** `Omit` applied to each member of a union. */
type RequestBody = AgentRequest extends infer R ? (R extends AgentRequest ? Omit<R, 'id'> : never) : never;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * Node arguments that start the agent: the compiled `agent-main.js` next to this file, or, when running from the
 * TypeScript sources (tests, `@colink/source` condition), `agent-main.ts` through the `tsx` loader.
 */
function agentArgs(): string[] {
  const self = fileURLToPath(import.meta.url);
  const dir = dirname(self);
  if (!self.endsWith('.ts')) return [join(dir, 'agent-main.js')];
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return ['--conditions=@colink/source', '--import', pathToFileURL(tsx).href, join(dir, 'agent-main.ts')];
}

function fromAgentError(e: AgentError): ColinkError {
  const code = (Object.values(ErrorCode) as string[]).includes(e.code)
    ? (e.code as ErrorCodeType)
    : ErrorCode.INTERNAL;
  return new ColinkError(code, e.message, e.detail ? { detail: { ...e.detail } } : {});
}

/** See the module comment. */
export class NetnsHost implements Host {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #changes = new Subject<void>();
  readonly #pending = new Map<number, Pending>();
  readonly netns: string;
  #nextId = 1;
  #source: SourceKind = 'poll';
  #reader: ReaderKind = 'ip';
  #stderr = '';
  #closed = false;
  #exited: Promise<void>;

  private constructor(netns: string, child: ChildProcessWithoutNullStreams) {
    this.netns = netns;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Starts the agent in namespace `netns` and waits for it to report its source. Throws `ColinkError`
   * `ERR_INVALID_ARGUMENT` for a bad name, `ERR_NOT_STARTED` when the agent cannot start (no such namespace, not
   * root, requested source unavailable: the message says why) or `ERR_TIMEOUT`.
   */
  static async open(netns: string, options: HostOptions): Promise<NetnsHost> {
    if (!NETNS_NAME.test(netns)) {
      throw new ColinkError(
        ErrorCode.INVALID_ARGUMENT,
        `invalid network namespace name: ${JSON.stringify(netns)}`,
      );
    }
    const child = spawn(
      'ip',
      ['netns', 'exec', netns, process.execPath, ...agentArgs(), JSON.stringify(options)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const host = new NetnsHost(netns, child);
    await host.#start();
    return host;
  }

  #start(): Promise<void> {
    const child = this.#child;
    // A write to an agent that just died fails with EPIPE; the exit handler reports that.
    child.stdin.on('error', () => {});
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
      if (log.enabled) process.stderr.write(chunk);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new ColinkError(
            ErrorCode.TIMEOUT,
            `net-monitor agent in ${this.netns} did not start in ${AGENT_START_TIMEOUT_MS} ms`,
          ),
        );
      }, AGENT_START_TIMEOUT_MS);
      const fail = (e: ColinkError): void => {
        clearTimeout(timer);
        reject(e);
      };
      child.once('error', (e) =>
        fail(new ColinkError(ErrorCode.NOT_STARTED, `cannot run ip netns exec: ${e.message}`, { cause: e })),
      );
      child.once('exit', (code) => {
        const why = this.#stderr.trim().split('\n').slice(-3).join(' | ');
        fail(
          new ColinkError(
            ErrorCode.NOT_STARTED,
            `net-monitor agent in ${this.netns} exited (${code}): ${why}`,
          ),
        );
        this.#onExit(code);
      });
      let started = false;
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (line.length > MAX_AGENT_LINE_BYTES) {
          child.kill('SIGKILL');
          return;
        }
        let msg: AgentMessage;
        try {
          msg = JSON.parse(line) as AgentMessage;
        } catch {
          return;
        }
        if (msg.type === 'ready' && !started) {
          started = true;
          this.#source = msg.source;
          this.#reader = msg.reader;
          clearTimeout(timer);
          resolve();
        } else if (msg.type === 'fatal') {
          const e = fromAgentError(msg.error);
          fail(e);
          this.#changes.error(e);
        } else this.#dispatch(msg);
      });
    });
  }

  #dispatch(msg: AgentMessage): void {
    if (msg.type === 'ready') {
      // A second `ready`: the agent's source failed and it polls now.
      this.#source = msg.source;
      this.#changes.next();
      return;
    }
    if (msg.type === 'changed') {
      this.#changes.next();
      return;
    }
    if (msg.type !== 'result' && msg.type !== 'error') return;
    const p = this.#pending.get(msg.id);
    if (p === undefined) return;
    this.#pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(fromAgentError(msg.error));
  }

  #onExit(code: number | null): void {
    const e = ColinkError.closed(`net-monitor agent in ${this.netns}`, {
      code: this.#closed ? 'normal' : 'lost',
      message: `exit code ${code}`,
    });
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.#pending.clear();
    if (this.#closed) this.#changes.complete();
    else this.#changes.error(e);
  }

  #request<T>(req: RequestBody): Promise<T> {
    if (this.#closed)
      return Promise.reject(new ColinkError(ErrorCode.NOT_STARTED, 'net-monitor agent is closed'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ColinkError(ErrorCode.TIMEOUT, `net-monitor agent request ${req.method} timed out`));
      }, AGENT_REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#child.stdin.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  get source(): SourceKind {
    return this.#source;
  }

  get reader(): ReaderKind {
    return this.#reader;
  }

  get changes(): Observable<void> {
    return this.#changes.asObservable();
  }

  read(): Promise<HostSnapshot> {
    return this.#request({ method: 'read' });
  }

  probe(request: ProbeRequest): Promise<ProbeResult> {
    return this.#request({ method: 'probe', params: request });
  }

  resolve(request: ResolveRequest): Promise<NetAddress[]> {
    return this.#request({ method: 'resolve', params: request });
  }

  /** Ends the agent (stdin EOF, then SIGKILL after 2 s) and waits for it to exit. */
  async close(): Promise<void> {
    if (this.#closed) return this.#exited;
    this.#closed = true;
    this.#child.stdin.end();
    const kill = setTimeout(() => this.#child.kill('SIGKILL'), 2_000);
    await this.#exited;
    clearTimeout(kill);
  }
}
