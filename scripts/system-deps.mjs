#!/usr/bin/env node
// Installs the Debian packages the test suites need (listed one per line in <member>/apt-packages.txt), when they
// are missing and we are root on a Debian-like machine. Without root, suites that need them skip with a message.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// nftables: scripts/egress-watch.mjs (CI runs `pnpm start` and `pnpm test` under it).
const wanted = new Set(['iproute2', 'tcpdump', 'nftables']);
for (const dir of ['packages', 'apps']) {
  for (const m of fs.readdirSync(path.join(root, dir))) {
    const f = path.join(root, dir, m, 'apt-packages.txt');
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      const name = line.replace(/#.*/, '').trim();
      if (name) wanted.add(name);
    }
  }
}
const installed = (pkg) =>
  spawnSync('dpkg-query', ['-W', `-f=${'$'}{Status}`, pkg], { encoding: 'utf8' }).stdout?.includes(
    'install ok installed',
  );
const missing = [...wanted].filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);
if (process.getuid?.() !== 0 || spawnSync('which', ['apt-get']).status !== 0) {
  console.warn(
    `system-deps: missing ${missing.join(' ')} (not root or no apt-get): tests needing them will skip`,
  );
  process.exit(0);
}
console.log(`system-deps: installing ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
