/**
 * `hilog` from `@kit.PerformanceAnalysisKit` (`@ohos.hilog`): leveled logging with a domain and a tag, with the
 * HarmonyOS privacy rules of the format string (interface_sdk-js `api/@ohos.hilog.d.ts` "Parameter Format"; the
 * behaviour of hiviewdfx_hilog's JS binding):
 *
 * - `%{public}s` prints its argument; `%{private}s` and a plain `%s` print `<private>` (the default is private);
 * - `%d` / `%i` take a number or bigint, `%s` a string, boolean, null or undefined, `%o` / `%O` an object (JSON),
 *   function, null or undefined; an argument of another type prints nothing (it is still consumed);
 * - `%%` prints `%`; any other `%x` is printed as it is;
 * - without arguments the format is printed as it is; once the arguments are used up, the rest of the format is
 *   printed as it is; extra arguments are ignored; one array argument supplies the arguments.
 *
 * Output goes to stderr, one line per call: `LEVEL 0xDOMAIN/tag: message` (`I 0x0000/testTag: hello`). The level
 * threshold is `COLINK_HILOG_LEVEL` (DEBUG, INFO, WARN, ERROR, FATAL; default INFO), changed by `setMinLogLevel` /
 * `setLogLevel`. `COLINK_HILOG_PRIVATE=1` prints private arguments (as `hilog -p off` on a device). A domain outside
 * 0x0–0xFFFF prints nothing (as documented); a tag is cut to 31 bytes. A non-number domain, non-string tag or
 * non-string format prints nothing but the binding's own line `I 0xD002D00/Hilog_JS: <what> mismatch`.
 * @module
 */
import { forwardOnly } from './enums.js';
import { formatHilog, HILOG_DOMAIN_MAX, HILOG_MAX_ARGS, HILOG_TAG_MAX_BYTES } from './hilog-format.js';

/** `hilog.LogLevel` (since 7). */
export enum LogLevel {
  DEBUG = 3,
  INFO = 4,
  WARN = 5,
  ERROR = 6,
  FATAL = 7,
}
forwardOnly(LogLevel);

/** `hilog.PreferStrategy` (since 21): how `setLogLevel` combines its level with the global one. */
export enum PreferStrategy {
  UNSET_LOGLEVEL = 0,
  PREFER_CLOSE_LOG = 1,
  PREFER_OPEN_LOG = 2,
}
forwardOnly(PreferStrategy);

/** The binding's own domain and tag for its mismatch lines (hiviewdfx_hilog JS binding `LABEL`). */
const BINDING_DOMAIN = 0xd002d00;
const BINDING_TAG = 'Hilog_JS';
const LETTERS: Record<number, string> = { 3: 'D', 4: 'I', 5: 'W', 6: 'E', 7: 'F' };

let appLevel: { level: LogLevel; prefer: PreferStrategy } | undefined;

function globalLevel(): LogLevel {
  const v = (process.env.COLINK_HILOG_LEVEL ?? 'INFO').toUpperCase();
  const l = (LogLevel as unknown as Record<string, LogLevel | undefined>)[v];
  return l ?? LogLevel.INFO;
}

function threshold(): LogLevel {
  const g = globalLevel();
  if (!appLevel) return g;
  return appLevel.prefer === PreferStrategy.PREFER_OPEN_LOG
    ? Math.min(g, appLevel.level)
    : Math.max(g, appLevel.level);
}

function truncateTag(tag: string): string {
  const b = Buffer.from(tag);
  if (b.length <= HILOG_TAG_MAX_BYTES) return tag;
  // Cut at a character boundary: drop a partial UTF-8 sequence at the end.
  return b
    .subarray(0, HILOG_TAG_MAX_BYTES)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
}

function writeLine(level: LogLevel, domain: number, tag: string, text: string): void {
  const dom = `0x${(domain >>> 0).toString(16).padStart(4, '0')}`;
  process.stderr.write(`${LETTERS[level]} ${dom}/${tag}: ${text}\n`);
}

function log(level: LogLevel, argv: readonly unknown[]): void {
  const [domain, tag, format, ...rest] = argv;
  const mismatch =
    typeof domain !== 'number' || !Number.isFinite(domain)
      ? 'domain'
      : typeof tag !== 'string'
        ? 'tag'
        : typeof format !== 'string'
          ? 'Format'
          : undefined;
  if (mismatch) {
    writeLine(LogLevel.INFO, BINDING_DOMAIN, BINDING_TAG, `${mismatch} mismatch`);
    return;
  }
  const d = Math.trunc(domain as number);
  if (d < 0 || d > HILOG_DOMAIN_MAX || level < threshold()) return;
  const args = rest.slice(0, HILOG_MAX_ARGS - 3);
  const text = formatHilog(format as string, args, process.env.COLINK_HILOG_PRIVATE === '1');
  writeLine(level, d, truncateTag(tag as string), text);
}

/**
 * Prints a DEBUG log: `domain` 0x0–0xFFFF, `tag` ≤ 31 bytes, `format` with `%{public}s`-style specifiers and `args`
 * for them (see the module comment for the privacy rules). Never throws.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's signature (`...args: any[]`)
export function debug(domain: number, tag: string, format: string, ...args: any[]): void {
  log(LogLevel.DEBUG, [domain, tag, format, ...args]);
}
/** Prints an INFO log. Arguments as {@link debug}. */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's signature (`...args: any[]`)
export function info(domain: number, tag: string, format: string, ...args: any[]): void {
  log(LogLevel.INFO, [domain, tag, format, ...args]);
}
/** Prints a WARN log. Arguments as {@link debug}. */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's signature (`...args: any[]`)
export function warn(domain: number, tag: string, format: string, ...args: any[]): void {
  log(LogLevel.WARN, [domain, tag, format, ...args]);
}
/** Prints an ERROR log. Arguments as {@link debug}. */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's signature (`...args: any[]`)
export function error(domain: number, tag: string, format: string, ...args: any[]): void {
  log(LogLevel.ERROR, [domain, tag, format, ...args]);
}
/** Prints a FATAL log. Arguments as {@link debug}. */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's signature (`...args: any[]`)
export function fatal(domain: number, tag: string, format: string, ...args: any[]): void {
  log(LogLevel.FATAL, [domain, tag, format, ...args]);
}

/** Whether a log at `level` would be printed: false for a domain outside 0x0–0xFFFF or a level below the threshold. */
export function isLoggable(domain: number, _tag: string, level: LogLevel): boolean {
  if (typeof domain !== 'number' || domain < 0 || domain > HILOG_DOMAIN_MAX) return false;
  return level >= threshold();
}

/**
 * Sets the lowest level this process prints (since 15). A level below the global one (`COLINK_HILOG_LEVEL`) has no
 * effect, as on HarmonyOS.
 */
export function setMinLogLevel(level: LogLevel): void {
  appLevel = { level, prefer: PreferStrategy.PREFER_CLOSE_LOG };
}

/**
 * Sets this process's level with a strategy (since 21): `PREFER_CLOSE_LOG` prints from the higher of `level` and the
 * global level, `PREFER_OPEN_LOG` from the lower, `UNSET_LOGLEVEL` goes back to the global level.
 */
export function setLogLevel(level: LogLevel, prefer: PreferStrategy): void {
  appLevel = prefer === PreferStrategy.UNSET_LOGLEVEL ? undefined : { level, prefer };
}
