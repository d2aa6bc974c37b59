import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatHilog } from '../src/hilog-format.js';
import { PKG } from './procs.js';

// The rules are those of @ohos.hilog.d.ts ("Parameter Format") and hiviewdfx_hilog's JS binding.
describe('hilog format: HarmonyOS privacy rules', () => {
  it.each([
    ['%{public}s', ['abc'], 'abc'],
    ['%{private}s', ['abc'], '<private>'],
    ['%s', ['abc'], '<private>'],
    ['%{public}d %{public}i', [42, 10n], '42 10'],
    ['%d / %{private}i', [42, 1], '<private> / <private>'],
    ['%{public}s %{public}s %{public}s %{public}s', [true, null, undefined, 'x'], 'true null undefined x'],
    ['%{public}O|%{public}o', [{ a: 1, b: 'c' }, [1, 2]], '{"a":1,"b":"c"}|[1,2]'],
    ['%O', [{ secret: 1 }], '<private>'],
    ['%{public}o', [null], 'null'],
    // a type that does not fit the specifier prints nothing and uses up its argument
    ['[%{public}d][%{public}s]', ['not a number', 'next'], '[][next]'],
    ['[%{public}s]', [{ a: 1 }], '[]'],
    ['[%{public}o]', ['str'], '[]'],
    // %% is a percent sign while arguments remain; unknown specifiers print as they are
    ['100%% %{public}s', ['x'], '100% x'],
    ['%f %{public}s', ['x'], '%f x'],
    // no arguments: the format as it is; arguments used up: the rest as it is; extra arguments ignored
    ['100%% %{public}s', [], '100%% %{public}s'],
    ['%{public}s then %{public}s and 50%%', ['a'], 'a then %{public}s and 50%%'],
    ['%{public}s', ['a', 'b', 'c'], 'a'],
    // one array argument supplies the arguments
    ['%{public}s-%{public}d', [['a', 1]], 'a-1'],
  ])('%s with %s → %s', (format, args, expected) => {
    expect(formatHilog(format, args as unknown[])).toBe(expected);
  });

  it('private arguments print when privacy is off (COLINK_HILOG_PRIVATE=1, as `hilog -p off`)', () => {
    expect(formatHilog('%s %{private}d', ['a', 1], true)).toBe('a 1');
  });

  it('a circular object under %{public}O prints (util.inspect) instead of throwing', () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    expect(formatHilog('%{public}O', [o])).toContain('a: 1');
  });
});

describe('hilog in an app process (register hook, stderr lines)', () => {
  it('levels, domains, tags, privacy, setMinLogLevel / setLogLevel, the mismatch line (and the global canIUse)', () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'colink-hilog-'));
    try {
      const r = spawnSync(
        process.execPath,
        ['--import', '@colink/api-compat/register', 'test/fixtures/hilog/lines.ts'],
        {
          cwd: PKG,
          env: {
            ...process.env,
            COLINK_SECURITY: 'off',
            COLINK_STATE_DIR: stateDir,
            COLINK_HILOG_LEVEL: 'INFO',
            COLINK_HILOG_PRIVATE: '0',
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stderr.split('\n').filter((l) => /^[DIWEF] 0x/.test(l));
      expect(lines).toEqual([
        'I 0x0000/testTag: plain shown and <private>',
        'W 0xff00/testTag: n=42 private=<private> default=<private>',
        // the arguments are used up before `%%`, so the rest of the format prints as it is
        'E 0x0001/testTag: obj {"a":1} [1,2], 100%% sure',
        'I 0x0000/testTag: no args: 100%% %{public}s',
        'I 0x0000/a-tag-that-is-longer-than-31-by: cut tag',
        'F 0x0000/testTag: fatal printed',
        'I 0xd002d00/Hilog_JS: Format mismatch',
        'I 0x0000/testTag: canIUse(HiLog) true',
        'I 0xd002d00/Hilog_JS: domain mismatch',
        'I 0xd002d00/Hilog_JS: tag mismatch',
        'I 0x0000/testTag: isLoggable true false false',
        'I 0x0000/testTag: done',
      ]);
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
