#!/usr/bin/env node
// Reads the JSON reports the last `pnpm test` (or a package's `npx vitest run`) left in every workspace member
// (`.vitest-report.json`, written by vitest.shared.ts) and prints, per member, its test count, its wall time (from
// the run's start to the end of its last file) and the sum of its test durations, then the N slowest tests (default
// 25) and the 15 slowest files. Usage:
//   node scripts/test-durations.mjs [N] [--dir <directory of <member>.json reports>]
// Durations are vitest's own per-test figures. Hooks are left out of both the test and the file figures (a file whose
// work is in beforeAll shows ~0 s; vitest's console line has the full file time), and files run in parallel workers,
// so the sums are not wall time (the wall column is). Nothing is run: it only reads reports.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const dir = dirAt >= 0 ? path.resolve(args[dirAt + 1]) : undefined;
const n = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--dir') ?? 25);

/** [member name, report file] for every report found. */
const reports = dir
  ? fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.replace(/\.json$/, ''), path.join(dir, f)])
  : ['packages', 'apps']
      .flatMap((d) => fs.readdirSync(path.join(root, d)).map((m) => path.join(root, d, m)))
      .concat(path.join(root, 'bench'))
      .map((m) => [path.basename(m), path.join(m, '.vitest-report.json')])
      .filter(([, f]) => fs.existsSync(f));

const tests = [];
const files = [];
const fmt = (ms) => `${(ms / 1000).toFixed(2).padStart(7)} s`;
console.log('| member | tests | passed | failed | wall | sum of test durations |\n|---|---|---|---|---|---|');
let wallTotal = 0;
for (const [name, file] of reports) {
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  let sum = 0;
  for (const t of r.testResults) {
    const rel = `${name}/${t.name.slice(t.name.lastIndexOf('/test/') + '/test/'.length)}`;
    files.push({ name: rel, ms: t.endTime - t.startTime });
    for (const a of t.assertionResults) {
      tests.push({ name: `${rel} > ${a.fullName}`, ms: a.duration ?? 0 });
      sum += a.duration ?? 0;
    }
  }
  const wall = Math.max(r.startTime, ...r.testResults.map((t) => t.endTime)) - r.startTime;
  wallTotal += wall;
  console.log(
    `| ${name} | ${r.numTotalTests} | ${r.numPassedTests} | ${r.numFailedTests} | ${(wall / 1000).toFixed(1)} s | ` +
      `${(sum / 1000).toFixed(1)} s |`,
  );
}
console.log(`| total | | | | ${(wallTotal / 1000).toFixed(1)} s | |`);
console.log(`\n${n} slowest tests:`);
for (const t of tests.sort((a, b) => b.ms - a.ms).slice(0, n)) console.log(`${fmt(t.ms)}  ${t.name}`);
console.log('\n15 slowest files:');
for (const f of files.sort((a, b) => b.ms - a.ms).slice(0, 15)) console.log(`${fmt(f.ms)}  ${f.name}`);
