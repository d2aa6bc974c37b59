/**
 * `@ohos.util` on Node.js, the text coding part (interface_sdk-js `api/@ohos.util.d.ts`): `util.TextEncoder` and
 * `util.TextDecoder` with the SDK's constructors, `create` factories and methods. Import it as HarmonyOS code does:
 * `import { util } from '@kit.ArkTS'` or `import util from '@ohos.util'`.
 *
 * Errors are thrown as an `Error` with a numeric `code` (the ArkTS `BusinessError`): 401 for an argument of the
 * wrong type or an encoding colink cannot code. Encoding: utf-8, utf-16le, utf-16be and iso-8859-1 (the SDK also
 * lists legacy CJK and single-byte encodings, which Node cannot encode without an extra library). Decoding: every
 * encoding of the WHATWG Encoding standard that Node's ICU knows (gbk, big5, shift_jis, … as on HarmonyOS).
 * @module
 */
import { TextDecoder as NodeTextDecoder, TextEncoder as NodeTextEncoder } from 'node:util';
import { numericCodeError } from './errors.js';

/** Encodings `TextEncoder` codes, by their canonical label. */
const ENCODER_LABELS: Readonly<Record<string, 'utf-8' | 'utf-16le' | 'utf-16be' | 'iso-8859-1'>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
  'iso-8859-1': 'iso-8859-1',
  latin1: 'iso-8859-1',
};

function paramError(what: string): Error {
  return numericCodeError(401, `Parameter error. ${what}`) as unknown as Error;
}

function requireString(v: unknown, what: string): asserts v is string {
  if (typeof v !== 'string') throw paramError(`The type of ${what} must be string.`);
}

function requireUint8Array(v: unknown, what: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw paramError(`The type of ${what} must be Uint8Array.`);
}

/** `util.EncodeIntoUint8ArrayInfo`: `read` UTF-16 code units consumed, `written` bytes written (since 11). */
export interface EncodeIntoUint8ArrayInfo {
  read: number;
  written: number;
}

/** `util.TextDecoderOptions` (since 11). */
export interface TextDecoderOptions {
  /** Throw on malformed input instead of inserting U+FFFD. Default false. */
  fatal?: boolean;
  /** Keep a byte order mark in the output. Default false. */
  ignoreBOM?: boolean;
}

/** `util.DecodeWithStreamOptions` (since 9): `stream` true keeps an incomplete trailing sequence for the next call. */
export interface DecodeWithStreamOptions {
  stream?: boolean;
}

/** `util.DecodeToStringOptions` (since 12): as {@link DecodeWithStreamOptions}. */
export interface DecodeToStringOptions {
  stream?: boolean;
}

/** `util.TextEncoder`: encodes strings to bytes (default UTF-8; see the module comment for the encodings). */
export class TextEncoder {
  /** Encoding format (lower case canonical name). */
  readonly encoding: string = 'utf-8';

  /** `new util.TextEncoder(encoding?)`: 401 for a non-string or unsupported encoding. */
  constructor(encoding?: string) {
    if (encoding !== undefined) {
      requireString(encoding, 'encoding');
      const canonical = ENCODER_LABELS[encoding.toLowerCase()];
      if (canonical === undefined)
        throw paramError(`Wrong encoding format, ${encoding} is not supported by colink.`);
      this.encoding = canonical;
    }
  }

  /** `util.TextEncoder.create(encoding?)` (since 12). */
  static create(encoding?: string): TextEncoder {
    return new TextEncoder(encoding);
  }

  /** Encodes `input` (default `""`) in this encoder's encoding (since 7; deprecated by the SDK for encodeInto). */
  encode(input = ''): Uint8Array<ArrayBuffer> {
    return this.encodeInto(input);
  }

  /**
   * `encodeInto(input?)`: the encoded bytes of `input` (default `""`), in a Uint8Array over its own ArrayBuffer (as
   * in ArkTS, `result.buffer` is an `ArrayBuffer`: the seed passes it to `sendData`).
   */
  encodeInto(input?: string): Uint8Array<ArrayBuffer>;
  /** `encodeInto(input, dest)`: writes UTF-8 of `input` into `dest`; returns characters read and bytes written. */
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number };
  encodeInto(
    input: string = '',
    dest?: Uint8Array,
  ): Uint8Array<ArrayBuffer> | { read: number; written: number } {
    requireString(input, 'input');
    if (dest !== undefined) return this.encodeIntoUint8Array(input, dest);
    switch (this.encoding) {
      case 'utf-16le':
        return new Uint8Array(Buffer.from(input, 'utf16le'));
      case 'utf-16be':
        return new Uint8Array(Buffer.from(input, 'utf16le').swap16());
      case 'iso-8859-1':
        return new Uint8Array(Buffer.from(input, 'latin1'));
      default:
        return new NodeTextEncoder().encode(input) as Uint8Array<ArrayBuffer>;
    }
  }

  /** Writes the UTF-8 encoding of `input` into `dest` as far as it fits (since 9; whole characters only). */
  encodeIntoUint8Array(input: string, dest: Uint8Array): EncodeIntoUint8ArrayInfo {
    requireString(input, 'input');
    requireUint8Array(dest, 'dest');
    const { read, written } = new NodeTextEncoder().encodeInto(input, dest);
    return { read, written };
  }
}

/** `util.TextDecoder`: decodes bytes to a string (default UTF-8). */
export class TextDecoder {
  /** Encoding format (canonical WHATWG name, e.g. `utf-8`). */
  readonly encoding: string;
  /** Whether malformed input throws. */
  readonly fatal: boolean;
  /** Whether a byte order mark is kept. */
  readonly ignoreBOM: boolean;
  readonly #decoder: NodeTextDecoder;

  /** `new util.TextDecoder(encoding?, options?)`: 401 for a non-string or unknown encoding. */
  constructor(encoding?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }) {
    if (encoding !== undefined) requireString(encoding, 'encoding');
    try {
      this.#decoder = new NodeTextDecoder(encoding ?? 'utf-8', {
        fatal: options?.fatal === true,
        ignoreBOM: options?.ignoreBOM === true,
      });
    } catch {
      throw paramError(`Wrong encoding format, ${encoding} is not supported.`);
    }
    this.encoding = this.#decoder.encoding;
    this.fatal = this.#decoder.fatal;
    this.ignoreBOM = this.#decoder.ignoreBOM;
  }

  /** `util.TextDecoder.create(encoding?, options?)` (since 9). */
  static create(encoding?: string, options?: TextDecoderOptions): TextDecoder {
    return new TextDecoder(encoding, options);
  }

  /** Decodes `input` (deprecated by the SDK since 9 for decodeToString). */
  decode(input: Uint8Array, options?: { stream?: false }): string {
    return this.decodeToString(input, options);
  }

  /** Decodes `input`; with `stream: true` an incomplete trailing sequence waits for the next call (since 9). */
  decodeWithStream(input: Uint8Array, options?: DecodeWithStreamOptions): string {
    return this.decodeToString(input, options);
  }

  /** Decodes `input` (since 12). Malformed input: U+FFFD, or a 401 error when `fatal`. */
  decodeToString(input: Uint8Array, options?: DecodeToStringOptions): string {
    requireUint8Array(input, 'input');
    try {
      return this.#decoder.decode(input, { stream: options?.stream === true });
    } catch (e) {
      throw paramError(`Bad input: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
