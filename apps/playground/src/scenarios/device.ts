import { type ChildProcess, spawn } from 'node:child_process';

/** Writes one transcript line: who said it, and what (see `transcript()`). */
export type Log = (who: string, what: string) => void;

/** Where and how a device process runs. */
export interface DeviceOptions {
  /** Working directory: the scenario's folder (module paths in `args` are relative to it). */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Network namespace to run in (`ip netns exec`); default: this one. */
  readonly netns?: string;
  /** Called with every output line (hilog prefix removed) after it is logged. */
  readonly onLine?: (line: string) => void;
}

/**
 * Spawns a Node device process (`node <args>`), optionally inside a network namespace, whose stdout and stderr
 * lines go to the transcript under `who` (hilog's `I 0x0000/tag: ` prefix removed).
 */
export function spawnDevice(
  log: Log,
  who: string,
  args: readonly string[],
  options: DeviceOptions,
): ChildProcess {
  const [cmd, argv] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...args]]
    : [process.execPath, [...args]];
  const child = spawn(cmd, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pipe = (s: NodeJS.ReadableStream) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/^[DIWEF] 0x0000\/\w+: /, '');
        buf = buf.slice(i + 1);
        if (line.trim()) {
          // colink-device announces itself with a JSON line
          log(who, line.startsWith('{"event":"ready"') ? 'ready, waiting for collaboration requests' : line);
          options.onLine?.(line);
        }
      }
    });
  };
  pipe(child.stdout!);
  pipe(child.stderr!);
  return child;
}

/** Resolves with the exit code of `child` (null when a signal ended it), at once if it has exited already. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Ends `child` (SIGTERM, SIGKILL after `graceMs`) and waits for it. */
export async function stop(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(killer);
}

/** The lines of a device process, to wait for (see {@link lineWaiter}). */
export interface LineWaiter {
  /** Pass every line here (use it as {@link DeviceOptions.onLine}). */
  feed(line: string): void;
  /** The first line (seen before or later) for which `pred` holds; rejects after `timeoutMs` naming `what`. */
  wait(pred: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
}

/** Collects lines and lets the lab wait for one. Timers are unref'd: a pending wait never keeps the CLI alive. */
export function lineWaiter(): LineWaiter {
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  return {
    feed(line) {
      seen.push(line);
      for (const w of [...waiters]) w();
    },
    wait(pred, what, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = seen.find(pred);
          if (hit === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs).unref();
        waiters.add(check);
        check();
      });
    },
  };
}

/** {@link LineWaiter.wait}, failing as soon as `child` exits before the line came. */
export async function untilLine(
  lines: LineWaiter,
  child: ChildProcess,
  pred: (line: string) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<string> {
  const early = exited(child).then((code) => {
    throw new Error(`the device exited with ${code} while the lab waited for ${what}`);
  });
  return Promise.race([lines.wait(pred, what, timeoutMs), early]);
}
