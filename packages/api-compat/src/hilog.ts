import { formatWithOptions } from 'node:util';
import { forwardOnly } from './enums.js';

/**
 * `hilog` from `@kit.PerformanceAnalysisKit` (`@ohos.hilog`): leveled logging with a domain and a tag. Format
 * strings use HarmonyOS privacy specifiers `%{public}s`, `%{private}d`… (private args are printed as `<private>`
 * unless `COLINK_HILOG_PRIVATE=1`). Output goes to stderr as `LEVEL domain/tag: message`; level filter by
 * `COLINK_HILOG_LEVEL` (DEBUG, INFO, WARN, ERROR, FATAL; default INFO).
 * @module
 */

/** `hilog.LogLevel` (@ohos.hilog). */
export enum LogLevel {
  DEBUG = 3,
  INFO = 4,
  WARN = 5,
  ERROR = 6,
  FATAL = 7,
}
forwardOnly(LogLevel);

const NAMES: Record<number, string> = { 3: 'D', 4: 'I', 5: 'W', 6: 'E', 7: 'F' };

function threshold(): number {
  const v = (process.env.COLINK_HILOG_LEVEL ?? 'INFO').toUpperCase() as keyof typeof LogLevel;
  return LogLevel[v] ?? LogLevel.INFO;
}

function render(format: string, args: unknown[]): string {
  const showPrivate = process.env.COLINK_HILOG_PRIVATE === '1';
  let i = 0;
  const consumed = format.replace(
    /%\{(public|private)\}([sdifo])|%([sdifo])/g,
    (_m, vis: string | undefined, t1: string, t2: string) => {
      if (i >= args.length) return ''; // a specifier without an argument prints nothing
      const arg = args[i++];
      if (vis === 'private' && !showPrivate) return '<private>';
      const t = t1 ?? t2;
      return t === 'd' || t === 'i'
        ? String(Math.trunc(Number(arg)))
        : t === 'o'
          ? JSON.stringify(arg)
          : String(arg);
    },
  );
  const rest = args.slice(i);
  return rest.length ? `${consumed} ${formatWithOptions({ colors: false }, ...rest)}` : consumed;
}

function log(level: LogLevel, domain: number, tag: string, format: unknown, args: unknown[]): void {
  if (level < threshold()) return;
  const text =
    typeof format === 'string' ? render(format, args) : formatWithOptions({ colors: false }, format, ...args);
  const dom = `0x${(domain >>> 0).toString(16).padStart(4, '0')}`;
  process.stderr.write(`${NAMES[level]} ${dom}/${tag}: ${text}\n`);
}

/** Logs at DEBUG. */
export function debug(domain: number, tag: string, format: string, ...args: unknown[]): void {
  log(LogLevel.DEBUG, domain, tag, format, args);
}
/** Logs at INFO. */
export function info(domain: number, tag: string, format: string, ...args: unknown[]): void {
  log(LogLevel.INFO, domain, tag, format, args);
}
/** Logs at WARN. */
export function warn(domain: number, tag: string, format: string, ...args: unknown[]): void {
  log(LogLevel.WARN, domain, tag, format, args);
}
/** Logs at ERROR. */
export function error(domain: number, tag: string, format: unknown, ...args: unknown[]): void {
  log(LogLevel.ERROR, domain, tag, format, args);
}
/** Logs at FATAL. */
export function fatal(domain: number, tag: string, format: string, ...args: unknown[]): void {
  log(LogLevel.FATAL, domain, tag, format, args);
}
/** Whether a log at `level` for `domain`/`tag` would be printed. */
export function isLoggable(_domain: number, _tag: string, level: LogLevel): boolean {
  return level >= threshold();
}
