#!/usr/bin/env node
// Runs every package's benchmark through turbo (`pnpm bench -- --quick` passes --quick on).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2).filter((a) => a !== '--');
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', TURBO_UI: '0' };
const r = spawnSync(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'bench',
    '--concurrency=1',
    '--output-logs=full',
    ...(args.length ? ['--', ...args] : []),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env,
  },
);
process.exit(r.status ?? 1);
