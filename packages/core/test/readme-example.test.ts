import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractExample, repoRoot, runExample } from '../../../scripts/readme-examples.mjs';

const file = 'packages/core/examples/two-devices.ts';
const readme = path.join(import.meta.dirname, '../README.md');

describe('README example: two devices, one session', () => {
  it('is the example file, verbatim (so pnpm typecheck checks it)', () => {
    expect(extractExample(readme, file)).toBe(readFileSync(path.join(repoRoot, file), 'utf8'));
  });

  it('runs as written and prints the echo, the data receipt and the end reason', async () => {
    const { done } = runExample(path.join(import.meta.dirname, '..'), extractExample(readme, file));
    const run = await done;
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('echo: hello\ngot 10485760 bytes\nended: local\n');
    expect(run.status).toBe(0);
  }, 60_000);
});
