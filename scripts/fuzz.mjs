#!/usr/bin/env node
// `pnpm fuzz`: runs every fuzz target (the packages' fuzz/targets.ts, listed in scripts/fuzz/registry.ts) with
// fast-check, one target at a time, each in its own process (scripts/fuzz/child.ts under tsx with the
// `@colink/source` condition) with a per-input time limit.
//
//   pnpm fuzz -- [--runs N | --seconds S] [--target NAME[,NAME…] | --target PREFIX*] [--seed=N] [--timeout MS] [--list]
//
// Prints per target: inputs tried, failures, and the failures' kinds (crash, hang, untyped error, broken property).
// A failing input (shrunk) is saved as packages/<pkg>/test/corpus/<target>/<hash>.json, which the package's corpus
// test replays in `pnpm test`. Exits 1 when any target failed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    runs: { type: 'string' },
    seconds: { type: 'string' },
    target: { type: 'string' },
    seed: { type: 'string' },
    timeout: { type: 'string', default: '10000' },
    list: { type: 'boolean' },
  },
});
if (args.runs === undefined && args.seconds === undefined) args.runs = '10000';

/** Starts scripts/fuzz/child.ts with `childArgs`; resolves with its IPC messages and exit status. */
function child(childArgs, onMessage = () => {}) {
  return new Promise((resolve) => {
    const messages = [];
    const p = spawn(
      process.execPath,
      [
        '--conditions=@colink/source',
        '--import',
        'tsx',
        path.join(root, 'scripts/fuzz/child.ts'),
        ...childArgs,
      ],
      {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, NODE_ENV: 'test' },
      },
    );
    p.on('message', (m) => {
      messages.push(m);
      onMessage(m);
    });
    p.on('exit', (code, signal) => resolve({ messages, code, signal }));
  });
}

const listed = await child(['--list']);
const all = listed.messages.find((m) => m.targets)?.targets;
if (!all) {
  console.error('fuzz: could not list the targets');
  process.exit(2);
}
const wanted = args.target?.split(',').map((s) => s.trim());
const selected = wanted
  ? all.filter((t) =>
      wanted.some((w) => (w.endsWith('*') ? t.name.startsWith(w.slice(0, -1)) : t.name === w)),
    )
  : all;
if (args.list) {
  for (const t of all) console.log(`${t.name.padEnd(36)} ${t.description}`);
  process.exit(0);
}
if (selected.length === 0) {
  console.error(`fuzz: no target matches ${args.target}; see pnpm fuzz -- --list`);
  process.exit(2);
}

const limit =
  args.runs !== undefined ? `${Number(args.runs).toLocaleString('en')} inputs` : `${args.seconds} s`;
console.log(`fuzzing ${selected.length} target(s), ${limit} each, per-input limit ${args.timeout} ms`);
/** How often a long run prints its progress, ms. */
const PROGRESS_EVERY_MS = 60_000;
const rows = [];
/** Prints a target's row as soon as it is known. */
function report(row) {
  rows.push(row);
  const status = row.failures ? `FAILED  ${row.detail}` : 'ok';
  console.log(
    `${row.target.padEnd(36)} ${String(row.runs).padStart(9)} inputs  ${(row.ms / 1000).toFixed(1).padStart(7)} s  ${status}`,
  );
}
const empty = (target, seed) => ({
  target,
  runs: 0,
  failures: 0,
  crash: 0,
  hang: 0,
  untyped: 0,
  property: 0,
  seed,
  ms: 0,
});

// One process per package runs its targets one after the other; after a hang or a crash the rest get a new one.
const byPackage = new Map();
for (const t of selected) {
  const prefix = t.name.slice(0, t.name.indexOf('.'));
  byPackage.set(prefix, [...(byPackage.get(prefix) ?? []), t.name]);
}
for (let queue of byPackage.values()) {
  while (queue.length > 0) {
    const hangFile = path.join(os.tmpdir(), `colink-fuzz-${process.pid}.hang.json`);
    fs.rmSync(hangFile, { force: true });
    const seed = args.seed ?? String(Math.floor(Math.random() * 2 ** 31));
    const childArgs = ['--target', queue.join(','), `--seed=${seed}`, '--timeout', args.timeout];
    childArgs.push('--hang-file', hangFile);
    if (args.runs !== undefined) childArgs.push('--runs', args.runs);
    if (args.seconds !== undefined) childArgs.push('--seconds', args.seconds);
    let running;
    let progress = 0;
    let started = Date.now();
    let lastPrinted = Date.now();
    const done = new Set();
    const run = await child(childArgs, (m) => {
      if (m.start) {
        running = m.start;
        progress = 0;
        started = Date.now();
      }
      if (typeof m.progress === 'number') {
        progress = m.progress;
        if (Date.now() - lastPrinted > PROGRESS_EVERY_MS) {
          lastPrinted = Date.now();
          console.log(`  … ${running}: ${progress} inputs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }
      if (m.result) {
        const r = m.result;
        const row = { ...empty(m.target, seed), runs: r.runs, ms: r.ms };
        if (r.failure) {
          row.failures = 1;
          row[r.failure.kind] = 1;
          row.detail = `${r.failure.kind}: ${r.failure.message} (seed ${seed}, path ${r.failure.path}) → ${path.relative(root, r.failure.saved)}`;
        }
        done.add(m.target);
        report(row);
      }
    });
    queue = queue.filter((n) => !done.has(n));
    if (queue.length === 0) break;
    // The child ended before its last result: a hang, a crash outside a check, or the process died.
    const row = { ...empty(running ?? queue[0], seed), runs: progress, ms: Date.now() - started };
    if (fs.existsSync(hangFile)) {
      // The watchdog (a hang) or the crash handler (an error thrown outside the check) named the running input.
      const abort = JSON.parse(fs.readFileSync(hangFile, 'utf8'));
      fs.rmSync(hangFile, { force: true });
      const kind = abort.kind === 'crash' ? 'crash' : 'hang';
      row.target = abort.target ?? row.target;
      row.runs = abort.index;
      row.failures = 1;
      row[kind] = 1;
      const materialize = [
        '--materialize',
        '--target',
        row.target,
        `--seed=${seed}`,
        '--path',
        String(abort.index),
      ];
      materialize.push('--timeout', args.timeout);
      if (kind === 'crash') materialize.push(`--message=${abort.message}`);
      const saved = (await child(materialize)).messages.find((m) => m.saved)?.saved;
      const what =
        kind === 'crash' ? `crash: ${abort.message}` : `hang: input ${abort.index} ran ${abort.ms} ms`;
      row.detail = `${what} (seed ${seed}, path ${abort.index})${saved ? ` → ${path.relative(root, saved)}` : ''}`;
    } else {
      row.failures = 1;
      row.crash = 1;
      row.detail = `the fuzz process died (exit ${run.code ?? run.signal}) after about ${progress} inputs (seed ${seed})`;
    }
    report(row);
    queue = queue.filter((n) => n !== row.target);
  }
}

console.log('\ntarget                               inputs     failures crashes hangs untyped property');
for (const r of rows) {
  console.log(
    `${r.target.padEnd(36)} ${String(r.runs).padStart(9)} ${String(r.failures).padStart(8)} ${String(r.crash).padStart(7)} ${String(r.hang).padStart(5)} ${String(r.untyped).padStart(7)} ${String(r.property).padStart(8)}`,
  );
}
const failed = rows.filter((r) => r.failures > 0).length;
console.log(`${rows.length} target(s), ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
