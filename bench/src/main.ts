// `pnpm bench [-- --quick] [-- --only=id,id]`: builds what the benches load from dist, runs every bench of the
// repository one after the other, writes bench/results/latest.json and prints one Markdown table on stdout (bench
// output and progress go to stderr).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JOBS, type Job, type RunOutput } from './jobs.js';
import { markdownTable } from './report.js';
import { type BenchRow, benchEnv } from './row.js';

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

/** Runs `node args` in `cwd`; stdout is captured and echoed to stderr. Kills the process group on timeout. */
function runNode(job: Job, extraEnv: Record<string, string>): Promise<RunOutput & { code: number | null }> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'colink-bench-'));
  const jsonFile = path.join(tmp, 'rows.json');
  const child = spawn(process.execPath, job.args(quick), {
    cwd: path.join(root, job.cwd),
    env: {
      ...process.env,
      ...quiet,
      ...extraEnv,
      COLINK_BENCH_JSON: jsonFile,
      ...(quick ? { COLINK_BENCH_QUICK: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    process.stderr.write(d);
  });
  const timer = setTimeout(() => {
    log(`!! ${job.id}: no result within ${job.timeoutMs} ms, stopping it`);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, job.timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL'); // helpers a crashed bench left behind in its process group
      } catch {
        // none left
      }
      let json: RunOutput['json'];
      try {
        json = JSON.parse(readFileSync(jsonFile, 'utf8')) as RunOutput['json'];
      } catch {
        json = undefined;
      }
      rmSync(tmp, { recursive: true, force: true });
      resolve({ stdout, json, code });
    });
  });
}

function failure(job: Job, note: string): BenchRow {
  return { id: `${job.id}.failed`, label: `${job.id} bench`, value: Number.NaN, unit: '', note, env };
}

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

const rows: BenchRow[] = [];
const durations: string[] = [];
let failed = 0;
for (const job of JOBS) {
  if (only && !only.includes(job.id)) continue;
  const why = job.unavailable?.(root);
  if (why) {
    log(`== ${job.id}: ${why}`);
    rows.push(...(job.placeholder?.(why, env) ?? [failure(job, why)]));
    continue;
  }
  const started = performance.now();
  const outputs: RunOutput[] = [];
  const runs = job.runs?.(quick) ?? 1;
  let error: string | undefined;
  for (let i = 0; i < runs && !error; i++) {
    log(`== ${job.id}${runs > 1 ? ` (run ${i + 1}/${runs})` : ''}: node ${job.args(quick).join(' ')}`);
    const out = await runNode(job, job.env?.(quick) ?? {});
    if (out.code !== 0) error = `exited with ${out.code ?? 'a signal'}`;
    else outputs.push(out);
  }
  let got: BenchRow[] = [];
  try {
    got = error ? [] : job.collect(outputs, env, root);
  } catch (e) {
    error = `output not understood: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (!error && got.length === 0) error = 'printed no figures';
  if (error) {
    failed++;
    rows.push(failure(job, `failed: ${error}`));
  }
  rows.push(...got);
  durations.push(`${job.id} ${((performance.now() - started) / 1e3).toFixed(1)} s`);
}

const resultsDir = path.join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
const total = (performance.now() - t0) / 1e3;
process.stdout.write(
  `${markdownTable(rows, env, `colink benchmarks${quick ? ' (--quick smoke run)' : ''} — ${new Date().toISOString()}`)}\n\nDurations: ${durations.join(', ')}; total ${total.toFixed(1)} s (build included). Written: bench/results/latest.json\n`,
);
process.exit(failed > 0 ? 1 : 0);
