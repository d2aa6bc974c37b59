import fs from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';

/** One ability declared in a module's `module.json5`. */
export interface AbilityDecl {
  readonly bundleName: string;
  readonly moduleName: string;
  readonly name: string;
  /** Absolute path of the ability's source (`srcEntry`, resolved like the HarmonyOS build: `<module>/src/main/<srcEntry>`). */
  readonly srcEntry: string;
}

/** What a HarmonyOS project directory declares. */
export interface AppDecl {
  readonly bundleName: string;
  readonly abilities: readonly AbilityDecl[];
}

/**
 * Reads a HarmonyOS project the way the build does: `AppScope/app.json5` (`app.bundleName`) and every
 * `<module>/src/main/module.json5` (`module.name`, `module.abilities[].name` and `.srcEntry`). A `srcEntry` such as
 * `./ets/entryability/EntryAbility.ets` is resolved next to `module.json5`; when a `.ts`/`.js` twin exists it is used.
 * Returns undefined when `dir` has no `AppScope/app.json5`.
 */
export function readAppDir(dir: string): AppDecl | undefined {
  const appFile = path.join(dir, 'AppScope', 'app.json5');
  if (!fs.existsSync(appFile)) return undefined;
  const app = JSON5.parse(fs.readFileSync(appFile, 'utf8')) as { app?: { bundleName?: string } };
  const bundleName = app.app?.bundleName;
  if (typeof bundleName !== 'string' || bundleName === '')
    throw new Error(`${appFile}: app.bundleName is missing`);
  const abilities: AbilityDecl[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const modFile = path.join(dir, entry.name, 'src', 'main', 'module.json5');
    if (!fs.existsSync(modFile)) continue;
    const mod = JSON5.parse(fs.readFileSync(modFile, 'utf8')) as {
      module?: { name?: string; abilities?: Array<{ name?: string; srcEntry?: string }> };
    };
    const moduleName = mod.module?.name ?? entry.name;
    for (const a of mod.module?.abilities ?? []) {
      if (!a.name || !a.srcEntry) continue;
      abilities.push({
        bundleName,
        moduleName,
        name: a.name,
        srcEntry: resolveEntry(path.dirname(modFile), a.srcEntry),
      });
    }
  }
  return { bundleName, abilities };
}

function resolveEntry(base: string, src: string): string {
  const p = path.resolve(base, src);
  if (fs.existsSync(p)) return p;
  const stem = p.replace(/\.(ets|ts|js|mjs)$/, '');
  for (const ext of ['.ts', '.mts', '.js', '.mjs', '.ets']) if (fs.existsSync(stem + ext)) return stem + ext;
  return p;
}
