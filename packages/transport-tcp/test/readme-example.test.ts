import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractExample, repoRoot, runExample } from '../../../scripts/readme-examples.mjs';
import { randomPort } from './helpers.js';

const file = 'packages/transport-tcp/examples/chat.ts';
const readme = path.join(import.meta.dirname, '../README.md');
const dir = path.join(import.meta.dirname, '..');

describe('README example: two processes chat over TCP after finding each other over DNS-SD on loopback', () => {
  it('is the example file, verbatim (so pnpm typecheck checks it)', () => {
    expect(extractExample(readme, file)).toBe(readFileSync(path.join(repoRoot, file), 'utf8'));
  });

  it('runs as written in two processes: desk dials and says hello, laptop answers, both exit 0', async () => {
    const code = extractExample(readme, file);
    const env = { MDNS_PORT: String(randomPort()) };
    const desk = runExample(dir, code, { args: ['desk', 'laptop'], env });
    const laptop = runExample(dir, code, { args: ['laptop', 'desk'], env });
    const [d, l] = await Promise.all([desk.done, laptop.done]);
    expect(d.stderr + l.stderr).toBe('');
    // sha256('desk') sorts before sha256('laptop'): desk dials
    expect(d.stdout).toBe('found laptop\nlaptop answers: hi desk, this is laptop\n');
    // laptop's "found desk" (its own DNS-SD browse) and desk's hello (desk found laptop first and dialled) race
    // each other: either may print first; the Link's close comes last.
    const lines = l.stdout.split('\n');
    expect(lines.slice(0, 2).sort()).toEqual(['desk says: hello from desk', 'found desk']);
    expect(lines.slice(2)).toEqual(['link closed: going-away', '']);
    expect([d.status, l.status]).toEqual([0, 0]);
  }, 60_000);
});
