import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PKG } from './procs.js';

// Types as strict as the SDK's: test/fixtures/types/sdk-types.ts holds code the SDK accepts and, under
// `@ts-expect-error`, code it rejects (an unused directive is itself an error, TS2578). tsc --strict checks it
// against ambient.d.ts, as an app's tsconfig would.
/** The workspace's TypeScript (a root devDependency). */
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const DIR = path.join(PKG, 'test', 'fixtures', 'types');

function tsc(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSC, ...args],
      { cwd: PKG, encoding: 'utf8', timeout: 170_000, maxBuffer: 64 * 1024 * 1024 },
      (e, stdout, stderr) =>
        resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

// One tsc run checks both files (type-checking ambient.d.ts's graph is what costs ~20 s): the conformance file,
// and a control file holding the same kind of code without the directive. Type errors are per location, so the
// control file's errors cannot hide or cause one in the conformance file; each test reads its own file's lines.
describe('types as strict as the SDK (tsc --strict)', () => {
  const control = path.join(DIR, `control-${process.pid}.ts`);
  const config = path.join(DIR, `tsconfig.control-${process.pid}.json`);
  let r: { status: number | null; out: string };

  beforeAll(async () => {
    fs.writeFileSync(
      control,
      [
        "import { abilityConnectionManager } from '@kit.DistributedServiceKit';",
        "import { hilog } from '@kit.PerformanceAnalysisKit';",
        "export const key: abilityConnectionManager.CollaborationKeys = 'ohos.collaboration.key.wrong';",
        "hilog.error(0x0000, 'testTag', new Error('x'));",
        '',
      ].join('\n'),
    );
    const base = JSON.parse(fs.readFileSync(path.join(DIR, 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    fs.writeFileSync(config, JSON.stringify({ ...base, include: [...base.include, path.basename(control)] }));
    // --listFiles: the output names the program's files (so the check did read them), errors or not.
    r = await tsc(['-p', config, '--strict', '--listFiles']);
  }, 180_000);
  afterAll(() => {
    fs.rmSync(control, { force: true });
    fs.rmSync(config, { force: true });
  });

  /** The error lines of the run, control file's left out. */
  const errorsOutsideControl = (): string[] =>
    r.out.split('\n').filter((l) => /error TS\d+/.test(l) && !l.includes(`control-${process.pid}.ts`));

  it('the conformance file type-checks: accepted code compiles, rejected code is rejected', () => {
    expect(errorsOutsideControl()).toEqual([]);
    expect(r.out).toContain('test/fixtures/types/sdk-types.ts');
    expect(r.out).toContain('api-compat/ambient.d.ts');
  });

  it('without the directive the same code fails (a wrong string for a string enum, a non-string hilog format)', () => {
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(new RegExp(`control-${process.pid}\\.ts\\(3,\\d+\\): error TS(2322|2820)`));
    expect(r.out).toMatch(new RegExp(`control-${process.pid}\\.ts\\(4,\\d+\\): error TS2345`));
    // Exactly those two: nothing else in the control file fails.
    expect(r.out.match(new RegExp(`control-${process.pid}\\.ts\\(\\d+,\\d+\\): error`, 'g'))).toHaveLength(2);
  });
});
