/**
 * `getDnsAscii` / `getDnsUnicode` (harmony-api.md §3.1, since 23): IDNA conversion label by label with
 * `node:url` `domainToASCII` / `domainToUnicode` (UTS #46). All-ASCII labels are left as they are (HarmonyOS: "ASCII
 * letters and digits are left as is"); each resulting label is at most 63 bytes.
 * @module
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { ConversionProcess } from './enums.js';
import { netError } from './errors.js';

/** Longest DNS label in bytes. Source: RFC 1035 §2.3.4. */
export const MAX_LABEL_BYTES = 63;

/** Whether `s` is pure ASCII (code points below 128). */
const isAscii = (s: string): boolean => [...s].every((c) => c.charCodeAt(0) < 0x80);
const STD3_LABEL = /^(?!-)[A-Za-z0-9-]*(?<!-)$/;

function check(host: unknown, flag: unknown): asserts host is string {
  if (typeof host !== 'string' || host === '') throw netError(2100001, 'host must be a non-empty string');
  if (flag !== undefined && !Object.values(ConversionProcess).includes(flag as never))
    throw netError(
      2100001,
      `invalid ConversionProcess ${typeof flag === 'number' ? flag : `(a ${typeof flag})`}`,
    );
}

function finish(labels: string[], flag: unknown): string {
  for (const l of labels) {
    if (Buffer.byteLength(l) > MAX_LABEL_BYTES)
      throw netError(2100001, `label longer than ${MAX_LABEL_BYTES} bytes`);
    if (flag === ConversionProcess.USE_STD3_ASCII_RULES && isAscii(l) && !STD3_LABEL.test(l))
      throw netError(2100001, `label ${JSON.stringify(l)} breaks the STD3 ASCII rules`);
  }
  return labels.join('.');
}

/** Punycode (`xn--`) form of `host`. 2100001 for an empty / invalid name or an over-long label. */
export function toAscii(host: unknown, flag?: unknown): string {
  check(host, flag);
  const labels = host.split('.').map((l) => {
    if (isAscii(l)) return l;
    const a = domainToASCII(l);
    if (a === '') throw netError(2100001, `invalid label ${JSON.stringify(l)}`);
    return a;
  });
  return finish(labels, flag);
}

/** Unicode form of `host` (each `xn--` label decoded). 2100001 for an empty / invalid name. */
export function toUnicode(host: unknown, flag?: unknown): string {
  check(host, flag);
  const labels = host.split('.').map((l) => {
    if (!/^xn--/i.test(l)) return l;
    const u = domainToUnicode(l.toLowerCase());
    if (u === '' || /^xn--/i.test(u)) throw netError(2100001, `invalid label ${JSON.stringify(l)}`);
    return u;
  });
  for (const l of labels)
    if (Buffer.byteLength(domainToASCII(l) || l) > MAX_LABEL_BYTES)
      throw netError(2100001, `label longer than ${MAX_LABEL_BYTES} bytes`);
  return labels.join('.');
}
