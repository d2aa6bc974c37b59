/**
 * The fuzz-target kit shared by every package's `fuzz/targets.ts`, the property tests (`test/*.property.test.ts`),
 * the corpus replay tests and `pnpm fuzz` (scripts/fuzz.mjs): a target is written once — an arbitrary of hostile
 * inputs and a check that throws when a property breaks — and run by fast-check in all three places.
 *
 * Outcome of one input:
 * - the check returns: the decoder behaved (a result, or the typed error its contract names);
 * - {@link UntypedError}: the decoder threw something its contract does not allow (a `RangeError`, a `TypeError`, a
 *   `ColinkError` with another code…);
 * - {@link PropertyViolation}: it returned, but a property broke (round trip differs, a bound was exceeded…);
 * - anything else escaping the check: a crash of the code under test or of the harness;
 * - no end within the per-input time limit (pnpm fuzz only): a hang.
 * @module
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';

/** One fuzz target: hostile inputs for one decoder or parser, and the properties it must keep. */
export interface FuzzTarget<T = unknown> {
  /** Unique name, `<package>.<decoder>` (e.g. `core.frame-decoder`); also the corpus folder name. */
  readonly name: string;
  /** What is fed to what, and which properties are checked (printed by `pnpm fuzz -- --list`). */
  readonly description: string;
  /** Generator of inputs (shrinks to a minimal failing one). */
  readonly arbitrary: fc.Arbitrary<T>;
  /** Runs one input; throws {@link UntypedError} / {@link PropertyViolation} when the decoder misbehaves. */
  readonly check: (input: T) => void | Promise<void>;
  /** True when `check` returns a promise (run through `fc.asyncProperty`). */
  readonly async?: boolean;
  /** Runs in `pnpm test` (default {@link DEFAULT_TEST_RUNS}). */
  readonly testRuns?: number;
  /** Called once before the first input (e.g. start a runtime); its result is awaited. */
  readonly setup?: () => void | Promise<void>;
  /** Called once after the last input. */
  readonly teardown?: () => void | Promise<void>;
}

/** Inputs per target in `pnpm test`: enough to catch the shallow bugs while the suite stays fast. */
export const DEFAULT_TEST_RUNS = 500;
/** Per-input time limit of `pnpm fuzz`, ms: an input still running after it is a hang. */
export const DEFAULT_INPUT_TIMEOUT_MS = 10_000;

/** Erases a target's input type so targets of different inputs fit one registry list. */
export function defineTarget<T>(target: FuzzTarget<T>): FuzzTarget {
  return target as unknown as FuzzTarget;
}

