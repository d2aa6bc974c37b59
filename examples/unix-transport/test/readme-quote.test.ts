import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// @colink/core's README quotes this example; a quote is `<!-- quote: <path from the repo root> -->` followed by a
// fenced block that must equal the file byte for byte, so the README cannot drift from the code that is tested.
const root = path.resolve(import.meta.dirname, '../../..');
const readme = readFileSync(path.join(root, 'packages/core/README.md'), 'utf8');
const quotes = [...readme.matchAll(/<!-- quote: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)].filter((q) =>
  q[1]?.startsWith('examples/unix-transport/'),
);

describe("core README's custom-transport example", () => {
  it('quotes the example transport and its compliance test', () => {
    expect(quotes.map((q) => q[1])).toEqual([
      'examples/unix-transport/src/unix-transport.ts',
      'examples/unix-transport/test/compliance.test.ts',
    ]);
  });

  it.each(quotes.map((q) => [q[1], q[2]] as const))('quotes %s verbatim', (file, quoted) => {
    expect(quoted).toBe(readFileSync(path.join(root, file as string), 'utf8'));
  });
});
