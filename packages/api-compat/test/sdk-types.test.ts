import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PKG } from './procs.js';

// Types as strict as the SDK's: test/fixtures/types/sdk-types.ts holds code the SDK accepts and, under
// `@ts-expect-error`, code it rejects (an unused directive is itself an error, TS2578). tsc --strict checks it
// against ambient.d.ts, as an app's tsconfig would.
/** The workspace's TypeScript (a root devDependency). */
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const DIR = path.join(PKG, 'test', 'fixtures', 'types');

function tsc(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd: PKG, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('types as strict as the SDK (tsc --strict)', () => {
  it('the conformance file type-checks: accepted code compiles, rejected code is rejected', () => {
    // --listFiles: on success the output is the program's files only (so the check did read these two)
    const r = tsc(['-p', path.join(DIR, 'tsconfig.json'), '--strict', '--listFiles']);
    expect(r.out).not.toMatch(/error TS\d+/);
    expect(r.status).toBe(0);
    expect(r.out).toContain('test/fixtures/types/sdk-types.ts');
    expect(r.out).toContain('api-compat/ambient.d.ts');
  }, 180_000);

  it('without the directive the same code fails (a wrong string for a string enum, a non-string hilog format)', () => {
    const file = path.join(DIR, `control-${process.pid}.ts`);
    const config = path.join(DIR, `tsconfig.control-${process.pid}.json`);
    fs.writeFileSync(
      file,
      [
        "import { abilityConnectionManager } from '@kit.DistributedServiceKit';",
        "import { hilog } from '@kit.PerformanceAnalysisKit';",
        "export const key: abilityConnectionManager.CollaborationKeys = 'ohos.collaboration.key.wrong';",
        "hilog.error(0x0000, 'testTag', new Error('x'));",
        '',
      ].join('\n'),
    );
    const base = JSON.parse(fs.readFileSync(path.join(DIR, 'tsconfig.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    fs.writeFileSync(
      config,
      JSON.stringify({ ...base, include: [path.basename(file), '../../../ambient.d.ts'] }),
    );
    try {
      const r = tsc(['-p', config, '--strict']);
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(new RegExp(`control-${process.pid}\\.ts\\(3,\\d+\\): error TS(2322|2820)`));
      expect(r.out).toMatch(new RegExp(`control-${process.pid}\\.ts\\(4,\\d+\\): error TS2345`));
    } finally {
      fs.rmSync(file, { force: true });
      fs.rmSync(config, { force: true });
    }
  }, 180_000);
});
