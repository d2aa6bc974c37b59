import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collect, type Job } from './jobs.js';
import type { BenchEnv, BenchRow } from './row.js';

/** How {@link runJob} runs a bench. */
export interface RunOptions {
  /** The repository root (the job's `cwd` is relative to it). */
  readonly root: string;
  readonly quick: boolean;
  readonly env: BenchEnv;
  /** Environment on top of the job's own (e.g. tiny sizes for a harness test). */
  readonly extraEnv?: Record<string, string>;
  /** Where the bench's stdout goes as it arrives (default: this process's stderr). */
  readonly echo?: (chunk: Buffer) => void;
}

/** What one job contributed to the report. */
export interface JobResult {
  /** Its rows, including rows without a figure for ids it did not write, or a `<job>.failed` row. */
  readonly rows: BenchRow[];
  /** Why the job counts as failed (exit status, unreadable or missing rows), or undefined. */
  readonly error: string | undefined;
}

const QUIET = { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', TURBO_UI: '0', NO_COLOR: '1' };

/**
 * Runs one bench in its own process group with `COLINK_BENCH_JSON` set (and `COLINK_BENCH_QUICK=1` in quick mode),
 * echoing its stdout, then turns the rows it wrote into report rows ({@link collect}). Kills the whole process group
 * after the job's timeout, and once it exits (helpers a crashed bench left behind). Never rejects: a failure is a
 * `<job>.failed` row with the reason, and {@link JobResult.error}.
 */
export async function runJob(job: Job, options: RunOptions): Promise<JobResult> {
  const { root, quick, env } = options;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'colink-bench-'));
  const jsonFile = path.join(tmp, 'rows.json');
  const echo = options.echo ?? ((d: Buffer) => void process.stderr.write(d));
  try {
    const child = spawn(process.execPath, job.args(quick), {
      cwd: path.join(root, job.cwd),
      env: {
        ...process.env,
        ...QUIET,
        ...job.env?.(quick),
        ...options.extraEnv,
        COLINK_BENCH_JSON: jsonFile,
        ...(quick ? { COLINK_BENCH_QUICK: '1' } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    child.stdout.on('data', echo);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, job.timeoutMs);
    const code = await new Promise<number | null>((resolve) => {
      child.on('error', () => resolve(null));
      child.on('close', (c) => resolve(c));
    });
    clearTimeout(timer);
    killGroup();
    let error: string | undefined;
    let rows: BenchRow[] = [];
    if (timedOut) error = `no result within ${job.timeoutMs} ms`;
    else if (code !== 0) error = `exited with ${code ?? 'a signal'}`;
    else {
      try {
        const got = collect(job, JSON.parse(readFileSync(jsonFile, 'utf8')), env);
        rows = got.rows;
        if (rows.length === 0) error = 'wrote no rows';
        else if (got.missing.length > 0) error = `wrote no row ${got.missing.join(', ')}`;
      } catch (e) {
        const why =
          (e as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'wrote no COLINK_BENCH_JSON file'
            : e instanceof Error
              ? e.message
              : String(e);
        error = `output not understood: ${why}`;
      }
    }
    const failed: BenchRow[] = error
      ? [
          {
            id: `${job.id}.failed`,
            label: `${job.id} bench`,
            value: Number.NaN,
            unit: '',
            note: `failed: ${error}`,
            env,
          },
        ]
      : [];
    return { rows: [...failed, ...rows], error };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
