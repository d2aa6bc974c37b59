// Composes the seed blocks into the modules a device process runs, by these rules (what a reader does, and no more):
// 1. A block runs as it is, as one module. Its own imports stay; the suite adds one first line importing the
//    prelude (prelude.ts: sample-project globals).
// 2. A fragment (a block without imports that uses an earlier block's bindings, or a block whose section continues
//    an earlier one, or an import-only block) is concatenated with the blocks it depends on, in document order, into
//    one module. A name an import brings that the module already imports from the same specifier is left out of the
//    later import (the reader does not import twice); an import left with no names is dropped. Between two
//    concatenated blocks the suite may put `await __seedStep('<id>')`: the reader pausing before the next step (the
//    test releases it).
// 3. A block that is a method body (uses `this`, may `return`) becomes the body of the default-exported function,
//    called with `this` = the page object the seed's own code implies (`{ sessionId }`). A block that is a class
//    member (a method declaration cut out of a page) becomes the body of a default-exported class. Its imports are
//    lifted to the module top.
// 4. A block with an ArkUI page (`@Entry @Component struct`) is written as an `.ets` file and loaded by the register
//    hook's ArkTS loader (decorators dropped, struct → class, build() emptied); the driver makes the page and calls the
//    method a button would.
// 5. A flow may end with the call of a function its blocks declare and never call (what the page's button does),
//    as an added last line.
import fs from 'node:fs';
import path from 'node:path';
import type { SeedBlock } from './extract.js';

/** How a unit's blocks are put together (see the rules above). */
export interface Unit {
  /** A name unique in the suite (the module's file name). */
  readonly name: string;
  /** Block ids in the order they are concatenated. */
  readonly blocks: readonly string[];
  /** Rule 3: `method-body` or `class-member`. */
  readonly wrap?: 'method-body' | 'class-member';
  /** Rule 2: insert `await __seedStep(id)` before these block ids. */
  readonly pauseBefore?: readonly string[];
  /** Rule 5: an added last line calling a function the blocks declare. */
  readonly thenCall?: string;
}

const PRELUDE = path.join(import.meta.dirname, 'prelude.ts');

function split(code: string): { imports: string[]; body: string } {
  const imports: string[] = [];
  const body: string[] = [];
  for (const l of code.split('\n')) {
    if (/^import\s.*\sfrom\s+['"][^'"]+['"];?\s*$/.test(l.trim()) && !/^\s/.test(l)) imports.push(l.trim());
    else body.push(l);
  }
  return { imports, body: body.join('\n') };
}

/** `import { a, b } from 'm'` without the names `seen` has from `m` (undefined when none is left). */
function dedupeImport(line: string, seen: Set<string>): string | undefined {
  const named = /^import\s*\{([^}]*)\}\s*from\s*(['"][^'"]+['"]);?$/.exec(line);
  if (named === null) {
    if (seen.has(line)) return undefined;
    seen.add(line);
    return line;
  }
  const spec = named[2]!;
  const names = named[1]!
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '' && !seen.has(`${spec} ${n}`));
  for (const n of names) seen.add(`${spec} ${n}`);
  return names.length === 0 ? undefined : `import { ${names.join(', ')} } from ${spec};`;
}

/** Writes the unit's module into `dir` and returns its path (`.ets` for an ArkUI page, else `.ts`). */
export function composeUnit(unit: Unit, blocks: ReadonlyMap<string, SeedBlock>, dir: string): string {
  const parts = unit.blocks.map((id) => {
    const b = blocks.get(id);
    if (b === undefined) throw new Error(`unit ${unit.name}: no seed block ${id}`);
    return b;
  });
  const isPage = parts.some((b) => /@Entry\s*\n\s*@Component\s*\n\s*struct\s/.test(b.code));
  const seen = new Set<string>();
  const head: string[] = [`import ${JSON.stringify(PRELUDE.replace(/\.ts$/, '.js'))};`];
  const body: string[] = [];
  for (const b of parts) {
    if (unit.pauseBefore?.includes(b.id)) body.push(`await __seedStep(${JSON.stringify(b.id)});`);
    body.push(`// ---- ${b.id} (seed line ${b.line}) ----`);
    if (unit.wrap === undefined && !isPage && parts.length === 1) {
      body.push(b.code);
      continue;
    }
    const { imports, body: rest } = split(b.code);
    for (const i of imports) {
      const kept = dedupeImport(i, seen);
      if (kept !== undefined) (unit.wrap === undefined && !isPage ? body : head).push(kept);
    }
    body.push(rest);
  }
  let text: string;
  if (unit.wrap === 'method-body')
    text = `${head.join('\n')}\n\nexport default function (this: { sessionId: number }): void {\n${body.join('\n')}\n}\n`;
  else if (unit.wrap === 'class-member')
    text = `${head.join('\n')}\n\nexport default class SeedPage {\n${body.join('\n')}\n}\n`;
  else
    text = `${head.join('\n')}\n${body.join('\n')}\n${unit.thenCall ? `${unit.thenCall} // rule 5\n` : ''}`;
  const file = path.join(dir, `${unit.name}${isPage ? '.ets' : '.ts'}`);
  fs.writeFileSync(file, text);
  return file;
}