/** The decoder threw an error its contract does not allow. */
export class UntypedError extends Error {
  override readonly name = 'UntypedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The decoder returned, but broke a property. */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

/** Throws {@link PropertyViolation} with `message` unless `condition` holds. */
export function ensure(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new PropertyViolation(typeof message === 'string' ? message : message());
}

/** Short text of a thrown value for failure messages. */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.name}${code === undefined ? '' : ` [${String(code)}]`}: ${e.message}`;
  }
  return `non-Error thrown: ${typeof e} ${String(e)}`;
}

/** What a decoder did with one input: returned `value`, or threw an allowed `error`. */
export type Outcome<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: unknown };

/**
 * Runs `fn`; returns `{ ok: true, value }`, or `{ ok: false, error }` when it threw an error `allowed` accepts.
 * @throws UntypedError when it threw anything else.
 */
export function typed<R>(fn: () => R, allowed: (e: unknown) => boolean): Outcome<R> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (allowed(e)) return { ok: false, error: e };
    throw new UntypedError(`untyped error: ${describeError(e)}`, { cause: e });
  }
}

/** {@link typed} for async functions. */
export async function typedAsync<R>(
  fn: () => Promise<R>,
  allowed: (e: unknown) => boolean,
): Promise<Outcome<R>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (allowed(e)) return { ok: false, error: e };
    throw new UntypedError(`untyped error: ${describeError(e)}`, { cause: e });
  }
}

/** Accepts errors with a `code` property in `codes` (ColinkError, BusinessError). */
export function withCode(...codes: readonly (string | number)[]): (e: unknown) => boolean {
  return (e) => e instanceof Error && codes.some((c) => String((e as { code?: unknown }).code) === String(c));
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries used by several packages.

/** Bytes: mostly short, some long; Buffer-backed so decoders that expect Buffer methods get them. */
export function bytes(maxLength = 512): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));
}

/** Splits `data` at random points: every chunking of a stream a socket may deliver. */
export function chunked(data: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Buffer[]> {
  return data.chain((d) =>
    fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, d.length - 1) }), { maxLength: 8 }).map((cuts) => {
      const points = [0, ...cuts.filter((c) => c < d.length).sort((a, b) => a - b), d.length];
      const out: Buffer[] = [];
      for (let i = 1; i < points.length; i++) out.push(Buffer.from(d.subarray(points[i - 1]!, points[i]!)));
      return out;
    }),
  );
}

/** A string of any code units, including lone surrogates, control characters and astral characters. */
export function hostileString(maxLength = 64): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength, unit: 'grapheme' }),
    fc.string({ maxLength, unit: 'binary' }),
    fc.string({ maxLength }),
  );
}

/**
 * Values of any JavaScript type an API may be handed by mistake or malice: null, undefined, numbers (NaN, ±0,
 * ±Infinity, huge), bigints, booleans, strings (empty, huge, lone surrogates), bytes, arrays, objects (also with
 * hostile keys), functions. Every value survives {@link encodeValue} / {@link decodeValue}.
 */
export function hostileValue(): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
    fc.bigInt(),
    hostileString(),
    fc.constantFrom('', ' ', '\0', 'x'.repeat(300), 'x'.repeat(70_000), '__proto__', 'constructor'),
    bytes(64),
    fc.constant(() => undefined),
  );
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(
        fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor')),
        tie('value'),
        {
          maxKeys: 4,
        },
      ),
    ),
  })).value;
}

// ---------------------------------------------------------------------------------------------------------------
// Corpus: failing inputs saved as JSON, replayed by every package's corpus test.

type Encoded = null | boolean | number | string | Encoded[] | { $: string; [k: string]: unknown };

/** Encodes a value for a corpus file (bytes, undefined, bigint, NaN/±Infinity/-0, functions, any object keys). */
export function encodeValue(v: unknown): Encoded {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v === undefined) return { $: 'undefined' };
  if (typeof v === 'number')
    return Number.isFinite(v) && !Object.is(v, -0)
      ? v
      : { $: 'number', v: Object.is(v, -0) ? '-0' : String(v) };
  if (typeof v === 'bigint') return { $: 'bigint', v: v.toString() };
  if (typeof v === 'function') return { $: 'function' };
  if (typeof v === 'symbol') return { $: 'symbol', v: v.description ?? '' };
  if (v instanceof Uint8Array)
    return { $: 'bytes', hex: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map(encodeValue);
  const proto = Object.getPrototypeOf(v);
  return {
    $: 'object',
    ...(proto === null ? { nullPrototype: true } : {}),
    entries: Object.keys(v as object).map((k) => [k, encodeValue((v as Record<string, unknown>)[k])]),
  };
}

/** Inverse of {@link encodeValue}; bytes come back as Buffers. */
export function decodeValue(e: unknown): unknown {
  if (e === null || typeof e !== 'object') return e;
  if (Array.isArray(e)) return e.map(decodeValue);
  const o = e as {
    $: string;
    v?: string;
    hex?: string;
    entries?: [string, unknown][];
    nullPrototype?: boolean;
  };
  switch (o.$) {
    case 'undefined':
      return undefined;
    case 'number':
      return o.v === '-0' ? -0 : Number(o.v);
    case 'bigint':
      return BigInt(o.v!);
    case 'function':
      return () => undefined;
    case 'symbol':
      return Symbol(o.v);
    case 'bytes':
      return Buffer.from(o.hex!, 'hex');
    case 'object': {
      const out: Record<string, unknown> = o.nullPrototype ? Object.create(null) : {};
      for (const [k, v] of o.entries ?? [])
        Object.defineProperty(out, k, {
          value: decodeValue(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return out;
    }
    default:
      throw new Error(`corpus: unknown encoded value ${JSON.stringify(e)}`);
  }
}

/** One saved failing input. */
export interface CorpusCase {
  readonly target: string;
  /** `untyped`, `property`, `crash` or `hang`. */
  readonly kind: FailureKind;
  /** The failure when it was found. */
  readonly message: string;
  /** The (shrunk) input, {@link encodeValue}d. */
  readonly input: Encoded;
}

/** Folder of a target's corpus in its package: `test/corpus/<target>/`. */
export function corpusDir(packageDir: string, target: string): string {
  return path.join(packageDir, 'test', 'corpus', target);
}

/** Saves a failing input as `test/corpus/<target>/<sha256-16>.json`; returns the file path. */
export function saveCase(packageDir: string, c: Omit<CorpusCase, 'input'> & { input: unknown }): string {
  const input = encodeValue(c.input);
  const body = `${JSON.stringify({ target: c.target, kind: c.kind, message: c.message, input }, null, 2)}\n`;
  const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16);
  const dir = corpusDir(packageDir, c.target);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${hash}.json`);
  fs.writeFileSync(file, body);
  return file;
}

