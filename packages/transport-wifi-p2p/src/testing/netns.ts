import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `ip <args>` (iproute2), optionally inside network namespace `netns`. Rejects with the tool's stderr. */
export async function ip(args: readonly string[], netns?: string): Promise<string> {
  const argv = netns ? ['-n', netns, ...args] : [...args];
  try {
    const { stdout } = await run('ip', argv, { timeout: 10_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${argv.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Creates network namespace `name` with loopback up. */
export async function addNetns(name: string): Promise<void> {
  await ip(['netns', 'add', name]);
  await ip(['link', 'set', 'lo', 'up'], name);
}

/** Deletes network namespace `name`; a missing one is not an error. */
export async function deleteNetns(name: string): Promise<void> {
  await ip(['netns', 'del', name]).catch(() => undefined);
}

/** True when the process can create namespaces and links (root). */
export function canUseNetns(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
