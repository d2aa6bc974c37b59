#!/usr/bin/env node
// Runs the workspace's turbo with its telemetry and update notifier off, so no README command (`pnpm start`,
// `pnpm build`, `pnpm typecheck`, `pnpm test`) prints the telemetry notice or sends anything anywhere
// (toolchain.md: turbo telemetry is on by default). Usage: `node scripts/turbo.mjs run build …`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
};
const turbo = path.resolve(import.meta.dirname, '../node_modules/.bin/turbo');
const run = spawnSync(turbo, process.argv.slice(2), { stdio: 'inherit', env });
if (run.error) throw run.error;
process.exit(run.status ?? 1);
