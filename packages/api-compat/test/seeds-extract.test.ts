// The extraction of the seed-block suite (test/seeds/extract.ts): block counts per seed, the boundaries of the
// flattened API 18 text, and that an edited seed is what the suite extracts (and that a new block fails the
// coverage check of seed-blocks.test.ts, which needs every block in a unit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedBlocks, seedDir } from './seeds/extract.js';
import { UNITS } from './seeds/units.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-seed-extract-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('seed block extraction', () => {
  it('finds every block of every seed; flattened API 18 blocks end before the next API heading', () => {
    const blocks = seedBlocks();
    const per = (f: string): number => blocks.filter((b) => b.file === f).length;
    expect({
      a16: per('abilityConnectionManager-api16.md'),
      a18: per('abilityConnectionManager-api18.txt'),
      le: per('linkEnhance.md'),
      net: per('net-connection-guide.md'),
      wifi: per('wifi-p2p-guide.md'),
    }).toEqual({ a16: 10, a18: 18, le: 21, net: 13, wifi: 2 });
    for (const b of blocks.filter((x) => x.file.endsWith('.txt'))) {
      expect(b.code.startsWith('import ')).toBe(true);
      expect(b.code).not.toMatch(/^abilityConnectionManager\.\w+(\('[^']*'\))?$/m);
      expect(b.code).not.toMatch(/^(Parameters|Example|Error codes)$/m);
    }
    const b8 = blocks.find((b) => b.id === 'abilityConnectionManager-api18.txt#8')!;
    expect(b8.code.trimEnd().endsWith('}')).toBe(true);
    expect(b8.code).toContain('abilityConnectionManager.reject(collabToken, reason);');
    // Indented Markdown fences lose their indentation.
    const net10 = blocks.find((b) => b.id === 'net-connection-guide.md#10')!;
    expect(net10.code.startsWith('// Import the connection namespace')).toBe(true);
  });

  it('reads the seed files themselves: an edit changes the blocks, a new block belongs to no unit', () => {
    const copy = path.join(tmp, 'seeds');
    fs.cpSync(seedDir(), copy, { recursive: true });
    const f = path.join(copy, 'wifi-p2p-guide.md');
    fs.writeFileSync(
      f,
      fs
        .readFileSync(f, 'utf8')
        .replace('console.info("p2p persistent group change receive event");', 'console.info("edited");')
        .concat('\n```ts\nconsole.info("a new block");\n```\n'),
    );
    const blocks = seedBlocks(copy);
    expect(blocks.find((b) => b.id === 'wifi-p2p-guide.md#1')!.code).toContain('console.info("edited");');
    const added = blocks.find((b) => b.id === 'wifi-p2p-guide.md#3');
    expect(added?.code).toBe('console.info("a new block");\n');
    const covered = new Set(UNITS.flatMap((u) => u.blocks));
    expect(blocks.filter((b) => !covered.has(b.id)).map((b) => b.id)).toEqual(['wifi-p2p-guide.md#3']);
  });

  it('fails loudly when the seed directory is missing', () => {
    expect(() => seedBlocks(path.join(tmp, 'nowhere'))).toThrow(/seed directory .* is missing/);
  });
});
