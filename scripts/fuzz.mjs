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
const rows = [];
for (const t of selected) {
  const hangFile = path.join(os.tmpdir(), `colink-fuzz-${process.pid}-${t.name}.hang.json`);
  fs.rmSync(hangFile, { force: true });
  const seed = args.seed ?? String(Math.floor(Math.random() * 2 ** 31));
  const childArgs = [
    '--target',
    t.name,
    `--seed=${seed}`,
    '--timeout',
    args.timeout,
    '--hang-file',
    hangFile,
  ];
  if (args.runs !== undefined) childArgs.push('--runs', args.runs);
  if (args.seconds !== undefined) childArgs.push('--seconds', args.seconds);
  let progress = 0;
  const started = Date.now();
  const run = await child(childArgs, (m) => {
    if (typeof m.progress === 'number') progress = m.progress;
  });
  const result = run.messages.find((m) => m.result)?.result;
  const row = {
    target: t.name,
    runs: progress,
    failures: 0,
    crash: 0,
    hang: 0,
    untyped: 0,
    property: 0,
    seed,
  };
  row.ms = Date.now() - started;
  if (result) {
    row.runs = result.runs;
    row.ms = result.ms;
    if (result.failure) {
      row.failures = 1;
      row[result.failure.kind] = 1;
      row.detail = `${result.failure.kind}: ${result.failure.message} (seed ${seed}, path ${result.failure.path}) → ${path.relative(root, result.failure.saved)}`;
    }
  } else if (fs.existsSync(hangFile)) {
    // The watchdog (a hang) or the crash handler (an error thrown outside the check) named the running input.
    const abort = JSON.parse(fs.readFileSync(hangFile, 'utf8'));
    fs.rmSync(hangFile, { force: true });
    const kind = abort.kind === 'crash' ? 'crash' : 'hang';
    row.runs = abort.index;
    row.failures = 1;
    row[kind] = 1;
    const materialize = [
      '--materialize',
      '--target',
      t.name,
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
  rows.push(row);
  const status = row.failures ? `FAILED  ${row.detail}` : 'ok';
  console.log(
    `${t.name.padEnd(36)} ${String(row.runs).padStart(9)} inputs  ${(row.ms / 1000).toFixed(1).padStart(7)} s  ${status}`,
  );
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
