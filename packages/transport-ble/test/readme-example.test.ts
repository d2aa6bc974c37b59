import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractExample, repoRoot, runExample } from '../../../scripts/readme-examples.mjs';

const file = 'packages/transport-ble/examples/pair.ts';
const readme = path.join(import.meta.dirname, '../README.md');

describe('README example: two devices pair on the virtual radio', () => {
  it('is the example file, verbatim (so pnpm typecheck checks it)', () => {
    expect(extractExample(readme, file)).toBe(readFileSync(path.join(repoRoot, file), 'utf8'));
  });

  it('runs as written: the phone finds the watch, dials it over GATT and the watch gets the message', async () => {
    const { done } = runExample(path.join(import.meta.dirname, '..'), extractExample(readme, file));
    const run = await done;
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('phone found: watch\nwatch got "ping" from phone over ble\n');
    expect(run.status).toBe(0);
  }, 60_000);
});
