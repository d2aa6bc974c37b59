/**
 * Node module-customization hooks (run in the loader thread; registered by `register.ts`): resolve HarmonyOS
 * `@kit.*` / `@ohos.*` specifiers to api-compat's entry points. Unknown `@ohos.*` modules fail with a clear message.
 * @module
 */
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
  return next(specifier, context);
}
