#!/usr/bin/env node
// Runs every workspace member's vitest suite through turbo, then sums the per-package JSON reports into the one
// closing line CI reads: `N passed, N failed, N skipped`. A member whose suite crashed before writing a report
// counts as one failure, so nothing can pass by not running.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const members = ['packages', 'apps', 'examples']
  .flatMap((d) => fs.readdirSync(path.join(root, d)).map((m) => path.join(root, d, m)))
  .concat(path.join(root, 'bench'))
  .filter((dir) => {
    const pj = path.join(dir, 'package.json');
    return fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).scripts?.test;
  });
for (const dir of members) fs.rmSync(path.join(dir, '.vitest-report.json'), { force: true });

spawnSync(process.execPath, [path.join(root, 'scripts/system-deps.mjs')], { stdio: 'inherit' });

const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  TURBO_UI: '0',
  NO_COLOR: '1',
};
const filter = process.argv.slice(2);
const turbo = spawnSync(
  process.execPath,
  [
    path.join(root, 'scripts/turbo.mjs'),
    'run',
    'test',
    '--continue',
    '--concurrency=1',
    '--output-logs=full',
    ...filter,
  ],
  { cwd: root, stdio: 'inherit', env },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of members) {
  const name = path.relative(root, dir);
  const file = path.join(dir, '.vitest-report.json');
  if (!fs.existsSync(file)) {
    if (filter.length === 0) {
      failed += 1;
      rows.push(`${name}: no report (suite crashed or did not run)`);
    }
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  // A test file that failed to load has no tests in it but fails the run.
  const brokenFiles = r.testResults.filter(
    (t) => t.status === 'failed' && t.assertionResults.length === 0,
  ).length;
  failed += brokenFiles;
  rows.push(
    `${name}: ${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed, ${r.numPendingTests} skipped`,
  );
}
console.log('\nper package:');
for (const row of rows) console.log(`  ${row}`);
if (turbo.status !== 0 && failed === 0) failed += 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
