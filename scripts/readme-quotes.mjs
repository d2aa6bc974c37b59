#!/usr/bin/env node
// Refreshes every quoted file in the READMEs given (default: all package READMEs): a `<!-- quote: <path from the
// repo root> -->` line followed by a fenced block gets the file's current content. Tests check the quotes.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const readmes = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync(path.join(root, 'packages')).map((p) => path.join(root, 'packages', p, 'README.md'));
for (const file of readmes) {
  if (!fs.existsSync(file)) continue;
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(
    /(<!-- quote: (\S+) -->\n```\w*\n)[\s\S]*?(```\n)/g,
    (_, open, quoted, close) => `${open}${fs.readFileSync(path.join(root, quoted), 'utf8')}${close}`,
  );
  if (next !== text) {
    fs.writeFileSync(file, next);
    console.log(`readme-quotes: refreshed ${path.relative(root, file)}`);
  }
}
