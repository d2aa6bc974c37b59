// Helpers for the tests that keep README examples honest: a README quotes an example file with a
// `<!-- quote: <path from the repo root> -->` line followed by a fenced block; the tests extract the block from the
// README, check it equals the file (so `pnpm typecheck` checks what the README shows), and run the extracted code as
// a user would (a fresh process, the package imported by its name).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..');

/** Every quote in `readme`: `{ file, code }`, `file` relative to the repo root. */
export function readmeQuotes(readme) {
  const text = fs.readFileSync(readme, 'utf8');
  return [...text.matchAll(/<!-- quote: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)].map((m) => ({
    file: m[1],
    code: m[2],
  }));
}

/** The code the README at `readme` quotes from `file` (throws when it quotes nothing from there). */
export function extractExample(readme, file) {
  const quote = readmeQuotes(readme).find((q) => q.file === file);
  if (!quote) throw new Error(`${readme} does not quote ${file}`);
  return quote.code;
}

/**
 * Runs `code` (TypeScript) as a program in `dir` (a package directory, so imports resolve as in that package):
 * written to a temporary file there, run with `node --conditions=@colink/source --import tsx`. Resolves when the
 * process exits, with its status and output; the file is removed. Kills the process after `timeoutMs`. `prefix`
 * runs it through a command, e.g. `['ip', 'netns', 'exec', ns]`; `nodeArgs` replace
 * `--conditions=@colink/source --import tsx` (e.g. `--import @colink/api-compat/register`, which loads the build).
 */
export function runExample(
  dir,
  code,
  {
    args = [],
    env = {},
    timeoutMs = 60_000,
    onStdout,
    prefix = [],
    nodeArgs = ['--conditions=@colink/source', '--import', 'tsx'],
  } = {},
) {
  const file = path.join(dir, `.readme-example-${randomUUID().slice(0, 8)}.ts`);
  fs.writeFileSync(file, code);
  const node = [process.execPath, ...nodeArgs, file, ...args];
  const [command, ...rest] = [...prefix, ...node];
  const child = spawn(command, rest, {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => {
    stdout += b;
    onStdout?.(stdout);
  });
  child.stderr.on('data', (b) => {
    stderr += b;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      fs.rmSync(file, { force: true });
      resolve({ status, signal, stdout, stderr });
    });
  });
  return { child, done };
}
