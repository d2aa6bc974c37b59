// `tsc --strict` over the seed blocks (issue 17): the same units the seed-block suite runs (its UNITS, composed by
// the same rules; ArkUI pages as the .ets loader turns them into TypeScript), type-checked against ambient.d.ts in
// a generated project. Any diagnostic fails the test, except the listed ones the official SDK reports too (each
// with its reason), matched by unit + code + message and how often; an exception that no longer occurs (or occurs a
// different number of times) fails as well, so the list stays exact.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { arkTsToTypeScript } from '../src/ets.js';
import { PKG } from './procs.js';
import { composeUnit } from './seeds/compose.js';
import { seedBlocks } from './seeds/extract.js';
import { UNITS } from './seeds/units.js';

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
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the seed blocks type-check with tsc --strict against ambient.d.ts', () => {
  it('every unit compiles (apart from what the SDK rejects as well)', () => {
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
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          customConditions: ['@colink/source'],
          types: ['node'],
        },
        include: ['units/*.ts', path.join(PKG, 'ambient.d.ts'), path.join(PKG, 'test/seeds/prelude.d.ts')],
      }),
    );
    let out = '';
    try {
      execFileSync(
        process.execPath,
        [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', dir],
        {
          cwd: PKG,
          encoding: 'utf8',
        },
      );
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    // Every diagnostic by unit + code + message: an exemption covers exactly that message, as many times as listed.
    const found = new Map<string, string[]>();
    for (const m of out.matchAll(/units\/([\w-]+)\.ts\((\d+),\d+\): error (TS\d+): (.*)/g)) {
      const key = `${m[1]} ${m[3]} ${m[4]!.trim()}`;
      found.set(key, [...(found.get(key) ?? []), `line ${m[2]}`]);
    }
    const exempt = new Map(SDK_ALSO_REJECTS.map((e) => [`${e.unit} ${e.code} ${e.message}`, e]));
    const unexpected = [...found].filter(([k, lines]) => exempt.get(k)?.count !== lines.length);
    const gone = [...exempt.keys()].filter((k) => !found.has(k));
    expect({ unexpected: Object.fromEntries(unexpected), gone }).toEqual({ unexpected: {}, gone: [] });
    expect(out.replace(/^.*units\/[\w-]+\.ts\(.*$/gm, '').trim()).toBe('');
  }, 120_000);
});
