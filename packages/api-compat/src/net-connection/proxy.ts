/**
 * HTTP proxy and PAC state of `@ohos.net.connection` (harmony-api.md §3.1 notes): the app proxy
 * (`setAppHttpProxy`), the proxy `getDefaultHttpProxy` reports (app proxy, else the environment's `https_proxy` /
 * `http_proxy` / `no_proxy`, the Linux convention), and the stored PAC URLs.
 * @module
 */
import { envHttpProxy } from '@colink/net-monitor';
import { requireArg } from './calls.js';
import { ruleAddress } from './dns.js';
import { netError } from './errors.js';
import { findProxy, loadPac, type PacEnvironment } from './pac.js';
import { netService } from './service.js';
import type { HttpProxy } from './types.js';

/** PAC helpers' view of this module: custom DNS rules and the default network's IPv4 address. */
const pacEnvironment: PacEnvironment = {
  ruleAddress,
  myAddress: () => {
    try {
      const s = netService();
      s.readySync();
      return s.network(s.defaultNetId)?.localAddresses.ipv4;
    } catch {
      return undefined;
    }
  },
};

/** Largest TCP port. Source: RFC 793 (16-bit port field). */
const MAX_PORT = 65_535;

let appProxy: HttpProxy | undefined;
let pacUrl: string | undefined;
let pacFileUrl = '';

const copy = (p: HttpProxy): HttpProxy => ({ ...p, exclusionList: [...p.exclusionList] });

/**
 * Validates and stores the app proxy; a proxy with an empty host clears it. 401 for `null`/`undefined`/non-object;
 * 2100001 "Invalid http proxy." for a non-string host, a port outside 0–65535, non-string credentials or a
 * non-array / non-string exclusion list. The proxy itself is not contacted (as on HarmonyOS).
 */
export function setAppProxy(proxy: unknown): void {
  requireArg(typeof proxy === 'object' && proxy !== null, 'httpProxy must be an HttpProxy');
  const p = proxy as Partial<HttpProxy>;
  const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';
  const exclusions = p.exclusionList ?? [];
  const ok =
    typeof p.host === 'string' &&
    Number.isInteger(p.port) &&
    (p.port as number) >= 0 &&
    (p.port as number) <= MAX_PORT &&
    optionalString(p.username) &&
    optionalString(p.password) &&
    Array.isArray(exclusions) &&
    exclusions.every((e) => typeof e === 'string');
  if (!ok) throw { ...netError(2100001), message: 'Invalid http proxy.' };
  if (p.host === '') {
    appProxy = undefined;
    return;
  }
  appProxy = copy({
    host: p.host as string,
    port: p.port as number,
    ...(p.username !== undefined ? { username: p.username } : {}),
    ...(p.password !== undefined ? { password: p.password } : {}),
    exclusionList: exclusions,
  });
}

/** The proxy HarmonyOS `getDefaultHttpProxy` reports here: the app proxy, else the environment's, else empty. */
export function defaultProxy(): HttpProxy {
  if (appProxy) return copy(appProxy);
  const env = envHttpProxy();
  return {
    host: env.host,
    port: env.port,
    ...(env.username !== undefined ? { username: env.username } : {}),
    ...(env.password !== undefined ? { password: env.password } : {}),
    exclusionList: [...env.exclusionList],
  };
}

/** Stores the PAC script URL (not validated, as on HarmonyOS). 401 for a non-string. */
export function setPac(url: unknown): void {
  requireArg(typeof url === 'string', 'pacUrl must be a string');
  pacUrl = url;
}

/** The PAC URL; 2100003 when none was set (harmony-api.md §3.1 notes). */
export function getPac(): string {
  if (pacUrl === undefined) throw netError(2100003, 'no PAC URL is set');
  return pacUrl;
}

/**
 * Stores the PAC file URL and enables PAC with it (`""` disables). 401 non-string; 2100002 not a URL, an unsupported
 * scheme, or a `file:` / `data:` script that cannot be read or compiled (HarmonyOS: "bad URL when enabling").
 */
export function setPacFile(url: unknown): void {
  requireArg(typeof url === 'string', 'pacFileUrl must be a string');
  if (url !== '' && !URL.canParse(url)) throw netError(2100002, `not a URL: ${url}`);
  loadPac(url, pacEnvironment);
  pacFileUrl = url;
}

/** The proxy the PAC script chooses for `url` (`"PROXY host:port"`, `"DIRECT"`, …); `""` without a script. */
export function proxyForUrl(url: unknown): string {
  requireArg(typeof url === 'string', 'url must be a string');
  return findProxy(url);
}

/** The PAC file URL, `""` when none. */
export function getPacFile(): string {
  return pacFileUrl;
}
