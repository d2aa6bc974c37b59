/**
 * hilog's message formatting with the HarmonyOS privacy rules, and its limits (used by `hilog.ts`; not part of the
 * `@ohos.hilog` surface).
 * @module
 */
import { inspect } from 'node:util';

/** App log domains are 0x0–0xFFFF; other domains print nothing (`@ohos.hilog.d.ts`, `domain`). */
export const HILOG_DOMAIN_MAX = 0xffff;
/** A tag is at most 31 bytes; longer tags are cut (`@ohos.hilog.d.ts`, `tag`). */
export const HILOG_TAG_MAX_BYTES = 31;
/** At most 100 arguments per call including domain, tag and format (hiviewdfx_hilog JS binding `MAX_NUMBER`). */
export const HILOG_MAX_ARGS = 100;
/** What a private argument prints (`@ohos.hilog.d.ts`). */
export const PRIVATE_TEXT = '<private>';

function objectText(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return inspect(v, { colors: false, depth: 4, breakLength: Number.POSITIVE_INFINITY });
  }
}

/** The text of one argument for specifier `spec`, or `undefined` when its type does not fit (prints nothing). */
function argText(spec: string, v: unknown): string | undefined {
  const t = typeof v;
  if (spec === 'd' || spec === 'i') return t === 'number' || t === 'bigint' ? String(v) : undefined;
  if (spec === 's')
    return t === 'string' || t === 'boolean' || v === undefined || v === null ? String(v) : undefined;
  // o / O
  return t === 'object' || t === 'function' || v === undefined ? objectText(v) : undefined;
}

const SPECIFIER = /^%(?:\{(public|private)\})?([diosO%])/;

/**
 * Renders a hilog message from `format` and `args` with the HarmonyOS privacy rules (see the module comment).
 * `showPrivate` prints private arguments too.
 */
export function formatHilog(format: string, args: readonly unknown[], showPrivate = false): string {
  const params = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (params.length === 0) return format;
  let out = '';
  let used = 0;
  let i = 0;
  while (i < format.length && used < params.length) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    const m = SPECIFIER.exec(format.slice(i, i + 12));
    if (!m) {
      out += c;
      i++;
      continue;
    }
    i += m[0].length;
    const spec = m[2]!;
    if (spec === '%') {
      out += '%';
      continue;
    }
    const text = argText(spec, params[used++]);
    if (text !== undefined) out += m[1] === 'public' || showPrivate ? text : PRIVATE_TEXT;
  }
  return out + format.slice(i);
}
