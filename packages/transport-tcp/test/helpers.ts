import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Conduit, DiscoveryEvent } from '@colink/core';
import { filter, firstValueFrom, type Observable, ReplaySubject, timeout } from 'rxjs';
import { TcpTransport } from '../src/index.js';

export const packageDir = new URL('..', import.meta.url).pathname;
const fixture = new URL('./fixtures/peer.mts', import.meta.url).pathname;

/** A random mDNS port for one test file, so concurrent runs never see each other. */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 30_000);
}

/** Loopback-mode discovery options (toolchain.md): no packet leaves the machine. */
export function loopbackDiscovery(port: number) {
  return { interface: '127.0.0.1', bind: '0.0.0.0', port } as const;
}

/** A valid networkId (64 lower-case hex characters) derived from `seed`. */
export function networkId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** One JSON line from a peer process. */
export interface PeerMessage {
  readonly ev: string;
  readonly at: number;
  readonly [key: string]: unknown;
}

/** A peer process running test/fixtures/peer.mts (or another fixture script, e.g. fixtures/hostile.mts). */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly messages$ = new ReplaySubject<PeerMessage>();
  stderr = '';

  constructor(config: unknown, netns?: string, script = fixture) {
    const node = ['node', '--conditions=@colink/source', '--import', 'tsx', script, JSON.stringify(config)];
    const [cmd, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
    this.child = spawn(cmd!, args, { cwd: packageDir, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.messages$.next(JSON.parse(line) as PeerMessage);
      } catch {
        this.stderr += `${line}\n`;
      }
    });
    this.child.stderr!.on('data', (d) => {
      this.stderr += String(d);
    });
    this.child.on('exit', () => this.messages$.complete());
  }

  /** The first message matching `predicate`, within `ms`. */
  next(predicate: (m: PeerMessage) => boolean, ms = 20_000): Promise<PeerMessage> {
    return firstValueFrom(this.messages$.pipe(filter(predicate), timeout(ms))).catch((err) => {
      throw new Error(`${(err as Error).message} waiting in peer ${this.child.pid}; stderr: ${this.stderr}`);
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Ends the process (SIGKILL after 3 s) and waits for its exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ cmd: 'exit' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  }
}

/** The first discovery event matching `predicate`, within `ms`. */
export function nextEvent(
  events$: Observable<DiscoveryEvent>,
  predicate: (e: DiscoveryEvent) => boolean,
  ms = 20_000,
): Promise<DiscoveryEvent> {
  return firstValueFrom(events$.pipe(filter(predicate), timeout(ms)));
}

/** tcpdump counting packets matching `filter` on `iface`, optionally inside a network namespace. */
export class Capture {
  readonly #child: ChildProcess;
  #stderr = '';
  readonly listening: Promise<void>;
  constructor(iface: string, filter: string, netns?: string) {
    const args = ['tcpdump', '-i', iface, '-n', '-p', '-l', filter];
    const [cmd, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...args] : args;
    this.#child = spawn(cmd!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.listening = new Promise((resolve, reject) => {
      this.#child.stderr!.on('data', (d) => {
        this.#stderr += String(d);
        if (this.#stderr.includes('listening on')) resolve();
      });
      this.#child.once('close', () => reject(new Error(`tcpdump exited: ${this.#stderr}`)));
    });
    this.listening.catch(() => undefined); // reported to whoever awaits it
    this.#closed = new Promise((r) => this.#child.once('close', r));
  }
  readonly #closed: Promise<unknown>;
  /** Stops the capture and returns how many packets it saw. */
  async stop(): Promise<number> {
    this.#child.kill('SIGINT');
    await this.#closed; // 'close': stderr fully read, summary included
    const m = /(\d+) packets? captured/.exec(this.#stderr);
    if (!m) throw new Error(`no tcpdump summary: ${this.#stderr}`);
    return Number(m[1]);
  }
}

/** True when packet capture can run here (root and tcpdump installed). */
export const canCapture = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Two started TCP transports on 127.0.0.1 (no discovery); `onCleanup` gets their stops. */
export async function loopbackTransports(
  onCleanup: (stop: () => Promise<void>) => void,
): Promise<[TcpTransport, TcpTransport]> {
  const a = new TcpTransport({ host: '127.0.0.1', discovery: false });
  const b = new TcpTransport({ host: '127.0.0.1', discovery: false });
  onCleanup(() => a.stop());
  onCleanup(() => b.stop());
  await Promise.all([a.start(), b.start()]);
  return [a, b];
}

/** `a` dials `b`: the dialled end and the end `b` accepted. */
export async function connect(
  a: TcpTransport,
  b: TcpTransport,
): Promise<{ dialled: Conduit; accepted: Conduit }> {
  const acceptedP = firstValueFrom(b.incoming$);
  const dialled = await a.dial(b.localAddress!);
  return { dialled, accepted: await acceptedP };
}

/**
 * A plain node:net server listening on `options` (default 127.0.0.1, any port) that pauses every connection it accepts
 * and records it in `accepted`; the server goes into `track.servers` and each accepted socket into `track.sockets`, for
 * the test's cleanup (`server.close` waits for accepted sockets: destroy them first).
 */
export async function pausingServer(
  track: { servers: Server[]; sockets: Socket[] },
  options: ListenOptions = { host: '127.0.0.1', port: 0 },
): Promise<{ server: Server; port: number; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const server = createServer({ pauseOnConnect: true }, (s) => {
    accepted.push(s);
    track.sockets.push(s);
  });
  track.servers.push(server);
  await new Promise<void>((r) => server.listen(options, r));
  return { server, port: (server.address() as { port: number }).port, accepted };
}

/**
 * Waits until `done()` holds, checking every `everyMs`, at most `ms` of real time (a generous margin on a loaded host);
 * the caller asserts what it waited for afterwards — or, given `what`, it throws `timed out waiting for <what>` at the
 * deadline.
 */
export async function until(done: () => boolean, ms = 10_000, everyMs = 10, what?: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, everyMs));
  if (what !== undefined && !done()) throw new Error(`timed out waiting for ${what}`);
}
