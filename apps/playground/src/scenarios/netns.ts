import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** True when this process may create network namespaces and links (root). */
export const isRoot = (): boolean => process.getuid?.() === 0;

/** Runs `ip <args>` (iproute2), inside namespace `netns` when given. Throws with ip's stderr. */
export function ip(netns: string | undefined, ...args: string[]): string {
  const argv = netns ? ['-n', netns, ...args] : args;
  try {
    return execFileSync('ip', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${argv.join(' ')}: ${(err.stderr || err.message).trim()}`);
  }
}

/**
 * The network namespaces (and device processes, temp dirs) of one scenario run, removed by
 * {@link ScenarioNetns.dispose} — also when the process exits early or gets Ctrl-C / SIGTERM (then it exits 130 /
 * 143 after cleaning up).
 * Namespaces are named `<prefix><pid><suffix>`; each gets loopback up and a resolv.conf pointing at its own
 * loopback, so name lookups inside never leave it.
 */
export class ScenarioNetns {
  private readonly names: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly cleanups: Array<() => void> = [];
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const what = this.names.length ? "removing the scenario's network namespaces" : 'stopping the devices';
    process.stdout.write(`\n${signal}: ${what}\n`);
    this.dispose();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  private readonly onExit = (): void => this.dispose();

  constructor(private readonly prefix: string) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('SIGHUP', this.onSignal); // the terminal closed: clean up as for SIGTERM
    process.on('exit', this.onExit);
  }

  /** Creates namespace `<prefix><pid><suffix>` (a stale one of that name is replaced) and returns its name. */
  add(suffix = ''): string {
    const name = `${this.prefix}${process.pid}${suffix}`;
    deleteNetns(name);
    this.names.push(name);
    ip(undefined, 'netns', 'add', name);
    ip(name, 'link', 'set', 'lo', 'up');
    fs.mkdirSync(`/etc/netns/${name}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${name}/resolv.conf`, 'nameserver 127.0.0.1\n');
    return name;
  }

  /** Kills `child` (SIGKILL) if it is still running at dispose time. */
  track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs `fn` (synchronous cleanup, e.g. removing a temp dir) at dispose time, after the namespaces are gone. */
  defer(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Kills tracked processes, deletes every namespace, runs deferred cleanups (idempotent, synchronous). */
  dispose(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
    for (const name of this.names.splice(0)) deleteNetns(name);
    for (const fn of this.cleanups.splice(0)) fn();
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('SIGHUP', this.onSignal);
    process.off('exit', this.onExit);
  }
}

function deleteNetns(name: string): void {
  try {
    ip(undefined, 'netns', 'del', name);
  } catch {
    // not there
  }
  fs.rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
}
