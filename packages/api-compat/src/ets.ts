/**
 * Loading ArkTS (`.ets`) sources on Node: ArkTS is TypeScript plus ArkUI's declarative UI. The transform keeps the
 * TypeScript and drops only the UI: ArkUI decorators are removed, every `struct Name` becomes an exported
 * `class Name extends ArkUIComponent`, and each `build()` body (the UI description) is emptied. esbuild then strips
 * the types. Nothing else in the source changes, so app logic runs as written.
 * @module
 */
import { transform } from 'esbuild';

/** ArkUI decorators (ArkTS state management V1 and V2, components, builders). */
const ARKUI_DECORATORS = [
  'Entry',
  'Component',
  'ComponentV2',
  'Preview',
  'CustomDialog',
  'Reusable',
  'ReusableV2',
  'State',
  'Prop',
  'Link',
  'Provide',
  'Consume',
  'ObjectLink',
  'Observed',
  'ObservedV2',
  'Trace',
  'Watch',
  'StorageLink',
  'StorageProp',
  'LocalStorageLink',
  'LocalStorageProp',
  'BuilderParam',
  'Builder',
  'LocalBuilder',
  'Styles',
  'Extend',
  'AnimatableExtend',
  'Require',
  'Track',
  'Local',
  'Param',
  'Once',
  'Event',
  'Provider',
  'Consumer',
  'Monitor',
  'Computed',
  'Type',
];
const DECORATOR = new RegExp(
  `@(?:${ARKUI_DECORATORS.join('|')})\\b(?:\\s*\\([^()]*(?:\\([^()]*\\)[^()]*)*\\))?`,
  'g',
);

/** Index just past the `}` that closes the `{` at `open`, skipping strings, template literals and comments. */
function matchBrace(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2) + 1;
      if (i === 0) return src.length;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return src.length;
}

/** The ArkTS → TypeScript step (exported for tests). */
export function arkTsToTypeScript(source: string): string {
  let out = source.replace(DECORATOR, '');
  let hasStruct = false;
  out = out.replace(
    /(^|\n)(\s*)(export\s+(?:default\s+)?)?struct\s+([A-Za-z_$][\w$]*)/g,
    (_m, nl: string, ws: string, exp: string | undefined, name: string) => {
      hasStruct = true;
      return `${nl}${ws}${exp ?? 'export '}class ${name} extends __ArkUIComponent`;
    },
  );
  // Empty every `build() { … }` (ArkUI's UI description is not TypeScript).
  for (let at = out.search(/\bbuild\s*\(\s*\)\s*(?::\s*void\s*)?\{/); at >= 0; ) {
    const open = out.indexOf('{', at);
    const close = matchBrace(out, open);
    out = `${out.slice(0, open)}{}${out.slice(close)}`;
    const next = out.slice(open + 2).search(/\bbuild\s*\(\s*\)\s*(?::\s*void\s*)?\{/);
    at = next < 0 ? -1 : open + 2 + next;
  }
  if (hasStruct)
    out = `import { ArkUIComponent as __ArkUIComponent } from '@colink/api-compat/arkui';\n${out}`;
  return out;
}

/** Transforms an `.ets` source to an ES module. Throws with esbuild's message on syntax errors. */
export async function compileEts(source: string, file: string): Promise<string> {
  const ts = arkTsToTypeScript(source);
  const result = await transform(ts, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: file,
    sourcemap: 'inline',
  });
  return result.code;
}
