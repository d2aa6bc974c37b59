import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Vite's default server conditions, with ours first. */
const conditions = ['@colink/source', 'module', 'node', 'development|production'];

/**
 * The vitest project every package uses: tests under `test/`, workspace packages resolved to their TypeScript
 * sources through the `@colink/source` export condition (no build needed), a JSON report that
 * `scripts/test.mjs` sums into the `N passed, N failed` line CI reads.
 */
export function colinkProject(dir: string, extra: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      root: dir,
      include: ['test/**/*.test.ts'],
      passWithNoTests: true,
      testTimeout: 30_000,
      hookTimeout: 30_000,
      reporters: ['default', ['json', { outputFile: `${dir}/.vitest-report.json` }]],
      ...extra,
    },
  });
}
