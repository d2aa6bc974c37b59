/**
 * Vitest glue of the fuzz kit: every package's `test/decoders.property.test.ts` runs its targets with
 * {@link propertyTests}, and its `test/corpus.test.ts` replays the saved failing inputs with {@link corpusReplay}.
 * @module
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TEST_RUNS,
  decodeValue,
  describeError,
  encodeValue,
  type FuzzTarget,
  failureKind,
  loadCases,
  runTarget,
} from './kit.js';

/** Runs each target's property in vitest: `testRuns` inputs, failing with the shrunk input. */
export function propertyTests(targets: readonly FuzzTarget[]): void {
  for (const t of targets) {
    describe(t.name, () => {
      beforeAll(async () => {
        await t.setup?.();
      });
      afterAll(async () => {
        await t.teardown?.();
      });
      const runs = t.testRuns ?? DEFAULT_TEST_RUNS;
      it(`${t.description} (${runs} random inputs)`, async () => {
        const r = await runTarget(t, { runs });
        if (r.failure) {
          expect.fail(
            `${r.failure.kind}: ${r.failure.message}\n` +
              `input: ${JSON.stringify(encodeValue(r.failure.input))}\n` +
              `seed ${r.seed}, path ${r.failure.path} (pnpm fuzz -- --target ${t.name} saves it to the corpus)`,
          );
        }
        expect(r.runs).toBe(runs);
      });
    });
  }
}

/** Replays every `test/corpus/<target>/*.json` of the package in `packageDir` through its target's check. */
export function corpusReplay(targets: readonly FuzzTarget[], packageDir: string): void {
  const cases = loadCases(packageDir);
  const byName = new Map(targets.map((t) => [t.name, t]));
  it('every corpus folder names a fuzz target of this package', () => {
    const unknown = cases.filter((c) => !byName.has(c.case.target)).map((c) => c.file);
    expect(unknown).toEqual([]);
  });
  for (const t of targets) {
    const mine = cases.filter((c) => c.case.target === t.name);
    if (mine.length === 0) continue;
    describe(`corpus of ${t.name}`, () => {
      beforeAll(async () => {
        await t.setup?.();
      });
      afterAll(async () => {
        await t.teardown?.();
      });
      for (const c of mine) {
        it(`${path.basename(c.file)} (found as ${c.case.kind}: ${c.case.message.slice(0, 80)})`, async () => {
          try {
            await t.check(decodeValue(c.case.input));
          } catch (e) {
            expect.fail(`${failureKind(e)}: ${describeError(e)}`);
          }
        });
      }
    });
  }
}
