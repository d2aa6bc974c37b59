import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractExample, repoRoot, runExample } from '../../../scripts/readme-examples.mjs';
import { randomPort } from './procs.js';

const readme = path.join(import.meta.dirname, '../README.md');
const pkg = path.join(import.meta.dirname, '..');
const ability = 'packages/api-compat/examples/echo-app/entry/src/main/ets/entryability/EntryAbility.ts';
const phone = 'packages/api-compat/examples/phone.ts';
const dirs: string[] = [];
const children: ChildProcess[] = [];
const stateDir = (name: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), `colink-readme-${name}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('README example: a HarmonyOS script through the register hook against colink-device', () => {
  it.each([ability, phone])('quotes %s verbatim (so pnpm typecheck checks it)', (file) => {
    expect(extractExample(readme, file)).toBe(readFileSync(path.join(repoRoot, file), 'utf8'));
  });

  it('runs as written: the phone finds the tablet, connects and gets the echo', async () => {
    const env = {
      COLINK_ACCOUNT: 'readme-account',
      COLINK_TRANSPORTS: 'tcp',
      COLINK_MDNS_INTERFACE: '127.0.0.1',
      COLINK_MDNS_PORT: String(randomPort()),
    };
    // The tablet through the package's bin (the committed shim): `npx colink-device ./echo-app`.
    const tablet = spawn(process.execPath, ['bin/colink-device.js', 'examples/echo-app'], {
      cwd: pkg,
      env: { ...process.env, ...env, COLINK_DEVICE_NAME: 'tablet', COLINK_STATE_DIR: stateDir('tablet') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(tablet);
    const run = await runExample(pkg, extractExample(readme, phone), {
      nodeArgs: ['--import', '@colink/api-compat/register'],
      env: {
        ...env,
        COLINK_DEVICE_NAME: 'phone',
        COLINK_STATE_DIR: stateDir('phone'),
        COLINK_APP_DIR: 'examples/echo-app',
      },
    }).done;
    expect(run.stdout).toBe('found tablet\nconnected: true\necho: hello tablet\n');
    expect(run.status).toBe(0);
  }, 60_000);
});
