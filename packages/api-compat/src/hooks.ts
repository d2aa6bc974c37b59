/**
 * Node module-customization hooks (run in the loader thread; registered by `register.ts`): resolve HarmonyOS
 * `@kit.*` / `@ohos.*` specifiers to api-compat's entry points. Unknown `@ohos.*` modules fail with a clear message.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compileEts } from './ets.js';
import { SPECIFIERS } from './specifiers.js';

interface ResolveContext {
  conditions: string[];
  parentURL?: string | undefined;
}
type NextResolve = (
  specifier: string,
  context?: ResolveContext,
) => Promise<{ url: string; format?: string | null }>;

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Promise<{ url: string; format?: string | null }> {
  const target = SPECIFIERS[specifier];
  if (target) return next(target, { ...context, parentURL: import.meta.url });
  if (specifier.startsWith('@ohos.') || specifier.startsWith('@kit.')) {
    throw new Error(
      `${specifier} is not provided by @colink/api-compat (provided: ${Object.keys(SPECIFIERS).join(', ')})`,
    );
  }
  try {
    return await next(specifier, context);
  } catch (e) {
    // ArkTS imports omit the extension: `import X from './X'` may mean ./X.ets.
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && !/\.\w+$/.test(specifier)) {
      try {
        return await next(`${specifier}.ets`, context);
      } catch {
        // fall through to the original error
      }
    }
    throw e;
  }
}

interface LoadContext {
  format?: string | null;
  conditions?: string[];
}
type NextLoad = (
  url: string,
  context?: LoadContext,
) => Promise<{ format?: string | null; source?: string | Buffer | null }>;

/** Loads `.ets` files as ES modules: ArkUI decorators, structs and build() bodies transformed, types stripped. */
export async function load(
  url: string,
  context: LoadContext,
  next: NextLoad,
): Promise<{ format?: string | null; source?: string | Buffer | null; shortCircuit?: boolean }> {
  if (!url.endsWith('.ets')) return next(url, context);
  const file = fileURLToPath(url);
  const source = await compileEts(await readFile(file, 'utf8'), file);
  return { format: 'module', source, shortCircuit: true };
}
