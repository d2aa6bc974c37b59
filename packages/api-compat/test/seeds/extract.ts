// Extracts the code blocks of the seed documents in <repo>/../shared/seeds, from the files themselves (a seed edit
// is picked up by the next run). Rules:
// - Markdown (.md): every fenced block (``` with any info string, at any indentation); the fence's indentation is
//   removed from each line.
// - Flattened text (.txt, the abilityConnectionManager API 18 reference): a block starts at a line beginning with
//   `import ` (at any indentation) that follows an "Example" line; it runs until, after a blank line, a line at the
//   block's indentation or less that is prose or a heading (see `isCodeLine`), or until a non-blank line indented
//   less than the block. The block's indentation is removed.
import fs from 'node:fs';
import path from 'node:path';

/** The seed directory: `<repo>/../shared/seeds`. Throws (the suite fails loudly) when it is missing. */
export function seedDir(): string {
  const repo = path.resolve(import.meta.dirname, '../../../..');
  const dir = path.resolve(repo, '../shared/seeds');
  if (!fs.existsSync(dir))
    throw new Error(`seed directory ${dir} is missing (expected <repo>/../shared/seeds)`);
  return dir;
}

/** One code block: `id` is `<seed file>#<n>` (1-based, in file order); `line` its first line in the seed. */
export interface SeedBlock {
  readonly id: string;
  readonly file: string;
  readonly index: number;
  readonly line: number;
  readonly code: string;
}

function indentOf(l: string): number {
  return l.length - l.trimStart().length;
}

function dedent(lines: string[], by: number): string {
  return `${lines
    .map((l) => (l.trim() === '' ? '' : l.slice(Math.min(by, indentOf(l)))))
    .join('\n')
    .trimEnd()}\n`;
}

function markdownBlocks(file: string, text: string): SeedBlock[] {
  const lines = text.split('\n');
  const out: SeedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j++]!);
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: unterminated code fence`);
    out.push({
      id: `${file}#${out.length + 1}`,
      file,
      index: out.length + 1,
      line: i + 2,
      code: dedent(body, indent),
    });
    i = j;
  }
  return out;
}

/** A line that reads as code, not as prose or an API heading of the flattened reference. */
function isCodeLine(l: string): boolean {
  const t = l.trim();
  // An API heading: `module.function` or `module.on('event')`.
  if (/^[A-Za-z]+\.[A-Za-z]+(\('[^']*'\))?$/.test(t)) return false;
  if (
    /^(\/\/|\/\*|\*|}|\)|]|import |export |let |const |var |function |class |struct |@|if |for |try|return)/.test(
      t,
    )
  )
    return true;
  return /[;{}=]$|\)$|,$|\($/.test(t) && !/^[A-Z][a-z]+ [a-z]+ /.test(t);
}

function textBlocks(file: string, text: string): SeedBlock[] {
  const lines = text.split('\n');
  const out: SeedBlock[] = [];
  let afterExample = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === 'Example') {
      afterExample = true;
      continue;
    }
    if (!afterExample || !/^\s*import /.test(l)) continue;
    const base = indentOf(l);
    const body: string[] = [];
    let j = i;
    for (; j < lines.length; j++) {
      const cur = lines[j]!;
      if (cur.trim() === '') {
        body.push(cur);
        continue;
      }
      if (indentOf(cur) < base) break;
      const prevBlank = j > i && lines[j - 1]!.trim() === '';
      if (prevBlank && indentOf(cur) === base && !isCodeLine(cur)) break;
      body.push(cur);
    }
    out.push({
      id: `${file}#${out.length + 1}`,
      file,
      index: out.length + 1,
      line: i + 1,
      code: dedent(body, base),
    });
    i = j - 1;
    // Step 2 of an example (another indented block) may follow without a new "Example" line.
    afterExample = base > 0;
  }
  return out;
}

/** Every code block of every seed file, in file-name then file order. */
export function seedBlocks(dir = seedDir()): SeedBlock[] {
  if (!fs.existsSync(dir)) throw new Error(`seed directory ${dir} is missing`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.(md|txt)$/.test(f))
    .sort();
  return files.flatMap((f) => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\u00a0/g, ' ');
    return f.endsWith('.md') ? markdownBlocks(f, text) : textBlocks(f, text);
  });
}
