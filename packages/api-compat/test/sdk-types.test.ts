// Two type checks with one `tsc --strict` run (type-checking ambient.d.ts's graph is what costs: one run instead of
// two). Diagnostics are per location, so each check reads only its own files' lines; nothing outside them may fail.
//
// 1. Types as strict as the SDK's: test/fixtures/types/sdk-types.ts holds code the SDK accepts and, under
//    `@ts-expect-error`, code it rejects (an unused directive is itself an error, TS2578), checked against
//    ambient.d.ts as an app's tsconfig would (test/fixtures/types/tsconfig.json's options); a control file holds the
//    same kind of code without the directive and must fail exactly where expected.
// 2. The seed blocks (issue 17): the same units the seed-block suite runs (its UNITS, composed by the same rules;
//    ArkUI pages as the .ets loader turns them into TypeScript), in a generated project with the sample project's
//    globals (test/seeds/prelude.d.ts). Any diagnostic fails, except the listed ones the official SDK reports too
//    (each with its reason), matched by unit + code + message and how often; an exception that no longer occurs (or
//    occurs a different number of times) fails as well, so the list stays exact.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arkTsToTypeScript } from '../src/ets.js';
import { PKG } from './procs.js';
import { composeUnit } from './seeds/compose.js';
import { seedBlocks } from './seeds/extract.js';
import { UNITS } from './seeds/units.js';

/** The workspace's TypeScript (a root devDependency). */
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const TYPES = path.join(PKG, 'test', 'fixtures', 'types');

/** A diagnostic the SDK's own declarations give for these blocks too, `count` times in `unit`, and why. */
interface Exemption {
  readonly unit: string;
  readonly code: string;
  readonly message: string;
  readonly count: number;
  readonly why: string;
}
const API16 =
  'an API 16 draft name; ambient.d.ts follows the API 18+ SDK, whose declarations reject it as well (harmony-api.md §1.6)';
const UNKNOWN_FORMAT =
  "hilog.error(0x0000, 'testTag', error) passes a caught `unknown` as the format; the SDK declares format: string as well";
const SDK_ALSO_REJECTS: readonly Exemption[] = [
  {
    unit: 'a16-create',
    code: 'TS2353',
    message:
      "Object literal may only specify known properties, and 'serverId' does not exist in type 'PeerInfo'.",
    count: 1,
    why: `PeerInfo.serverId: ${API16}`,
  },
  {
    unit: 'a16-create',
    code: 'TS2561',
    message:
      "Object literal may only specify known properties, but 'needSendBigData' does not exist in type 'ConnectOption'. Did you mean to write 'needSendData'?",
    count: 1,
    why: `ConnectOption.needSendBigData: ${API16}`,
  },
  ...['a16-b-accept', 'a16-b-create'].map((unit) => ({
    unit,
    code: 'TS2551',
    message:
      "Property 'needSendBigData' does not exist on type 'ConnectOption'. Did you mean 'needSendData'?",
    count: 1,
    why: `ConnectOption.needSendBigData: ${API16}`,
  })),
  {
    unit: 'a16-b-accept',
    code: 'TS2555',
    message: 'Expected at least 3 arguments, but got 1.',
    count: 1,
    why: 'hilog.error("failed") has one argument; the SDK declares error(domain, tag, format, ...args) as well',
  },
  {
    unit: 'net-10',
    code: 'TS2345',
    message: "Argument of type 'null' is not assignable to parameter of type 'NetHandle'.",
    count: 1,
    why: 'getConnectionProperties(netHandleInfo) where strict narrowing makes netHandleInfo `null`; the SDK declares netHandle: NetHandle as well (the run shows the resulting 401)',
  },
  // The onCollaborate / create / accept examples log a caught `unknown` with hilog.error(0x0000, 'testTag', error).
  ...['a16-create', 'a16-b-accept', 'a16-b-create', 'a18-page', 'a18-b-accept', 'a18-b-create'].map(
    (unit) => ({
      unit,
      code: 'TS2345',
      message: "Argument of type 'unknown' is not assignable to parameter of type 'string'.",
      count: 1,
      why: UNKNOWN_FORMAT,
    }),
  ),
];

const dir = fs.mkdtempSync(path.join(import.meta.dirname, 'seeds', '.types-'));
const CONTROL = 'control.ts';
let r: { status: number | null; out: string };

