#!/usr/bin/env node
// `pnpm bench [-- --quick] [-- --only=id,id]`: every benchmark of the repository in one run, one Markdown table on
// stdout, all figures in bench/results/latest.json. The aggregator is TypeScript in the private @colink/bench
// package (bench/src/main.ts); see bench/README.md for the rows and how to read the ratios.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const bench = path.resolve(import.meta.dirname, '..', 'bench');
const args = process.argv.slice(2).filter((a) => a !== '--');
const r = spawnSync(
  process.execPath,
  ['--conditions=@colink/source', '--import', 'tsx', 'src/main.ts', ...args],
  { cwd: bench, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
