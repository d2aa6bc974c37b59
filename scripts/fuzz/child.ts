/**
 * One fuzz worker process, started by scripts/fuzz.mjs (`node --conditions=@colink/source --import tsx`):
 *
 * - `--list`: prints the targets as JSON;
 * - `--target <name>[,<name>…] [--runs N] [--seconds S] [--seed N] [--timeout ms] --hang-file <path>`: fuzzes the
 *   targets one after the other (one process start for a package's targets), reports progress and each result over
 *   IPC, saves a failing (shrunk) input to the package's corpus. A watchdog
 *   thread kills the process when one input runs longer than the timeout, after writing the input's index and the
 *   target to the hang file;
 *   An error escaping the check asynchronously (uncaught exception, unhandled rejection) is recorded the same way;
 * - `--materialize --target <name> --seed N --path I [--message M]`: regenerates the I-th input of that seed (a hang,
 *   or with `--message` a crash) and saves it to the corpus without running it.
 * @module
 */

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { DEFAULT_INPUT_TIMEOUT_MS, describeError, type FuzzTarget, runTarget, saveCase } from './kit.js';
import { registry } from './registry.js';

const { values: args } = parseArgs({
  options: {
    list: { type: 'boolean' },
    materialize: { type: 'boolean' },
    target: { type: 'string' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
    message: { type: 'string' },
    timeout: { type: 'string' },
    'hang-file': { type: 'string' },
  },
});

/** Sends a message to the parent (or prints it as a JSON line without one); resolves once it is written. */
function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (process.send) process.send(message, undefined, undefined, () => resolve());
    else process.stdout.write(`${JSON.stringify(message)}\n`, () => resolve());
  });
}

/** The target called `name` and its package folder; loads only that package. */
async function find(name: string): Promise<{ packageDir: string; target: FuzzTarget }> {
  const p = registry.find((p) => name.startsWith(`${p.prefix}.`));
  const target = (await p?.load())?.find((t) => t.name === name);
  if (!p || !target) throw new Error(`no fuzz target ${name}`);
  return { packageDir: p.packageDir, target };
}

/** The watchdog: a thread that reads the input counter from shared memory and kills the process on a hang. */
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const a = new Int32Array(workerData.sab);
let last = -1, since = Date.now();
setInterval(() => {
  const tick = Atomics.load(a, 0);
  if (Atomics.load(a, 1) === 1 || tick === 0) { last = tick; since = Date.now(); return; }
  if (tick !== last) { last = tick; since = Date.now(); return; }
  if (Date.now() - since < workerData.timeoutMs) return;
  fs.writeFileSync(
    workerData.hangFile,
    JSON.stringify({ target: workerData.names[Atomics.load(a, 3)], index: Atomics.load(a, 2), ms: Date.now() - since }),
  );
  process.kill(process.pid, 'SIGKILL');
}, 50);
`;

async function main(): Promise<void> {
  if (args.list) {
    const targets = [];
    for (const p of registry)
      for (const t of await p.load()) targets.push({ name: t.name, description: t.description });
    await send({ targets });
    return;
  }
  const names = (args.target ?? '').split(',').filter(Boolean);
  const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
  if (args.materialize) {
    const { packageDir, target } = await find(names[0] ?? '');
    let input: unknown;
    await runTarget(target, { seed, path: args.path!, runs: 1, collect: (v) => (input = v) });
    const crash = args.message !== undefined;
    const file = saveCase(packageDir, {
      target: target.name,
      kind: crash ? 'crash' : 'hang',
      message: `${crash ? args.message : `no end within ${args.timeout ?? DEFAULT_INPUT_TIMEOUT_MS} ms`} (seed ${seed}, path ${args.path})`,
      input,
    });
    await send({ saved: file });
    return;
  }
  const found = [];
  for (const name of names) found.push(await find(name));
  // [0] inputs started, [1] 1 between targets, [2] index of the running input, [3] index of the running target.
  const sab = new SharedArrayBuffer(16);
  const shared = new Int32Array(sab);
  const watchdog = new Worker(WATCHDOG, {
    eval: true,
    workerData: {
      sab,
      names,
      timeoutMs: Number(args.timeout ?? DEFAULT_INPUT_TIMEOUT_MS),
      hangFile: args['hang-file'],
    },
  });
  watchdog.unref();
  // An error thrown outside the check (a callback run later, an unhandled rejection) would kill the process without
  // naming the input: record the input that was running, like a hang, and end.
  const abort = (e: unknown): void => {
    fs.writeFileSync(
      args['hang-file']!,
      JSON.stringify({
        target: names[Atomics.load(shared, 3)],
        index: Atomics.load(shared, 2),
        kind: 'crash',
        message: describeError(e),
      }),
    );
    process.exit(3);
  };
  process.on('uncaughtException', abort);
  process.on('unhandledRejection', abort);
  for (const [i, { packageDir, target }] of found.entries()) {
    Atomics.store(shared, 1, 1);
    Atomics.store(shared, 0, 0);
    Atomics.store(shared, 2, 0);
    Atomics.store(shared, 3, i);
    await send({ start: target.name });
    await target.setup?.();
    Atomics.store(shared, 1, 0);
    let lastReport = performance.now();
    let tried = 0;
    const result = await runTarget(target, {
      seed,
      ...(args.runs === undefined ? {} : { runs: Number(args.runs) }),
      ...(args.seconds === undefined ? {} : { seconds: Number(args.seconds) }),
      onInput: (index) => {
        Atomics.add(shared, 0, 1);
        if (index >= 0) {
          Atomics.store(shared, 2, index);
          tried = index + 1;
        }
        const now = performance.now();
        if (now - lastReport > 1000) {
          lastReport = now;
          void send({ progress: tried, target: target.name });
        }
      },
    });
    Atomics.store(shared, 1, 1);
    await target.teardown?.();
    let saved: string | undefined;
    if (result.failure) {
      saved = saveCase(packageDir, {
        target: target.name,
        kind: result.failure.kind,
        message: result.failure.message,
        input: result.failure.input,
      });
    }
    await send({
      target: target.name,
      result: {
        runs: result.runs,
        shrinks: result.shrinks,
        seed: result.seed,
        ms: Math.round(result.ms),
        ...(result.failure
          ? {
              failure: {
                kind: result.failure.kind,
                message: result.failure.message,
                path: result.failure.path,
                saved,
              },
            }
          : {}),
      },
    });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
