import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The built CLI the tests run. */
export const MAIN = path.resolve(import.meta.dirname, '../dist/main.js');

/**
 * Whether the CLI can run as `nobody` here, for the not-root paths: we are root (to switch user) and `nobody` can
 * read the checkout (a clone in a 0700 directory, as `mktemp -d` makes, cannot be read).
 */
export const nobodyCanRun = ((): boolean => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'test', '-r', MAIN], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
