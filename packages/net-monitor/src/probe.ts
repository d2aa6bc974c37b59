/**
 * HTTP validation probe of one network: a GET of a configurable URL whose socket is bound to the network's source
 * address (`localAddress`). 204 → validated, redirect → captive portal, anything else → failed. The probe follows no
 * redirect and reads no body. Source: linux-net.md "Validation probe"; HarmonyOS NetCap VALIDATED/PORTAL
 * (harmony-api.md §3.3).
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import type { ValidationState } from './types.js';

/** A probe to run. `timeoutMs` bounds connect + response headers. */
export interface ProbeRequest {
  readonly url: string;
  /** Source address to bind (the network's address of `family`). */
  readonly localAddress: string | undefined;
  readonly family: 4 | 6 | undefined;
  readonly timeoutMs: number;
}

/** What a probe found. `status` and `location` are set when a response arrived; `error` when none did. */
export interface ProbeResult {
  readonly state: Extract<ValidationState, 'validated' | 'portal' | 'failed'>;
  readonly status: number | undefined;
  readonly location: string | undefined;
  readonly error: string | undefined;
  /** Time from request to response headers (or failure), in ms. */
  readonly durationMs: number;
}

/** HTTP status codes that mean "redirected to a login page" (RFC 9110 §15.4). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Classifies an HTTP status: 204 → validated, 3xx redirect → portal, else failed. */
export function classifyProbeStatus(status: number): ProbeResult['state'] {
  if (status === 204) return 'validated';
  if (REDIRECT_STATUSES.has(status)) return 'portal';
  return 'failed';
}

/** Runs one probe. Never rejects: failures come back as `state: 'failed'` with `error`. */
export function runProbe(req: ProbeRequest): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      resolve({
        state: 'failed',
        status: undefined,
        location: undefined,
        error: 'invalid URL',
        durationMs: 0,
      });
      return;
    }
    const lib = url.protocol === 'https:' ? https : http;
    const request = lib.get(url, {
      localAddress: req.localAddress,
      family: req.family,
      timeout: req.timeoutMs,
      agent: false,
      headers: { connection: 'close', 'user-agent': 'colink-net-monitor' },
    });
    let done = false;
    const finish = (r: Omit<ProbeResult, 'durationMs'>): void => {
      if (done) return;
      done = true;
      request.destroy();
      resolve({ ...r, durationMs: elapsed() });
    };
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish({
        state: classifyProbeStatus(status),
        status,
        location: res.headers.location,
        error: undefined,
      });
    });
    request.on('timeout', () =>
      finish({ state: 'failed', status: undefined, location: undefined, error: 'timeout' }),
    );
    request.on('error', (e: NodeJS.ErrnoException) =>
      finish({ state: 'failed', status: undefined, location: undefined, error: e.code ?? e.message }),
    );
  });
}
