import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Prefix of the lab's network namespaces: `cllab<pid of the CLI>`. */
export const NETNS_PREFIX = 'cllab';
/** The line the lab inside the namespace prints once its UI socket listens. */
export const READY_LINE = 'colink-lab-ready';
/** How long the lab inside gets to stop after SIGINT/SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

/** Why `--netns` cannot run here (not root, no `ip`), or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return '--netns needs Linux network namespaces';
  if (process.getuid?.() !== 0) return '--netns needs root (it creates a network namespace): run it as root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return '--netns needs iproute2 (`ip`): apt install iproute2';
  }
  return undefined;
}

/** Options of {@link runLabInNetns}. */
export interface NetnsLabOptions {
  /** Host port of the UI (127.0.0.1); 0 or taken: any free port. */
  readonly port: number;
  /** The command that runs the lab itself: `[node, main.js, ...]`; `--netns-child <socket>` is appended. */
  readonly command: readonly string[];
  /** Where the CLI prints (the child's lines are passed through). */
  readonly out: NodeJS.WritableStream;
}

/**
 * Runs the lab in its own network namespace `cllab<pid>` (loopback up) and serves its UI on the host.
 *
 * The lab's devices are in-process LocalDevices, so they share one namespace: every byte they send (DNS-SD
 * multicast, TCP, the BLE host stacks' sockets, the Wi-Fi P2P data path on the namespace's loopback) stays inside it,
 * away from the host's interfaces. The lab serves its UI on a unix socket (sockets on the file system cross
 * namespaces); this process proxies 127.0.0.1:`port` on the host to it (HTTP and the WebSocket alike, as bytes).
 *
 * The namespace is deleted when the lab exits for any reason: Ctrl-C / SIGTERM (forwarded to the lab, which stops
 * its devices), a crash of the lab, or a failure here. Namespaces left by a CLI that was SIGKILLed are removed on the
 * next start. Resolves with the lab's exit code.
 * @throws Error when the namespace cannot be created.
 */
export async function runLabInNetns(options: NetnsLabOptions): Promise<number> {
  await sweepStaleNamespaces();
  const ns = `${NETNS_PREFIX}${process.pid}`;
  const socketPath = path.join(os.tmpdir(), `colink-lab-${process.pid}.sock`);
  fs.rmSync(socketPath, { force: true });
  await run('ip', ['netns', 'add', ns]);
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    deleteNamespace(ns);
    fs.rmSync(socketPath, { force: true });
  };
  // Last resort: whatever ends this process, the namespace goes with it.
  process.once('exit', cleanup);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    cleanup();
    throw e;
  }

  const [cmd, ...args] = options.command;
  const child = spawn('ip', ['netns', 'exec', ns, cmd!, ...args, '--netns-child', socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1))),
  );
  child.once('error', (e) => options.out.write(`cannot start the lab: ${e.message}\n`));

  let proxy: net.Server | undefined;
  const lines = readline.createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line !== READY_LINE) {
      options.out.write(`${line}\n`);
      return;
    }
    void serveProxy(socketPath, options.port).then(
      (p) => {
        proxy = p.server;
        options.out.write(`network namespace ${ns} (removed on exit)\nopen http://127.0.0.1:${p.port}/\n`);
      },
      (e: unknown) => {
        options.out.write(`cannot serve the UI on the host: ${e instanceof Error ? e.message : String(e)}\n`);
        child.kill('SIGTERM');
      },
    );
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
  };
  const onInt = (): void => stop('SIGINT');
  const onTerm = (): void => stop('SIGTERM');
  // SIGHUP: the terminal closed. Without a handler node would exit at once and leave the namespace behind.
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onTerm);
  try {
    return await exited;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onTerm);
    proxy?.close();
    cleanup();
  }
}

/** Proxies 127.0.0.1:`port` (0 or taken: any free port) to the unix socket, byte for byte. */
async function serveProxy(socketPath: string, port: number): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(socketPath);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const listen = (p: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(port);
  } catch {
    await listen(0);
  }
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Kills what still runs in namespace `ns` and deletes it (synchronous: also runs from an `exit` handler). */
function deleteNamespace(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** Removes `cllab<pid>` namespaces whose CLI process no longer runs (it was SIGKILLed). */
async function sweepStaleNamespaces(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)$`).exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    deleteNamespace(name);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal] ?? 0;
}