beforeAll(async () => {
  const byId = new Map(seedBlocks().map((b) => [b.id, b]));
  const unitDir = path.join(dir, 'units');
  fs.mkdirSync(unitDir);
  for (const u of UNITS) {
    const f = composeUnit(u, byId, unitDir);
    if (f.endsWith('.ets')) {
      fs.writeFileSync(f.replace(/\.ets$/, '.ts'), arkTsToTypeScript(fs.readFileSync(f, 'utf8')));
      fs.rmSync(f);
    }
  }
  fs.writeFileSync(
    path.join(dir, CONTROL),
    [
      "import { abilityConnectionManager } from '@kit.DistributedServiceKit';",
      "import { hilog } from '@kit.PerformanceAnalysisKit';",
      "export const key: abilityConnectionManager.CollaborationKeys = 'ohos.collaboration.key.wrong';",
      "hilog.error(0x0000, 'testTag', new Error('x'));",
      '',
    ].join('\n'),
  );
  // The conformance fixture's own compiler options (what an app's tsconfig sets), over every file of both checks.
  const base = JSON.parse(fs.readFileSync(path.join(TYPES, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: base.compilerOptions,
      include: [
        'units/*.ts',
        CONTROL,
        path.join(TYPES, 'sdk-types.ts'),
        path.join(PKG, 'ambient.d.ts'),
        path.join(PKG, 'test/seeds/prelude.d.ts'),
      ],
    }),
  );
  // --listFiles: the output names the program's files (so the check did read them), errors or not.
  r = await new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSC, '-p', dir, '--strict', '--pretty', 'false', '--listFiles'],
      { cwd: PKG, encoding: 'utf8', timeout: 170_000, maxBuffer: 64 * 1024 * 1024 },
      (e, stdout, stderr) =>
        resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, out: `${stdout}${stderr}` }),
    );
  });
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Diagnostic lines (`file(line,col): error TS…`) of files for which `mine` holds, continuation lines included. */
function diagnostics(mine: (file: string) => boolean): string[] {
  const lines: string[] = [];
  let keep = false;
  for (const l of r.out.split('\n')) {
    const m = /^(.*?)\(\d+,\d+\): error TS\d+/.exec(l) ?? /^(.*?): error TS\d+/.exec(l);
    if (m) keep = mine(m[1]!);
    else if (!/^\s/.test(l)) keep = false; // a --listFiles path or a blank line ends a diagnostic
    if (keep) lines.push(l);
  }
  return lines;
}
const isUnit = (f: string) => /(^|\/)units\/[\w-]+\.ts$/.test(f);
const isControl = (f: string) => f.endsWith(CONTROL);

describe('types as strict as the SDK (tsc --strict)', () => {
  it('the conformance file type-checks: accepted code compiles, rejected code is rejected', () => {
    expect(diagnostics((f) => !isUnit(f) && !isControl(f))).toEqual([]);
    expect(r.out).toContain('test/fixtures/types/sdk-types.ts');
    expect(r.out).toContain('api-compat/ambient.d.ts');
  });

  it('without the directive the same code fails (a wrong string for a string enum, a non-string hilog format)', () => {
    expect(r.status).not.toBe(0);
    const control = diagnostics(isControl).filter((l) => /error TS/.test(l));
    expect(control.join('\n')).toMatch(/control\.ts\(3,\d+\): error TS(2322|2820)/);
    expect(control.join('\n')).toMatch(/control\.ts\(4,\d+\): error TS2345/);
    // Exactly those two: nothing else in the control file fails.
    expect(control).toHaveLength(2);
  });
});

describe('the seed blocks type-check with tsc --strict against ambient.d.ts', () => {
  it('every unit compiles (apart from what the SDK rejects as well)', () => {
    // Every diagnostic by unit + code + message: an exemption covers exactly that message, as many times as listed.
    const found = new Map<string, string[]>();
    for (const m of r.out.matchAll(/units\/([\w-]+)\.ts\((\d+),\d+\): error (TS\d+): (.*)/g)) {
      const key = `${m[1]} ${m[3]} ${m[4]!.trim()}`;
      found.set(key, [...(found.get(key) ?? []), `line ${m[2]}`]);
    }
    const exempt = new Map(SDK_ALSO_REJECTS.map((e) => [`${e.unit} ${e.code} ${e.message}`, e]));
    const unexpected = [...found].filter(([k, lines]) => exempt.get(k)?.count !== lines.length);
    const gone = [...exempt.keys()].filter((k) => !found.has(k));
    expect({ unexpected: Object.fromEntries(unexpected), gone }).toEqual({ unexpected: {}, gone: [] });
    // No diagnostic elsewhere (a unit's error reported in another file, a config error) and every unit was read.
    expect(diagnostics((f) => !isUnit(f) && !isControl(f))).toEqual([]);
    for (const u of UNITS) expect(r.out).toMatch(new RegExp(`units/${u.name}\\.ts\\b`));
  });
});
