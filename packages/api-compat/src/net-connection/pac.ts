/**
 * Proxy auto-config (PAC) for `setPacFileUrl` / `findProxyForUrl` (harmony-api.md §3.1 notes): the script is loaded
 * when the URL is set (`file:` and `data:` at once, `http(s):` fetched in the background — `findProxyForUrl` answers
 * `""` until it has arrived) and `FindProxyForURL(url, host)` runs in a `node:vm` context with the Netscape PAC
 * helpers. Helpers needing DNS answer from IP literals, the app's custom DNS rules (`dnsResolve`) and the default
 * network's address (`myIpAddress`) only: a PAC call is synchronous and cannot wait for a DNS query. `dateRange` is
 * not provided (a script calling it gets `""`).
 * @module
 */
import fs from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { logger } from '@colink/core';
import { netError } from './errors.js';

const log = logger('api-compat:pac');

/** Largest PAC script accepted, bytes (real-world PAC files are a few KiB). */
export const MAX_PAC_BYTES = 1024 * 1024;

/** Time one `FindProxyForURL` call may run, ms (a PAC script is a few string tests). */
export const PAC_CALL_TIMEOUT_MS = 200;

/** Time the background fetch of an `http(s):` PAC URL may take, ms. */
export const PAC_FETCH_TIMEOUT_MS = 10_000;

/** What the helpers need from the rest of the module. */
export interface PacEnvironment {
  /** First IPv4 address the app's custom DNS rules give `host`, or undefined. */
  ruleAddress(host: string): string | undefined;
  /** The default network's IPv4 address, or undefined. */
  myAddress(): string | undefined;
}

let compiled: { context: vm.Context } | undefined;

/** Calls the script's function inside its context, so the time limit applies to every call. */
const CALL = new vm.Script('FindProxyForURL(__colinkUrl, __colinkHost)', { filename: 'findProxyForUrl' });
let generation = 0;

const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const ipv4ToInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function helpers(env: PacEnvironment): Record<string, unknown> {
  const dnsResolve = (host: string): string | null =>
    isIP(String(host)) === 4 ? String(host) : (env.ruleAddress(String(host)) ?? null);
  return {
    isPlainHostName: (host: string) => !String(host).includes('.'),
    dnsDomainIs: (host: string, domain: string) =>
      String(host).toLowerCase().endsWith(String(domain).toLowerCase()),
    localHostOrDomainIs: (host: string, hostdom: string) =>
      host === hostdom || (!String(host).includes('.') && String(hostdom).startsWith(`${host}.`)),
    isResolvable: (host: string) => dnsResolve(host) !== null,
    dnsResolve,
    isInNet: (host: string, pattern: string, mask: string) => {
      const ip = dnsResolve(host);
      if (ip === null || isIP(pattern) !== 4 || isIP(mask) !== 4) return false;
      const m = ipv4ToInt(mask);
      // `& m` on 32-bit unsigned values: compare with >>> 0.
      return (ipv4ToInt(ip) & m) >>> 0 === (ipv4ToInt(pattern) & m) >>> 0;
    },
    myIpAddress: () => env.myAddress() ?? '127.0.0.1',
    dnsDomainLevels: (host: string) => String(host).split('.').length - 1,
    shExpMatch: (str: string, exp: string) => {
      const re = String(exp)
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.');
      return new RegExp(`^${re}$`).test(String(str));
    },
    weekdayRange: (...args: string[]) => {
      const gmt = args.at(-1) === 'GMT';
      const [a, b = a] = gmt ? args.slice(0, -1) : args;
      const now = new Date();
      const d = gmt ? now.getUTCDay() : now.getDay();
      const from = DAYS.indexOf(String(a));
      const to = DAYS.indexOf(String(b));
      if (from < 0 || to < 0) return false;
      return from <= to ? d >= from && d <= to : d >= from || d <= to;
    },
    timeRange: (...args: Array<number | string>) => {
      const gmt = args.at(-1) === 'GMT';
      const n = (gmt ? args.slice(0, -1) : args).map(Number);
      const now = new Date();
      const [h, m, s] = gmt
        ? [now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds()]
        : [now.getHours(), now.getMinutes(), now.getSeconds()];
      const t = h * 3600 + m * 60 + s;
      const at = (hh = 0, mm = 0, ss = 0): number => hh * 3600 + mm * 60 + ss;
      let lo: number;
      let hi: number;
      if (n.length === 1) [lo, hi] = [at(n[0]), at(n[0], 59, 59)];
      else if (n.length === 2) [lo, hi] = [at(n[0]), at(n[1], 59, 59)];
      else if (n.length === 4) [lo, hi] = [at(n[0], n[1]), at(n[2], n[3], 59)];
      else if (n.length === 6) [lo, hi] = [at(n[0], n[1], n[2]), at(n[3], n[4], n[5])];
      else return false;
      return lo <= hi ? t >= lo && t <= hi : t >= lo || t <= hi;
    },
  };
}

function compile(url: string, source: string, env: PacEnvironment): void {
  const context = vm.createContext(helpers(env));
  new vm.Script(source, { filename: url }).runInContext(context, { timeout: PAC_CALL_TIMEOUT_MS });
  if (typeof (context as { FindProxyForURL?: unknown }).FindProxyForURL !== 'function')
    throw new Error('the PAC script defines no FindProxyForURL function');
  compiled = { context };
}

/**
 * Loads the PAC script at `url` ("" disables PAC). `file:` and `data:` load now: a missing file or a script that
 * does not compile → 2100002. `http(s):` loads in the background. Other schemes → 2100002.
 */
export function loadPac(url: string, env: PacEnvironment): void {
  const mine = ++generation;
  compiled = undefined;
  if (url === '') return;
  const u = new URL(url);
  try {
    if (u.protocol === 'file:' || u.protocol === 'data:') {
      const source =
        u.protocol === 'file:'
          ? fs.readFileSync(fileURLToPath(u), 'utf8')
          : decodeURIComponent(url.slice(url.indexOf(',') + 1));
      if (Buffer.byteLength(source) > MAX_PAC_BYTES) throw new Error(`larger than ${MAX_PAC_BYTES} bytes`);
      compile(url, source, env);
      return;
    }
  } catch (e) {
    throw netError(2100002, `PAC script ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw netError(2100002, `unsupported PAC URL ${url}`);
  void fetch(url, { signal: AbortSignal.timeout(PAC_FETCH_TIMEOUT_MS) })
    .then(async (res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const source = await res.text();
      if (Buffer.byteLength(source) > MAX_PAC_BYTES) throw new Error(`larger than ${MAX_PAC_BYTES} bytes`);
      if (mine === generation) compile(url, source, env);
    })
    .catch((e: unknown) => log.warn('PAC script %s not loaded: %s', url, e));
}

/** `FindProxyForURL(url, host)` of the loaded script; `""` without a script or when the script fails. */
export function findProxy(url: string): string {
  if (!compiled) return '';
  let host = '';
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
  try {
    Object.assign(compiled.context, { __colinkUrl: url, __colinkHost: host });
    const r: unknown = CALL.runInContext(compiled.context, { timeout: PAC_CALL_TIMEOUT_MS });
    return typeof r === 'string' ? r : '';
  } catch (e) {
    log.warn('FindProxyForURL(%s) failed: %s', url, e);
    return '';
  }
}
