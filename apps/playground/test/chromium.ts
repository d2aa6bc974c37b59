import fs from 'node:fs';
import net from 'node:net';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (installed by scripts/system-deps.mjs from apt-packages.txt; no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether Debian's Chromium is installed. */
export const chromiumInstalled = fs.existsSync(CHROMIUM);

/**
 * Chromium's command line for tests: it can resolve and reach nothing but loopback.
 *
 * - `--host-resolver-rules` makes every host name but 127.0.0.1 fail to resolve inside the browser, so it sends no
 *   DNS query at all (measured before: accounts.google.com, content-autofill.googleapis.com, update.googleapis.com
 *   were looked up despite `--disable-background-networking`, issue 16).
 * - `--proxy-server` sends every non-loopback request, should one get an address anyway (a literal IP), to
 *   `proxyPort` on 127.0.0.1, which refuses it; `--proxy-bypass-list` keeps loopback (the lab's UI) direct.
 * - The other flags turn off the features that phone home (sync, component updates, domain reliability, crash
 *   reports, field trials, autofill and optimisation-hint downloads, translate, the media router) and QUIC.
 */
export function loopbackOnlyArgs(proxyPort: number): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--no-pings',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-domain-reliability',
    '--disable-breakpad',
    '--disable-client-side-phishing-detection',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-field-trial-config',
    '--metrics-recording-only',
    '--disable-features=AutofillServerCommunication,OptimizationHints,Translate,MediaRouter,DialMediaRouteProvider,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    `--proxy-server=http://127.0.0.1:${proxyPort}`,
    '--proxy-bypass-list=127.0.0.1;localhost',
  ];
}

/** A local TCP port that accepts and at once destroys every connection: the proxy of {@link loopbackOnlyArgs}. */
export interface RefusingProxy {
  readonly port: number;
  /** Connections the browser tried through the proxy (each one was refused). */
  readonly attempts: number;
  close(): Promise<void>;
}

/** Starts a {@link RefusingProxy} on 127.0.0.1 (random port). */
export async function refusingProxy(): Promise<RefusingProxy> {
  let attempts = 0;
  const server = net.createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get attempts() {
      return attempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Launches Chromium headless with {@link loopbackOnlyArgs}. `executablePath` may be a wrapper (e.g. one that runs
 * Chromium in a network namespace); it must pass its arguments on.
 */
export function launchLoopbackOnly(proxyPort: number, executablePath = CHROMIUM): Promise<Browser> {
  return chromium.launch({ executablePath, args: loopbackOnlyArgs(proxyPort) });
}