/** Every corpus case of a package, with its file. */
export function loadCases(packageDir: string): { file: string; case: CorpusCase }[] {
  const root = path.join(packageDir, 'test', 'corpus');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .flatMap((t) =>
      fs
        .readdirSync(path.join(root, t))
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(root, t, f)),
    )
    .sort()
    .map((file) => ({ file, case: JSON.parse(fs.readFileSync(file, 'utf8')) as CorpusCase }));
}

// ---------------------------------------------------------------------------------------------------------------
// Running a target.

/** How an input failed. */
export type FailureKind = 'untyped' | 'property' | 'crash' | 'hang';

/** Classifies an error escaping a check. */
export function failureKind(e: unknown): FailureKind {
  if (e instanceof UntypedError) return 'untyped';
  if (e instanceof PropertyViolation) return 'property';
  return 'crash';
}

/** Options of {@link runTarget}. */
export interface RunOptions {
  /** Inputs to try (default {@link DEFAULT_TEST_RUNS}). */
  readonly runs?: number;
  /** Stop after this many seconds even when `runs` is not reached. */
  readonly seconds?: number;
  /** fast-check seed (default: random). */
  readonly seed?: number;
  /** fast-check replay path: `"<i>"` runs only the i-th generated input. */
  readonly path?: string;
  /** Called before each input with its index among generated inputs (-1 while shrinking). */
  readonly onInput?: (index: number) => void;
  /** Instead of checking, hand each input to this function (used to materialise a hanging input). */
  readonly collect?: (input: unknown) => void;
}

/** Result of {@link runTarget}. */
export interface RunResult {
  readonly target: string;
  /** Generated inputs checked (not counting shrink steps). */
  readonly runs: number;
  /** Shrink steps after a failure. */
  readonly shrinks: number;
  readonly seed: number;
  readonly ms: number;
  readonly failure?: {
    readonly kind: FailureKind;
    readonly message: string;
    readonly input: unknown;
    readonly path: string;
    readonly error: unknown;
  };
}

/** Runs fast-check on one target (setup/teardown are the caller's). */
export async function runTarget(target: FuzzTarget, options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  let index = -1;
  let shrinking = false;
  const before = (): void => {
    if (!shrinking) index++;
    options.onInput?.(shrinking ? -1 : index);
  };
  const collect = options.collect;
  const params: fc.Parameters<[unknown]> = {
    numRuns: options.runs ?? (options.seconds ? 1e12 : DEFAULT_TEST_RUNS),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.seconds === undefined
      ? {}
      : { interruptAfterTimeLimit: options.seconds * 1000, markInterruptAsFailure: false }),
  };
  let details: fc.RunDetails<[unknown]>;
  if (collect) {
    details = fc.check(
      fc.property(target.arbitrary, (v) => {
        collect(v);
      }),
      params,
    );
  } else if (target.async) {
    details = await fc.check(
      fc.asyncProperty(target.arbitrary, async (v) => {
        before();
        try {
          await target.check(v);
        } catch (e) {
          shrinking = true;
          throw e;
        }
      }),
      params,
    );
  } else {
    details = fc.check(
      fc.property(target.arbitrary, (v) => {
        before();
        try {
          target.check(v);
        } catch (e) {
          shrinking = true;
          throw e;
        }
      }),
      params,
    );
  }
  const ms = performance.now() - started;
  const base = {
    target: target.name,
    runs: details.failed ? Math.max(0, details.numRuns) : details.numRuns,
    shrinks: details.numShrinks,
    seed: details.seed,
    ms,
  };
  if (!details.failed) return base;
  const error = details.errorInstance;
  return {
    ...base,
    failure: {
      kind: failureKind(error),
      message: describeError(error),
      input: details.counterexample?.[0],
      path: details.counterexamplePath ?? '',
      error,
    },
  };
}
