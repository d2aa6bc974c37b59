import os from 'node:os';
import path from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

/** Every package's test files. */
const TEST_FILES = 'test/**/*.test.ts';

/** Vite's default server conditions, with ours first. */
const conditions = ['@colink/source', 'module', 'node', 'development|production'];

/**
 * Test files run at once in a package's parallel group. Most of colink's test time is waiting (process start-up,
 * mDNS TTLs, real protocol timers, namespaces), not CPU, so one worker per core plus one keeps a 2-core CI machine
 * busy; vitest's own default (cores − 1) runs every file of a package one after another on 2 cores.
 * `COLINK_TEST_WORKERS=<n>` overrides it (`1` runs every file alone, as before).
 */
export const TEST_WORKERS = Number(process.env.COLINK_TEST_WORKERS) || os.availableParallelism() + 1;

/** How a package's test files are scheduled (see {@link colinkProject}). */
export interface TestLayout {
  /**
   * Files (paths relative to the package, e.g. `test/hostile-peers.test.ts`) that run alone, one after another, after
   * the parallel group: their assertions measure time (RTT under attack, close deadlines) or they saturate the CPU,
   * so no other file of the package may run beside them.
   */
  readonly alone?: readonly string[];
  /**
   * Files to start first in the parallel group, longest first (measured durations, bench/results/test-durations.md):
   * on a fresh CI machine vitest has no duration cache and would order by file size, starting a long file last.
   */
  readonly slowFirst?: readonly string[];
}

/** Orders files as {@link TestLayout.slowFirst} lists them, then vitest's own order (cached durations, file size). */
function sequencerFor(dir: string, slowFirst: readonly string[]) {
  const rank = new Map(slowFirst.map((f, i) => [path.join(dir, f), i]));
  return class SlowFirstSequencer extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
      const base = await super.sort(files);
      const at = (s: TestSpecification) => rank.get(s.moduleId) ?? Number.POSITIVE_INFINITY;
      return base
        .map((s, i) => ({ s, i }))
        .sort((a, b) => at(a.s) - at(b.s) || a.i - b.i)
        .map(({ s }) => s);
    }
  };
}

/**
 * The vitest project every package uses: tests under `test/`, workspace packages resolved to their TypeScript
 * sources through the `@colink/source` export condition (no build needed), a JSON report that
 * `scripts/test.mjs` sums into the `N passed, N failed` line CI reads. Files run {@link TEST_WORKERS} at a time,
 * except the `layout.alone` ones, which run one by one after the others.
 */
export function colinkProject(
  dir: string,
  extra: NonNullable<ViteUserConfig['test']> = {},
  layout: TestLayout = {},
): ViteUserConfig {
  const alone = layout.alone ?? [];
  const sequence = { sequencer: sequencerFor(dir, layout.slowFirst ?? []) };
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      root: dir,
      // With projects, each project names its own files (an inherited include would be merged with theirs).
      ...(alone.length === 0 ? { include: [TEST_FILES] } : {}),
      passWithNoTests: true,
      testTimeout: 30_000,
      hookTimeout: 30_000,
      // expect.poll waits for something real (a Link to close, a message to arrive) on a machine shared by up to
      // cores + 1 test files at once: 1 s (vitest's default) is not generous enough there.
      expect: { poll: { timeout: 5_000 } },
      reporters: ['default', ['json', { outputFile: `${dir}/.vitest-report.json` }]],
      maxWorkers: TEST_WORKERS,
      sequence,
      ...extra,
      ...(alone.length === 0
        ? {}
        : {
            projects: [
              {
                extends: true,
                test: {
                  name: 'parallel',
                  include: [TEST_FILES],
                  exclude: [...alone],
                  maxWorkers: TEST_WORKERS,
                  sequence: { ...sequence, groupOrder: 0 },
                },
              },
              {
                extends: true,
                test: {
                  name: 'alone',
                  include: [...alone],
                  maxWorkers: 1,
                  sequence: { ...sequence, groupOrder: 1 },
                },
              },
            ],
          }),
    },
  });
}
