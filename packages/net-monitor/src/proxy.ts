/**
 * The system HTTP proxy of a Linux process: the `http_proxy` / `https_proxy` / `no_proxy` environment variables
 * (curl and wget conventions), in the shape of HarmonyOS `HttpProxy` (harmony-api.md §3.2), for an api-compat
 * `getDefaultHttpProxy`.
 * @module
 */

/** HarmonyOS `HttpProxy`. `port` 0–65535; `exclusionList` from `no_proxy`. */
export interface HttpProxyLike {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly exclusionList: readonly string[];
}

/** Default proxy port when the URL has none (the curl default). */
const DEFAULT_PROXY_PORT = 1080;

/**
 * Reads the proxy from `env` (lower-case names win, as in curl): `https_proxy`, else `http_proxy`, else `all_proxy`.
 * Returns `{ host: '', port: 0, exclusionList: [] }` when none is set or the value is not a URL (HarmonyOS returns
 * an empty proxy in that case).
 */
export function envHttpProxy(env: Readonly<Record<string, string | undefined>> = process.env): HttpProxyLike {
  const pick = (name: string): string | undefined => env[name] ?? env[name.toUpperCase()];
  const raw = pick('https_proxy') ?? pick('http_proxy') ?? pick('all_proxy');
  const exclusionList = (pick('no_proxy') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (raw === undefined || raw === '') return { host: '', port: 0, exclusionList: [] };
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    return { host: '', port: 0, exclusionList: [] };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? DEFAULT_PROXY_PORT : Number(url.port);
  const credentials =
    url.username !== ''
      ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
      : {};
  return { host, port, ...credentials, exclusionList };
}
