// `pnpm bench [-- --quick] [-- --only=id,id]`: builds what the benches load from dist, runs every bench of the
// repository one after the other, writes bench/results/latest.json and prints one Markdown table on stdout (bench
// output and progress go to stderr).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JOBS } from './jobs.js';
import { markdownTable } from './report.js';
import { type BenchRow, benchEnv } from './row.js';
import { runJob } from './run.js';
import { svgReport } from './svg.js';
import { applyTargets } from './targets.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const argv = process.argv.slice(2).filter((a) => a !== '--');
const quick = argv.includes('--quick');
const only = argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const env = benchEnv();
const quiet = { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', TURBO_UI: '0', NO_COLOR: '1' };
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const t0 = performance.now();
log(
  `== colink bench${quick ? ' (quick)' : ''}: building @colink/core and @colink/api-compat (the benches load their dist)`,
);
const build = spawnSync(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'build',
    '--filter=@colink/core',
    '--filter=@colink/api-compat',
    '--output-logs=errors-only',
  ],
  { cwd: root, env: { ...process.env, ...quiet }, stdio: ['ignore', 2, 2] },
);
if (build.status !== 0) log('!! build failed: benches that load dist/ will fail');

const collected: BenchRow[] = [];
const durations: string[] = [];
let failed = 0;
for (const job of JOBS) {
  if (only && !only.includes(job.id)) continue;
  const why = job.unavailable?.(root);
  if (why) {
    log(`== ${job.id}: ${why}`);
    collected.push(
      ...(job.placeholder?.(why, env) ?? [
        { id: `${job.id}.failed`, label: `${job.id} bench`, value: Number.NaN, unit: '', note: why, env },
      ]),
    );
    continue;
  }
  const started = performance.now();
  log(`== ${job.id}: node ${job.args(quick).join(' ')}`);
  const result = await runJob(job, { root, quick, env });
  if (result.error) {
    failed++;
    log(`!! ${job.id}: ${result.error}`);
  }
  collected.push(...result.rows);
  durations.push(`${job.id} ${((performance.now() - started) / 1e3).toFixed(1)} s`);
}

// Issue 19's and issue 15's targets, in one place for every bench (src/targets.ts).
const rows = applyTargets(collected);
const title = `colink benchmarks${quick ? ' (--quick smoke run)' : ''} — ${new Date().toISOString()}`;
const resultsDir = path.join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'latest.svg'), svgReport(rows, env, title));
const total = (performance.now() - t0) / 1e3;
process.stdout.write(
  `${markdownTable(rows, env, title)}\n\nDurations: ${durations.join(', ')}; total ${total.toFixed(1)} s (build included). Written: bench/results/latest.json, bench/results/latest.svg\n`,
);
process.exit(failed > 0 ? 1 : 0);
